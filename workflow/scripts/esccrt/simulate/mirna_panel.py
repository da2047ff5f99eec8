"""A synthetic human miRNA panel: miRBase-style names, invented sequences and stem-loops.

Names follow miRBase (``hsa-miR-143-3p`` comes from the stem-loop ``hsa-mir-143``,
``hsa-let-7a-5p`` from ``hsa-let-7a``); the sequences are random, NOT miRBase's. Mature
sequences differ pairwise by at least 3 mismatches over their shared length, except the let-7
family, whose members share the seed (nucleotides 2-8) and differ elsewhere by at least 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from esccrt.simulate.seqs import as_text, fasta_text, random_codes, write_text

#: Mature miRNAs of the demo panel (serum/exosome miRNAs commonly reported).
PANEL_NAMES: tuple[str, ...] = (
    "hsa-let-7a-5p", "hsa-let-7b-5p", "hsa-let-7c-5p", "hsa-let-7d-5p", "hsa-let-7e-5p",
    "hsa-let-7f-5p", "hsa-let-7g-5p", "hsa-let-7i-5p",
    "hsa-miR-1-3p", "hsa-miR-7-5p", "hsa-miR-9-5p", "hsa-miR-10a-5p", "hsa-miR-10b-5p",
    "hsa-miR-15a-5p", "hsa-miR-15b-5p", "hsa-miR-16-5p", "hsa-miR-17-5p", "hsa-miR-18a-5p",
    "hsa-miR-19a-3p", "hsa-miR-19b-3p", "hsa-miR-20a-5p", "hsa-miR-21-5p", "hsa-miR-21-3p",
    "hsa-miR-22-3p", "hsa-miR-23a-3p", "hsa-miR-23b-3p", "hsa-miR-24-3p", "hsa-miR-25-3p",
    "hsa-miR-26a-5p", "hsa-miR-26b-5p", "hsa-miR-27a-3p", "hsa-miR-27b-3p", "hsa-miR-28-3p",
    "hsa-miR-29a-3p", "hsa-miR-29b-3p", "hsa-miR-29c-3p", "hsa-miR-30a-5p", "hsa-miR-30b-5p",
    "hsa-miR-30c-5p", "hsa-miR-30d-5p", "hsa-miR-30e-5p", "hsa-miR-31-5p", "hsa-miR-32-5p",
    "hsa-miR-33a-5p", "hsa-miR-34a-5p", "hsa-miR-92a-3p", "hsa-miR-92b-3p", "hsa-miR-93-5p",
    "hsa-miR-96-5p", "hsa-miR-99a-5p", "hsa-miR-99b-5p", "hsa-miR-100-5p", "hsa-miR-101-3p",
    "hsa-miR-103a-3p", "hsa-miR-106a-5p", "hsa-miR-106b-5p", "hsa-miR-107", "hsa-miR-122-5p",
    "hsa-miR-125a-5p", "hsa-miR-125b-5p", "hsa-miR-126-3p", "hsa-miR-126-5p", "hsa-miR-128-3p",
    "hsa-miR-130a-3p", "hsa-miR-130b-3p", "hsa-miR-132-3p", "hsa-miR-133a-3p", "hsa-miR-134-5p",
    "hsa-miR-138-5p", "hsa-miR-140-3p", "hsa-miR-142-3p", "hsa-miR-142-5p", "hsa-miR-143-3p",
    "hsa-miR-143-5p", "hsa-miR-144-3p", "hsa-miR-145-5p", "hsa-miR-146a-5p", "hsa-miR-148a-3p",
    "hsa-miR-150-5p", "hsa-miR-151a-3p", "hsa-miR-155-5p", "hsa-miR-181a-5p", "hsa-miR-181b-5p",
    "hsa-miR-182-5p", "hsa-miR-183-5p", "hsa-miR-185-5p", "hsa-miR-186-5p", "hsa-miR-191-5p",
    "hsa-miR-192-5p", "hsa-miR-193a-5p", "hsa-miR-194-5p", "hsa-miR-195-5p", "hsa-miR-196a-5p",
    "hsa-miR-197-3p", "hsa-miR-199a-3p", "hsa-miR-199a-5p", "hsa-miR-200a-3p", "hsa-miR-200b-3p",
    "hsa-miR-200c-3p", "hsa-miR-203a-3p", "hsa-miR-205-5p", "hsa-miR-210-3p", "hsa-miR-214-3p",
    "hsa-miR-221-3p", "hsa-miR-222-3p", "hsa-miR-223-3p", "hsa-miR-223-5p", "hsa-miR-320a-3p",
    "hsa-miR-324-5p", "hsa-miR-331-3p", "hsa-miR-335-5p", "hsa-miR-338-3p", "hsa-miR-340-5p",
    "hsa-miR-342-3p", "hsa-miR-345-5p", "hsa-miR-361-5p", "hsa-miR-363-3p", "hsa-miR-375-3p",
    "hsa-miR-378a-3p", "hsa-miR-382-5p", "hsa-miR-409-3p", "hsa-miR-421", "hsa-miR-423-3p",
    "hsa-miR-423-5p", "hsa-miR-425-5p", "hsa-miR-451a", "hsa-miR-484", "hsa-miR-486-5p",
    "hsa-miR-486-3p", "hsa-miR-532-5p", "hsa-miR-584-5p", "hsa-miR-652-3p", "hsa-miR-766-3p",
    "hsa-miR-874-3p", "hsa-miR-1246", "hsa-miR-1290",
)  # fmt: skip

_NAME = re.compile(r"^(?P<species>[a-z]{3})-(?P<kind>miR|let)-(?P<id>.+?)(?:-(?P<arm>5p|3p))?$")
#: Family whose members share a seed in the demo panel (name prefix).
SEED_FAMILY_PREFIX = "hsa-let-7"
SEED = slice(1, 8)  # nucleotides 2-8


@dataclass(frozen=True)
class Mature:
    """A mature miRNA: name, accession, DNA sequence, stem-loop and 0-based start in it."""

    name: str
    accession: str
    sequence: str
    hairpin: str
    start: int


@dataclass(frozen=True)
class Hairpin:
    """A stem-loop precursor: name, accession, DNA sequence, loop span (0-based, half-open)."""

    name: str
    accession: str
    sequence: str
    loop_start: int
    loop_end: int


@dataclass(frozen=True)
class Panel:
    """Mature miRNAs (panel order) and their stem-loops."""

    matures: tuple[Mature, ...]
    hairpins: tuple[Hairpin, ...]

    def mature(self, name: str) -> Mature:
        """The mature miRNA called ``name``."""
        for mature in self.matures:
            if mature.name == name:
                return mature
        raise KeyError(name)

    def hairpin(self, name: str) -> Hairpin:
        """The stem-loop called ``name``."""
        for hairpin in self.hairpins:
            if hairpin.name == name:
                return hairpin
        raise KeyError(name)


def split_name(mature_name: str) -> tuple[str, str]:
    """Stem-loop name and arm of a mature miRNA name (no arm suffix -> ``5p``).

    >>> split_name("hsa-miR-143-3p")
    ('hsa-mir-143', '3p')
    >>> split_name("hsa-let-7a-5p")
    ('hsa-let-7a', '5p')
    """
    match = _NAME.match(mature_name)
    if match is None:
        raise ValueError(f"'{mature_name}' is not a miRBase-style mature miRNA name")
    kind = "mir" if match["kind"] == "miR" else "let"
    return f"{match['species']}-{kind}-{match['id']}", match["arm"] or "5p"


def mismatches(a: str, b: str) -> int:
    """Mismatches between ``a`` and ``b`` over their shared (5'-aligned) length."""
    n = min(len(a), len(b))
    return sum(x != y for x, y in zip(a[:n], b[:n], strict=True))


def _distinct_enough(candidate: str, chosen: dict[str, str], name: str) -> bool:
    """``candidate`` differs enough from every sequence already ``chosen`` (see module doc)."""
    in_family = name.startswith(SEED_FAMILY_PREFIX)
    for other_name, other in chosen.items():
        if in_family and other_name.startswith(SEED_FAMILY_PREFIX):
            outside = mismatches(candidate, other) - mismatches(candidate[SEED], other[SEED])
            if candidate[SEED] != other[SEED] or outside < 2:
                return False
        elif mismatches(candidate, other) < 3:
            return False
    return True


def _mature_sequences(rng: np.random.Generator, names: tuple[str, ...]) -> dict[str, str]:
    """Random mature sequences (20-24 nt) meeting the distinctness rules."""
    family_base = as_text(random_codes(rng, 24, gc=0.5))
    chosen: dict[str, str] = {}
    for name in names:
        for _ in range(1000):
            length = int(rng.integers(20, 25))
            if name.startswith(SEED_FAMILY_PREFIX):
                codes = np.frombuffer(family_base.encode(), dtype=np.uint8).copy()[:length]
                changed = rng.choice(np.arange(8, length), size=4, replace=False)
                codes[changed] = random_codes(rng, 4, gc=0.5)
                candidate = as_text(codes)
            else:
                candidate = as_text(random_codes(rng, length, gc=0.5))
            if _distinct_enough(candidate, chosen, name):
                chosen[name] = candidate
                break
        else:  # pragma: no cover - 1000 draws never all fail for ~140 sequences
            raise RuntimeError(f"could not draw a distinct sequence for {name}")
    return chosen


def build_panel(rng: np.random.Generator, names: tuple[str, ...] = PANEL_NAMES) -> Panel:
    """Invent mature sequences and stem-loops (70-95 nt) holding them at their arm's position."""
    sequences = _mature_sequences(rng, names)
    arms: dict[str, dict[str, str]] = {}
    for name in names:
        hairpin_name, arm = split_name(name)
        arms.setdefault(hairpin_name, {})[arm] = name
    matures: dict[str, Mature] = {}
    hairpins: list[Hairpin] = []
    for number, (hairpin_name, by_arm) in enumerate(arms.items(), start=1):
        parts: list[str] = []
        starts: dict[str, int] = {}
        flank5 = as_text(random_codes(rng, int(rng.integers(8, 13))))
        loop = as_text(random_codes(rng, int(rng.integers(16, 23))))
        flank3 = as_text(random_codes(rng, int(rng.integers(8, 13))))
        arm_seqs = {
            arm: sequences[by_arm[arm]] if arm in by_arm else as_text(random_codes(rng, 22))
            for arm in ("5p", "3p")
        }
        parts = [flank5, arm_seqs["5p"], loop, arm_seqs["3p"], flank3]
        starts["5p"] = len(flank5)
        loop_start = starts["5p"] + len(arm_seqs["5p"])
        starts["3p"] = loop_start + len(loop)
        accession = f"MI9{number:06d}"
        hairpins.append(Hairpin(hairpin_name, accession, "".join(parts), loop_start, starts["3p"]))
        for arm, mature_name in by_arm.items():
            matures[mature_name] = Mature(
                mature_name, "", sequences[mature_name], hairpin_name, starts[arm]
            )
    ordered = tuple(
        Mature(m.name, f"MIMAT9{k:06d}", m.sequence, m.hairpin, m.start)
        for k, m in enumerate((matures[name] for name in names), start=1)
    )
    return Panel(ordered, tuple(hairpins))


def _rna(sequence: str) -> str:
    return sequence.replace("T", "U")


def _short(name: str) -> str:
    """miRBase description name: the name without the species prefix."""
    return name.split("-", 1)[1]


def write_mature_fasta(path: str, panel: Panel) -> None:
    """``mature.fa`` in miRBase style (RNA alphabet, one line per sequence)."""
    records = (
        (f"{m.name} {m.accession} Homo sapiens {_short(m.name)}", _rna(m.sequence))
        for m in panel.matures
    )
    write_text(path, fasta_text(records, width=0))


def write_hairpin_fasta(path: str, panel: Panel) -> None:
    """``hairpin.fa`` in miRBase style (RNA alphabet, 60-character lines)."""
    records = (
        (f"{h.name} {h.accession} Homo sapiens {_short(h.name)} stem-loop", _rna(h.sequence))
        for h in panel.hairpins
    )
    write_text(path, fasta_text(records, width=60))
