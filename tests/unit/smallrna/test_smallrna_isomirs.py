"""isomiR classes relative to the mature sequence."""

from __future__ import annotations

import pytest
from esccrt.smallrna.isomirs import isomir_class


@pytest.mark.parametrize(
    ("offset5", "offset3", "mismatches", "expected"),
    [
        (0, 0, 0, "canonical"),
        (0, 0, 1, "mismatch"),
        (1, 0, 0, "shifted_5p"),
        (-1, 2, 0, "shifted_5p"),
        (0, -2, 0, "trimmed_3p"),
        (0, 3, 0, "extended_3p"),
    ],
)
def test_isomir_classes(offset5, offset3, mismatches, expected):
    assert isomir_class(offset5, offset3, mismatches) == expected
