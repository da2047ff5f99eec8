# DraculR's edgeR steps (draculR.R, github.com/mxhp75/DraculR) run live with edgeR, for
# test_haemolysis_draculr.py.
# Usage: Rscript r_draculr_edger.R <counts.csv> <settings.tsv> <folder>
# counts.csv: column "mirna" then one column per library (raw counts, NA = 0); settings.tsv:
# key, value (min_library_reads, min_count, min_cpm, min_samples, signature and dropped as
# comma-separated names). Writes to <folder>, 17 significant digits:
#   r_tmm.tsv     library, norm_factor: calcNormFactors(DGEList(counts), method = "TMM") of the
#                 libraries and miRNAs left by the read and count filters
#   r_logcpm.tsv  mirna, one column per library: edgeR::cpm(counts, log = TRUE) of the miRNAs
#                 kept by rowSums(cpm(DGEList) > min_cpm) >= min_samples
#   r_metric.tsv  library, metric: geometric mean (exp(mean(log(x), na.rm = TRUE)), as
#                 psych::geometric.mean) of the signature's log2 CPM minus the background's
suppressMessages(library(edgeR))
arguments <- commandArgs(trailingOnly = TRUE)
counts <- read.csv(arguments[1], row.names = "mirna", check.names = FALSE)
counts[is.na(counts)] <- 0
settings <- read.delim(arguments[2], colClasses = "character")
setting <- function(key) settings$value[settings$key == key]
names_of <- function(key) strsplit(setting(key), ",", fixed = TRUE)[[1]]
folder <- arguments[3]
write17 <- function(frame, file) {
  frame[] <- lapply(frame, function(x) if (is.numeric(x)) sprintf("%.17g", x) else x)
  write.table(frame, file.path(folder, file), sep = "\t", quote = FALSE, row.names = FALSE)
}

counts <- counts[, colSums(counts) > as.numeric(setting("min_library_reads")), drop = FALSE]
counts[counts < as.numeric(setting("min_count"))] <- 0
counts <- counts[rowSums(counts) != 0, , drop = FALSE]
dge <- calcNormFactors(DGEList(counts = as.matrix(counts)), method = "TMM")
write17(data.frame(library = colnames(counts), norm_factor = dge$samples$norm.factors),
        "r_tmm.tsv")
keep <- rowSums(cpm(dge, log = FALSE) > as.numeric(setting("min_cpm"))) >=
  as.numeric(setting("min_samples"))
dge <- dge[keep, , keep.lib.sizes = FALSE]
logged <- cpm(dge$counts, log = TRUE)
write17(data.frame(mirna = rownames(logged), logged, check.names = FALSE), "r_logcpm.tsv")

signature <- setdiff(names_of("signature"), names_of("dropped"))
background <- !rownames(logged) %in% names_of("signature")
geometric_mean <- function(x) exp(mean(suppressWarnings(log(x)), na.rm = TRUE))
metric <- apply(logged, 2, function(x) {
  geometric_mean(x[rownames(logged) %in% signature]) - geometric_mean(x[background])
})
write17(data.frame(library = names(metric), metric = metric), "r_metric.tsv")
