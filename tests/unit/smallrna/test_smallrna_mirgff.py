"""mirGFF3: labels equal mirtop 0.4.30's on mirtop's own test data; files mirtop validates."""

from __future__ import annotations

import random

import esccrt.smallrna.mirgff as mirgff
import pytest
from esccrt.smallrna.count import AlignmentCounts
from esccrt.smallrna.mirgff import (
    SparseExpression,
    mirtop_variant,
    read_mirgff,
    sample_records,
    validation_errors,
    write_checked_mirgff,
    write_mirgff,
)
from esccrt.smallrna.mirgff_merge import MirtopStats, merge_sorted_mirgff, mirtop_stats
from prerequisites import TEST_DATA, missing
from smallrna_helpers import LET7A

MIRTOP = ("smallrna_refs", "mirtop")


def _mirtop_lines(path):
    """(hairpin, start, read, mature, variant, cigar) of each line of a mirtop GFF."""
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        attributes = dict(a.strip().split(" ", 1) for a in fields[8].split(";") if a.strip())
        yield (
            fields[0],
            int(fields[3]),
            attributes["Read"],
            attributes["Name"],
            attributes["Variant"],
            attributes["Cigar"],
        )


def test_labels_equal_mirtop_on_its_own_test_data(shared_data):
    from mirtop.mirna.fasta import read_precursor
    from mirtop.mirna.mapper import read_gtf_to_precursor

    root = shared_data.joinpath(*MIRTOP)
    annotate = root / "mirtop_repo" / "data" / "examples" / "annotate"
    if not annotate.is_dir():
        missing(f"mirtop's test data ({annotate})", TEST_DATA)
    hairpins = read_precursor(str(annotate / "hairpin.fa"), "hsa")
    matures = read_gtf_to_precursor(str(annotate / "hsa.gff3"))
    compared, skipped_indels = 0, 0
    for gff in sorted((root / "generated_mirtop_0.4.30").glob("*/*.gff")):
        for hairpin, start, read, mature, variant, cigar in _mirtop_lines(gff):
            if any(op in cigar for op in "ID") or len(read) != hairpin_span(cigar):
                skipped_indels += 1  # bowtie 1 aligns without gaps: no such reads here
                continue
            first, last, _ = matures[hairpin][mature]
            ours = mirtop_variant(read, hairpins[hairpin], start, first, last + 1)
            assert ours == (variant, cigar), f"{gff.name}: {read} on {hairpin}"
            compared += 1
    # 37 lines: 23 sim_isomir reads, 3 merge lines, 11 alignment cases; 3 have indels
    assert (compared, skipped_indels) == (34, 3)


def hairpin_span(cigar: str) -> int:
    """Read length implied by a mirtop CIGAR without indels (``20MAM`` -> 22)."""
    import re

    return sum(int(n or 1) if op == "M" else 1 for n, op in re.findall(r"(\d*)([MACGT])", cigar))


HAIRPIN = "TGGGATGAGGTAGTAGGTTGTATAGTTTTAGGGTCACACCCACCACTGGGAGATAACTATACAATCTACTGTCTTTCCTA"
ARMS = {"hsa-let-7a-1": [("hsa-let-7a-5p", 5, 27), ("hsa-let-7a-3p", 56, 77)]}


@pytest.mark.parametrize(
    ("read", "start", "expected"),
    [
        (LET7A, 5, ("NA", "22M")),
        (LET7A + "AT", 5, ("iso_add3p:2", "22MAM")),  # hairpin goes on TT: A added, T too
        (LET7A[:-1] + "C", 5, ("iso_add3p:1", "21MC")),
        ("A" + LET7A, 4, ("iso_5p:-1", "23M")),  # templated 5' extension
        (LET7A[1:-3], 6, ("iso_3p:-3,iso_5p:+1", "18M")),
        (LET7A[:5] + "C" + LET7A[6:], 5, ("iso_snv_seed", "5MC16M")),
        # 1 nt trimmed + 3 added: mirtop measures the 3' end from the read's end (-2, not -1)
        (LET7A[:-1] + "AAA", 5, ("iso_3p:-2,iso_add3p:3", "21MAAA")),
        (LET7A[8:], 13, None),  # 5' end 8 nt off: mirtop does not assign it
    ],
)
def test_label_examples(read, start, expected):
    assert mirtop_variant(read, HAIRPIN, start, 5, 27) == expected


def _counts(placements, sequences):
    counts = AlignmentCounts({}, 0, 0)
    counts.placements = [(*placement, sequences[placement[0]]) for placement in placements]
    return counts


def test_written_files_validate_with_mirtop_and_merge(tmp_path):
    mature_step = _counts([("seq1_x10", "hsa-let-7a-5p", 0, "hsa-let-7a-5p")], {"seq1_x10": LET7A})
    hairpin_step = _counts(
        [
            ("seq2_x4", "hsa-let-7a-1", 5, "hsa-let-7a-5p"),
            ("seq3_x2", "hsa-let-7a-1", 56, "hsa-let-7a-3p"),
        ],
        {"seq2_x4": LET7A + "AT", "seq3_x2": HAIRPIN[56:77] + "A"},
    )
    records, skipped = sample_records([mature_step, hairpin_step], ARMS, {"hsa-let-7a-1": HAIRPIN})
    records = list(records)
    assert skipped == 0
    assert [(r.start, r.end, r.variant, r.expression) for r in records] == [
        (5, 26, "NA", 10),
        (5, 28, "iso_add3p:2", 4),
        (56, 77, "iso_add3p:1", 2),  # the hairpin goes on with C
    ]
    one = tmp_path / "s1.gff"
    write_checked_mirgff([(r, [r.expression]) for r in records], ["s1"], one, "miRBasev21")
    assert read_mirgff(one) == records
    two = tmp_path / "s2.gff"
    write_mirgff([(records[0], [3])], ["s2"], two, "miRBasev21")
    merged = [(r, SparseExpression(e, 2)) for r, e in merge_sorted_mirgff([one, two])]
    assert [[e.reads.get(k, 0) for k in range(2)] for _, e in merged] == [[10, 3], [4, 0], [2, 0]]
    both = tmp_path / "all.gff"
    write_checked_mirgff(merged, ["s1", "s2"], both, "miRBasev21")
    assert validation_errors(both) == 0
    gathered = MirtopStats(["s1", "s2"])
    for record, expression in merged:
        gathered.add(record, expression.reads)
    assert gathered.table().equals(mirtop_stats(both))  # as mirtop computes them
    stats = mirtop_stats(both).set_index("category")
    assert stats.loc["ref_miRNA_sum"].tolist() == [10, 3]
    assert stats.loc["isomiR_sum"].tolist() == [6, 0]
    assert stats.loc["iso_add3p_sum"].tolist() == [6, 0]
    assert stats.loc["iso_add3p_count"].tolist() == [2, 0]
    bad = tmp_path / "bad.gff"
    bad.write_text(both.read_text().replace("\tisomiR\t", "\tisomiRe\t"))
    assert validation_errors(bad) > 0
    with pytest.raises(ValueError, match="mirtop validate"):
        write_checked_mirgff(merged, ["s1"], tmp_path / "wrong.gff", "miRBasev21")
    assert not (tmp_path / "wrong.gff").exists()


def _per_base_cigar(read: str, reference: str) -> str:
    """mirtop's CIGAR written base by base, as mirtop builds it (the reference of the test)."""
    parts, run = [], 0
    for position, base in enumerate(read):
        if position < len(reference) and base == reference[position]:
            run += 1
            continue
        parts += [f"{run}M" if run > 1 else "M"] if run else []
        parts.append(base)
        run = 0
    parts += [f"{run}M" if run > 1 else "M"] if run else []
    return "".join(parts)


def test_uid_and_cigar_equal_mirtop_on_random_reads():
    """The direct MINTplates encoding equals mirtop's ``convert`` and the CIGAR from mismatch
    positions equals the per-base one, on reads of every length near a miRNA's (matches,
    mismatches, reads running past the hairpin's end, reads of one base)."""
    from mirtop.mirna import mintplates
    from mirtop.mirna.mintplates import convert

    assert mirgff._mintplates().__file__ == mintplates.__file__  # mirtop's own module, by file
    rng = random.Random(7)
    for _ in range(3_000):
        length = rng.randint(1, 40)
        read = "".join(rng.choice("ACGT") for _ in range(length))
        reference = "".join(
            base if rng.random() < 0.8 else rng.choice("ACGT")
            for base in read[: rng.randint(0, length)]
        )
        assert mirgff._uid(read) == convert(read, True, "iso")
        mismatches = mirgff._mismatches(read, reference)
        assert mirgff._cigar(read, mismatches) == _per_base_cigar(read, reference)
    assert mirgff._uid("acgu") == convert("acgu", True, "iso")  # mirtop's path for the rest
