# Development (survival::rotterdam) and validation (survival::gbsg) cohorts of McLernon et al.
# 2023 (Ann Intern Med 176:105), recoded as their R code does (danielegiardiello/
# Prediction_performance_survival, 01_predsurv_minimal.R): recurrence-free survival in years,
# the 43 deaths after a censored recurrence time given their death time, size in three classes,
# grade 3 vs 1-2, both cohorts administratively censored at 5 years (survSplit).
# Usage: Rscript r_rotterdam_gbsg.R <folder>
# Writes <folder>/rott5.tsv and <folder>/gbsg5.tsv (pid, ryear, rfs, csize, nodes, grade), and
# <folder>/r_development.tsv: the published model refitted by R (coxph, Efron ties) on rott5,
# term and coefficient, with the uncentred baseline survival at 5 years (basehaz) as term S0_5
# and the 99th centile of nodes (quantile type 1) as nodes99.
suppressMessages(library(survival))
folder <- commandArgs(trailingOnly = TRUE)[1]

rotterdam$ryear <- rotterdam$rtime / 365.25
rotterdam$rfs <- with(rotterdam, pmax(recur, death))
fix <- rotterdam$rfs == 1 & rotterdam$recur == 0 & rotterdam$death == 1 &
  (rotterdam$rtime < rotterdam$dtime)
rotterdam$ryear[fix] <- rotterdam$dtime[fix] / 365.25
rotterdam$csize <- as.character(rotterdam$size)
nodes99 <- quantile(rotterdam$nodes, .99, type = 1)

gbsg$ryear <- gbsg$rfstime / 365.25
gbsg$rfs <- gbsg$status
gbsg$csize <- as.character(cut(gbsg$size, c(-1, 20, 50, 500), c("<=20", "20-50", ">50")))

five_years <- function(data) {
  split <- survSplit(Surv(ryear, rfs) ~ ., data = data, cut = 5, episode = "epoch")
  split <- subset(split, epoch == 1)
  split[, c("pid", "ryear", "rfs", "csize", "nodes", "grade")]
}
rott5 <- five_years(rotterdam)
gbsg5 <- five_years(gbsg)
write.table(rott5, file.path(folder, "rott5.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
write.table(gbsg5, file.path(folder, "gbsg5.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)

# the published development model, R's fit
rott5$csize <- factor(rott5$csize, c("<=20", "20-50", ">50"))
rott5$nodes2 <- pmin(rott5$nodes, nodes99)
rott5$nodes3 <- as.vector(Hmisc::rcspline.eval(rott5$nodes2, knots = c(0, 1, 9)))
rott5$grade3 <- as.numeric(rott5$grade == 3)
efit1 <- coxph(Surv(ryear, rfs) ~ csize + nodes2 + nodes3 + grade3, data = rott5)
bh <- basehaz(efit1, centered = FALSE)
out <- data.frame(term = c(names(coef(efit1)), "S0_5", "nodes99"),
                  value = c(coef(efit1), exp(-bh$hazard[bh$time == 5]), nodes99))
write.table(format(out, digits = 17), file.path(folder, "r_development.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
# Breslow baseline survival at 5 years (survfit ctype = 1), the estimator of the stage's risks
zero <- data.frame(csize = factor("<=20", levels(rott5$csize)), nodes2 = 0, nodes3 = 0,
                   grade3 = 0)
breslow <- summary(survfit(efit1, newdata = zero, ctype = 1), times = 5)$surv
# the paper's validation numbers recomputed by its own code path (riskRegression::predictRisk,
# R's default Efron-type baseline), for the O/E ratio the paper prints to 7 digits
gbsg5$csize <- factor(gbsg5$csize, levels(rott5$csize))
gbsg5$nodes2 <- pmin(gbsg5$nodes, nodes99)
gbsg5$nodes3 <- as.vector(Hmisc::rcspline.eval(gbsg5$nodes2, knots = c(0, 1, 9)))
gbsg5$grade3 <- as.numeric(gbsg5$grade == 3)
efit1 <- coxph(Surv(ryear, rfs) ~ csize + nodes2 + nodes3 + grade3, data = rott5, x = TRUE,
               y = TRUE)
pred5 <- riskRegression::predictRisk(efit1, newdata = gbsg5, times = 5)
observed <- 1 - summary(survfit(Surv(ryear, rfs) ~ 1, data = gbsg5), times = 5)$surv
extra <- data.frame(term = c("S0_5_breslow", "oe_5_paper_code"),
                    value = c(breslow, observed / mean(pred5)))
write.table(format(extra, digits = 17), file.path(folder, "r_development.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE, col.names = FALSE, append = TRUE)
