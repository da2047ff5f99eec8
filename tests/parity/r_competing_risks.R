# Reference numbers of the competing-risks tables, for test_survival_competing_r.py.
# Usage: Rscript r_competing_risks.R <folder>
# Writes <folder>/data_mgus2_<x>.tsv, data_rotterdam_<x>.tsv and data_pbc_<x>.tsv (time, status, x; status 0 censored,
# 1 the event, 2 the competing event) from survival's own data sets: mgus2 (progression to a
# plasma cell malignancy, death before it competing), rotterdam (breast cancer recurrence,
# death before it competing) and pbc (death, liver transplant
# competing). Then reads <folder>/runs.tsv (run, landmarks separated by ";", model: 1 to fit
# the Fine-Gray models, 0 for the cumulative incidence only) and every
# <folder>/data_<run>.tsv, and writes <folder>/r_competing.tsv (run, key, value; 17 digits):
#   survival::finegray + coxph(Surv(fgstart, fgstop, fgstatus) ~ x, weight = fgwt): coef, se
#     (coxph's default: robust for non-integer weights), naive se, HR, CI, p;
#   cmprsk::crr(time, status, x): coef, se;
#   cmprsk::cuminc + timepoints at the landmarks: estimate and variance of both causes;
#   survfit(Surv(time, factor(status)) ~ 1) (Aalen-Johansen): estimate at the landmarks.
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
suppressMessages({library(survival); library(cmprsk)})
path <- function(...) file.path(folder, paste0(...))
export <- function(name, time, status, covariates) {
  for (x in names(covariates)) {
    d <- data.frame(time = time, status = status, x = covariates[[x]])
    d <- d[complete.cases(d), ]
    write.table(d, path("data_", name, "_", x, ".tsv"), sep = "\t", row.names = FALSE,
                quote = FALSE)
  }
}
m <- mgus2
export("mgus2", ifelse(m$pstat == 0, m$futime, m$ptime),
       ifelse(m$pstat == 0, 2 * m$death, 1),
       list(age = m$age, male = as.numeric(m$sex == "M"), hgb = m$hgb))
# rotterdam: recurrence, death before recurrence competing (time: to recurrence, else to death
# or the end of follow-up).
r <- rotterdam
export("rotterdam", ifelse(r$recur == 1, r$rtime, r$dtime),
       ifelse(r$recur == 1, 1, 2 * r$death),
       list(age = r$age, nodes = r$nodes))
p <- pbc[!is.na(pbc$trt), ]
export("pbc", p$time, c(0, 2, 1)[p$status + 1],
       list(age = p$age, logbili = log(p$bili), edema = p$edema))

rows <- list()
put <- function(run, key, v) {
  keys <- if (length(v) == 1) key else paste0(key, seq_along(v))
  rows[[length(rows) + 1]] <<- data.frame(run = run, key = keys,
                                           value = sprintf("%.17g", as.numeric(unname(v))))
}
fit_models <- function(run, d) {
  fg <- finegray(Surv(time, event) ~ x, data = d, etype = "event")
  fit <- coxph(Surv(fgstart, fgstop, fgstatus) ~ x, weight = fgwt, data = fg)
  s <- summary(fit)
  put(run, "coef", s$coefficients[1, "coef"])
  put(run, "se", s$coefficients[1, "robust se"])
  put(run, "naive_se", s$coefficients[1, "se(coef)"])
  put(run, "shr", s$conf.int[1, "exp(coef)"])
  put(run, "ci_low", s$conf.int[1, "lower .95"])
  put(run, "ci_high", s$conf.int[1, "upper .95"])
  put(run, "p", s$coefficients[1, "Pr(>|z|)"])
  crr_fit <- crr(d$time, d$status, d$x, failcode = 1, cencode = 0)
  put(run, "crr_coef", crr_fit$coef)
  put(run, "crr_se", sqrt(diag(crr_fit$var)))
}
runs <- read.delim(path("runs.tsv"), stringsAsFactors = FALSE)
for (i in seq_len(nrow(runs))) {
  run <- runs$run[i]
  landmarks <- as.numeric(strsplit(runs$landmarks[i], ";")[[1]])
  d <- read.delim(path("data_", run, ".tsv"))
  d$event <- factor(d$status, 0:2, c("censored", "event", "competing"))
  if (runs$model[i] == 1) fit_models(run, d)
  incidence <- timepoints(cuminc(d$time, d$status, cencode = 0), landmarks)
  for (cause in 1:2) {
    put(run, paste0("cuminc_est_", cause, "_"), incidence$est[paste("1", cause), ])
    put(run, paste0("cuminc_var_", cause, "_"), incidence$var[paste("1", cause), ])
  }
  aj <- summary(survfit(Surv(time, event) ~ 1, data = d), times = landmarks, extend = TRUE)
  for (cause in 1:2) {
    put(run, paste0("survfit_", cause, "_"), aj$pstate[, cause + 1])
  }
}
write.table(do.call(rbind, rows), path("r_competing.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)
