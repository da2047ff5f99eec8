"""One-pass trimming and collapsing equals cutadapt on every read (hand-made and real reads).

Cutting at the exact adapter without aligning, and aligning each other distinct read once, must
change no insert, length, UMI, report number or number of cutadapt's JSON report. Real reads
(skipped without ../shared/data): the exRNAQC serum/plasma reads and the exceRpt example.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from esccrt.smallrna.collapse import collapse_reads, collapse_stats, write_collapsed_fasta
from esccrt.smallrna.presets import ILLUMINA_ADAPTER, QIASEQ_ADAPTER, trim_preset
from esccrt.smallrna.trim import parse_cutadapt_json
from schema_sections import smallrna_section
from smallrna_helpers import (
    EXRNAQC,
    LET7A,
    MIR21,
    bound_memory,
    collapse_as_rule,
    run_cutadapt,
    trim_as_rule,
)


def _mixed_reads(seed: int, adapter: str, n: int = 3000) -> list[tuple[str, str, str]]:
    """Reads that exercise every trimming case: (name, sequence, qualities)."""
    import random

    rng = random.Random(seed)
    inserts = [MIR21, LET7A, MIR21[:15], "", "ACGT" * 9, MIR21 + "A"]
    reads = []
    for i in range(n):
        insert = rng.choice(inserts)
        tail = "".join(rng.choice("ACGT") for _ in range(rng.choice([0, 5, 12, 20])))
        kind = rng.random()
        if kind < 0.5:
            body = insert + adapter + tail
        elif kind < 0.6:
            body = insert + adapter[: rng.randint(1, len(adapter) - 1)]  # partial at the end
        elif kind < 0.7:
            body = insert + adapter + insert + adapter  # adapter twice
        elif kind < 0.8:  # one error in the adapter
            at = rng.randrange(len(adapter))
            body = insert + adapter[:at] + rng.choice("ACGT") + adapter[at + 1 :] + tail
        elif kind < 0.9:
            body = insert + tail  # no adapter
        else:
            body = "".join(rng.choice("ACGTN") for _ in range(rng.randint(10, 60)))
        body = body.replace("N", rng.choice("ACGT")) if rng.random() < 0.5 else body
        body = body or "A"
        quality = [rng.choice("I:F") for _ in body]
        if rng.random() < 0.4:  # low-quality 3' end of random length
            for j in range(max(0, len(body) - rng.randint(1, 30)), len(body)):
                quality[j] = rng.choice("#+,5")
        reads.append((f"r{i}", body, "".join(quality)))
    return reads + reads[: n // 3]  # duplicates, as real libraries have


def _same_as_cutadapt_on_every_read(protocol: str, adapter: str, fastq: Path, work: Path, **keys):
    """Rules smallrna_trim + smallrna_collapse (their entry points, with the ``smallrna`` keys
    given and the schema's defaults) == cutadapt on every read + collapse, read for read: the
    same collapsed FASTA, byte for byte, the same numbers and reports."""
    preset = trim_preset(protocol, adapter)
    every = run_cutadapt(preset, fastq, work, **keys)
    cutadapt_report = parse_cutadapt_json(work / f"{fastq.stem}.json")
    section = smallrna_section(**keys)
    low, high = section["min_length"], section["max_length"]
    theirs = collapse_reads([every], low, high, umi_length=preset.umi_length)
    theirs_stats = collapse_stats(theirs, write_collapsed_fasta(theirs.counts, work / "theirs.fa"))
    unit = trim_as_rule(fastq, protocol, adapter, work, section)
    report = unit.report
    ours_fasta, ours_stats = collapse_as_rule([unit], work / "ours", section)
    assert ours_stats == theirs_stats
    assert ours_fasta.read_bytes() == (work / "theirs.fa").read_bytes()
    assert (report.input, report.adapter_found, report.no_adapter_discarded, report.output) == (
        cutadapt_report.input,
        cutadapt_report.adapter_found,
        cutadapt_report.no_adapter_discarded,
        cutadapt_report.output,
    )
    assert 0 <= report.unique_sequences < report.input
    # cutadapt's JSON report, built from the counts, equals cutadapt's own on every read.
    ours_json = json.loads((work / f"{fastq.stem}.cutadapt.json").read_text())
    theirs_json = json.loads((work / f"{fastq.stem}.json").read_text())
    for run_specific in ("command_line_arguments", "input"):
        ours_json.pop(run_specific), theirs_json.pop(run_specific)
    assert ours_json == theirs_json
    return unit, every


#: How the trimming step counts: all in memory, as it judges; or holding 7 inserts at most
#: (runs spilled to disk) and counting per distinct read in batches of 97, or read by read.
MEMORY_MODES = {"in_memory": None, "spilled_batches": True, "spilled_read_by_read": False}


@pytest.mark.parametrize("memory", list(MEMORY_MODES))
@pytest.mark.parametrize("protocol", ["illumina", "nextflex", "qiaseq", "custom"])
@pytest.mark.parametrize("discard_untrimmed", [False, True])
def test_distinct_read_trimming_equals_cutadapt_on_every_read(
    tmp_path, monkeypatch, protocol, discard_untrimmed, memory
):
    """Cutting at exact adapters, aligning other distinct reads once, counting as reads come:
    no insert, length, UMI or report number changes, for every preset, whether the inserts
    stay in memory or spill to disk (bounded memory), counted in batches or read by read."""
    runs = []
    if memory != "in_memory":
        runs = bound_memory(monkeypatch, keys=7, batching=MEMORY_MODES[memory])
    adapter = {"qiaseq": QIASEQ_ADAPTER + "ACGTACGTACGT", "custom": "AGATCGGAAGAGC"}.get(
        protocol, ILLUMINA_ADAPTER
    )
    reads = _mixed_reads(7, adapter)
    if protocol == "nextflex":
        reads = [(name, "GATC" + seq, "IIII" + qual) for name, seq, qual in reads]
    fastq = tmp_path / "mixed.fastq.gz"
    with gzip.open(fastq, "wt") as handle:
        handle.writelines(f"@{name}\n{seq}\n+\n{qual}\n" for name, seq, qual in reads)
    unit, _ = _same_as_cutadapt_on_every_read(
        protocol, "AGATCGGAAGAGC", fastq, tmp_path, discard_untrimmed=discard_untrimmed
    )
    report = unit.report
    assert report.adapter_found > 0
    assert (report.output < report.input) == (discard_untrimmed or protocol == "qiaseq")
    assert bool(runs) == (memory != "in_memory")  # the bounded modes did spill


@pytest.mark.parametrize("memory", ["in_memory", "spilled"])
def test_distinct_read_trimming_equals_cutadapt_on_real_reads(
    shared_data, tmp_path, monkeypatch, memory
):
    """The same on the real exRNAQC serum/plasma reads and the exceRpt example, also with at
    most 1,000 inserts in memory (the rest spilled to disk)."""
    spilled_runs = bound_memory(monkeypatch, keys=1000) if memory == "spilled" else []
    exrnaqc = shared_data / "smallrna_fastq" / "exrnaqc_serum_plasma"
    runs = [
        _same_as_cutadapt_on_every_read("illumina", "", exrnaqc / f"{stem}.fastq.gz", tmp_path)
        for stem in EXRNAQC.values()
    ]
    # The three files as three units of one sample: merged as rule smallrna_collapse does.
    units, everys = [unit for unit, _ in runs], [every for _, every in runs]
    ours_fasta, ours = collapse_as_rule(units, tmp_path / "ours3")
    section = smallrna_section()
    theirs = collapse_reads(everys, section["min_length"], section["max_length"])
    assert ours == collapse_stats(theirs, write_collapsed_fasta(theirs.counts, tmp_path / "t3.fa"))
    assert ours_fasta.read_bytes() == (tmp_path / "t3.fa").read_bytes()
    folder = shared_data / "smallrna_fastq" / "excerpt_example"
    adapter = (folder / "outputs" / "testData_human.fastq.adapterSeq").read_text().strip()
    fastq = folder / "testData_human.fastq.gz"
    _same_as_cutadapt_on_every_read("custom", adapter, fastq, tmp_path)
    assert bool(spilled_runs) == (memory == "spilled")
