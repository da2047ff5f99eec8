# Reference numbers of the missing-data tables, for test_survival_missing_data_r.py.
# Usage:
#   Rscript r_mice_pool.R export <folder>
#     writes R's real data sets with missing values (survival::lung, mice::nhanes) as
#     <folder>/<name>.tsv (NA as an empty cell) and <folder>/counts_<name>.tsv (variable, n,
#     n_missing: nrow() and colSums(is.na())).
#   Rscript r_mice_pool.R pool <folder>
#     reads <folder>/runs.tsv (run, m) and the imputed data sets <folder>/data_<run>_<i>.tsv
#     (time, event, x; i = 1 .. m), fits survival::coxph(Surv(time, event) ~ x) (Efron ties) on
#     each, pools them with mice::pool(mice::as.mira(fits)) and writes <folder>/r_pooled.tsv
#     (run, key, value; 17 significant digits): pool's estimate, ubar, b, t, dfcom, df, riv,
#     lambda, fmi and summary(conf.int = TRUE)'s std.error, p.value and interval.
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
folder <- args[2]
suppressMessages({library(survival); library(mice)})
path <- function(...) file.path(folder, paste0(...))

if (mode == "export") {
  sets <- list(lung = survival::lung, nhanes = mice::nhanes)
  for (name in names(sets)) {
    d <- sets[[name]]
    write.table(d, path(name, ".tsv"), sep = "\t", quote = FALSE, row.names = FALSE, na = "")
    counts <- data.frame(variable = names(d), n = nrow(d), n_missing = colSums(is.na(d)))
    write.table(counts, path("counts_", name, ".tsv"), sep = "\t", quote = FALSE,
                row.names = FALSE)
  }
} else if (mode == "pool") {
  runs <- read.delim(path("runs.tsv"), stringsAsFactors = FALSE)
  rows <- list()
  for (i in seq_len(nrow(runs))) {
    run <- runs$run[i]
    fits <- lapply(seq_len(runs$m[i]), function(k) {
      d <- read.delim(path("data_", run, "_", k, ".tsv"))
      coxph(Surv(time, event) ~ x, data = d, ties = "efron")
    })
    pooled <- pool(as.mira(fits))
    p <- pooled$pooled
    s <- summary(pooled, conf.int = TRUE)
    values <- c(estimate = p$estimate, ubar = p$ubar, b = p$b, t = p$t, dfcom = p$dfcom,
                df = p$df, riv = p$riv, lambda = p$lambda, fmi = p$fmi,
                std.error = s$std.error, p.value = s$p.value, conf.low = s[["2.5 %"]],
                conf.high = s[["97.5 %"]])
    rows[[i]] <- data.frame(run = run, key = names(values), value = sprintf("%.17g", values))
  }
  write.table(do.call(rbind, rows), path("r_pooled.tsv"), sep = "\t", quote = FALSE,
              row.names = FALSE)
} else {
  stop("mode must be export or pool")
}
