"""The melt-peak table's vocabulary (results/qpcr/melt_peaks.tsv), apart from the analysis.

:mod:`esccrt.qpcr.melt` writes the table with rdmlpython; the QC tables of the fold-change rule
read it. Keeping its columns and flag here lets that rule read it without importing rdmlpython.
"""

from __future__ import annotations

#: Columns of results/qpcr/melt_peaks.tsv.
MELT_COLUMNS = (
    "file",
    "run",
    "well",
    "sample",
    "sample_type",
    "target",
    "expected_tm",
    "n_peaks",
    "peak_tm",
    "peak_temperatures",
    "flags",
    "rdml_tools_message",
)
MULTIPLE_PEAKS = "melt_multiple_peaks"
