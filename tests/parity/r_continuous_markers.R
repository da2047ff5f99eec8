# Reference numbers of the continuous-marker Cox models, for test_survival_continuous_r.py.
# Usage: Rscript r_continuous_markers.R <folder>
# Reads <folder>/runs.tsv (run, knots) and <folder>/data_<run>.tsv (time, event, x) and writes
# <folder>/r_continuous.tsv (run, key, value; 17 significant digits) and, per run,
# <folder>/basis_<run>.tsv (rcs(x, knots) as cph uses it) and rcspline_<run>.tsv
# (rcspline.eval(x, knots, inclx = TRUE), norm = 2 as rcs calls it):
#   survival::coxph(Surv(time, event) ~ x, ties = "efron"): coef, se, HR, CI, Wald p, LR
#   rms::cph(Surv(time, event) ~ rcs(x, k), eps = 1e-9) + anova: spline coefficients, Wald
#   chi-square of the marker (overall) and of its non-linear terms.
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
suppressMessages({library(survival); library(rms)})
path <- function(...) file.path(folder, paste0(...))
rows <- list()
put <- function(run, key, v) {
  keys <- if (length(v) == 1) key else paste0(key, seq_along(v))
  rows[[length(rows) + 1]] <<- data.frame(run = run, key = keys,
                                           value = sprintf("%.17g", as.numeric(unname(v))))
}
write_matrix <- function(m, file) {
  write.table(format(unclass(m), digits = 17), file, sep = "\t", quote = FALSE,
              row.names = FALSE, col.names = FALSE)
}
runs <- read.delim(path("runs.tsv"), stringsAsFactors = FALSE)
for (i in seq_len(nrow(runs))) {
  run <- runs$run[i]
  nk <- runs$knots[i]
  d <- read.delim(path("data_", run, ".tsv"))
  linear <- coxph(Surv(time, event) ~ x, data = d, ties = "efron")
  s <- summary(linear)
  put(run, "coef", s$coefficients[1, "coef"])
  put(run, "se", s$coefficients[1, "se(coef)"])
  put(run, "hr", s$conf.int[1, "exp(coef)"])
  put(run, "ci_low", s$conf.int[1, "lower .95"])
  put(run, "ci_high", s$conf.int[1, "upper .95"])
  put(run, "wald_p", s$coefficients[1, "Pr(>|z|)"])
  put(run, "lr_chisq", s$logtest[["test"]])
  put(run, "lr_p", s$logtest[["pvalue"]])
  # rms::rcs places the knots (rcspline.eval's default rule) and builds the normalised basis
  knots <- suppressWarnings(rcspline.eval(d$x, nk = nk, knots.only = TRUE))
  put(run, "knot", knots)
  put(run, "rcs_parms", attr(rcs(d$x, nk), "parms"))
  write_matrix(rcs(d$x, nk), path("basis_", run, ".tsv"))
  write_matrix(rcspline.eval(d$x, knots, inclx = TRUE), path("rcspline_", run, ".tsv"))
  # cph's default eps (1e-4, relative change of the log likelihood) stops one Newton step early;
  # 1e-9 is coxph's default, so both R fits are converged alike
  f <- as.formula(paste0("Surv(time, event) ~ rcs(x, ", nk, ")"))
  spline <- suppressWarnings(cph(f, data = d, eps = 1e-9))
  put(run, "spline_coef", coef(spline))
  a <- anova(spline)
  put(run, "spline_chisq", a[1, "Chi-Square"])
  put(run, "spline_df", a[1, "d.f."])
  put(run, "spline_p", a[1, "P"])
  put(run, "nonlinear_chisq", a[2, "Chi-Square"])
  put(run, "nonlinear_df", a[2, "d.f."])
  put(run, "nonlinear_p", a[2, "P"])
}
write.table(do.call(rbind, rows), path("r_continuous.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)
