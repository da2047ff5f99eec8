"""The isomiR count matrix (esccrt.smallrna.isomir_matrix) and its labels
(esccrt.smallrna.isomir_labels): the filter, repeated lines, the seed flag and bad input.
Counts and labels against mirtop itself: tests/parity/test_smallrna_isomirs_mirtop.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.smallrna.isomir_labels import (
    SEED,
    VARIANT_TYPES,
    seed_changed,
    seed_changed_2_8,
    variant_types,
)
from esccrt.smallrna.isomir_matrix import (
    IsomirInputs,
    IsomirOutputs,
    isomir_counts,
    passes,
    run,
)
from esccrt.smallrna.settings import IsomirSettings, step_section
from schema_sections import smallrna_section

#: hsa-let-7a-5p (its seed region as mirtop defines it, nt 3-8: AGGTAG) and hsa-miR-16-5p.
LET7A = "TGAGGTAGTAGGTTGTATAGTT"
MIR16 = "TAGCAGCACGTAAATATTGGCG"
SETTINGS = IsomirSettings.from_config(step_section(smallrna_section(), "isomirs"))


def _substituted(sequence: str, nt: int) -> str:
    """``sequence`` with nt ``nt`` (1-based) changed."""
    base = sequence[nt - 1]
    return sequence[: nt - 1] + ("A" if base != "A" else "C") + sequence[nt:]


@pytest.mark.parametrize(
    ("read", "changed", "changed_2_8"),
    [
        (LET7A, False, False),  # canonical
        (LET7A[:-2], False, False),  # iso_3p:-2
        (LET7A + "TT", False, False),  # iso_3p:+2 (templated) or iso_add3p:2
        (LET7A[1:], True, True),  # iso_5p:+1
        ("A" + LET7A, True, True),  # iso_5p:-1 or iso_add5p:1
        (_substituted(LET7A, 1), False, False),  # mirtop's iso_snv at nt 1
        (_substituted(LET7A, 2), False, True),  # mirtop's iso_snv: outside its seed region
        (_substituted(LET7A, 3), True, True),  # iso_snv_seed (read position 2 from 0)
        (_substituted(LET7A, 5), True, True),  # iso_snv_seed
        (_substituted(LET7A, 8), True, True),  # iso_snv_seed (read position 7 from 0)
        (_substituted(LET7A, 9), False, False),  # iso_snv_central_offset
        (_substituted(LET7A, 15), False, False),  # iso_snv_central_supp
        (LET7A.replace("T", "U"), False, False),  # RNA letters
    ],
)
def test_the_seed_changes_with_5p_changes_and_seed_substitutions_only(read, changed, changed_2_8):
    """mirtop's seed region (nt 3-8: where its substitutions are ``iso_snv_seed``) and the
    7mer-m8 site (nt 2-8)."""
    assert seed_changed(read, LET7A) is changed
    assert seed_changed_2_8(read, LET7A) is changed_2_8


def test_mirtops_substitution_classes_use_the_seed_region():
    """The mirGFF3 writer tags a substitution ``iso_snv_seed`` exactly at :data:`SEED`."""
    from esccrt.smallrna.mirgff import _snv_tag

    assert [p for p in range(22) if _snv_tag(p) == "iso_snv_seed"] == list(SEED) == [*range(2, 8)]


def test_variant_types_as_mirtop_reads_them():
    assert variant_types("NA") == dict.fromkeys(VARIANT_TYPES, 0)
    types = variant_types("iso_3p:-1,iso_5p:+2,iso_add3p:1,iso_add5p:2,iso_snv_seed")
    assert {k: v for k, v in types.items() if v} == {
        "iso_3p": -1,
        "iso_5p": 2,
        "iso_add3p": 1,
        "iso_add5p": 2,
        "iso_snv_seed": 1,
    }
    with pytest.raises(ValueError, match=r"'iso_add' is not a mirGFF3 1\.2 variant type"):
        variant_types("iso_add:+2")  # mirGFF3 1.0


def test_passes_needs_min_reads_in_min_samples():
    values = np.array([10, 10, 9, 0])
    assert passes(values, 10, 2) and not passes(values, 10, 3)
    assert not passes(values, 11, 1) and passes(values, 0, 4)


def _line(read: str, mature: str, variant: str, expression: str, hairpin: str = "hsa-let-7a-1"):
    from esccrt.smallrna.mirgff import _uid

    return (
        f"{hairpin}\tmiRBase\tisomiR\t5\t{4 + len(read)}\t0\t+\t.\tRead {read}; UID {_uid(read)}; "
        f"Name {mature}; Parent {hairpin}; Variant {variant}; Cigar {len(read)}M; "
        f"Expression {expression}; Filter Pass; Hits 1\n"
    )


def _gff(path: Path, lines: list[str], samples: str = "s1,s2,s3") -> Path:
    header = (
        "## mirGFF3. VERSION 1.2\n## source-ontology: miRBase doi:10.25504/fairsharing.hmgte8\n"
        f"## TOOLS: esccrt\n## COLDATA: {samples}\n"
    )
    path.write_text(header + "".join(lines))
    return path


def test_filter_and_repeated_lines(tmp_path):
    """A read on two hairpins with the same values counts once (mirtop drops the repeated
    row); lines of one isomiR with other values add up before the filter."""
    shifted = LET7A[1:]
    gff = _gff(
        tmp_path / "all.gff",
        [
            _line(LET7A, "hsa-let-7a-5p", "NA", "10,12,0"),  # kept: 2 samples >= 10
            _line(LET7A, "hsa-let-7a-5p", "NA", "10,12,0", hairpin="hsa-let-7a-2"),  # repeated
            _line(shifted, "hsa-let-7a-5p", "iso_5p:+1", "9,3,0"),  # alone: 1 sample >= 10
            _line(shifted, "hsa-let-7a-5p", "iso_5p:+1", "1,7,0", hairpin="hsa-let-7a-2"),
            _line(MIR16, "hsa-miR-16-5p", "NA", "50,0,0"),  # one sample only: dropped
        ],
    )
    counts = isomir_counts(gff, 10, 2)
    assert (counts.lines, counts.isomirs) == (5, 3)
    kept = {key.variant: values.tolist() for key, values in counts.kept.items()}
    assert kept == {"NA": [10, 12, 0], "iso_5p:+1": [10, 10, 0]}


def test_run_writes_matrix_labels_and_decision(tmp_path):
    gff = _gff(
        tmp_path / "all.gff",
        [
            _line(LET7A, "hsa-let-7a-5p", "NA", "10,12,30"),
            _line(LET7A[1:], "hsa-let-7a-5p", "iso_5p:+1", "20,20,20"),
            _line(MIR16 + "A", "hsa-miR-16-5p", "iso_add3p:1", "15,15,0"),
            _line(MIR16, "hsa-miR-16-5p", "NA", "1,2,3"),
        ],
    )
    mature = tmp_path / "mature.fa"
    mature.write_text(f">hsa-let-7a-5p\n{LET7A.replace('T', 'U')}\n>hsa-miR-16-5p\n{MIR16}\n")
    out = IsomirOutputs(tmp_path / "counts.tsv", tmp_path / "labels.tsv", tmp_path / "filter.tsv")
    run(SETTINGS, IsomirInputs(gff, mature), out)
    matrix = pd.read_csv(out.counts, sep="\t", keep_default_na=False)
    assert list(matrix.columns) == ["feature", "name", "s1", "s2", "s3"]
    assert matrix["feature"].tolist() == [
        "hsa-let-7a-5p|NA|iso-22-XKVLRYVPQ",
        "hsa-let-7a-5p|iso_5p:+1|iso-21-531P7WH3E",
        "hsa-miR-16-5p|iso_add3p:1|iso-23-VFPHUEI8DL",
    ]
    labels = pd.read_csv(out.labels, sep="\t", keep_default_na=False).set_index("variant")
    assert labels["seed_changed"].tolist() == [False, True, False]
    assert labels["seed_changed_2_8"].tolist() == [False, True, False]
    assert labels.loc["iso_5p:+1", ["iso_5p", "seed", "mature_seed", "reads"]].tolist() == [
        1,
        "GGTAGT",
        "AGGTAG",
        60,
    ]
    decision = pd.read_csv(out.filter, sep="\t").iloc[0].to_dict()
    assert decision == {
        "min_reads": 10,
        "min_samples": 2,
        "samples": 3,
        "lines": 4,
        "isomirs": 4,
        "kept": 3,
        "removed": 1,
    }


def test_nothing_kept_writes_empty_tables(tmp_path):
    gff = _gff(tmp_path / "all.gff", [_line(LET7A, "hsa-let-7a-5p", "NA", "1,2,3")])
    mature = tmp_path / "mature.fa"
    mature.write_text(f">hsa-let-7a-5p\n{LET7A}\n")
    out = IsomirOutputs(tmp_path / "counts.tsv", tmp_path / "labels.tsv", tmp_path / "filter.tsv")
    run(SETTINGS, IsomirInputs(gff, mature), out)
    assert pd.read_csv(out.counts, sep="\t").columns.tolist() == [
        "feature",
        "name",
        "s1",
        "s2",
        "s3",
    ]
    assert pd.read_csv(out.labels, sep="\t").empty


@pytest.mark.parametrize(
    ("lines", "samples", "message"),
    [
        ([_line(LET7A, "hsa-let-7a-5p", "NA", "1,2")], "s1,s2,s3", r"line 5: Expression has 2"),
        ([_line(LET7A, "hsa-let-7a-5p", "NA", "1,x,2")], "s1,s2,s3", r"line 5: .*not whole"),
        (["hsa-let-7a-1\tmiRBase\tisomiR\t5\t26\n"], "s1", r"line 5: 5 columns, not 9"),
        (
            [_line(LET7A, "hsa-let-7a-5p", "NA", "1").replace("UID", "uid")],
            "s1",
            r"line 5: no attribute UID",
        ),
    ],
)
def test_bad_lines_are_named(tmp_path, lines, samples, message):
    gff = _gff(tmp_path / "all.gff", lines, samples)
    with pytest.raises(InputError, match=rf"all\.gff, {message}"):
        isomir_counts(gff, 0, 0)


def test_a_file_without_samples_or_a_mature_reference_is_refused(tmp_path):
    gff = tmp_path / "all.gff"
    gff.write_text("## mirGFF3. VERSION 1.2\n" + _line(LET7A, "hsa-let-7a-5p", "NA", "1"))
    with pytest.raises(InputError, match="no '## COLDATA:' header"):
        isomir_counts(gff, 0, 0)
    gff = _gff(tmp_path / "b.gff", [_line(LET7A, "hsa-let-7a-5p", "NA", "11,11,11")])
    mature = tmp_path / "mature.fa"
    mature.write_text(f">hsa-miR-16-5p\n{MIR16}\n")
    out = IsomirOutputs(tmp_path / "counts.tsv", tmp_path / "labels.tsv", tmp_path / "filter.tsv")
    with pytest.raises(InputError, match="miRNA hsa-let-7a-5p is not in the mature reference"):
        run(replace(SETTINGS, min_samples=1), IsomirInputs(gff, mature), out)


def _traced_peak(path: Path) -> int:
    """tracemalloc's peak of :func:`isomir_counts` on ``path`` (>= 10 reads in >= 2 samples)."""
    import tracemalloc

    tracemalloc.start()
    try:
        counts = isomir_counts(path, 10, 2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(counts.kept) == 10 and counts.isomirs == 500
    return peak


def _wide_gff(path: Path, width: int) -> Path:
    """500 isomiRs over ``width`` samples, 10 of them with 20 reads in every sample."""
    rare = ",".join(["1"] * 10 + ["0"] * (width - 10))
    common = ",".join(["20"] * width)
    lines = [
        _line(LET7A[: 16 + k % 7] + "ACGT"[k % 4] * (k // 7 % 5), "hsa-let-7a-5p", f"v{k}", rare)
        for k in range(490)
    ] + [_line(MIR16, "hsa-miR-16-5p", f"c{k}", common) for k in range(10)]
    return _gff(path, lines, ",".join(f"s{k}" for k in range(width)))


def test_memory_grows_with_the_kept_rows_not_every_isomir(tmp_path):
    """The same 500 isomiRs over 50 and 250 samples: a matrix of every isomiR would grow by
    800 kB (int64), the peak of the streamed reading (tracemalloc) grows by the 10 kept rows and
    one line's values only (measured 33 kB)."""
    narrow, wide = _wide_gff(tmp_path / "narrow.gff", 50), _wide_gff(tmp_path / "wide.gff", 250)
    every_isomir = 500 * (250 - 50) * 8
    peaks = _traced_peak(narrow), _traced_peak(wide)
    assert peaks[1] - peaks[0] < every_isomir / 10, f"peaks {peaks} (bytes)"
