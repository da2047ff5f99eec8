"""Bounded-memory counting: sorted runs on disk give the same totals and orders as a dict."""

from __future__ import annotations

import random
import tempfile
from collections import Counter

import pytest
from esccrt.smallrna.spill import SpillingCounter, by_abundance


def _random_keys(seed: int, n: int, umi: bool = False) -> list:
    rng = random.Random(seed)
    inserts = ["".join(rng.choice("ACGT") for _ in range(rng.randint(0, 6))) for _ in range(n)]
    if umi:
        return [(insert, rng.choice(["", "AC", "GT"])) for insert in inserts]
    return inserts


@pytest.mark.parametrize("umi", [False, True])
@pytest.mark.parametrize("limit", [3, 7, 10_000])
def test_spilling_counter_totals_equal_a_counter(tmp_path, monkeypatch, limit, umi):
    """Limit 3: about 250 runs, so runs are also merged on disk (64 at a time)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # as TMPDIR does in a new process
    keys = _random_keys(1, 1000, umi)
    counter = SpillingCounter(limit)
    expected: Counter = Counter()
    for number, key in enumerate(keys):
        copies = number % 5 + 1
        counter.add(key, copies)
        expected[key] += copies
    assert counter.spilled == (limit < len(expected))
    assert len(counter.counts) < limit  # never more than the limit in memory
    assert list(counter.sorted_items()) == sorted(expected.items())
    assert dict(counter.items()) == expected
    assert sum(counter.values()) == sum(expected.values())
    assert len(counter) == len(expected)
    runs = list(tmp_path.glob("esccrt-spill-*/*"))
    assert bool(runs) == counter.spilled  # runs live in TMPDIR ...
    counter.close()
    assert not list(tmp_path.iterdir())  # ... and are removed


def test_unspilled_counter_keeps_insertion_order():
    counter = SpillingCounter(100)
    for key in ["b", "a", "c", "a"]:
        counter.add(key, 1)
    assert list(counter.items()) == [("b", 1), ("a", 2), ("c", 1)]


@pytest.mark.parametrize("limit", [3, 50, 10_000])
def test_by_abundance_orders_most_abundant_first_then_by_key(tmp_path, monkeypatch, limit):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # as TMPDIR does in a new process
    counts = Counter(_random_keys(2, 2000))
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    assert list(by_abundance(counts.items(), limit)) == expected
    assert list(by_abundance([], limit)) == []
    assert not list(tmp_path.iterdir())  # its runs are removed once read
