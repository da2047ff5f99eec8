"""What an isomiR is: mirtop's variant types of its ``Variant`` attribute, and whether its seed
differs from the canonical mature miRNA's.

:func:`variant_types` reads a mirGFF3 ``Variant`` as mirtop reads it
(``mirtop.gff.body.read_variant``, 0.4.30): a tag with a value (``iso_5p:-1``, ``iso_3p:+2``,
``iso_add3p:1``, ``iso_add5p:2``) gives that number, a tag without one (``iso_snv_seed``) gives
1, ``NA`` (the canonical mature sequence) gives none. The tests compare it with mirtop's own
parser on mirtop's files.

The seed: the seed region as mirtop defines it (:data:`SEED`), read positions 2-7 counted from
0, i.e. nt 3-8 of the 5' end: mirtop labels a substitution there ``iso_snv_seed``
(``mirtop.mirna.realign.isomir.formatGFF`` on the 0-based read positions of
``mirtop.bam.filter.tune``: ``sub[0] > 1 and sub[0] < 8``; mirtop's documentation: "affected
nucleotides between [2-7]"), one at nt 1-2 ``iso_snv``, at nt 9 ``iso_snv_central_offset``.
The positions are the read's own, so a 5' shift (``iso_5p``) or addition (``iso_add5p``) moves
the read's seed region over other nucleotides. :func:`seed_changed` compares the isomiR's nt
3-8 with the canonical mature's: a 5' shift or addition changes the seed (unless the hairpin
repeats it), as does a substitution at nt 3-8 (mirtop's ``iso_snv_seed``), while 3' changes
(``iso_3p``, ``iso_add3p``) and substitutions elsewhere do not. :func:`seed_changed_2_8`
compares nt 2-8 instead (TargetScan's 7mer-m8 site: Bartel, Cell 2009;136:215), which also
counts a substitution at nt 2 (mirtop's ``iso_snv``).
"""

from __future__ import annotations

#: mirtop's variant types (mirGFF3 1.2, ``mirtop.gff.gff_versions`` and ``iso_add5p`` of the
#: format's definition), as the columns of the labels table: 5'/3' shifts and additions (nt,
#: signed as mirtop writes them), then the substitution classes by read position (1 = present).
SHIFT_TYPES = ("iso_5p", "iso_3p", "iso_add3p", "iso_add5p")
SNV_TYPES = (
    "iso_snv_seed",
    "iso_snv_central_offset",
    "iso_snv_central",
    "iso_snv_central_supp",
    "iso_snv",
)
VARIANT_TYPES = (*SHIFT_TYPES, *SNV_TYPES)
#: The ``Variant`` of the canonical mature sequence (mirtop's ``ref_miRNA`` lines).
CANONICAL = "NA"
#: mirtop's seed region: the 0-based read positions where a substitution is ``iso_snv_seed``
#: (nt 3-8 of the 5' end).
SEED = range(2, 8)
#: TargetScan's 7mer-m8 site, nt 2-8 of the 5' end (0-based positions): ``seed_changed_2_8``.
SEED_2_8 = range(1, 8)


def variant_types(variant: str) -> dict[str, int]:
    """Every type of :data:`VARIANT_TYPES` in ``variant`` (a mirGFF3 ``Variant``): its value
    for a shift or addition, 1 for a substitution class, 0 where absent.

    Raises :class:`ValueError` naming a tag that is not a mirGFF3 1.2 variant type (e.g. the
    1.0 format's ``iso_add``: ``mirtop update`` converts such a file).
    """
    types = dict.fromkeys(VARIANT_TYPES, 0)
    if variant.strip() == CANONICAL:
        return types
    for tag in variant.split(","):
        name, _, value = tag.strip().partition(":")
        if name not in types:
            raise ValueError(
                f"'{name}' is not a mirGFF3 1.2 variant type ({', '.join(VARIANT_TYPES)})"
            )
        types[name] = int(value) if value else 1
    return types


def seed(sequence: str, region: range = SEED) -> str:
    """The nucleotides of ``sequence`` at the 0-based positions ``region`` (default mirtop's
    seed region, nt 3-8), as DNA letters (U read as T)."""
    return sequence[region.start : region.stop].upper().replace("U", "T")


def seed_changed(read: str, mature: str) -> bool:
    """True when the isomiR ``read``'s seed region (mirtop's, nt 3-8) differs from the canonical
    ``mature`` sequence's (either alphabet)."""
    return seed(read) != seed(mature)


def seed_changed_2_8(read: str, mature: str) -> bool:
    """True when ``read``'s nt 2-8 (the 7mer-m8 site) differ from ``mature``'s."""
    return seed(read, SEED_2_8) != seed(mature, SEED_2_8)
