# Reference calibration at landmarks, for test_survival_calibration_r.py: the R code of
# McLernon et al. 2023 (github.com/danielegiardiello/Prediction_performance_survival,
# 01_predsurv_minimal.R and 02_predsurv.Rmd) applied to given predicted risks.
# Usage: Rscript r_calibration.R <folder>
# Reads every <folder>/risks_<name>.tsv (time, event, landmark, risk; one block of rows per
# landmark) and <folder>/grid_<name>.tsv (landmark, predicted: the curve's grid); writes
# <folder>/r_calibration.tsv (name, landmark, metric, estimate, lower, upper) and
# <folder>/r_curve.tsv (name, landmark, predicted, observed), 17 significant digits.
# As McLernon et al. (gbsg5), the outcome is censored at the landmark (survSplit).
suppressMessages({ library(survival); library(rms) })
folder <- commandArgs(trailingOnly = TRUE)[1]
names <- sub("^risks_(.*)\\.tsv$", "\\1", list.files(folder, "^risks_.*\\.tsv$"))
digits <- function(x) sprintf("%.17g", x)
rows <- list(); curves <- list()
alpha <- 0.05
for (name in names) {
  long <- read.delim(file.path(folder, paste0("risks_", name, ".tsv")))
  grids <- read.delim(file.path(folder, paste0("grid_", name, ".tsv")))
  for (t_horizon in unique(long$landmark)) {
    d <- long[long$landmark == t_horizon, ]
    d$id <- seq_len(nrow(d))
    d5 <- subset(survSplit(Surv(time, event) ~ ., data = d, cut = t_horizon, episode = "epoch"),
                 epoch == 1)
    d5 <- d5[order(d5$id), ]
    # Observed / Expected ratio (01_predsurv_minimal.R)
    obj <- summary(survfit(Surv(time, event) ~ 1, data = d5), times = t_horizon)
    obs_t <- 1 - obj$surv
    exp_t <- mean(d5$risk)
    OE_t <- obs_t / exp_t
    # calibration slope (02_predsurv.Rmd: coxph on the cloglog of the predicted risk)
    d5$pred.cll <- log(-log(1 - d5$risk))
    gval <- coxph(Surv(time, event) ~ pred.cll, data = d5)
    slope <- unname(gval$coef); slope_se <- sqrt(gval$var[1, 1])
    # smoothed calibration curve (01_predsurv_minimal.R)
    vcal <- rms::cph(Surv(time, event) ~ rcs(pred.cll, 3), x = TRUE, y = TRUE, surv = TRUE,
                     eps = 1e-12,
                     data = d5)
    obs <- 1 - rms::survest(vcal, times = t_horizon, newdata = d5)$surv
    absdiff_cph <- abs(d5$risk - obs)
    z <- qnorm(1 - alpha / 2)
    values <- list(
      observed_risk = c(obs_t, NA, NA), expected_risk = c(exp_t, NA, NA),
      oe_ratio = c(OE_t, OE_t * exp(-z * sqrt(1 / obj$n.event)),
                   OE_t * exp(z * sqrt(1 / obj$n.event))),
      oe_difference = c(obs_t - exp_t, NA, NA),
      slope = c(slope, slope - z * slope_se, slope + z * slope_se),
      ici = c(mean(absdiff_cph), NA, NA),
      e50 = c(unname(quantile(absdiff_cph, 0.5)), NA, NA),
      e90 = c(unname(quantile(absdiff_cph, 0.9)), NA, NA),
      emax = c(max(absdiff_cph), NA, NA))
    for (metric in names(values)) {
      v <- values[[metric]]
      rows[[length(rows) + 1]] <- data.frame(name = name, landmark = t_horizon, metric = metric,
        estimate = digits(v[1]), lower = digits(v[2]), upper = digits(v[3]))
    }
    grid <- grids$predicted[grids$landmark == t_horizon]
    at <- data.frame(pred.cll = log(-log(1 - grid)))
    curves[[length(curves) + 1]] <- data.frame(name = name, landmark = t_horizon,
      predicted = digits(grid),
      observed = digits(1 - rms::survest(vcal, times = t_horizon, newdata = at)$surv))
  }
}
write.table(do.call(rbind, rows), file.path(folder, "r_calibration.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
write.table(do.call(rbind, curves), file.path(folder, "r_curve.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
