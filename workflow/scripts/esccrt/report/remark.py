"""What the survival analysis fixed in advance and what it explored, in REMARK order.

REMARK (McShane et al. 2005, reporting recommendations for tumour marker prognostic studies)
asks a report to say which analyses were planned and which were data-driven. The workflow cannot
know a study protocol: "pre-specified" here means set in the configuration, not chosen from the
data by the run; the exploratory items are those the run derives from the data.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from esccrt.report.methods import _words


def _prespecified(surv: Mapping, cutoffs: Sequence[float]) -> list[tuple[str, str]]:
    """(REMARK item, text) of the settings fixed in the configuration before the run;
    ``cutoffs``: the distinct cut-offs the fold-change factors were grouped at."""
    markers = [f for f in surv["factors"] if f["type"] == "fold_change"]
    diagnostic, unit = surv["diagnostic"], surv["time_unit"]
    multivariate = surv["cox"]["multivariate"]
    items = [
        (
            "Marker (REMARK 1)",
            f"{len(markers)} serum miRNA fold-change groupings (post vs pre radiotherapy).",
        ),
        (
            "Endpoints (REMARK 7)",
            f"{_words([e.get('label', e['name']) for e in surv['endpoints']])}, times in {unit}; "
            f"diagnostic outcome: {diagnostic['endpoint'].upper()} event within "
            f"{diagnostic['within']:g} {unit}, patients censored before this horizon left out "
            "(outcome unknown).",
        ),
        (
            "Candidate variables (REMARK 8)",
            f"the {len(surv['factors'])} factors of Table 1, each tested for every endpoint; "
            f"diagnostic predictors: log2 fold changes of "
            f"{_words(list(diagnostic['predictors']))}.",
        ),
    ]
    if multivariate != "auto":
        items.append(
            ("Multivariate model (REMARK 10)", f"Cox model of {_words(list(multivariate))}.")
        )
    items.append(
        (
            "Cut-off (REMARK 11)",
            f"fold change {_words([f'{c:g}' for c in cutoffs])} (<= vs >); it defines Table 1, "
            "the Kaplan-Meier curves and the Cox contrasts.",
        )
    )
    return items


def _explored(surv: Mapping) -> list[tuple[str, str]]:
    """(REMARK item, text) of the analyses the run derives from the data."""
    cox, cutpoints = surv["cox"], surv["cutpoints"]
    n_tests = len(surv["factors"]) * len(surv["endpoints"])
    items = []
    if cox["multivariate"] == "auto":
        items.append(
            (
                "Multivariate model (REMARK 10)",
                f"factors chosen from these data (univariate Cox p < {cox['p_threshold']}).",
            )
        )
    items += [
        (
            "Cut-off scan (REMARK 11, 18)",
            "maximally selected log-rank statistic over the cut-offs between the "
            f"{cutpoints['min_prop']:g} and {cutpoints['max_prop']:g} quantiles of each "
            "fold-change grouping, with the Lausen-Schumacher adjusted p and the curve of "
            "log-rank p against cut-off; it shows how much the result depends on the cut-off "
            "and does not replace it.",
        ),
        (
            "Univariate tests (REMARK 15)",
            f"Table 1 holds {n_tests} log-rank tests; its p-values are unadjusted, the "
            "Benjamini-Hochberg q-values beside them control the false discovery rate within "
            "each endpoint.",
        ),
        (
            "Internal validation (REMARK 18)",
            "the apparent AUC is judged on the patients the model was fitted to; the "
            "optimism-corrected (bootstrap) and cross-validated AUCs estimate its performance "
            "on new patients of the same kind; Harrell's C of each Cox model is apparent too; "
            "there is no external validation set.",
        ),
    ]
    return items


def fold_change_cutoffs(cutoffs: pd.DataFrame) -> list[float]:
    """The distinct cut-offs applied to the fold-change factors, from the table the survival
    stage wrote (results/survival/cutoffs.tsv), in increasing order."""
    applied = cutoffs.loc[cutoffs["type"] == "fold_change", "cutoff"]
    return sorted({float(c) for c in applied})


def remark_statement(surv: Mapping, cutoffs: Sequence[float]) -> str:
    """HTML: the pre-specified settings, then the exploratory analyses, each in REMARK order;
    ``cutoffs``: :func:`fold_change_cutoffs` of the run."""
    parts = [
        "<p>Pre-specified: set in the configuration before the run, not chosen from these data "
        "(for the demo: the published study's choices).</p><ol>"
    ]
    parts += [
        f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>"
        for k, v in _prespecified(surv, cutoffs)
    ]
    parts.append("</ol><p>Explored: derived from these data; hypothesis-generating.</p><ol>")
    parts += [f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in _explored(surv)]
    parts.append("</ol>")
    return "".join(parts)
