"""Table 1 of the demo (config/clinical.tsv + the project's fold changes of config/qpcr_ct.tsv):
its log-rank p-values against R's ``survival::survdiff`` run here; and, as a property of the
simulated cohort rather than of the project, the published Table 1's N and % per level
(/work/shared/docs/STUDY.md; the published p-values come from the real patients, which the
simulated cohort does not reproduce)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
from esccrt.survival.table1 import table1

#: The published Table 1's N per level (STUDY.md), factor by factor, in the config's order.
STUDY_TABLE1 = [
    (18, 22),
    (17, 23),
    (8, 32),
    (8, 32),
    (18, 22),
    (18, 22),
    (19, 7, 14),
    (20, 14, 1, 5),
    (27, 13),
    (19, 21),
    (24, 16),
    (20, 20),
    (18, 22),
    (15, 25),
]

#: survdiff(Surv(time, event) ~ group) for every endpoint x factor of the long table args[1]
#: (endpoint, factor, time, event, group); p from the chi-squared with (levels - 1) df. The
#: level "NA" (response not assessed) is a group, as in the published table, not a missing value.
SURVDIFF_R = r"""
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
data <- read.delim(args[1], stringsAsFactors = FALSE, quote = "", na.strings = character(0))
tests <- lapply(split(data, list(data$endpoint, data$factor), drop = TRUE), function(d) {
  fit <- survdiff(Surv(time, event) ~ group, d)
  data.frame(endpoint = d$endpoint[1], factor = d$factor[1], chisq = fit$chisq,
             p = pchisq(fit$chisq, length(fit$n) - 1, lower.tail = FALSE))
})
write.table(do.call(rbind, tests), args[2], sep = "\t", quote = FALSE, row.names = FALSE)
"""

#: Largest |ours - R| / R of Table 1's log-rank p-values (measured max 3.3e-14 on 2026-12-06,
#: 28 tests; float noise floor).
SURVDIFF_TOLERANCE = 1e-12


def _survdiff_in_r(demo_cohort, folder: Path) -> pd.DataFrame:
    """R's survdiff of every endpoint x factor of the demo cohort, by (endpoint, factor label)."""
    settings, clinical, groups = demo_cohort.settings, demo_cohort.clinical, demo_cohort.groups
    long = pd.concat(
        pd.DataFrame(
            {
                "endpoint": endpoint.name,
                "factor": factor.label,
                "time": clinical[endpoint.time],
                "event": clinical[endpoint.event].astype(int),
                "group": groups[factor.name],
            }
        ).dropna()
        for endpoint in settings.endpoints
        for factor in settings.factors
    )
    long.to_csv(folder / "survival.tsv", sep="\t", index=False)
    (folder / "survdiff.R").write_text(SURVDIFF_R)
    assert shutil.which("Rscript"), "Rscript is not installed: run `make test-tools`"
    command = ["Rscript", str(folder / "survdiff.R"), str(folder / "survival.tsv")]
    subprocess.run([*command, str(folder / "r.tsv")], check=True, capture_output=True)
    return pd.read_csv(folder / "r.tsv", sep="\t", quoting=3).set_index(["endpoint", "factor"])


def test_demo_table1_p_values_match_r_survdiff(demo_cohort, demo_logrank, tmp_path) -> None:
    """Every log-rank p of the demo's Table 1 (OS and PFS x 14 factors) equals survdiff's."""
    settings = demo_cohort.settings
    table = table1(demo_cohort.groups, demo_logrank, settings.factors, settings.endpoints)
    r = _survdiff_in_r(demo_cohort, tmp_path)
    assert len(r) == len(settings.endpoints) * len(settings.factors) == 28
    ours = table.groupby("factor", sort=False).first()
    worst = 0.0
    for endpoint in settings.endpoints:
        for factor in settings.factors:
            expected = r.loc[(endpoint.name, factor.label), "p"]
            got = ours.loc[factor.label, f"{endpoint.name}_p"]
            assert np.isfinite(got), (endpoint.name, factor.label)
            worst = max(worst, abs(got - expected) / expected)
    print(f"Table 1 p-values: max relative difference from survdiff {worst:.3g}")
    assert worst <= SURVDIFF_TOLERANCE


def test_simulated_cohort_reproduces_published_table1_counts(demo_cohort, demo_logrank) -> None:
    """A property of the simulated cohort (config/clinical.tsv, config/qpcr_ct.tsv), checked
    through the project's Table 1: the published N and % per level exactly, and the planted
    miR-143-3p/miR-223-3p effect giving a significant PFS p (published: 0.008)."""
    endpoints, factors = demo_cohort.settings.endpoints, demo_cohort.settings.factors
    table = table1(demo_cohort.groups, demo_logrank, factors, endpoints)
    blocks = [block for _, block in table.groupby("factor", sort=False)]
    assert [tuple(b["n"]) for b in blocks] == STUDY_TABLE1
    for block in blocks:
        expected = [round(100 * n / 40, 1) for n in block["n"]]
        assert block["percent"].tolist() == expected
    assert table.iloc[0]["percent"] == 45.0 and table.iloc[1]["percent"] == 55.0
    pair = table[table["factor"].str.contains("hsa-miR-143-3p and hsa-miR-223-3p")]
    assert pair["pfs_p"].iloc[0] < 0.05
    assert pair["level"].tolist() == ["both <=1.5", "any >1.5"]
