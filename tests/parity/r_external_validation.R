# R's numbers for the project's external validation of the locked rotterdam model on gbsg5,
# given the project's own linear predictor and predicted risks, for
# test_survival_external_validation_published.py.
# Usage: Rscript r_external_validation.R <folder>
# Reads <folder>/predictions.tsv (ryear, rfs, lp, risk_<landmark>...; the landmark of the
# AUC/Brier in the file name of column 4) and writes <folder>/r_validation.tsv: metric,
# estimate, se (17 significant digits).
suppressMessages({ library(survival); library(riskRegression); library(prodlim) })
folder <- commandArgs(trailingOnly = TRUE)[1]
data <- read.delim(file.path(folder, "predictions.tsv"))
risk_columns <- grep("^risk_", names(data), value = TRUE)
landmarks <- as.numeric(sub("^risk_", "", risk_columns))
harrell <- concordance(Surv(ryear, rfs) ~ lp, data, reverse = TRUE)
uno <- concordance(Surv(ryear, rfs) ~ lp, data, reverse = TRUE, timewt = "n/G2")
slope <- coxph(Surv(ryear, rfs) ~ lp, data = data)
rows <- data.frame(metric = c("harrell_c", "uno_c", "calibration_slope"),
                   estimate = c(harrell$concordance, uno$concordance, coef(slope)),
                   se = c(sqrt(harrell$var), sqrt(uno$var), sqrt(vcov(slope)[1, 1])),
                   landmark = NA)
for (k in seq_along(landmarks)) {
  t <- landmarks[k]
  risk <- matrix(data[[risk_columns[k]]], ncol = 1)
  s <- Score(list(model = risk), formula = Surv(ryear, rfs) ~ 1, data = data,
             cens.model = "km", metrics = c("auc", "brier"), summary = "ipa", times = t)
  auc <- s$AUC$score
  brier <- s$Brier$score
  observed <- 1 - summary(survfit(Surv(ryear, rfs) ~ 1, data = data), times = t)$surv
  rows <- rbind(rows, data.frame(
    metric = c("auc", "brier", "brier_null", "ipa", "observed_risk", "oe_ratio"),
    estimate = c(auc$AUC, brier$Brier[brier$model == "model"],
                 brier$Brier[brier$model == "Null model"], brier$IPA[brier$model == "model"],
                 observed, observed / mean(risk)),
    se = c(auc$se, brier$se[brier$model == "model"], brier$se[brier$model == "Null model"],
           NA, NA, NA),
    landmark = t))
}
write.table(format(rows, digits = 17), file.path(folder, "r_validation.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
