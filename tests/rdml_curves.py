"""Hand-made RDML files with amplification curves of known shape (tests of
esccrt.qpcr.curves: unit tests and the import rule's workflow test)."""

from __future__ import annotations

import math

#: (sample, cycle of the curve's midpoint): two replicates per sample, shifts of 3 and 6.5.
SHIFTS = [("S1", 20.0), ("S1", 20.0), ("S2", 23.0), ("S2", 23.0), ("S3", 26.5), ("S3", 26.5)]


def rdml_xml(
    shifts: list[tuple[str, float]] | list[tuple[str, float, str]],
    version: str = "1.4",
    curves: bool = True,
    cycles: int = 45,
    baseline: float = 1.0,
) -> str:
    """One run: per reaction (sample, midpoint cycle[, target; default miR-A]) a logistic curve
    (early efficiency 1.9, ``baseline`` drifting 0.002 per cycle, plateau 20) with its midpoint
    at that cycle, or only a Cq of 25.0 without ``curves``; RDML 1.4 adds ``vol``."""
    scale = 1 / math.log(1.9)
    reacts = []
    for number, (sample, midpoint, *target) in enumerate(shifts, start=1):
        points = "".join(
            f"<adp><cyc>{c}</cyc><fluor>"
            f"{baseline + 0.002 * c + 20.0 / (1 + math.exp(-(c - midpoint) / scale)):.6f}"
            "</fluor></adp>"
            for c in range(1, cycles + 1)
        )
        volume = "<vol>10</vol>" if version == "1.4" else ""
        reacts.append(
            f'<react id="{number}"><sample id="{sample}"/>{volume}<data>'
            f'<tar id="{(target or ["miR-A"])[0]}"/>{points if curves else "<cq>25.0</cq>"}'
            "</data></react>"
        )
    samples = "".join(
        f'<sample id="{s}"><type>unkn</type></sample>' for s in dict.fromkeys(r[0] for r in shifts)
    )
    targets = "".join(
        f'<target id="{t}"><type>toi</type><dyeId id="SYBR"/></target>'
        for t in dict.fromkeys((r[2] if len(r) > 2 else "miR-A") for r in shifts)
    )
    return (
        f'<rdml xmlns="http://www.rdml.org" version="{version}"><dye id="SYBR"/>{samples}'
        f'{targets}<experiment id="exp"><run id="plate1"><pcrFormat><rows>8</rows>'
        "<columns>12</columns><rowLabel>ABC</rowLabel><columnLabel>123</columnLabel></pcrFormat>"
        f"{''.join(reacts)}</run></experiment></rdml>"
    )
