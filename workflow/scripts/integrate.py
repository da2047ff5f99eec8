"""Rule script: the join of sequencing DE with qPCR survival -> results/integrate/ (rule integrate).

Each output is declared only when its inputs exist (see workflow/rules/integrate.smk): the
evidence table with the small-RNA and qPCR arms, the candidates' targets when a miRNA-target
table is configured as well, the M2 marker table and plots with the mRNA arm.
"""

import sys

from esccrt import integrate as join
from esccrt.errors import script_log
from esccrt.io import read_tsv, write_tsv_atomic

script_log(snakemake.log[0])

config = snakemake.config
given, out = snakemake.input, snakemake.output

if out.evidence:
    settings = join.JoinSettings.from_config(config)
    evidence = join.mirna_evidence(
        read_tsv(given.smallrna_de[0]),
        read_tsv(given.table1[0]),
        read_tsv(given.cox[0]),
        settings,
    )
    write_tsv_atomic(evidence, out.evidence[0])
    print(f"candidates: {join.candidate_mirnas(evidence) or 'none'}", file=sys.stderr)
    if out.targets:
        targets = join.candidate_targets(
            join.read_mirna_targets(given.mirna_targets[0]),
            join.candidate_mirnas(evidence),
            read_tsv(given.mrna_de[0]),
        )
        write_tsv_atomic(targets, out.targets[0])

if out.markers:
    # Inputs and plots follow the same contrast order (params.contrasts).
    panels = {
        contrast: join.marker_panel(read_tsv(path), config["report"]["m2_markers"])
        for contrast, path in zip(snakemake.params.contrasts, given.mrna_de, strict=True)
    }
    write_tsv_atomic(join.marker_table(panels), out.markers[0])
    if out.m2_plots:  # none are declared when report.m2_markers is empty
        for (contrast, panel), png in zip(panels.items(), out.m2_plots, strict=True):
            join.marker_plot(panel, png, f"M2 markers: {contrast}")
