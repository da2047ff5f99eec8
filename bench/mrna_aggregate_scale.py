"""Section ``mrna_aggregate_scale``: the mRNA aggregate rules at cohort scale (issue 26, items
4 and 8, for the mRNA arm).

Each size of ``s.aggregate_samples`` gets a synthetic mRNA cohort (bench/mrna_aggregate_inputs.py:
each sample's count table of 60,000 genes, strandedness row, HISAT2 summary, cutadapt report and
samtools stats; made once and cached under the bench work folder), then the entry points of
rules mrna_strandedness_table, mrna_count_matrix, mrna_qc and mrna_insert_sizes run on it as
whole processes (``python bench/mrna_aggregate_scale.py RULE FOLDER N``: imports and figures
included, the settings the schemas' defaults), each measured with GNU time (wall, peak RSS; one
run each). Before a figure is kept the count matrix is checked: every sample once, in order, and
its per-gene sums equal the sums of the per-sample tables (kept by the generator). The figures
go to the results table, to the budget row (each rule <= 2 minutes and <= 2 GB at 1,000 samples,
as issue 26 asks of the small-RNA aggregates) and to bench/aggregate_measured.tsv, which
tests/unit/test_resources.py holds the rules' requests (esccrt.resources.aggregate) to.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import aggregate_scale
import harness
import mrna_aggregate_inputs
import rules
from harness import Row, fmt_mb, fmt_seconds
from settings import Settings

#: The rules measured, in the order they run (the QC reads the count matrix's summary).
RULES = ("mrna_strandedness_table", "mrna_count_matrix", "mrna_qc", "mrna_insert_sizes")
#: What each rule's figure includes.
NOTES = {
    "mrna_strandedness_table": "1 run; every unit's strandedness row in one table",
    "mrna_count_matrix": "1 run; 60,000 genes, the per-unit tables summed per sample; matrix "
    "checked (every sample once, per-gene sums equal the tables')",
    "mrna_qc": "1 run; rates, QC gate and the rates figure (the cohort view above "
    "mrna.qc.cohort_plot_samples)",
    "mrna_insert_sizes": "1 run; per-unit summary of samtools stats and the insert size figure "
    "(the cohort view above mrna.qc.cohort_plot_samples)",
}


def _mrna_config() -> dict:
    """The validated ``mrna`` section with only its required files set: the schema's defaults."""
    from esccrt.config_check import check_config

    required = {"genome": {"source": "genome.fa"}, "annotation": {"source": "genes.gtf"}}
    return check_config(required, "mrna.schema.yaml", "mrna")


def run(rule: str, folder: Path, n: int) -> None:
    """Rule ``rule``'s entry point on the cohort of ``n`` samples in ``folder``, as its rule
    script calls it."""
    from esccrt import paths

    keys = mrna_aggregate_inputs.unit_keys(n)
    samples = [sample for sample, _unit in keys]

    def at(pattern: str, **wildcards: str) -> Path:
        path = folder / paths.fill(pattern, **wildcards)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def units(pattern: str, **wildcards: str) -> list[Path]:
        return [folder / p for p in paths.unit_paths(pattern, keys, **wildcards)]

    section = _mrna_config()
    if rule == "mrna_strandedness_table":
        from esccrt.mrna.stage import strandedness_table

        strandedness_table(units(paths.MRNA_UNIT_STRANDEDNESS), at(paths.MRNA_STRANDEDNESS))
    elif rule == "mrna_count_matrix":
        from esccrt.mrna.matrix import write_count_matrix

        tables = dict(zip(keys, units(paths.MRNA_UNIT_COUNTS), strict=True))
        counts = at(paths.ARM_COUNTS, arm="mrna")
        write_count_matrix(tables, samples, counts, at(paths.MRNA_COUNT_SUMMARY))
    elif rule == "mrna_qc":
        from esccrt.mrna.settings import QcSettings
        from esccrt.mrna.stage import QcInputs, QcOutputs, qc

        aligner = section["aligner"]
        inputs = QcInputs(
            summary=at(paths.MRNA_COUNT_SUMMARY),
            aligner_logs=tuple(units(paths.MRNA_ALIGNER_SUMMARY[aligner], aligner=aligner)),
            cutadapt=tuple(units(paths.MRNA_CUTADAPT_JSON)),
        )
        outputs = QcOutputs(
            rates=at(paths.MRNA_QC_RATES),
            plot=at(paths.MRNA_QC_RATES_PLOT),
            gate=at(paths.ARM_QC_GATE, arm="mrna"),
        )
        qc(QcSettings.from_config(section["qc"]), aligner, keys, inputs, outputs)
    elif rule == "mrna_insert_sizes":
        from esccrt.cohort_plots import CohortPlotSettings
        from esccrt.mrna.insert_sizes import insert_sizes

        insert_sizes(
            units(paths.SAMTOOLS_STATS),
            at(paths.MRNA_INSERT_SIZES),
            at(paths.MRNA_INSERT_SIZES_PLOT),
            CohortPlotSettings.from_config(section["qc"]),
        )
    else:
        raise ValueError(f"unknown mRNA aggregate rule {rule!r}; one of {RULES}")


def check_matrix(folder: Path, n: int) -> None:
    """Raise unless the count matrix holds every sample once, in order, and its per-gene sums
    equal the per-sample tables' sums (kept by the generator)."""
    import numpy as np
    import pandas as pd
    from esccrt import paths

    matrix = pd.read_csv(folder / paths.fill(paths.ARM_COUNTS, arm="mrna"), sep="\t")
    samples = mrna_aggregate_inputs.sample_names(n)
    if list(matrix.columns[2:]) != samples:
        raise RuntimeError(f"mRNA count matrix of {folder}: not every sample once, in order")
    sums = matrix[samples].to_numpy().sum(axis=1)
    if not np.array_equal(sums, np.load(folder / "gene_sums.npy")):
        raise RuntimeError(f"mRNA count matrix of {folder}: per-gene sums differ from the tables'")


def mrna_aggregate_scale(s: Settings) -> tuple[list[Row], dict]:
    """Wall time and peak memory of each mRNA aggregate rule at each size; the budget check."""
    work = s.work / "mrna_aggregate_scale"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    raw: dict = {}
    rows, measured = [], []
    for n in sorted(s.aggregate_samples):
        folder = work / f"cohort_{n}"
        folder.mkdir(exist_ok=True)
        mrna_aggregate_inputs.write_cohort(folder, n)
        for rule in RULES:
            command = harness.pinned([sys.executable, __file__, rule, str(folder), str(n)], 1)
            figure = harness.measure(command, env=rules.env(1), log=log)
            if rule == "mrna_count_matrix":
                check_matrix(folder, n)
            raw[f"{rule}_{n}"] = {"seconds": figure.seconds, "peak_mb": figure.peak_mb}
            measured.append(aggregate_scale.measured_record(rule, n, figure))
            rows.append(
                Row(
                    f"aggregate rule {rule} (one process, 1 core)",
                    f"{n:,} synthetic mRNA samples",
                    fmt_seconds(figure.seconds),
                    peak=fmt_mb(figure.peak_mb),
                    note=NOTES[rule],
                )
            )
    if not s.quick:  # a quick run's figures never replace the real ones
        aggregate_scale.write_measured(measured)
    largest = max(s.aggregate_samples)
    verdicts = aggregate_scale.budget_verdicts(raw, RULES, largest)
    rows.append(
        harness.budget_row(
            "mRNA aggregation budget (as issue 26 asks of the small-RNA aggregates: each rule "
            "<= 2 min, <= 2 GB at 1,000 samples)",
            f"{largest:,} synthetic mRNA samples",
            verdicts,
            s.quick,
        )
    )
    raw["budget_met"] = harness.budget_met(verdicts)
    return rows, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one mRNA aggregate rule's entry point.")
    parser.add_argument("rule", choices=RULES)
    parser.add_argument("folder", type=Path)
    parser.add_argument("samples", type=int)
    args = parser.parse_args(argv)
    run(args.rule, args.folder, args.samples)
    return 0


if __name__ == "__main__":  # run as a script from bench/, where the bench modules live
    sys.exit(main())
