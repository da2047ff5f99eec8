"""The inputs of a differential-expression run: QC gate, count matrix and pre-filter.

:func:`read_qc_gate` / :func:`apply_qc_gate` leave out the samples the arm's QC gate failed;
:func:`load_counts` reads the count matrix (contract: ``feature``, optional ``name``, then
one integer column per sample) keeping only those samples; :func:`prefilter` drops features
with too few reads. :func:`prepare` does all of it, with the design check, for a rule.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt import paths
from esccrt.de.design import check_design, resolve_design
from esccrt.errors import InputError, located
from esccrt.qc_gate import PASSED, REASON, REQUIRED, SAMPLE, gate_columns

_TRUE = {"true", "1", "yes", "pass", "passed"}
_FALSE = {"false", "0", "no", "fail", "failed"}


def _parse_bool(value: object, path: object, line: int) -> bool:
    """The gate's ``passed`` value as a bool; anything else names the file, line and column."""
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(located(path, f"'{value}' is not True or False.", line, PASSED))


def read_qc_gate(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an arm's QC gate table (:mod:`esccrt.qc_gate`), indexed by sample."""
    gate = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in gate.columns]
    if missing:
        expected = ", ".join(gate_columns())
        raise InputError(located(path, f"missing column(s) {missing}; expected {expected}.", 1))
    if REASON not in gate.columns:
        gate[REASON] = ""
    gate[PASSED] = [_parse_bool(v, path, i) for i, v in enumerate(gate[PASSED], start=2)]
    return gate.set_index(SAMPLE, drop=False)


def apply_qc_gate(samples: pd.DataFrame, gate: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``samples`` into those kept and those the gate failed.

    Returns ``(kept samples, excluded)`` where ``excluded`` has columns ``sample`` and ``reason``.
    A sample absent from the gate table is kept, with a warning on stderr.
    """
    absent = [s for s in samples.index if s not in gate.index]
    if absent:
        print(f"warning: sample(s) {absent} are not in the QC gate table; kept.", file=sys.stderr)
    failed = [s for s in samples.index if s in gate.index and not gate.loc[s, PASSED]]
    excluded = pd.DataFrame(
        {"sample": failed, "reason": [gate.loc[s, REASON] for s in failed]},
        columns=["sample", "reason"],
    )
    return samples.drop(index=failed), excluded


def qc_removed(excluded: pd.DataFrame, gate_path: str | os.PathLike[str]) -> str:
    """What the QC gate took out of an arm and why, to go before a message about the samples
    left."""
    named = "; ".join(f"{row.sample}: {row.reason}" for row in excluded.itertuples(index=False))
    return (
        f"QC removed {len(excluded)} sample(s) of this arm ({gate_path}; for small RNA the "
        f"values are in {paths.SAMPLE_QC}; each exclusion explained: {paths.REPORT_QC_HTML}): "
        f"{named}. Fix or replace those libraries, "
        "or change the QC settings (small RNA: qc.exclude, qc.criteria). With the samples left:"
    )


def load_counts(
    path: str | os.PathLike[str], samples: Sequence[str]
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read a count matrix, keeping the columns of ``samples`` in that order.

    Returns ``(counts, names)``: integer counts indexed by feature (one column per sample) and
    the ``name`` column as a Series (``None`` when the matrix has none).
    """
    table = pd.read_csv(path, sep="\t", dtype={"feature": str, "name": str}, keep_default_na=False)
    if table.columns.empty or table.columns[0] != "feature":
        raise InputError(
            located(path, "the first column must be 'feature' (count matrix contract).", 1)
        )
    missing = [s for s in samples if s not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"no count column for sample(s) {missing}; the matrix has "
                f"{[c for c in table.columns if c not in ('feature', 'name')]}. The sample sheet "
                "and the counted samples disagree: re-run the counting step.",
                1,
            )
        )
    duplicated = table["feature"][table["feature"].duplicated()].unique().tolist()
    if duplicated:
        raise InputError(located(path, f"feature(s) {duplicated[:5]} appear more than once.", 1))
    counts = table.set_index("feature")[list(samples)]
    for sample in samples:
        values = pd.to_numeric(counts[sample], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                located(
                    path,
                    f"'{counts[sample].iloc[row]}' is not a non-negative whole number of reads.",
                    row + 2,
                    sample,
                )
            )
        counts[sample] = values.astype(np.int64)
    names = table.set_index("feature")["name"] if "name" in table.columns else None
    return counts.astype(np.int64), names


def prefilter(counts: pd.DataFrame, min_total_count: int) -> pd.DataFrame:
    """Drop features with fewer than ``min_total_count`` reads over all samples.

    ``0`` keeps everything (all-zero features then get NA statistics, as in R). A matrix left
    without any read raises :class:`InputError`.
    """
    kept = counts[counts.sum(axis=1) >= int(min_total_count)]
    if kept.empty or int(kept.to_numpy().sum()) == 0:
        raise InputError(
            f"config key diffexp.min_total_count: no feature has {min_total_count} reads or more "
            f"over samples {list(counts.columns)}; the libraries are empty or the threshold is "
            "too high."
        )
    return kept


def prepare(
    counts_path: str | os.PathLike[str],
    samples: pd.DataFrame,
    gate_path: str | os.PathLike[str] | None,
    design: str,
    contrasts: Mapping[str, Sequence[str]],
    min_total_count: int,
    keys: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.Series | None, pd.DataFrame, str, pd.DataFrame]:
    """Gate, check and load: returns ``(counts, names, kept samples, design, excluded)``.

    ``keys`` names the config keys of ``design`` and ``contrasts`` for messages, as
    :func:`esccrt.de.settings.arm_section` records them (default: the shared keys).
    """
    keys = keys or {"design": "diffexp.design", "contrasts": "diffexp.contrasts"}
    excluded = pd.DataFrame(columns=["sample", "reason"])
    if gate_path is not None and Path(gate_path).exists():
        samples, excluded = apply_qc_gate(samples, read_qc_gate(gate_path))
    try:
        formula = resolve_design(samples, design, keys["design"])
        check_design(
            samples,
            formula,
            contrasts,
            design_key=keys["design"],
            contrasts_key=keys["contrasts"],
        )
    except InputError as error:
        if excluded.empty:
            raise
        raise InputError(f"{qc_removed(excluded, gate_path)} {error}") from None
    counts, names = load_counts(counts_path, list(samples.index))
    return prefilter(counts, min_total_count), names, samples, formula, excluded
