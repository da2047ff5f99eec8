"""Differential expression of one arm: rule diffexp_arm (normalised counts, VST, sample plots)
or rule diffexp_contrast (one contrast's table and plots); see workflow/rules/diffexp.smk."""

import sys

import pandas as pd
from esccrt import de_plots, diffexp
from esccrt.io import write_tsv_atomic
from esccrt.sheets import load_samples

sys.stderr = open(snakemake.log[0], "w")

settings = snakemake.params.settings
arm = snakemake.params.arm
threads = int(snakemake.threads)

samples = load_samples(snakemake.input.samples)
samples = samples[samples["library_type"] == arm]
contrasts = {str(k): [str(x) for x in v] for k, v in settings["contrasts"].items()}
size_factors = settings["size_factors"][arm]
counts, names, kept, design, excluded = diffexp.prepare(
    snakemake.input.counts,
    samples,
    snakemake.input.qc_gate,
    settings["design"],
    contrasts,
    settings["min_total_count"],
)
print(
    f"{arm}: {counts.shape[0]} features x {counts.shape[1]} samples after the QC gate and "
    f"pre-filter; design {design}; size factors '{size_factors}'; excluded: "
    f"{excluded['sample'].tolist() or 'none'}",
    file=sys.stderr,
)

if snakemake.rule == "diffexp_arm":
    metadata = diffexp.sample_metadata(kept, design, contrasts)
    normalised, vst, size = diffexp.normalise_and_vst(
        counts, metadata, design, size_factors=size_factors, n_cpus=threads
    )
    for frame, path in ((normalised, snakemake.output.normalized), (vst, snakemake.output.vst)):
        table = frame.rename_axis("feature").reset_index()
        if names is not None:
            table.insert(1, "name", names.reindex(frame.index).fillna("").to_numpy())
        write_tsv_atomic(table, path)
    write_tsv_atomic(size.rename_axis("sample").reset_index(), snakemake.output.size_factors)
    write_tsv_atomic(excluded, snakemake.output.excluded)
    de_plots.pca(vst, kept, snakemake.output.pca, f"{arm}: {len(kept)} samples")
    de_plots.sample_distances(vst, snakemake.output.distances, f"{arm}: {len(kept)} samples")
else:
    contrast = snakemake.wildcards.contrast
    results = diffexp.run_contrast(
        counts,
        kept,
        design,
        contrasts,
        contrast,
        size_factors=size_factors,
        alpha=settings["padj_threshold"],
        lfc_threshold=settings["lfc_threshold"],
        shrink=settings["lfc_shrink"],
        n_cpus=threads,
    )
    table = diffexp.results_table(results, names)
    write_tsv_atomic(table, snakemake.output.table)
    print(f"{contrast}: {int(table['significant'].sum())} significant features", file=sys.stderr)
    vst = pd.read_csv(snakemake.input.vst, sep="\t", index_col="feature")
    vst = vst.drop(columns=["name"], errors="ignore")
    title = f"{arm}: {contrast} ({' vs '.join(contrasts[contrast][1:]) or contrasts[contrast][0]})"
    de_plots.volcano(
        table,
        snakemake.output.volcano,
        title,
        settings["padj_threshold"],
        settings["lfc_threshold"],
    )
    de_plots.ma_plot(table, snakemake.output.ma, title)
    de_plots.top_features_heatmap(
        table, vst, snakemake.output.heatmap, title, settings["top_features_heatmap"]
    )
