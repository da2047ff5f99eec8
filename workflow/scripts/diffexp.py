"""Differential expression of one arm: rule diffexp_arm (normalised counts, VST, sample plots)
or rule diffexp_contrast (one contrast's table and plots); see workflow/rules/diffexp.smk."""

import sys

import pandas as pd
from esccrt.de import plots
from esccrt.de.design import sample_metadata
from esccrt.de.inputs import prepare
from esccrt.de.model import run_contrast
from esccrt.de.settings import DESettings
from esccrt.de.tables import feature_table, results_table
from esccrt.de.transform import normalise_and_vst
from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.sheets import load_samples

script_log(snakemake.log[0])

settings = DESettings.from_config(snakemake.params.settings)
arm = snakemake.params.arm
threads = int(snakemake.threads)

samples = load_samples(snakemake.input.samples)
samples = samples[samples["library_type"] == arm]
contrasts = settings.contrasts
size_factors = settings.size_factors
counts, names, kept, design, excluded = prepare(
    snakemake.input.counts,
    samples,
    snakemake.input.qc_gate,
    settings.design,
    contrasts,
    settings.min_total_count,
    {"design": settings.design_key, "contrasts": settings.contrasts_key},
)
print(
    f"{arm}: {counts.shape[0]} features x {counts.shape[1]} samples after the QC gate and "
    f"pre-filter; design {design}; size factors '{size_factors}'; excluded: "
    f"{excluded['sample'].tolist() or 'none'}",
    file=sys.stderr,
)

if snakemake.rule == "diffexp_arm":
    metadata = sample_metadata(kept, design, contrasts)
    normalised, vst, size = normalise_and_vst(
        counts, metadata, design, size_factors=size_factors, n_cpus=threads
    )
    for frame, path in ((normalised, snakemake.output.normalized), (vst, snakemake.output.vst)):
        write_tsv_atomic(feature_table(frame, names), path)
    write_tsv_atomic(size.rename_axis("sample").reset_index(), snakemake.output.size_factors)
    write_tsv_atomic(excluded, snakemake.output.excluded)
    plots.pca(vst, kept, snakemake.output.pca, f"{arm}: {len(kept)} samples")
    plots.sample_distances(vst, snakemake.output.distances, f"{arm}: {len(kept)} samples")
else:
    contrast = snakemake.wildcards.contrast
    results = run_contrast(
        counts,
        kept,
        design,
        contrasts,
        contrast,
        size_factors=size_factors,
        alpha=settings.padj_threshold,
        lfc_threshold=settings.lfc_threshold,
        shrink=settings.lfc_shrink,
        n_cpus=threads,
    )
    table = results_table(results, names)
    write_tsv_atomic(table, snakemake.output.table)
    print(f"{contrast}: {int(table['significant'].sum())} significant features", file=sys.stderr)
    vst = pd.read_csv(snakemake.input.vst, sep="\t", index_col="feature")
    vst = vst.drop(columns=["name"], errors="ignore")
    title = f"{arm}: {contrast} ({' vs '.join(contrasts[contrast][1:]) or contrasts[contrast][0]})"
    plots.volcano(
        table,
        snakemake.output.volcano,
        title,
        settings.padj_threshold,
        settings.lfc_threshold,
    )
    plots.ma_plot(table, snakemake.output.ma, title)
    plots.top_features_heatmap(
        table, vst, snakemake.output.heatmap, title, n_top=settings.top_features_heatmap
    )
