"""isomiR classes relative to the mature sequence."""

from __future__ import annotations

import pytest
from esccrt.smallrna.isomirs import isomir_class, non_templated_tail


@pytest.mark.parametrize(
    ("offset5", "offset3", "mismatches", "tail", "expected"),
    [
        (0, 0, 0, 0, "canonical"),
        (0, 0, 1, 0, "mismatch"),
        (1, 0, 0, 0, "shifted_5p"),
        (-1, 2, 0, 0, "shifted_5p"),
        (0, -2, 0, 0, "trimmed_3p"),
        (0, 3, 0, 0, "extended_3p"),
        (0, 0, 0, 2, "non_templated_3p"),
        (1, -1, 0, 1, "non_templated_3p"),
        (0, 0, 1, 2, "mismatch"),
    ],
)
def test_isomir_classes(offset5, offset3, mismatches, tail, expected):
    assert isomir_class(offset5, offset3, mismatches, tail) == expected


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        ((), 0),
        ((23,), 1),
        ((22, 23), 2),
        ((21, 23), 3),  # a templated nt inside the tail
        ((20, 23), 1),  # position 20 is out of reach: a templated mismatch
        ((5,), 0),
    ],
)
def test_non_templated_tail_is_the_shortest_end_holding_the_last_mismatches(positions, expected):
    assert non_templated_tail(positions, 24, 3) == expected
    assert non_templated_tail(positions, 24, 0) == 0
