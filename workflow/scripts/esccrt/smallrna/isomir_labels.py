"""What an isomiR is: mirtop's variant types of its ``Variant`` attribute, and whether its seed
differs from the canonical mature miRNA's.

:func:`variant_types` reads a mirGFF3 ``Variant`` as mirtop reads it
(``mirtop.gff.body.read_variant``, 0.4.30): a tag with a value (``iso_5p:-1``, ``iso_3p:+2``,
``iso_add3p:1``, ``iso_add5p:2``) gives that number, a tag without one (``iso_snv_seed``) gives
1, ``NA`` (the canonical mature sequence) gives none. The tests compare it with mirtop's own
parser on mirtop's files.

The seed: nt 2-8 of the miRNA's 5' end (:data:`SEED`), the part that pairs with its targets
(the 7mer-m8 site: Bartel, Cell 2009;136:215). :func:`seed_changed` compares the isomiR's
nt 2-8 with the canonical mature's, so a 5' shift (``iso_5p``) or a 5' addition (``iso_add5p``)
changes the seed (unless the hairpin repeats it), as does a substitution at nt 2-8, while 3'
changes (``iso_3p``, ``iso_add3p``) and substitutions beyond nt 8 do not. mirtop's own seed class
of substitutions, ``iso_snv_seed``, counts read positions 2-7 from 0 (nt 3-8): a substitution at
nt 2 is ``iso_snv`` in mirtop's labels but changes the seed here.
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
#: The seed: nt 2-8 of the 5' end (0-based slice).
SEED = slice(1, 8)


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


def seed(sequence: str) -> str:
    """nt 2-8 of ``sequence`` (DNA letters: U read as T)."""
    return sequence[SEED].upper().replace("U", "T")


def seed_changed(read: str, mature: str) -> bool:
    """True when the isomiR ``read``'s seed (nt 2-8) differs from the canonical ``mature``
    sequence's (either alphabet)."""
    return seed(read) != seed(mature)
