"""mirtop's reading of mirGFF3 isomiR labels, for the seed-flag parity tests
(test_smallrna_isomirs_mirtop.py on mirtop's files and a synthetic cohort,
test_smallrna_counts.py on the demo): mirtop's variant types and the seed flags its own parsing
of the Variant implies, and our labels table read alike."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from esccrt.smallrna.isomir_labels import VARIANT_TYPES
from esccrt.smallrna.mirgff import quiet_mirtop_import

#: mirtop's seed region in 1-based read positions: ``formatGFF`` labels a substitution at 0-based
#: read position ``p`` ``iso_snv_seed`` when ``p > 1 and p < 8`` (mirtop/mirna/realign.py).
MIRTOP_SEED_NT = set(range(3, 9))
#: nt 2-8, the 7mer-m8 site (``seed_changed_2_8``).
SEED_2_8_NT = set(range(2, 9))


def arm_coordinates(arms_tsv: Path) -> dict[str, dict[str, list[int]]]:
    """The arms table of rule smallrna_arms (0-based start, end excluded) as mirtop reads its
    GFF3: {hairpin: {mature: [start, end]}}, 0-based, end included."""
    coordinates: dict[str, dict[str, list[int]]] = {}
    for row in pd.read_csv(arms_tsv, sep="\t").itertuples():
        coordinates.setdefault(row.hairpin, {})[row.mature] = [row.start, row.end - 1]
    return coordinates


def expected_labels(gff: Path, hairpins: dict, coordinates: dict) -> dict[tuple, tuple]:
    """Per isomiR (miRNA, Variant, UID, Read): mirtop's variant types (``read_variant``) and the
    seed flags its parsing implies: a 5' shift or addition, or a substitution placed by
    ``align_from_variants`` (1-based read positions, on the mature sequence with mirtop's 8
    flanking nt) in mirtop's seed region (nt 3-8, :data:`MIRTOP_SEED_NT`), then in nt 2-8."""
    with quiet_mirtop_import():
        from mirtop.gff.body import read_variant
        from mirtop.gff.classgff import feature
        from mirtop.mirna.realign import align_from_variants, get_mature_sequence

    expected = {}
    for line in gff.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        attributes = feature(line).attributes
        variant = attributes["Variant"]
        parsed = read_variant(variant)
        types = tuple(int(parsed.get(name, 0)) for name in VARIANT_TYPES)
        shifted = bool(parsed.get("iso_5p", 0) or parsed.get("iso_add5p", 0))
        positions: set[int] = set()
        if not shifted and any("snv" in name for name in parsed):
            hairpin = attributes["Parent"].split(",")[0]
            span = coordinates[hairpin][attributes["Name"]]
            mature = get_mature_sequence(hairpins[hairpin], span, nt=8)
            positions = {p for p, *_ in align_from_variants(attributes["Read"], mature, variant)}
        key = (attributes["Name"], variant, attributes["UID"], attributes["Read"])
        changed = shifted or bool(positions & MIRTOP_SEED_NT)
        expected[key] = (types, changed, shifted or bool(positions & SEED_2_8_NT))
    return expected


def our_labels(labels_tsv: Path) -> dict[tuple, tuple]:
    """Our labels table (rule smallrna_isomirs) keyed and valued as :func:`expected_labels`."""
    labels = pd.read_csv(labels_tsv, sep="\t", keep_default_na=False)
    return {
        (row.mature, row.variant, row.uid, row.read): (
            tuple(int(getattr(row, name)) for name in VARIANT_TYPES),
            bool(row.seed_changed),
            bool(row.seed_changed_2_8),
        )
        for row in labels.itertuples(index=False)
    }


def assert_seed_flags_are_mirtops_labels(labels: dict[tuple, tuple]) -> None:
    """Without a 5' change, the seed flag is mirtop's own label: ``iso_snv_seed`` in the
    Variant (``labels``: :func:`our_labels`)."""
    for (_, variant, _, _), (_, flag, _) in labels.items():
        if "iso_5p" not in variant and "iso_add5p" not in variant:
            assert flag == ("iso_snv_seed" in variant), variant
