"""The QC gate table of an arm (``results/<arm>/qc_gate.tsv``): one row per sample saying whether
it may enter differential expression, and why not.

One definition of its columns for both writers (:func:`esccrt.smallrna.qc.qc_gate`,
:func:`esccrt.mrna.qc.qc_gate`) and the reader (:func:`esccrt.de.inputs.read_qc_gate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where a table is built
    import pandas as pd

SAMPLE, PASSED, REASON = "sample", "passed", "reason"
#: The columns a reader needs; ``reason`` is read as empty when a table lacks it.
REQUIRED = (SAMPLE, PASSED)


def gate_columns(measures: Sequence[str] = ()) -> list[str]:
    """The columns of a gate table: sample, passed, the arm's own ``measures``, then reason."""
    return [SAMPLE, PASSED, *measures, REASON]


def gate_table(rows: Iterable[Mapping[str, object]], measures: Sequence[str] = ()) -> pd.DataFrame:
    """A gate table of ``rows`` (dicts keyed by :func:`gate_columns`), columns in that order."""
    import pandas as pd

    return pd.DataFrame(list(rows), columns=gate_columns(measures))
