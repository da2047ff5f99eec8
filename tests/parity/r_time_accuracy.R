# Reference time-dependent accuracy from riskRegression::Score, for
# test_survival_time_accuracy_r.py.
# Usage: Rscript r_time_accuracy.R <folder>
# Reads every <folder>/risks_<name>.tsv (time, event, landmark, risk; one block of rows per
# landmark, the same patients in the same order) and writes <folder>/r_accuracy.tsv: name,
# landmark, metric (auc, brier, brier_null, ipa), estimate, se (17 significant digits).
# Score gets the predicted risks as a matrix (patients x landmarks), so that what is compared
# is the accuracy metrics, not the model fit. Score gives no SE of the IPA: its SE here is the
# delta method on the covariance of the two Brier scores' influence functions (keep = "vcov").
suppressMessages({ library(survival); library(riskRegression); library(prodlim) })
folder <- commandArgs(trailingOnly = TRUE)[1]
names <- sub("^risks_(.*)\\.tsv$", "\\1", list.files(folder, "^risks_.*\\.tsv$"))
rows <- list()
for (name in names) {
  long <- read.delim(file.path(folder, paste0("risks_", name, ".tsv")))
  landmarks <- unique(long$landmark)
  first <- long[long$landmark == landmarks[1], ]
  risk <- sapply(landmarks, function(t) long$risk[long$landmark == t])
  risk <- matrix(risk, ncol = length(landmarks))
  data <- data.frame(time = first$time, event = first$event)
  s <- Score(list(model = risk), formula = Hist(time, event) ~ 1, data = data,
             cens.model = "km", metrics = c("auc", "brier"), summary = "ipa",
             times = landmarks, keep = "vcov")
  auc <- s$AUC$score
  brier <- s$Brier$score
  vcov <- s$Brier$vcov
  for (k in seq_along(landmarks)) {
    t <- landmarks[k]
    a <- auc[auc$times == t, ]
    b1 <- brier[brier$times == t & brier$model == "model", ]
    b0 <- brier[brier$times == t & brier$model == "Null model", ]
    cells <- c(paste0("model=0, times=", t), paste0("model=1, times=", t))
    gradient <- c(b1$Brier / b0$Brier^2, -1 / b0$Brier)
    ipa_se <- sqrt(drop(t(gradient) %*% vcov[cells, cells] %*% gradient))
    values <- list(auc = c(a$AUC, a$se), brier = c(b1$Brier, b1$se),
                   brier_null = c(b0$Brier, b0$se), ipa = c(b1$IPA, ipa_se))
    for (metric in names(values)) {
      rows[[length(rows) + 1]] <- data.frame(
        name = name, landmark = t, metric = metric,
        estimate = sprintf("%.17g", values[[metric]][1]),
        se = sprintf("%.17g", values[[metric]][2]))
    }
  }
}
write.table(do.call(rbind, rows), file.path(folder, "r_accuracy.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
