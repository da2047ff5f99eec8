# R's survival analysis of a sequencing marker (seq:<miRNA>) for test_survival_sequencing_r.py.
# Usage: Rscript r_sequencing_markers.R <folder>
# Reads <folder>/marker.tsv (time, event, log2fc and per factor high_<factor>: 1 above its
# fold-change cut-off, 0 at or below it, NA without a value) and writes <folder>/r_marker.tsv:
# analysis, key, value (17 significant digits). Per factor survdiff of its groups (analysis
# logrank_<factor>) and coxph (Efron ties) of the group (cox_<factor>); coxph of the continuous
# log2 fold change (cox_continuous): coefficient, SE, HR with its 95 % CI, Wald p, likelihood
# ratio test.
suppressMessages(library(survival))
folder <- commandArgs(trailingOnly = TRUE)[1]
d <- read.delim(file.path(folder, "marker.tsv"))
rows <- list()
put <- function(analysis, ...) {
  v <- unlist(lapply(list(...), unname))
  rows[[length(rows) + 1]] <<- data.frame(analysis = analysis, key = names(v),
                                           value = sprintf("%.17g", unname(v)))
}
cox <- function(analysis, formula, data) {
  fit <- suppressWarnings(coxph(formula, data = data, ties = "efron"))  # the separated factor
  s <- summary(fit)
  put(analysis, coef = coef(fit), se = sqrt(vcov(fit)[1, 1]), hr = exp(coef(fit)),
      ci_low = s$conf.int[1, "lower .95"], ci_high = s$conf.int[1, "upper .95"],
      wald_p = s$coefficients[1, "Pr(>|z|)"], lr_chisq = s$logtest[["test"]],
      lr_p = s$logtest[["pvalue"]], n = fit$n, events = fit$nevent)
}
for (column in grep("^high_", names(d), value = TRUE)) {
  factor <- sub("^high_", "", column)
  grouped <- d[!is.na(d[[column]]), ]
  grouped$high <- grouped[[column]]
  test <- survdiff(Surv(time, event) ~ high, data = grouped)
  put(paste0("logrank_", factor), chisq = test$chisq,
      p = pchisq(test$chisq, length(test$n) - 1, lower.tail = FALSE), n = sum(test$n),
      events = sum(test$obs))
  cox(paste0("cox_", factor), Surv(time, event) ~ high, grouped)
}
cox("cox_continuous", Surv(time, event) ~ log2fc, d[!is.na(d$log2fc), ])
write.table(do.call(rbind, rows), file.path(folder, "r_marker.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)
