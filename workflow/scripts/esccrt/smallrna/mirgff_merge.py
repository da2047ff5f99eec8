"""Merging the samples' mirGFF3 files into one and its ``mirtop stats``, streamed.

At 1,000 samples the merged file has millions of (line, sample) values: the per-sample files
are merged in step (a k-way merge of the sorted files written by
:func:`esccrt.smallrna.mirgff.write_mirgff`), and the statistics are gathered line by line as the
merged file is written (:class:`MirtopStats`), never all samples in memory. :func:`mirtop_stats`
asks mirtop itself, for the tests.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING

from esccrt.smallrna.mirgff import GffRecord, line_type, quiet_mirtop_import, sample_line

if TYPE_CHECKING:  # pandas is imported where used
    import pandas as pd


def _merge_items(path: str | os.PathLike[str], sample: int) -> Iterator[tuple]:
    """(line key, sample, expression, hits) of each line of a per-sample file written by
    :func:`write_mirgff`, in its (sorted) order; a line out of order is an :class:`InputError`
    (the merge reads each file once, in step). The key is built from the fields (no record:
    4 million lines at 1,000 samples)."""
    from esccrt.errors import InputError, located

    previous: tuple = ()
    number = 0
    with open(path) as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            number += 1
            fields = line.split("\t", 8)
            read, mature, variant, cigar, expression, hits = sample_line(fields[8])
            key = (fields[0], int(fields[3]), int(fields[4]), read, mature, variant, cigar)
            if key < previous:
                raise InputError(
                    located(
                        path,
                        f"mirGFF3 record {number} ({read} of {mature}) comes before the record "
                        "above it: the per-sample files are merged in their sorted order, as "
                        "rule smallrna_count writes them; rerun that rule",
                    )
                )
            previous = key
            yield key, sample, expression, hits


#: Open files a process needs besides the merge's (standard streams, libraries, the output).
_SPARE_FILES = 64


def _allow_open_files(files: int) -> None:
    """Raise this process's soft limit of open files to what a merge of ``files`` files needs
    (many systems start at 1,024), up to the hard limit; beyond it, a clear error."""
    import resource

    needed = files + _SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise OSError(
                f"merging {files} mirGFF3 files needs {needed} open files; this system allows "
                f"{hard} (ulimit -Hn): raise the limit for the job"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def merge_sorted_mirgff(
    paths: Sequence[str | os.PathLike[str]],
) -> Iterator[tuple[GffRecord, dict[int, int]]]:
    """One row per isomiR line over the samples' sorted files (``paths``, sample order), with
    its expression by sample index (samples without it left out), in the order of the lines.

    Lines are the same isomiR when hairpin, position, read, miRNA and labels agree (a sample's
    repeated line adds up); ``Hits`` is the largest over samples; the record's ``expression``
    is 0 (the reads are in the mapping). The files are read in step
    (a k-way merge): memory holds one line per sample, never a sample's whole file.
    """
    import heapq

    _allow_open_files(len(paths))
    # Items compare by line key, then sample index: the merge needs no key function.
    merged = heapq.merge(*(_merge_items(path, k) for k, path in enumerate(paths)))
    for key, lines in groupby(merged, key=itemgetter(0)):
        expression: dict[int, int] = {}
        hits = 0
        for _, sample, copies, line_hits in lines:
            expression[sample] = expression.get(sample, 0) + copies
            hits = max(hits, line_hits)
        yield GffRecord(*key, 0, hits), expression


class MirtopStats:
    """``mirtop stats`` of a merged mirGFF3, gathered line by line as it is written
    (:func:`mirtop_stats` reads the file with mirtop: its table holds every (line, sample,
    category) at once, gigabytes at 1,000 samples).

    mirtop's rules (``mirtop.gff.stats._calc_stats`` and ``_classify``, 0.4.30): a line whose
    (UID, Variant, Name) came before is skipped (the UID encodes the read: the read stands for
    it); every sample with reads counts the line's type (``ref_miRNA``, ``isomiR``) and, for
    labelled lines, each variant tag (``iso_3p:-1`` as ``iso_3p``): ``<category>_sum`` adds
    its reads, ``<category>_count`` its lines. ``isomiR_sum`` is always a row (mirtop adds it
    as 0 when missing). The tests compare :meth:`table` with mirtop's own.
    """

    def __init__(self, samples: Sequence[str]) -> None:
        self.samples = list(samples)
        self._seen: set[tuple[str, str, str]] = set()
        self._sums: dict[str, Counter[int]] = {}  # category -> reads by sample
        self._counts: dict[str, Counter[int]] = {}  # category -> lines by sample
        self._lines = 0

    def add(self, record: GffRecord, expression: Mapping[int, int]) -> None:
        """Count one merged line (``expression``: reads by sample index)."""
        self._lines += 1
        identity = (record.read, record.variant, record.mature)
        if identity in self._seen:
            return
        self._seen.add(identity)
        categories = [line_type(record)]
        if "iso" in record.variant:
            categories += [tag.split(":")[0] for tag in record.variant.split(",")]
        present = {sample: reads for sample, reads in expression.items() if reads > 0}
        for category in categories:
            self._sums.setdefault(category, Counter()).update(present)
            self._counts.setdefault(category, Counter()).update(present.keys())

    def table(self) -> pd.DataFrame:
        """Column ``category`` (sorted), then one int column per sample: as :func:`mirtop_stats`."""
        import pandas as pd

        if not self._lines:
            return pd.DataFrame(columns=["category", *self.samples])
        rows = {f"{c}_sum": values for c, values in self._sums.items()}
        rows.update({f"{c}_count": values for c, values in self._counts.items()})
        rows.setdefault("isomiR_sum", {})
        width = len(self.samples)
        table = pd.DataFrame(
            [[by_sample.get(k, 0) for k in range(width)] for by_sample in rows.values()],
            index=pd.Index(list(rows), name="category"),
            columns=self.samples,
            dtype="int64",
        ).sort_index()
        return table.reset_index()


def mirtop_stats(path: str | os.PathLike[str]) -> pd.DataFrame:
    """``mirtop stats`` of a mirGFF3 file, by mirtop itself: column ``category``, then one
    column per sample (``COLDATA`` order).

    Categories are ``<type>_sum`` (reads) and ``<type>_count`` (distinct isomiR lines) for
    ``ref_miRNA``, ``isomiR`` and each variant tag; mirtop's means are left out, and the zero
    rows mirtop adds for missing categories only where no sample has that category. An empty
    file (no lines) gives the table without rows: mirtop itself fails on it.
    """
    import pandas as pd

    with quiet_mirtop_import():
        from mirtop.gff.stats import _calc_stats, _get_samples

    samples = _get_samples(str(path))
    with open(path) as handle:
        if all(line.startswith("#") for line in handle):
            return pd.DataFrame(columns=["category", *samples])
    long = _calc_stats(str(path))
    long = long[~long["category"].str.endswith("_mean")]
    wide = long.pivot_table(index="category", columns="sample", values="counts", aggfunc="max")
    wide = wide.reindex(columns=samples).fillna(0).astype("int64")
    return wide.rename_axis(columns=None).reset_index()
