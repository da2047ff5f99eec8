"""Mapping/assignment rates per sample (table and plot) and the QC gate for DE."""

import pandas as pd
from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.mrna.qc import (
    aligner_rates_per_sample,
    plot_qc_rates,
    qc_gate,
    qc_rates,
    trimming_per_sample,
)

script_log(snakemake.log[0])

summary = pd.read_csv(snakemake.input.summary, sep="\t", dtype={"sample": str})
samples = [sample for sample, _unit in snakemake.params.unit_keys]
aligner_rates = aligner_rates_per_sample(
    zip(samples, snakemake.input.aligner_logs, strict=True), snakemake.params.aligner
)
trimming = trimming_per_sample(zip(samples, snakemake.input.cutadapt, strict=True))
rates = qc_rates(summary, aligner_rates, trimming)
gate = qc_gate(
    rates, snakemake.params.qc["min_assigned_reads"], snakemake.params.qc["min_assignment_rate"]
)
write_tsv_atomic(rates, snakemake.output.rates)
plot_qc_rates(
    rates, snakemake.output.plot, min_assignment_rate=snakemake.params.qc["min_assignment_rate"]
)
write_tsv_atomic(gate, snakemake.output.gate)
