"""Mapping/assignment rates per sample (table and plot) and the QC gate for DE."""

import sys

import pandas as pd
from esccrt.io import write_tsv_atomic
from esccrt.mrna.align import parse_aligner_log
from esccrt.mrna.qc import plot_qc_rates, qc_gate, qc_rates
from esccrt.mrna.trim import parse_cutadapt_json

sys.stderr = open(snakemake.log[0], "w")

summary = pd.read_csv(snakemake.input.summary, sep="\t", dtype={"sample": str})
per_sample: dict[str, list[float]] = {}
for (sample, _unit), path in zip(
    map(tuple, snakemake.params.unit_keys), snakemake.input.aligner_logs, strict=True
):
    rate = parse_aligner_log(path, snakemake.params.aligner)
    if rate is not None:
        per_sample.setdefault(sample, []).append(rate)
aligner_rates = {s: sum(r) / len(r) for s, r in per_sample.items()}
trimming: dict[str, tuple[int, int]] = {}
for (sample, _unit), path in zip(
    map(tuple, snakemake.params.unit_keys), snakemake.input.cutadapt, strict=True
):
    n_in, n_out = parse_cutadapt_json(path)
    before = trimming.get(sample, (0, 0))
    trimming[sample] = (before[0] + n_in, before[1] + n_out)
rates = qc_rates(summary, aligner_rates, trimming)
gate = qc_gate(
    rates, snakemake.params.qc["min_assigned_reads"], snakemake.params.qc["min_assignment_rate"]
)
write_tsv_atomic(rates, snakemake.output.rates)
plot_qc_rates(rates, snakemake.output.plot, snakemake.params.qc["min_assignment_rate"])
write_tsv_atomic(gate, snakemake.output.gate)
