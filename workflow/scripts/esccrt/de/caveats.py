"""Caveats of one contrast's result: too few samples per group, and PyDESeq2's warnings.

The contrast rule decides them (it sees the groups and the fit) and writes them as a table
(``results/diffexp/{arm}/caveats/{contrast}.tsv``: contrast, caveat, detail; header only when
there is none); the report shows them beside the contrast's result and decides nothing.

- :func:`group_size_caveats`: a group of the contrast with fewer samples than
  ``diffexp.min_replicates`` (the schema gives the default and why);
- :func:`fit_caveats`: the UserWarnings a fit raised (:func:`recording_warnings` collects them),
  named when known (:data:`KNOWN_WARNINGS`), else kept as ``pydeseq2_warning`` with the message.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd

#: Columns of the caveats table.
CAVEAT_COLUMNS = ["contrast", "caveat", "detail"]

#: The start of PyDESeq2's warning on the residual degrees of freedom (samples - coefficients),
#: given when they are 3 or fewer although it says "less than 3".
RESIDUAL_DF_WARNING = "As the residual degrees of freedom is less than 3"
#: PyDESeq2's warnings that qualify a result, by the start of their message, and their name.
KNOWN_WARNINGS = {
    "The dispersion trend curve fitting did not converge": "dispersion_trend_not_converged",
    RESIDUAL_DF_WARNING: "few_residual_df",
}


def group_size_caveats(
    contrast: str, spec: Sequence[str], samples: pd.DataFrame, min_replicates: int
) -> pd.DataFrame:
    """One caveat naming the groups of ``contrast`` (``spec`` = [variable, tested, reference])
    with fewer than ``min_replicates`` of the kept ``samples``; none for a coefficient
    contrast."""
    if len(spec) != 3:
        return pd.DataFrame(columns=CAVEAT_COLUMNS)
    variable, *levels = (str(x) for x in spec)
    sizes = samples[variable].astype(str).value_counts()
    small = {level: int(sizes.get(level, 0)) for level in levels}
    small = {level: n for level, n in small.items() if n < min_replicates}
    if not small:
        return pd.DataFrame(columns=CAVEAT_COLUMNS)
    groups = ", ".join(f"{variable} = {level}: {n}" for level, n in small.items())
    detail = f"samples per group below {min_replicates} ({groups})"
    return pd.DataFrame([[contrast, "few_replicates", detail]], columns=CAVEAT_COLUMNS)


@contextmanager
def recording_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Collect every UserWarning raised inside (each time, not once per place) and still print
    it to stderr afterwards, so that the job's log keeps what it showed before."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield caught
    for warning in caught:
        print(f"{warning.category.__name__}: {warning.message}", file=sys.stderr)


def fit_caveats(
    contrast: str, caught: Sequence[warnings.WarningMessage], residual: tuple[int, int]
) -> pd.DataFrame:
    """One caveat per distinct UserWarning of the fit, in the order raised; the one on the
    residual degrees of freedom states them (``residual``: samples, coefficients)."""
    samples, coefficients = residual
    rows: list[list[str]] = []
    for warning in caught:
        if not issubclass(warning.category, UserWarning):
            continue
        message = " ".join(str(warning.message).split())
        caveat = next(
            (name for start, name in KNOWN_WARNINGS.items() if message.startswith(start)),
            "pydeseq2_warning",
        )
        if message.startswith(RESIDUAL_DF_WARNING):
            message = (
                f"{samples} samples - {coefficients} coefficients = {samples - coefficients} "
                f"residual degrees of freedom (PyDESeq2 warns at 3 or fewer): {message}"
            )
        row = [contrast, caveat, message]
        if row not in rows:
            rows.append(row)
    return pd.DataFrame(rows, columns=CAVEAT_COLUMNS)


def contrast_caveats(
    contrast: str,
    spec: Sequence[str],
    samples: pd.DataFrame,
    caught: Sequence[warnings.WarningMessage],
    residual: tuple[int, int],
    min_replicates: int,
) -> pd.DataFrame:
    """All caveats of ``contrast``: group sizes first (below ``min_replicates``), then the fit's
    warnings (``residual``: samples and coefficients of the design, see
    :func:`esccrt.de.design.residual_df`)."""
    parts = [
        group_size_caveats(contrast, spec, samples, min_replicates),
        fit_caveats(contrast, caught, residual),
    ]
    return pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
