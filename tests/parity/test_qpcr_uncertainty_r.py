"""The qPCR fold-change and NRQ SEs against a plain R delta method, run live (without Rscript
the test fails naming `make test-tools`).

R differentiates the log fold change (and log NRQ) symbolically (``stats::deriv``) with respect
to every mean Cq and every amplification factor, and takes sqrt(g' diag(SE^2) g): the first-order
propagation with no formula of ours in it. The example is the hand-computation example of
tests/unit/qpcr/test_qpcr_uncertainty.py.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from esccrt.qpcr.ct_table import CT_COLUMNS
from esccrt.qpcr.pipeline import run_qpcr
from prerequisites import require_commands
from schema_sections import qpcr_settings

EFFICIENCY = {"T": 1.95, "R1": 1.90, "R2": 2.00}
EFFICIENCY_SE = {"T": 0.03, "R1": 0.02, "R2": 0.01}
#: (patient, timepoint, assay) -> (mean Cq, replicate SD) of three replicates mean-d, mean, mean+d.
CQ = {
    ("P1", "pre", "T"): (30.0, 0.20),
    ("P1", "post", "T"): (27.5, 0.10),
    ("P1", "pre", "R1"): (20.0, 0.05),
    ("P1", "post", "R1"): (20.6, 0.15),
    ("P1", "pre", "R2"): (22.0, 0.10),
    ("P1", "post", "R2"): (21.7, 0.10),
    ("P2", "pre", "T"): (31.0, 0.30),
    ("P2", "post", "T"): (32.2, 0.25),
    ("P2", "pre", "R1"): (19.5, 0.10),
    ("P2", "post", "R1"): (19.9, 0.05),
    ("P2", "pre", "R2"): (23.0, 0.20),
    ("P2", "post", "R2"): (22.4, 0.10),
}

R_DELTA_METHOD = r"""
args <- commandArgs(trailingOnly = TRUE)
cq <- read.delim(args[1], stringsAsFactors = FALSE)
e <- c(T = %(eT)r, R1 = %(eR1)r, R2 = %(eR2)r)
se_e <- c(T = %(sT)r, R1 = %(sR1)r, R2 = %(sR2)r)
delta_se <- function(expr, values, ses) {
  g <- attr(eval(deriv(expr, names(values)), as.list(values)), "gradient")
  sqrt(sum(g^2 * ses^2))
}
# one sample's log NRQ against constant calibrators cT, c1, c2 (the assays' mean Cq)
nrq <- ~ log(ET) * (cT - qT) - (log(E1) * (c1 - q1) + log(E2) * (c2 - q2)) / 2
# one patient's log fold change post vs pre
fc <- ~ log(ET) * (aT - bT) - (log(E1) * (a1 - b1) + log(E2) * (a2 - b2)) / 2
key <- function(p, tp, a) cq[cq$patient == p & cq$timepoint == tp & cq$assay == a, ]
out <- c()
cal <- tapply(cq$mean, cq$assay, mean)
for (p in unique(cq$patient)) {
  pre <- lapply(c(T = "T", R1 = "R1", R2 = "R2"), function(a) key(p, "pre", a))
  post <- lapply(c(T = "T", R1 = "R1", R2 = "R2"), function(a) key(p, "post", a))
  v <- c(ET = e[["T"]], E1 = e[["R1"]], E2 = e[["R2"]],
         aT = pre$T$mean, a1 = pre$R1$mean, a2 = pre$R2$mean,
         bT = post$T$mean, b1 = post$R1$mean, b2 = post$R2$mean)
  s <- c(se_e[["T"]], se_e[["R1"]], se_e[["R2"]],
         pre$T$se, pre$R1$se, pre$R2$se, post$T$se, post$R1$se, post$R2$se)
  out <- rbind(out, data.frame(patient = p, timepoint = "", se = delta_se(fc, v, s)))
  for (tp in c("pre", "post")) {
    x <- lapply(c(T = "T", R1 = "R1", R2 = "R2"), function(a) key(p, tp, a))
    v <- c(ET = e[["T"]], E1 = e[["R1"]], E2 = e[["R2"]],
           cT = cal[["T"]], c1 = cal[["R1"]], c2 = cal[["R2"]],
           qT = x$T$mean, q1 = x$R1$mean, q2 = x$R2$mean)
    s <- c(se_e[["T"]], se_e[["R1"]], se_e[["R2"]], 0, 0, 0, x$T$se, x$R1$se, x$R2$se)
    out <- rbind(out, data.frame(patient = p, timepoint = tp, se = delta_se(nrq, v, s)))
  }
}
write.table(out, args[2], sep = "\t", quote = FALSE, row.names = FALSE)
"""


def _r_ses(folder: Path) -> pd.DataFrame:
    """The SE of ln FC (timepoint '') and of ln NRQ per sample, by R's symbolic delta method."""
    means = pd.DataFrame(
        [(p, tp, a, mean, sd / math.sqrt(3)) for (p, tp, a), (mean, sd) in CQ.items()],
        columns=["patient", "timepoint", "assay", "mean", "se"],
    )
    means.to_csv(folder / "cq.tsv", sep="\t", index=False)
    values = {f"e{a}": e for a, e in EFFICIENCY.items()} | {
        f"s{a}": s for a, s in EFFICIENCY_SE.items()
    }
    script = folder / "delta.R"
    script.write_text(R_DELTA_METHOD % values)
    subprocess.run(
        ["Rscript", str(script), str(folder / "cq.tsv"), str(folder / "ses.tsv")],
        check=True,
        capture_output=True,
    )
    return pd.read_csv(folder / "ses.tsv", sep="\t", keep_default_na=False)


def test_fold_change_and_nrq_se_equal_r_delta_method(tmp_path: Path) -> None:
    require_commands("Rscript")
    rows = [
        (p, tp, a, i + 1, mean + step * sd)
        for (p, tp, a), (mean, sd) in CQ.items()
        for i, step in enumerate((-1.0, 0.0, 1.0))
    ]
    path = tmp_path / "ct.tsv"
    pd.DataFrame(rows, columns=list(CT_COLUMNS)).to_csv(path, sep="\t", index=False)
    settings = qpcr_settings(
        ["T"], ["R1", "R2"], efficiencies=EFFICIENCY, efficiency_se=EFFICIENCY_SE, ct_limit=40
    )
    results = run_qpcr(path, settings)
    r = _r_ses(tmp_path).set_index(["patient", "timepoint"])["se"]
    fc = results.fold_changes_with_se().set_index("patient")["log2_fold_change_se"]
    nrq = results.relative_quantities.set_index(["patient", "timepoint"])["log2_nrq_se"]
    for p in ("P1", "P2"):
        assert fc[p] * math.log(2) == pytest.approx(r[(p, "")], rel=1e-10)
        for tp in ("pre", "post"):
            assert nrq[(p, tp)] * math.log(2) == pytest.approx(r[(p, tp)], rel=1e-10)
