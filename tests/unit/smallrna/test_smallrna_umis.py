"""UMI error correction equals UMI-tools' directional method (its own UMIClusterer here; the
``umi_tools dedup`` command line in tests/parity/test_smallrna_umi_tools.py)."""

from __future__ import annotations

import random

import pytest
from esccrt.smallrna.umis import directional_molecules


def _one_error(rng: random.Random, umi: str) -> str:
    at = rng.randrange(len(umi))
    return umi[:at] + rng.choice([b for b in "ACGTN" if b != umi[at]]) + umi[at + 1 :]


def _planted(rng: random.Random, molecules: int, length: int) -> dict[str, int]:
    """UMIs of ``molecules`` molecules with PCR copies, plus one-mismatch error UMIs (some
    chained: errors of errors) with few reads, and a few near-neighbour true molecules."""
    counts: dict[str, int] = {}
    for _ in range(molecules):
        umi = "".join(rng.choice("ACGT") for _ in range(length))
        counts[umi] = counts.get(umi, 0) + rng.choice([1, 1, 2, 3, 5, 8, 20])
        error = umi
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            error = _one_error(rng, error)
            counts[error] = counts.get(error, 0) + rng.choice([1, 1, 1, 2, 4])
    return counts


def test_directional_on_hand_made_umis():
    # AAAA (10 reads) absorbs AAAT (5: 10 >= 2*5-1), AAAT absorbs AATT (3: 5 >= 2*3-1); AAAC
    # (6 reads) is too abundant to be an error of AAAA; CCCC is far from all.
    counts = {"AAAA": 10, "AAAT": 5, "AATT": 3, "CCCC": 2, "AAAC": 6}
    assert directional_molecules(counts) == 3
    assert directional_molecules({"AAAA": 1, "AAAT": 1}) == 1  # single reads merge both ways
    assert directional_molecules({"AAAA": 2, "AAAT": 2}) == 2  # 2 < 2*2-1: two molecules
    assert directional_molecules({}) == 0
    assert directional_molecules({"ACGTACGTACGT": 7}) == 1


@pytest.mark.parametrize("seed", range(6))
def test_directional_equals_umi_tools_clusterer(seed):
    from umi_tools import network  # pinned in requirements.lock (make setup)

    rng = random.Random(seed)
    for molecules, length in ((3, 4), (30, 6), (300, 12)):
        counts = _planted(rng, molecules, length)
        theirs = network.UMIClusterer("directional")(
            {umi.encode(): n for umi, n in counts.items()}, 1
        )
        assert directional_molecules(counts) == len(theirs)
    # Errors were planted and corrected: fewer molecules than distinct UMIs.
    assert len(theirs) < len(counts)
