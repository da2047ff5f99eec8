"""Counting distinct inserts with bounded memory: sorted runs on disk, merged when read back.

A serum library holds hundreds of thousands to millions of distinct inserts (background
fragments, errors, isomiRs); a dict of all of them makes memory grow with the library.
:class:`SpillingCounter` keeps at most :data:`KEYS_IN_MEMORY` keys in a dict and writes the
rest to sorted runs in a temporary folder (``TMPDIR``, which Snakemake sets from
``resources.tmpdir``); reading back merges the runs in key order, summing a key's counts.
:func:`by_abundance` orders (key, count) pairs most abundant first with the same bound. Below
the bound nothing touches the disk and the dict is used as it is.
"""

from __future__ import annotations

import heapq
import marshal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

#: Distinct keys held in memory before a sorted run is written (about 15 MB of inserts).
#: Read at call time, so tests can lower it to make every path spill.
KEYS_IN_MEMORY = 100_000

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

    ``counts`` is the dict of the keys since the last spill; hot loops may update it directly
    and call :meth:`check` afterwards. :meth:`items` gives every key once with its total: the
    dict's own order when nothing was spilled, otherwise key order.
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

    def check(self) -> None:
        """Spill if the dict has reached the limit."""
        if len(self.counts) >= self.limit:
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


def by_abundance(items: Iterable[tuple[Key, int]], limit: int | None = None) -> Iterator:
    """(key, count) pairs most abundant first, equal counts by key, with bounded memory.

    At most ``limit`` (:data:`KEYS_IN_MEMORY`) pairs are sorted in memory at a time; more are
    written as sorted runs of (-count, key) and merged.
    """
    limit = limit or KEYS_IN_MEMORY
    iterator = iter(items)
    runs = _Runs(lambda iterators: heapq.merge(*iterators))
    try:
        while True:
            chunk = [(-count, key) for key, count in islice(iterator, limit)]
            chunk.sort()
            if not runs.paths and len(chunk) < limit:
                yield from ((key, -negative) for negative, key in chunk)
                return
            if chunk:
                runs.write(chunk)
            if len(chunk) < limit:
                break
        yield from ((key, -negative) for negative, key in runs.merged())
    finally:
        runs.close()
