"""Sequencing markers: a small-RNA miRNA's change between two timepoints, per patient.

Rule ``survival_sequencing_markers`` (:func:`run`) reads the DE stage's normalised counts of the
small-RNA arm (results/diffexp/smallrna/normalized_counts.tsv: DESeq2 size factors over the arm's
samples after its QC gate, :func:`esccrt.de.transform.normalise_and_vst`), so the change is
computed from the very numbers the DE analysis normalised, never from the BAMs again. With the
sample sheet's ``patient`` and ``timepoint`` columns it writes, per patient and configured miRNA,
post / pre of the normalised counts as a long table keyed like the qPCR's fold changes
(``patient``, ``target``, ``fold_change``), which the survival stage reads beside them.
Targets are named ``seq:<miRNA>`` (:data:`PREFIX`), so a sequencing marker never takes the
name of a qPCR target.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.io import write_tsv_atomic
from esccrt.sheets import load_samples

#: Prefix of a sequencing marker's target name (survival.factors, predictors, markers).
PREFIX = "seq:"
#: The keys the survival stage reads, shared with results/qpcr/fold_changes.tsv.
MARKER_KEYS = ("patient", "target", "fold_change")
#: Columns of results/survival/sequencing_fold_changes.tsv.
COLUMNS = (
    *MARKER_KEYS,
    "log2_fold_change",
    "feature",
    "sample_pre",
    "sample_post",
    "normalized_pre",
    "normalized_post",
    "note",
)


def marker_target(feature: str) -> str:
    """The target name of a sequencing marker: ``seq:`` + the miRNA (feature) name."""
    return f"{PREFIX}{feature}"


def check_marker_names(section: Mapping) -> None:
    """Every ``seq:`` target the validated ``survival`` section names (factors, predictors,
    continuous markers) is one of its ``sequencing_markers``: a misspelt or unlisted one is
    refused here, before any job, rather than found missing among the qPCR targets later."""
    listed = {marker_target(m) for m in section["sequencing_markers"]}
    named = [
        *(
            (f"survival.factors ({f['name']})", t)
            for f in section["factors"]
            for t in f.get("targets", [])
        ),
        *(("survival.diagnostic.predictors", t) for t in section["diagnostic"]["predictors"]),
        *(("survival.continuous.markers", t) for t in section["continuous"]["markers"]),
    ]
    for key, target in named:
        if target.startswith(PREFIX) and target not in listed:
            raise InputError(
                f"config key {key}: '{target}' names a sequencing marker, but "
                f"'{target.removeprefix(PREFIX)}' is not in survival.sequencing_markers "
                f"({list(section['sequencing_markers'])}); add it there or correct the name."
            )


def read_normalized(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The DE stage's normalised counts (features x samples, indexed by feature)."""
    table = pd.read_csv(path, sep="\t", dtype={"feature": str}, keep_default_na=False)
    return table.drop(columns=["name"], errors="ignore").set_index("feature")


def timepoint_samples(samples: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """Per patient with a small-RNA library at ``pre`` or ``post``: the two libraries' sample
    names (``sample_pre``, ``sample_post``; empty where the patient has none), by patient."""
    if "patient" not in samples:
        return pd.DataFrame(
            columns=["sample_pre", "sample_post"], index=pd.Index([], name="patient")
        )
    libraries = samples[
        (samples["library_type"] == "smallrna")
        & (samples["patient"] != "")
        & samples["timepoint"].isin([pre, post])
    ]
    wide = libraries.pivot(index="patient", columns="timepoint", values="sample")
    wide = wide.reindex(columns=[pre, post]).fillna("")
    wide.columns = ["sample_pre", "sample_post"]
    return wide.sort_index()


def _check_markers(normalized: pd.DataFrame, markers: Sequence[str], source: object) -> None:
    """Every configured marker is a feature of the normalised counts."""
    unknown = [m for m in markers if m not in normalized.index]
    if unknown:
        raise InputError(
            f"config key survival.sequencing_markers: {unknown} are not features of {source} "
            "(the small-RNA arm's normalised counts, after the pre-filter "
            "diffexp.min_total_count); check the miRNA names."
        )


def _pair_note(sample: str, timepoint: str, normalized: pd.DataFrame) -> str:
    """Why a patient's library at ``timepoint`` gives no value ('' when it does)."""
    if not sample:
        return f"no small-RNA library at {timepoint}"
    if sample not in normalized.columns:
        return f"library {sample} not in the normalised counts (left out by the small-RNA QC gate)"
    return ""


def _count(normalized: pd.DataFrame, marker: str, sample: str) -> float:
    """A library's normalised count of ``marker`` (NaN: no such library, or left out)."""
    return float(normalized.at[marker, sample]) if sample in normalized.columns else np.nan


def sequencing_fold_changes(
    pairs: pd.DataFrame,
    normalized: pd.DataFrame,
    markers: Sequence[str],
    pre: str,
    post: str,
    source: object,
) -> pd.DataFrame:
    """One row per patient (``pairs``, :func:`timepoint_samples`) and marker: post / pre of the
    normalised counts and its log2. No value (NaN, with a note) where a library is missing or
    left out, or a normalised count is zero (no finite change)."""
    _check_markers(normalized, markers, source)
    rows = []
    for patient, (sample_pre, sample_post) in pairs[["sample_pre", "sample_post"]].iterrows():
        pair_notes = [
            note
            for note in (
                _pair_note(sample_pre, pre, normalized),
                _pair_note(sample_post, post, normalized),
            )
            if note
        ]
        for marker in markers:
            count_pre = _count(normalized, marker, sample_pre)
            count_post = _count(normalized, marker, sample_post)
            notes = list(pair_notes)
            if not notes and min(count_pre, count_post) <= 0:
                notes.append("zero normalised count: no finite change")
            change = np.nan if notes else count_post / count_pre
            rows.append(
                {
                    "patient": str(patient),
                    "target": marker_target(marker),
                    "fold_change": change,
                    "log2_fold_change": np.log2(change),
                    "feature": marker,
                    "sample_pre": sample_pre,
                    "sample_post": sample_post,
                    "normalized_pre": count_pre,
                    "normalized_post": count_post,
                    "note": "; ".join(notes),
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def run(
    samples: Path,
    normalized: Path,
    output: Path,
    *,
    markers: Sequence[str],
    pre: str,
    post: str,
) -> None:
    """Rule ``survival_sequencing_markers``: the sequencing markers' fold changes per patient."""
    pairs = timepoint_samples(load_samples(samples), pre, post)
    if pairs.empty:
        raise InputError(
            f"{samples}: config key survival.sequencing_markers names {list(markers)}, but no "
            f"small-RNA sample has a patient and a timepoint ({pre} or {post}); fill the columns "
            "patient and timepoint."
        )
    table = sequencing_fold_changes(
        pairs, read_normalized(normalized), markers, pre, post, normalized
    )
    write_tsv_atomic(table, output)
