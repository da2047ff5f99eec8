"""Hand-made RDML files with amplification curves of known shape (tests of
esccrt.qpcr.curves: unit tests and the import rule's workflow test)."""

from __future__ import annotations

import math

#: (sample, cycle of the curve's midpoint): two replicates per sample, shifts of 3 and 6.5.
SHIFTS = [("S1", 20.0), ("S1", 20.0), ("S2", 23.0), ("S2", 23.0), ("S3", 26.5), ("S3", 26.5)]


def rdml_xml(
    shifts: list[tuple[str, float]], version: str = "1.4", curves: bool = True, cycles: int = 45
) -> str:
    """One run, one target: per reaction a logistic curve (early efficiency 1.9, slope 0.002
    baseline drift, plateau 20) with its midpoint at the given cycle; RDML 1.4 adds ``vol``."""
    scale = 1 / math.log(1.9)
    reacts = []
    for number, (sample, midpoint) in enumerate(shifts, start=1):
        points = "".join(
            f"<adp><cyc>{c}</cyc><fluor>"
            f"{1.0 + 0.002 * c + 20.0 / (1 + math.exp(-(c - midpoint) / scale)):.6f}"
            "</fluor></adp>"
            for c in range(1, cycles + 1)
        )
        volume = "<vol>10</vol>" if version == "1.4" else ""
        reacts.append(
            f'<react id="{number}"><sample id="{sample}"/>{volume}<data><tar id="miR-A"/>'
            f"{points if curves else '<cq>25.0</cq>'}</data></react>"
        )
    samples = "".join(
        f'<sample id="{s}"><type>unkn</type></sample>' for s in dict.fromkeys(s for s, _ in shifts)
    )
    return (
        f'<rdml xmlns="http://www.rdml.org" version="{version}"><dye id="SYBR"/>{samples}'
        '<target id="miR-A"><type>toi</type><dyeId id="SYBR"/></target>'
        '<experiment id="exp"><run id="plate1"><pcrFormat><rows>8</rows><columns>12</columns>'
        "<rowLabel>ABC</rowLabel><columnLabel>123</columnLabel></pcrFormat>"
        f"{''.join(reacts)}</run></experiment></rdml>"
    )
