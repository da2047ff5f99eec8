"""The isomiR count matrix of a merged mirGFF3, rule smallrna_isomirs's entry point (:func:`run`).

An isomiR is a row of ``mirtop counts``: one read sequence (``UID``, ``Read``) counted for one
mature miRNA (``Name``) with one ``Variant``; its counts are the line's ``Expression``, one value
per sample of the ``## COLDATA`` header. Lines of the same isomiR (the same read on several
hairpins) count once when their values are the same, as ``mirtop counts`` drops duplicate rows,
and add up otherwise. The parity tests compare the matrix with ``mirtop counts`` run on the same
file, every isomiR and every sample.

Kept: isomiRs with at least ``min_reads`` reads in at least ``min_samples`` samples (config
``smallrna.isomirs``), every sample of the file counted. The merged file can be large (a line
per isomiR with a value per sample): it is read line by line, twice (first how many lines each
isomiR has, then the values), and memory holds the kept rows (the matrix itself) and the few
isomiRs of several lines, never the whole file.

Written: the matrix (``feature``, ``name`` = the mature miRNA, one column per sample: the count
matrix contract the DE stage reads), each kept isomiR's mirtop variant types and seed flag
(:mod:`esccrt.smallrna.isomir_labels`) and the filter's decision (thresholds, isomiRs read and
kept).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from esccrt.errors import InputError, located
from esccrt.smallrna.isomir_labels import (
    VARIANT_TYPES,
    seed,
    seed_changed,
    seed_changed_2_8,
    variant_types,
)
from esccrt.smallrna.mirgff import gff_attributes
from esccrt.smallrna.settings import IsomirSettings

#: The mirGFF3 attributes an isomiR row needs.
REQUIRED_ATTRIBUTES = ("UID", "Read", "Name", "Variant", "Expression")
#: Columns of the labels table, before the per-type columns and after them.
LABEL_COLUMNS = (
    "feature",
    "mature",
    "variant",
    "uid",
    "read",
    *VARIANT_TYPES,
    "seed",
    "mature_seed",
    "seed_changed",
    "seed_changed_2_8",
    "reads",
)
#: Columns of the filter's decision table (one row).
FILTER_COLUMNS = ("min_reads", "min_samples", "samples", "lines", "isomirs", "kept", "removed")
#: The sample header of a mirGFF3 file.
_COLDATA = "## COLDATA:"


class IsomirKey(NamedTuple):
    """What makes an isomiR: a row of ``mirtop counts`` (miRNA, Variant, UID, Read)."""

    mature: str
    variant: str
    uid: str
    read: str


def isomir_id(key: IsomirKey) -> str:
    """The isomiR's feature name: ``<mature>|<Variant>|<UID>`` (``NA`` = the canonical
    sequence; the UID, mirtop's code of the read, tells isomiRs with the same labels apart)."""
    return f"{key.mature}|{key.variant}|{key.uid}"


@dataclass(frozen=True)
class IsomirInputs:
    """The merged mirGFF3 and the prepared mature miRNA FASTA (the canonical sequences)."""

    mirgff: Path
    mature: Path


@dataclass(frozen=True)
class IsomirOutputs:
    """The isomiR count matrix, the labels of its isomiRs and the filter's decision."""

    counts: Path
    labels: Path
    filter: Path


@dataclass(frozen=True)
class IsomirCounts:
    """The kept isomiRs' counts (``samples`` order), and how many lines and isomiRs were read."""

    samples: list[str]
    kept: dict[IsomirKey, np.ndarray]
    lines: int
    isomirs: int


def gff_samples(path: str | os.PathLike[str]) -> list[str]:
    """The samples of a mirGFF3 file, from its ``## COLDATA:`` header."""
    with open(path) as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            if line.startswith(_COLDATA):
                return [s.strip() for s in line[len(_COLDATA) :].strip().split(",")]
    raise InputError(located(path, "no '## COLDATA:' header naming the samples (mirGFF3 1.2)"))


def gff_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, IsomirKey, str]]:
    """(line number, isomiR, ``Expression`` text) of each line of a mirGFF3 file, one at a time."""
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 9:
                raise InputError(located(path, f"{len(fields)} columns, not 9", number))
            attributes = gff_attributes(fields[8])
            missing = [name for name in REQUIRED_ATTRIBUTES if name not in attributes]
            if missing:
                raise InputError(located(path, f"no attribute {', '.join(missing)}", number))
            key = IsomirKey(
                attributes["Name"], attributes["Variant"], attributes["UID"], attributes["Read"]
            )
            yield number, key, attributes["Expression"]


def expression_values(text: str, width: int, path: object, line: int) -> np.ndarray:
    """The reads of each of ``width`` samples in an ``Expression`` text (``4,8``)."""
    parts = text.split(",")
    if len(parts) != width:
        message = f"Expression has {len(parts)} value(s) for the {width} sample(s) of COLDATA"
        raise InputError(located(path, message, line))
    try:
        values = np.array(parts, dtype=np.int64)
    except ValueError:
        values = None
    if values is None or (values < 0).any():
        raise InputError(located(path, f"Expression '{text}' is not whole read counts", line))
    return values


def passes(values: np.ndarray, min_reads: int, min_samples: int) -> bool:
    """True when at least ``min_samples`` samples have ``min_reads`` reads or more."""
    return int(np.count_nonzero(values >= min_reads)) >= min_samples


def isomir_counts(path: str | os.PathLike[str], min_reads: int, min_samples: int) -> IsomirCounts:
    """The isomiRs of a mirGFF3 file kept by the filter, with their reads per sample.

    Two passes over the file: how many lines each isomiR has, then the values; an isomiR of one
    line is kept or dropped as it is read, one of several lines once all are read (its distinct
    lines added up, repeated ones once).
    """
    samples = gff_samples(path)
    lines_of = Counter(key for _, key, _ in gff_lines(path))
    kept: dict[IsomirKey, np.ndarray] = {}
    several: dict[IsomirKey, dict[str, np.ndarray]] = {}
    for number, key, text in gff_lines(path):
        values = expression_values(text, len(samples), path, number)
        if lines_of[key] == 1:
            if passes(values, min_reads, min_samples):
                kept[key] = values
        else:
            several.setdefault(key, {})[text] = values  # mirtop keeps a repeated row once
    for key, distinct in several.items():
        values = np.sum(list(distinct.values()), axis=0)
        if passes(values, min_reads, min_samples):
            kept[key] = values
    return IsomirCounts(samples, kept, sum(lines_of.values()), len(lines_of))


def counts_table(counts: IsomirCounts) -> pd.DataFrame:
    """The count matrix: ``feature``, ``name`` (mature miRNA), one column per sample, by
    feature."""
    keys = sorted(counts.kept, key=isomir_id)
    width = len(counts.samples)
    values = np.vstack([counts.kept[k] for k in keys]) if keys else np.zeros((0, width), int)
    table = pd.DataFrame(values, columns=counts.samples, dtype=np.int64)
    table.insert(0, "feature", [isomir_id(k) for k in keys])
    table.insert(1, "name", [k.mature for k in keys])
    return table


def labels_table(
    counts: IsomirCounts, mature: Mapping[str, str], path: str | os.PathLike[str]
) -> pd.DataFrame:
    """Each kept isomiR's variant types, its seed and the canonical mature's, the seed flag and
    its reads over all samples (``mature``: name -> canonical sequence; ``path``: the mirGFF3,
    for messages)."""
    rows = []
    for key in sorted(counts.kept, key=isomir_id):
        if key.mature not in mature:
            raise InputError(
                located(path, f"miRNA {key.mature} is not in the mature reference it was read with")
            )
        try:
            types = variant_types(key.variant)
        except ValueError as error:
            raise InputError(located(path, f"isomiR {isomir_id(key)}: {error}")) from None
        canonical = mature[key.mature]
        rows.append(
            [
                isomir_id(key),
                key.mature,
                key.variant,
                key.uid,
                key.read,
                *(types[name] for name in VARIANT_TYPES),
                seed(key.read),
                seed(canonical),
                seed_changed(key.read, canonical),
                seed_changed_2_8(key.read, canonical),
                int(counts.kept[key].sum()),
            ]
        )
    return pd.DataFrame(rows, columns=list(LABEL_COLUMNS))


def filter_table(counts: IsomirCounts, settings: IsomirSettings) -> pd.DataFrame:
    """The filter's decision: thresholds, samples, lines and isomiRs read, kept and removed."""
    kept = len(counts.kept)
    row = [
        settings.min_reads,
        settings.min_samples,
        len(counts.samples),
        counts.lines,
        counts.isomirs,
        kept,
        counts.isomirs - kept,
    ]
    return pd.DataFrame([row], columns=list(FILTER_COLUMNS))


def run(settings: IsomirSettings, inputs: IsomirInputs, outputs: IsomirOutputs) -> None:
    """Rule smallrna_isomirs: the filtered isomiR count matrix of the merged mirGFF3, its
    isomiRs' labels and the filter's decision."""
    import sys

    from esccrt.io import write_tsv_atomic
    from esccrt.smallrna.reference import read_fasta

    counts = isomir_counts(inputs.mirgff, settings.min_reads, settings.min_samples)
    mature = {record.name: record.sequence for record in read_fasta(inputs.mature)}
    labels = labels_table(counts, mature, inputs.mirgff)
    write_tsv_atomic(counts_table(counts), outputs.counts)
    write_tsv_atomic(labels, outputs.labels)
    write_tsv_atomic(filter_table(counts, settings), outputs.filter)
    print(
        f"isomiRs: {counts.isomirs} in {counts.lines} mirGFF3 lines of {len(counts.samples)} "
        f"sample(s); {len(counts.kept)} with >= {settings.min_reads} reads in >= "
        f"{settings.min_samples} sample(s), {int(labels['seed_changed'].sum())} of them with a "
        "seed other than the mature miRNA's",
        file=sys.stderr,
    )
