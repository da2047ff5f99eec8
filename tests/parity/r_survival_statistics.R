# Reference numbers of the survival statistics from R, for test_survival_statistics_r.py.
# Usage: Rscript r_survival_statistics.R <folder> core|rms
# Reads the TSV files the test wrote into <folder> and writes <folder>/r_<mode>.tsv, one number
# a row (section, name, key, value; 17 significant digits):
#   roc_<name>.tsv (y, score)              -> pROC::ci.auc(method = "delong")
#   cox_<name>.tsv + cox_models.tsv        -> survival::concordance(coxph(...))
#   maxstat_<name>.tsv + maxstat_runs.tsv  -> maxstat::maxstat.test(LogRank, Lau92)
#   padjust_<name>.tsv (p)                 -> p.adjust(method = "BH")
#   mode rms only: validate_<name>.tsv (y, predictors) + validate_runs.tsv -> rms::validate
#   (and the bootstrap samples it drew, replayed from the same seed: boot_<name>.tsv).
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
mode <- args[2]
suppressMessages({
  library(survival)
  if (mode == "core") { library(pROC); library(maxstat) } else library(rms)
})
path <- function(...) file.path(folder, paste0(...))
named <- function(prefix) sub(paste0("^", prefix, "_(.*)\\.tsv$"), "\\1",
                              list.files(folder, paste0("^", prefix, "_.*\\.tsv$")))
read <- function(file) read.delim(file, check.names = FALSE, stringsAsFactors = FALSE)
rows <- list()
put <- function(.section, .name, ...) {  # dotted: "se = " must not match a formal
  values <- list(...)
  for (key in names(values)) {
    v <- unname(values[[key]])
    keys <- if (length(v) == 1) key else paste0(key, seq_along(v))
    rows[[length(rows) + 1]] <<- data.frame(section = .section, name = .name, key = keys,
                                             value = sprintf("%.17g", as.numeric(v)))
  }
}

core <- function() {
  for (name in named("roc")) {
    d <- read(path("roc_", name, ".tsv"))
    r <- roc(d$y, d$score, levels = c(0, 1), direction = "<", quiet = TRUE)
    ci <- ci.auc(r, method = "delong")
    put("delong", name, low = ci[1], auc = ci[2], high = ci[3])
  }

  if (file.exists(path("cox_models.tsv"))) {
    models <- read(path("cox_models.tsv"))
    for (i in seq_len(nrow(models))) {
      m <- models[i, ]
      d <- read(path("cox_", m$data, ".tsv"))
      terms <- strsplit(m$terms, " ")[[1]]
      for (term in terms) if (is.character(d[[term]])) d[[term]] <- factor(d[[term]])
      f <- as.formula(paste0("Surv(`", m$time, "`, `", m$event, "`) ~ ",
                             paste0("`", terms, "`", collapse = " + ")))
      cc <- concordance(coxph(f, data = d))
      put("concordance", m$model, c = cc$concordance, se = sqrt(cc$var))
    }
  }

  if (file.exists(path("maxstat_runs.tsv"))) {
    runs <- read(path("maxstat_runs.tsv"))
    for (i in seq_len(nrow(runs))) {
      r <- runs[i, ]
      d <- read(path("maxstat_", r$data, ".tsv"))
      m <- maxstat.test(Surv(time, event) ~ x, data = d, smethod = "LogRank", pmethod = "Lau92",
                        minprop = r$min_prop, maxprop = r$max_prop)
      put("maxstat", r$run, statistic = m$statistic, p = m$p.value, cutoff = m$estimate,
          n_cuts = length(m$cuts))
    }
  }

  for (name in named("padjust")) {
    p <- read(path("padjust_", name, ".tsv"))$p
    put("bh", name, q = p.adjust(p, method = "BH"))
  }
}

validate_models <- function() {
  runs <- read(path("validate_runs.tsv"))
  for (i in seq_len(nrow(runs))) {
    r <- runs[i, ]
    d <- read(path("validate_", r$data, ".tsv"))
    fit <- lrm(y ~ ., data = d, x = TRUE, y = TRUE)
    set.seed(r$seed)
    v <- validate(fit, B = r$B)
    # predab.resample draws sample(n, replace = TRUE) once per resample, nothing else: the same
    # seed gives the same bootstrap samples, as counts per patient.
    set.seed(r$seed)
    counts <- t(sapply(seq_len(r$B), function(b) tabulate(sample(nrow(d), replace = TRUE), nrow(d))))
    write.table(counts, path("boot_", r$run, ".tsv"), sep = "\t", row.names = FALSE,
                col.names = FALSE)
    auc <- function(dxy) (dxy + 1) / 2
    put("validate", r$run, apparent = auc(v["Dxy", "index.orig"]),
        corrected = auc(v["Dxy", "index.corrected"]), optimism = v["Dxy", "optimism"] / 2,
        used = v["Dxy", "n"])
  }
}

if (mode == "core") core() else validate_models()
write.table(do.call(rbind, rows), path("r_", mode, ".tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)
