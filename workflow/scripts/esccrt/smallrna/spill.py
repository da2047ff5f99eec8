"""Counting distinct inserts with bounded memory: sorted runs on disk, merged when read back.

A serum library holds hundreds of thousands to millions of distinct inserts (background
fragments, errors, isomiRs); a dict of all of them makes memory grow with the library.
:class:`SpillingCounter` keeps at most :data:`KEYS_IN_MEMORY` keys in a dict and writes the
rest to sorted runs in a temporary folder (``TMPDIR``, which Snakemake sets from
``resources.tmpdir``); reading back merges the runs in key order, summing a key's counts.
:class:`SortedItems` sorts, :class:`SpilledList` keeps items in order and :func:`by_abundance`
orders (key, count) pairs most abundant first, with the same bound. Below the bound nothing
touches the disk.
"""

from __future__ import annotations

import heapq
import marshal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path

#: Distinct keys held in memory before a sorted run is written (about 15 MB of inserts).
#: Read at call time, so tests can lower it to make every path spill.
KEYS_IN_MEMORY = 100_000

#: Wide items (alignment placements, mirGFF3 records: several fields each) held in memory by
#: :class:`SortedItems` and :class:`SpilledList` before a run is written.
ITEMS_IN_MEMORY = 20_000

#: Items per marshal record of a run: runs are read back a block at a time (memory: one
#: block per open run).
_BLOCK = 4_096
#: Runs open at once at most; more are merged into one first.
_MAX_RUNS = 64

Key = str | tuple[str, str]


class _Runs:
    """Sorted runs of items in a temporary folder, removed by :meth:`close`.

    ``merge`` combines the runs' iterators into one sorted stream (summing equal keys or not);
    at :data:`_MAX_RUNS` runs they are merged into one, so open files stay few.
    """

    def __init__(self, merge: Callable[[list[Iterator]], Iterator]) -> None:
        self._folder: tempfile.TemporaryDirectory | None = None
        self._merge = merge
        self._written = 0
        self.paths: list[Path] = []

    def write(self, items: Iterable) -> None:
        """Write ``items`` (already in the order they are to be merged in) as one run."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="esccrt-spill-")
        path = Path(self._folder.name) / f"run{self._written}.marshal"
        self._written += 1
        with open(path, "wb") as handle:
            iterator = iter(items)
            while block := list(islice(iterator, _BLOCK)):
                data = marshal.dumps(block)
                handle.write(len(data).to_bytes(8, "little"))
                handle.write(data)
        self.paths.append(path)
        if len(self.paths) >= _MAX_RUNS:
            old, merged = self.paths, self._merge(self.readers())
            self.paths = []
            self.write(merged)
            for path in old:
                path.unlink()

    def readers(self) -> list[Iterator]:
        """One iterator per run, each yielding its items in the order written."""
        return [_read_run(path) for path in self.paths]

    def merged(self, *more: Iterable) -> Iterator:
        """The runs and the sorted iterables ``more``, merged."""
        return self._merge([*self.readers(), *(iter(items) for items in more)])

    def close(self) -> None:
        """Remove the runs."""
        if self._folder is not None:
            self._folder.cleanup()
            self._folder, self.paths = None, []


def _read_run(path: Path) -> Iterator:
    """The items of a run, a block at a time (each block read whole: ``marshal.load`` on a
    file reads object by object, several times slower)."""
    with open(path, "rb") as handle:
        while size := handle.read(8):
            yield from marshal.loads(handle.read(int.from_bytes(size, "little")))


def _merge_summing(runs: list[Iterator]) -> Iterator[tuple[Key, int]]:
    """Runs of (key, count) sorted by key, merged, a key's counts summed.

    (key, count) tuples compare in C; a key's items come together, whatever their counts.
    """
    return _summed(heapq.merge(*runs))


def _summed(items: Iterable[tuple[Key, int]]) -> Iterator[tuple[Key, int]]:
    """Sum the counts of equal keys that come one after the other."""
    current, total = None, 0
    for key, count in items:
        if key == current:
            total += count
            continue
        if total:
            yield current, total
        current, total = key, count
    if total:
        yield current, total


class SpillingCounter:
    """Counts per key, at most ``limit`` keys in memory (:data:`KEYS_IN_MEMORY` by default).

    ``counts`` is the dict of the keys since the last spill; a hot loop may update it directly
    and call :meth:`spill` when it reaches ``limit``. :meth:`items` gives every key once with
    its total: the dict's own order when nothing was spilled, otherwise key order.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.counts: dict = {}
        self.limit = limit or KEYS_IN_MEMORY
        self._runs = _Runs(_merge_summing)

    @property
    def spilled(self) -> bool:
        """Whether some keys are on disk."""
        return bool(self._runs.paths)

    def add(self, key: Key, copies: int) -> None:
        """Count ``copies`` more of ``key``."""
        counts = self.counts
        counts[key] = counts.get(key, 0) + copies
        if len(counts) >= self.limit:
            self.spill()

    def spill(self) -> None:
        """Write the dict as a sorted run and empty it (in place: references to it stay)."""
        if self.counts:
            self._runs.write(sorted(self.counts.items()))
            self.counts.clear()

    def items(self) -> Iterator[tuple[Key, int]]:
        """Every key once with its total count (see the class docstring for the order)."""
        return iter(self.counts.items()) if not self.spilled else self.sorted_items()

    def sorted_items(self) -> Iterator[tuple[Key, int]]:
        """Every key once with its total count, in key order."""
        if not self.spilled:
            return iter(sorted(self.counts.items()))
        self.spill()  # the dict's keys become a run too: nothing large stays in memory
        return self._runs.merged()

    def values(self) -> Iterator[int]:
        """The total count of each key."""
        return (count for _, count in self.items())

    def __len__(self) -> int:
        """Distinct keys (reads the runs when some were spilled)."""
        return len(self.counts) if not self.spilled else sum(1 for _ in self.items())

    def close(self) -> None:
        """Remove the runs on disk (the counter is then empty of them)."""
        self._runs.close()


class SortedItems:
    """Items (tuples, strings, numbers) in sorted order, at most ``limit`` sorted in memory.

    The items are taken at construction, sorted a ``limit`` at a time into runs on disk beyond
    the first chunk; iterating merges the runs (again each time, until :meth:`close`).
    """

    def __init__(self, items: Iterable, limit: int | None = None) -> None:
        limit = limit or ITEMS_IN_MEMORY
        self._runs = _Runs(lambda iterators: heapq.merge(*iterators))
        iterator = iter(items)
        self._length = 0
        while True:
            chunk = sorted(islice(iterator, limit))
            self._length += len(chunk)
            if len(chunk) < limit:
                self._in_memory = chunk
                break
            self._runs.write(chunk)

    def __iter__(self) -> Iterator:
        return self._runs.merged(self._in_memory) if self._runs.paths else iter(self._in_memory)

    def __len__(self) -> int:
        return self._length

    def close(self) -> None:
        """Remove the runs on disk."""
        self._runs.close()


class SpilledList:
    """An append-only list of items, at most ``limit`` in memory (the rest in runs on disk);
    iterating gives them in the order appended (again each time, until :meth:`close`)."""

    def __init__(self, items: Iterable = (), limit: int | None = None) -> None:
        self.limit = limit or ITEMS_IN_MEMORY
        self._runs = _Runs(lambda iterators: chain(*iterators))
        self._in_memory: list = []
        for item in items:
            self.append(item)

    def append(self, item) -> None:
        """Add ``item`` at the end."""
        self._in_memory.append(item)
        if len(self._in_memory) >= self.limit:
            self._runs.write(self._in_memory)
            self._in_memory = []

    def __iter__(self) -> Iterator:
        return chain(*self._runs.readers(), self._in_memory)

    def close(self) -> None:
        """Remove the runs on disk."""
        self._runs.close()


def by_abundance(items: Iterable[tuple[Key, int]], limit: int | None = None) -> Iterator:
    """(key, count) pairs most abundant first, equal counts by key, with bounded memory
    (:class:`SortedItems` of (-count, key), :data:`KEYS_IN_MEMORY` at a time)."""
    ordered = SortedItems(((-count, key) for key, count in items), limit or KEYS_IN_MEMORY)
    try:
        yield from ((key, -negative) for negative, key in ordered)
    finally:
        ordered.close()
