"""Rule script: the join of sequencing DE with qPCR survival -> results/integrate/ (rule integrate).

Each output is declared only when its inputs exist (see workflow/rules/integrate.smk): the
evidence table with the small-RNA and qPCR arms, the candidates' targets when a miRNA-target
table is configured as well, the M2 marker table and plots with the mRNA arm.
"""

import sys

from esccrt.integrate import (
    JoinSettings,
    candidate_mirnas,
    candidate_targets,
    marker_panel,
    marker_plot,
    marker_table,
    mirna_evidence,
    read_mirna_targets,
    read_table,
)
from esccrt.io import write_tsv_atomic

sys.stderr = open(snakemake.log[0], "w")

config = snakemake.config
given, out = snakemake.input, snakemake.output

if out.evidence:
    settings = JoinSettings.from_config(config)
    evidence = mirna_evidence(
        read_table(given.smallrna_de[0]),
        read_table(given.table1[0]),
        read_table(given.cox[0]),
        settings,
    )
    write_tsv_atomic(evidence, out.evidence[0])
    print(f"candidates: {candidate_mirnas(evidence) or 'none'}", file=sys.stderr)
    if out.targets:
        targets = candidate_targets(
            read_mirna_targets(given.mirna_targets[0]),
            candidate_mirnas(evidence),
            read_table(given.mrna_de[0]),
        )
        write_tsv_atomic(targets, out.targets[0])

if out.markers:
    # Inputs and plots follow the same contrast order (params.contrasts).
    panels = {
        contrast: marker_panel(read_table(path), config["report"]["m2_markers"])
        for contrast, path in zip(snakemake.params.contrasts, given.mrna_de, strict=True)
    }
    write_tsv_atomic(marker_table(panels), out.markers[0])
    if out.m2_plots:  # none are declared when report.m2_markers is empty
        for (contrast, panel), png in zip(panels.items(), out.m2_plots, strict=True):
            marker_plot(panel, png, f"M2 markers: {contrast}")
