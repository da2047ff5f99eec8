"""UMI error correction: UMI-tools' directional method (``umi_tools dedup --method directional``).

A sequencing error in a UMI makes a false new molecule. UMI-tools' directional method (Smith et
al. 2017) merges UMI ``b`` into UMI ``a`` when they differ by one base (Hamming distance 1, its
default threshold) and ``count(a) >= 2 * count(b) - 1``; the molecules are the groups reached
from the most abundant UMIs down these edges. :func:`directional_molecules` gives the number of
groups UMI-tools gives (proven against ``umi_tools dedup`` in the parity tests), found through
the one-mismatch neighbours of each UMI rather than by comparing all pairs: UMI-tools' own
``UMIClusterer`` is quadratic in the UMIs of a position, minutes for the 10^5 UMIs of an abundant
miRNA in a deep library.
"""

from __future__ import annotations

from collections.abc import Mapping


def _children(umi_counts: Mapping[str, int], alphabet: str) -> dict[str, list[str]]:
    """Directional edges: each UMI -> its one-mismatch neighbours it absorbs.

    ``a`` absorbs ``b`` when ``count(a) >= 2 * count(b) - 1``, i.e. ``count(b) <= (count(a)+1)//2``.
    """
    children: dict[str, list[str]] = {}
    for umi, count in umi_counts.items():
        limit = (count + 1) // 2
        found = []
        for i, base in enumerate(umi):
            head, tail = umi[:i], umi[i + 1 :]
            for other in alphabet:
                if other != base:
                    neighbour = head + other + tail
                    neighbour_count = umi_counts.get(neighbour)
                    if neighbour_count is not None and neighbour_count <= limit:
                        found.append(neighbour)
        children[umi] = found
    return children


def directional_molecules(umi_counts: Mapping[str, int]) -> int:
    """Number of molecules among the UMIs of one insert (UMI -> reads), as UMI-tools counts them.

    UMI-tools starts a group at each UMI, most abundant first, not yet reached from an earlier
    group, and adds everything reachable along the edges. Only UMIs of one length are compared
    (UMI-tools requires it); the number does not depend on the order of equal counts: an edge
    between equal counts exists only between single reads and runs both ways.
    """
    if len(umi_counts) <= 1:
        return len(umi_counts)
    alphabet = "".join(sorted(set().union(*umi_counts)))
    children = _children(umi_counts, alphabet)
    reached: set[str] = set()
    molecules = 0
    for umi in sorted(umi_counts, key=umi_counts.__getitem__, reverse=True):
        if umi in reached:
            continue
        molecules += 1
        reached.add(umi)
        stack = [umi]
        while stack:
            for child in children[stack.pop()]:
                if child not in reached:
                    reached.add(child)
                    stack.append(child)
    return molecules
