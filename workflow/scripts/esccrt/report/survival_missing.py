"""The report's part on missing data: the missing values per variable
(results/survival/missingness.tsv) and, when multiple imputation ran, the markers' Cox models
pooled over the imputed data sets (results/survival/mice_pooled.tsv), as the survival stage wrote
them: the report renders, it recomputes nothing."""

from __future__ import annotations

from esccrt.io import read_tsv
from esccrt.report.html import table

#: The columns of mice_pooled.tsv the report shows (the variances and riv stay on disk).
POOLED_SHOWN = [
    "endpoint",
    "marker",
    "imputations",
    "n",
    "events",
    "n_imputed",
    "hr_per_doubling",
    "ci_low",
    "ci_high",
    "p",
    "df",
    "fmi",
    "note",
]


def survival_missing_part(missingness_path: str, pooled_path: str) -> str:
    """Missingness table, and the pooled table when it has rows ("" when the stage wrote no
    missingness table)."""
    if not missingness_path:
        return ""
    missingness = read_tsv(missingness_path, ["variable", "role"])
    parts = [
        "<h3>Missing data</h3>",
        "<p>Missing values of every variable the survival analyses use. Each analysis is "
        "complete-case: a patient without a value is left out of the analyses that need it "
        "(Table 1 and its notes give the number per factor).</p>",
        table(missingness, "missingness", searchable=False, digits=3),
    ]
    pooled = read_tsv(pooled_path, ["endpoint", "marker", "note"]) if pooled_path else None
    if pooled is not None and not pooled.empty:
        parts += [
            "<p>Multiple imputation by chained equations (survival.missing_data.method mice): "
            "each marker's linear Cox model (hazard ratio per doubling of the fold change) fitted "
            "on every imputed data set and pooled by Rubin's rules; CI and p from Student's t "
            "with the Barnard-Rubin degrees of freedom (df); fmi: fraction of missing "
            "information; n_imputed: patients whose value was imputed.</p>",
            table(pooled.reindex(columns=POOLED_SHOWN), "mice_pooled", searchable=False, digits=3),
        ]
    return "".join(parts)
