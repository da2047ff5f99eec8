# R's Harrell's and Uno's C (survival::concordance, reverse = TRUE: a higher linear predictor,
# an earlier event), each with sqrt(var), for test_survival_uno_c_r.py.
# Usage: Rscript r_uno_concordance.R <folder>
# Reads every <folder>/uno_<name>.tsv (time, event, lp) and writes <folder>/r_uno.tsv: name,
# harrell_c, harrell_se, uno_c, uno_se, n, events (17 significant digits).
suppressMessages(library(survival))
folder <- commandArgs(trailingOnly = TRUE)[1]
files <- list.files(folder, "^uno_.*\\.tsv$")
rows <- lapply(files, function(file) {
  d <- read.delim(file.path(folder, file))
  harrell <- concordance(Surv(time, event) ~ lp, d, reverse = TRUE)
  uno <- concordance(Surv(time, event) ~ lp, d, reverse = TRUE, timewt = "n/G2")
  data.frame(name = sub("^uno_(.*)\\.tsv$", "\\1", file),
             harrell_c = sprintf("%.17g", harrell$concordance),
             harrell_se = sprintf("%.17g", sqrt(harrell$var)),
             uno_c = sprintf("%.17g", uno$concordance), uno_se = sprintf("%.17g", sqrt(uno$var)),
             n = nrow(d), events = sum(d$event))
})
write.table(do.call(rbind, rows), file.path(folder, "r_uno.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)
