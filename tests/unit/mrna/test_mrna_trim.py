"""mRNA trimming: a unit's adapters from the sheet and cutadapt's arguments."""

from __future__ import annotations

import pytest
from esccrt.errors import InputError
from esccrt.mrna.trim import adapters_for, cutadapt_args

TRUSEQ = {"r1": "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "r2": "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"}
PRESETS = {"truseq": TRUSEQ, "nextera": {"r1": "CTGTCTCTTATACACATCT", "r2": "CTGTCTCTTATACACATCT"}}


def test_adapters_presets_and_custom():
    assert adapters_for("truseq", "", PRESETS, paired=True) == (TRUSEQ["r1"], TRUSEQ["r2"])
    assert adapters_for("", "", PRESETS, paired=False) == (TRUSEQ["r1"], None)
    assert adapters_for("Nextera", "", PRESETS, True) == ("CTGTCTCTTATACACATCT",) * 2
    assert adapters_for("custom", "acgtacgt", PRESETS, False) == ("ACGTACGT", None)
    assert adapters_for("custom", "AAAA,CCCC", PRESETS, True) == ("AAAA", "CCCC")
    assert adapters_for("custom", "AAAA", PRESETS, True) == ("AAAA", "AAAA")


@pytest.mark.parametrize(
    ("protocol", "adapter", "expected"),
    [
        ("custom", "", "adapter column"),
        ("custom", "ACGT;TTT", "adapter column"),
        ("custom", "A,C,G", "adapter column"),
        ("truseq", "ACGT", "only read with protocol 'custom'"),
        ("illumina", "", "unknown protocol 'illumina'"),
    ],
)
def test_adapters_bad_sheet_values(protocol, adapter, expected):
    with pytest.raises(InputError, match=expected) as error:
        adapters_for(protocol, adapter, PRESETS, True, where="units.tsv, sample s1, unit u1")
    assert "units.tsv, sample s1, unit u1" in str(error.value)


def test_cutadapt_args_single_and_paired():
    single = cutadapt_args(
        fq1="in.fq.gz",
        out1="out.fq.gz",
        adapter_r1="ACGT",
        min_length=18,
        quality_cutoff=20,
        json_report="r.json",
    )
    assert single == [
        "--cores", "1", "-a", "ACGT", "--quality-cutoff", "20", "--minimum-length", "18",
        "--json", "r.json", "-o", "out.fq.gz", "in.fq.gz",
    ]  # fmt: skip
    paired = cutadapt_args(
        fq1="a 1.fq.gz",
        fq2="a;2.fq.gz",
        out1="o1.fq.gz",
        out2="o2.fq.gz",
        adapter_r1="AAA",
        adapter_r2="CCC",
        min_length=20,
        quality_cutoff=15,
        cores=2,
        json_report="r.json",
        extra=["--nextseq-trim=20"],
    )
    assert paired == [
        "--cores",
        "2",
        "-a",
        "AAA",
        "-A",
        "CCC",
        "--quality-cutoff",
        "15",
        "--minimum-length",
        "20",
        "--json",
        "r.json",
        "--nextseq-trim=20",
        "-o",
        "o1.fq.gz",
        "-p",
        "o2.fq.gz",
        "a 1.fq.gz",
        "a;2.fq.gz",
    ]  # fmt: skip  (file names with spaces/semicolons stay single arguments)
    with pytest.raises(ValueError, match="together"):
        cutadapt_args(
            fq1="a",
            fq2="b",
            out1="c",
            adapter_r1="A",
            min_length=1,
            quality_cutoff=20,
            json_report="j",
        )
    with pytest.raises(InputError, match="min_length"):
        cutadapt_args(
            fq1="a", out1="c", adapter_r1="A", min_length=0, quality_cutoff=20, json_report="j"
        )


def test_every_protocol_the_sheets_accept_has_its_adapters():
    """The mRNA presets are one closed vocabulary: each protocol the units sheet accepts resolves
    through the schema's presets (a user who sets none gets both), and a preset added in the
    config is refused in one line naming the key and the presets there are."""
    from esccrt.config_check import check_config
    from esccrt.sheets import PROTOCOLS
    from schema_sections import REQUIRED, mrna_section

    presets = mrna_section()["trimming"]["adapters"]
    for protocol in PROTOCOLS["mrna"]:
        adapter = "ACGT" if protocol == "custom" else ""
        r1, r2 = adapters_for(protocol, adapter, presets, paired=True)
        assert r1 and r2, protocol
    assert set(presets) == set(PROTOCOLS["mrna"]) - {"custom"}
    added = {**REQUIRED["mrna"], "trimming": {"adapters": {"nebnext": TRUSEQ}}}
    with pytest.raises(InputError) as error:
        check_config(added, "mrna.schema.yaml", "mrna")
    message = str(error.value)
    assert "mrna.trimming.adapters.nebnext" in message and "['nextera', 'truseq']" in message
    assert "\n" not in message
