"""Like-for-like sections: the workflow's own rules (through Snakemake) vs the alternatives.

Each section runs, in turns and on the same pinned cores (1, then 2, in every turn), the
project's rules in a bench folder (bench/rules.py) and the tool a user would run instead;
checks that both produced the same result (bench/agreement.py) before any ratio is made; and
reports medians of the runs and the median of the turns' ratios (alternative / project).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import agreement
import harness
import inputs
import pandas as pd
import rules
import yaml
from esccrt import paths
from harness import Row, fmt_mb, fmt_seconds
from rules import SAMPLE, UNIT
from settings import Settings

REPO = rules.REPO
SCHEMAS = REPO / "workflow" / "schemas"


def schema_default(schema: str, *keys: str):
    """The default of a setting in a workflow schema (e.g. smallrna min_length)."""
    node = yaml.safe_load((SCHEMAS / schema).read_text())
    for key in keys:
        node = node["properties"][key]
    return node["default"]


def _measure_alternative(command: Sequence[str], cores: int, log: Path, cwd: Path):
    """One run of the alternative, pinned to ``cores`` CPUs, under GNU time."""
    return harness.measure(harness.pinned(command, cores), cwd=cwd, env=rules.env(cores), log=log)


def _prepare(folder: Path, targets: Sequence[str], cores: int, log: Path, extra=()) -> None:
    """The untimed first run: builds the references, warms caches (numba, page cache)."""
    harness.measure(
        rules.snakemake_command(cores, targets, extra=extra),
        cwd=folder,
        env=rules.env(cores),
        log=log,
    )


def companion_units(fastqs: Sequence[Path], work: Path, reads: int, unit: dict) -> list[dict]:
    """Units of the tiny companion samples: the first reads of ``fastqs`` (one per mate), a
    different number for each companion (the sheet check refuses one file in two units)."""
    units = []
    for k, sample in enumerate(rules.COMPANIONS):
        files = [
            inputs.head_fastq(fq, work / f"{sample}_R{mate}.fastq.gz", reads + k)
            for mate, fq in enumerate(fastqs, start=1)
        ]
        units.append(
            {
                "sample": sample,
                "fq1": str(files[0]),
                "fq2": str(files[1]) if len(files) > 1 else "",
                **unit,
            }
        )
    return units


def _series_summary(label: str, values: Sequence[float]) -> dict:
    return {"label": label, "runs": list(values), "median": harness.median(values)}


def _cores_label(cores: int) -> str:
    return "1 core" if cores == 1 else f"{cores} cores"


def _timing_rows(
    stage: str,
    size: str,
    alternative_name: str,
    runs: dict,
    note: str,
) -> tuple[list[Row], dict]:
    """One row per core count from the turns in ``runs``: {cores: {"project": [RuleRun],
    "alternative": [Measurement]}}; the raw numbers."""
    rows, raw = [], {}
    for cores, sides in runs.items():
        project_wall = [r.rules.seconds for r in sides["project"]]
        project_cpu = [r.rules.cpu_seconds for r in sides["project"]]
        command_wall = [r.command.seconds for r in sides["project"]]
        command_cpu = [r.command.cpu_seconds or 0.0 for r in sides["project"]]
        alt_wall = [m.seconds for m in sides["alternative"]]
        alt_cpu = [m.cpu_seconds or 0.0 for m in sides["alternative"]]
        ratios = harness.turn_ratios(project_wall, alt_wall)
        wall, alt = harness.median(project_wall), harness.median(alt_wall)
        jobs = len(sides["project"][-1].rules.jobs)
        peak = max(r.rules.peak_mb for r in sides["project"])
        alt_peak = max(m.peak_mb for m in sides["alternative"])
        rows.append(
            Row(
                f"{stage}, {_cores_label(cores)}",
                size,
                f"{fmt_seconds(wall)} (sum of {jobs} jobs' benchmark files; CPU between "
                f"{fmt_seconds(harness.median(project_cpu))}, Snakemake's samples, and "
                f"{fmt_seconds(harness.median(command_cpu))}, the whole command)",
                f"{alternative_name.format(cores=cores)}: {fmt_seconds(alt)} "
                f"({fmt_seconds(harness.median(alt_cpu))} CPU)",
                harness.turns_text(ratios),
                f"{fmt_mb(peak)} / {fmt_mb(alt_peak)}",
                f"project {wall / alt:.2f}x the alternative's time; whole snakemake command "
                f"(start-up, DAG build, jobs) {fmt_seconds(harness.median(command_wall))} wall; "
                "median of "
                f"{len(project_wall)} runs per side, in turns; {note}",
            )
        )
        raw[str(cores)] = {
            "project_wall": _series_summary("sum of benchmark s", project_wall),
            "project_cpu": _series_summary("sum of benchmark cpu_time", project_cpu),
            "project_command_wall": _series_summary("snakemake command", command_wall),
            "project_command_cpu": _series_summary("snakemake command CPU", command_cpu),
            "alternative_wall": _series_summary(alternative_name, alt_wall),
            "alternative_cpu": _series_summary(alternative_name + " CPU", alt_cpu),
            "turn_ratios": ratios,
            "jobs": sides["project"][-1].rules.jobs,
        }
    return rows, raw


def _in_turns(s: Settings, project, alternative) -> dict:
    """``reps`` turns; in each, for every core count, the project then the alternative."""
    runs = {cores: {"project": [], "alternative": []} for cores in s.cores}
    for _ in range(max(1, s.reps)):
        for cores in s.cores:
            runs[cores]["project"].append(project(cores))
            runs[cores]["alternative"].append(alternative(cores))
    return runs


# --------------------------------------------------------------------------- small RNA

#: The small-RNA sample's jobs (benchmark files), with the schema's default of no RNA classes.
SMALLRNA_JOBS = {
    f"smallrna/trim/{SAMPLE}_{UNIT}.tsv",
    f"smallrna/collapse/{SAMPLE}.tsv",
    f"smallrna/align/{SAMPLE}.tsv",  # bowtie to mature, then hairpin, in one job
    f"smallrna/count/{SAMPLE}.tsv",
}


def with_option_values(args: Sequence[str], replaced: dict[str, str]) -> list[str]:
    """``args`` with the value that follows each option of ``replaced`` swapped for its value
    there (the alternative runs cutadapt as the rule did, writing its own files and cores)."""
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in replaced:
            out += [arg, replaced[arg]]
            skip = True
        else:
            out.append(arg)
    return out


def cutadapt_command(
    project_args: Sequence[str], cores: int, output: str, report: str, window: tuple[int, int]
) -> list[str]:
    """cutadapt with the adapter and trimming options the rule used (from its JSON report's
    ``command_line_arguments``, whose last one is the input), on ``cores`` cores, writing
    ``output`` and ``report``, and keeping the inserts in ``window`` as the project does
    (``-m``/``-M``)."""
    replaced = {"--cores": str(cores), "-j": str(cores), "--json": report, "-o": output}
    *options, reads = project_args
    window_args = ["-m", str(window[0]), "-M", str(window[1])]
    return ["cutadapt", *with_option_values(options, replaced), *window_args, reads]


@dataclass(frozen=True)
class BenchFolder:
    """A prepared bench folder (references built, caches warm): its timed targets, the runs'
    log, and the input and reference it was made from."""

    folder: Path
    targets: list[str]
    log: Path
    work: Path
    reference: str = ""  # what the references are (small RNA)
    gtf: Path | None = None  # the annotation (mRNA)
    size: int = 0  # reads (small RNA) or read pairs (mRNA)


def smallrna_folder(s: Settings) -> BenchFolder:
    """The small-RNA bench folder: the serum-like sample (``s.smallrna_reads`` reads) and its
    companions, the references built by an untimed first run."""
    work = s.work / "smallrna"
    n = s.smallrna_reads
    fastq = work / f"serum_{n}.fastq.gz"
    if not fastq.exists():
        inputs.simulate_serum_reads(n, fastq)
    mature, hairpin, reference = inputs.mirna_sources()
    folder = work / "run"
    rules.write_folder(
        folder,
        "smallrna",
        {"mature": str(mature), "hairpin": str(hairpin)},
        [
            {"sample": SAMPLE, "unit": UNIT, "fq1": str(fastq), "protocol": "illumina"},
            *companion_units(
                [fastq], work, s.companion_reads, {"unit": UNIT, "protocol": "illumina"}
            ),
        ],
    )
    targets = [
        paths.fill(paths.SMALLRNA_SAMPLE_COUNTS, sample=SAMPLE),
        paths.fill(paths.SMALLRNA_SAMPLE_MIRGFF, sample=SAMPLE),
    ]
    log = work / "runs.log"
    _prepare(folder, targets, max(s.cores), log)
    return BenchFolder(folder, targets, log, work, reference=reference, size=n)


def smallrna_cutadapt_args(folder: Path) -> list[str]:
    """cutadapt's arguments as the sample's trimming rule used them (its JSON report)."""
    report = folder / paths.fill(paths.SMALLRNA_CUTADAPT_JSON, sample=SAMPLE, unit=UNIT)
    return json.loads(report.read_text())["command_line_arguments"]


def smallrna_window() -> tuple[int, int]:
    """The insert length window of the schema's defaults (cutadapt's ``-m``/``-M``)."""
    return (
        schema_default("smallrna.schema.yaml", "min_length"),
        schema_default("smallrna.schema.yaml", "max_length"),
    )


def smallrna(s: Settings) -> tuple[list[Row], dict]:
    """The small-RNA sample's rules (raw FASTQ -> miRNA counts and mirGFF3) vs cutadapt alone."""
    bench = smallrna_folder(s)
    folder, targets, log, work, n = bench.folder, bench.targets, bench.log, bench.work, bench.size
    reference = bench.reference
    project_json = folder / paths.fill(paths.SMALLRNA_CUTADAPT_JSON, sample=SAMPLE, unit=UNIT)
    window = smallrna_window()
    alt_out, alt_json = work / "cutadapt_alone.fa", work / "cutadapt_alone.json"
    project_args = smallrna_cutadapt_args(folder)

    def project(cores: int) -> rules.RuleRun:
        run = rules.run_rules(folder, cores, targets, log=log, forcerun=["smallrna_trim"])
        rules.check_jobs(run.rules, SMALLRNA_JOBS)
        return run

    def alternative(cores: int) -> harness.Measurement:
        command = cutadapt_command(project_args, cores, str(alt_out), str(alt_json), window)
        return _measure_alternative(command, cores, log, folder)

    runs = _in_turns(s, project, alternative)
    # Equal results first: no ratio of two runs that did different work.
    trim = json.loads(
        (folder / paths.fill(paths.SMALLRNA_TRIM_REPORT, sample=SAMPLE, unit=UNIT)).read_text()
    )
    collapse = json.loads(
        (folder / paths.fill(paths.SMALLRNA_COLLAPSE_STATS, sample=SAMPLE)).read_text()
    )
    compared = agreement.smallrna_trimming(
        trim, collapse, json.loads(project_json.read_text()), json.loads(alt_json.read_text())
    )
    alt_out.unlink(missing_ok=True)
    distinct = f"{collapse['unique']:,} distinct of {collapse['kept']:,} inserts in the window"
    rows, raw = _timing_rows(
        "small RNA, FASTQ -> miRNA counts: the sample's rules (trim, collapse, align: bowtie "
        "mature and hairpin, count) via Snakemake",
        f"{n:,} serum-like reads; {distinct} ({collapse['unique'] / collapse['kept']:.0%})",
        "cutadapt -j {cores} alone (-m/-M window)",
        runs,
        "trimming equal to cutadapt's (asserted): reads in, with adapter, below/in/above the "
        f"{window[0]}-{window[1]} nt window, quality-trimmed bases, removed adapter lengths; "
        "config: the schemas' defaults (3' non-templated tails up to "
        f"{schema_default('smallrna.schema.yaml', 'non_templated_3p', 'max_length')} nt, "
        f"RNA classes {schema_default('smallrna.schema.yaml', 'rna_classes') or 'none'}); "
        f"reference: {reference}",
    )
    raw.update(
        reads=n,
        agreement=compared,
        collapse={k: collapse[k] for k in ("kept", "unique")},
        model=asdict(inputs.SerumModel()),
        reference=reference,
        alternative_command=shlex.join(
            cutadapt_command(project_args, 1, str(alt_out), str(alt_json), window)
        ),
    )
    return rows, raw


# --------------------------------------------------------------------------- mRNA

#: The mRNA unit's jobs (benchmark files) up to its gene counts.
MRNA_JOBS = {
    f"mrna/cutadapt/{SAMPLE}.{UNIT}.tsv",
    f"mrna/hisat2/{SAMPLE}.{UNIT}.tsv",
    f"mrna/index_bam/hisat2.{SAMPLE}.{UNIT}.tsv",
    f"mrna/strandedness/{SAMPLE}.{UNIT}.tsv",
    f"mrna/count/{SAMPLE}.{UNIT}.tsv",
}
MRNA_COUNT_JOB = f"mrna/count/{SAMPLE}.{UNIT}.tsv"
#: featureCounts options closest to htseq-count's union mode on reverse-stranded pairs.
FEATURECOUNTS_OPTIONS = ["-p", "--countReadPairs", "-B", "-C", "-s", "2", "-t", "exon"]
#: htseq-count with the project's counting settings (the schema's defaults), the reference.
HTSEQ_OPTIONS = [
    *("-f", "bam", "-r", "pos", "-s", "reverse", "-t", "exon", "-i", "gene_id"),
    *("-m", "union", "--nonunique", "none", "-a", "10"),
    *("--secondary-alignments", "ignore", "--supplementary-alignments", "ignore"),
]


def mrna_alternative_script(
    cutadapt: Sequence[str], index: str, gtf: str, out: Path, cores: int
) -> tuple[list[str], list[str]]:
    """(trim + align + sort + index as one bash command, featureCounts) of the alternative,
    with the rules' options: cutadapt's arguments as the rule ran them, HISAT2 and samtools as
    the rule calls them."""
    trimmed = [str(out / "reads_1.fastq.gz"), str(out / "reads_2.fastq.gz")]
    replaced = {"--cores": str(cores), "--json": str(out / "cutadapt.json"), "-o": trimmed[0]}
    replaced["-p"] = trimmed[1]
    args = with_option_values(cutadapt, replaced)
    hisat2 = ["hisat2", "-p", str(cores), "-x", index, "--new-summary", "-1", trimmed[0]]
    hisat2 += ["-2", trimmed[1], "--summary-file", str(out / "hisat2.txt")]
    bam = str(out / "aligned.bam")
    sort = ["samtools", "sort", "-@", str(cores - 1), "-m", "768M", "-T", str(out / "sort")]
    script = (
        f"set -euo pipefail; rm -rf {shlex.quote(str(out))}; mkdir -p {shlex.quote(str(out))}; "
        f"{shlex.join(['cutadapt', *args])} > {shlex.quote(str(out / 'cutadapt.txt'))}; "
        f"{shlex.join(hisat2)} | {shlex.join([*sort, '-o', bam, '-'])}; "
        f"samtools index {shlex.quote(bam)}"
    )
    featurecounts = ["featureCounts", "-T", str(cores), *FEATURECOUNTS_OPTIONS, "-a", gtf]
    featurecounts += ["-o", str(out / "featurecounts.txt"), bam]
    return ["bash", "-c", script], featurecounts


def read_htseq(path: Path) -> pd.Series:
    """Gene (and __ counter) -> count of an htseq-count style table (count in the last column)."""
    table = pd.read_csv(path, sep="\t", header=None, keep_default_na=False)
    return pd.Series(table.iloc[:, -1].to_numpy(), index=table.iloc[:, 0]).astype(int)


def read_featurecounts(path: Path) -> pd.Series:
    """Gene -> count of a featureCounts table."""
    table = pd.read_csv(path, sep="\t", comment="#", index_col=0)
    return table.iloc[:, -1].astype(int)


def mrna_folder(s: Settings) -> BenchFolder:
    """The mRNA bench folder: the simulated unit (``s.mrna_pairs`` read pairs) and its
    companions, the references (HISAT2 index) built by an untimed first run."""
    work = s.work / "mrna"
    fq1, fq2, genome, gtf, pairs = inputs.mrna_reads(work, s.mrna_pairs)
    unit = {"unit": UNIT, "protocol": "truseq", "strandedness": "reverse"}
    folder = work / "run"
    rules.write_folder(
        folder,
        "mrna",
        {"genome": {"source": str(genome)}, "annotation": {"source": str(gtf)}},
        [
            {"sample": SAMPLE, "fq1": str(fq1), "fq2": str(fq2), **unit},
            *companion_units([fq1, fq2], work, s.companion_reads, unit),
        ],
    )
    counts_path = folder / paths.fill(paths.MRNA_UNIT_COUNTS, sample=SAMPLE, unit=UNIT)
    targets = [str(counts_path.relative_to(folder))]
    log = work / "runs.log"
    _prepare(folder, targets, max(s.cores), log)
    return BenchFolder(folder, targets, log, work, gtf=gtf, size=pairs)


def mrna(s: Settings) -> tuple[list[Row], dict]:
    """The mRNA unit's rules (FASTQ pairs -> gene counts) vs cutadapt + HISAT2 + samtools +
    featureCounts; and the counting rule alone vs featureCounts on the same BAM."""
    bench = mrna_folder(s)
    folder, targets, log, work, gtf = bench.folder, bench.targets, bench.log, bench.work, bench.gtf
    pairs = bench.size
    counts_path = folder / targets[0]
    project_json = folder / paths.fill(paths.MRNA_CUTADAPT_JSON, sample=SAMPLE, unit=UNIT)
    cutadapt_args = json.loads(project_json.read_text())["command_line_arguments"]
    index = str(folder / paths.MRNA_HISAT2_INDEX)
    alt_dir = work / "alternative"
    featurecounts_runs: dict[int, list[harness.Measurement]] = {c: [] for c in s.cores}

    def project(cores: int) -> rules.RuleRun:
        run = rules.run_rules(folder, cores, targets, log=log, forcerun=["mrna_cutadapt"])
        rules.check_jobs(run.rules, MRNA_JOBS)
        return run

    def alternative(cores: int) -> harness.Measurement:
        pipeline, featurecounts = mrna_alternative_script(
            cutadapt_args, index, str(gtf), alt_dir, cores
        )
        first = _measure_alternative(pipeline, cores, log, folder)
        counted = _measure_alternative(featurecounts, cores, log, folder)
        featurecounts_runs[cores].append(counted)
        return harness.Measurement(
            first.seconds + counted.seconds,
            max(first.peak_mb, counted.peak_mb),
            (first.cpu_seconds or 0.0) + (counted.cpu_seconds or 0.0),
        )

    runs = _in_turns(s, project, alternative)
    # Equal results first. The reference counts: htseq-count on the project's BAM (untimed).
    bam = folder / paths.fill(paths.MRNA_BAM, aligner="hisat2", sample=SAMPLE, unit=UNIT)
    htseq_out = work / "htseq.txt"
    with open(htseq_out, "w") as handle:
        subprocess.run(
            ["htseq-count", *HTSEQ_OPTIONS, str(bam), str(gtf)],
            stdout=handle,
            stderr=subprocess.DEVNULL,
            check=True,
            env=rules.env(1),
        )
    ours = read_htseq(counts_path)
    agreement.identical_counts(ours, read_htseq(htseq_out), "mRNA counts vs htseq-count")
    project_report = json.loads(project_json.read_text())["read_counts"]
    alt_report = json.loads((alt_dir / "cutadapt.json").read_text())["read_counts"]
    agreement.require_equal(
        {key: (project_report[key], alt_report[key]) for key in ("input", "output")},
        "mRNA trimming (rule vs cutadapt)",
    )
    # featureCounts counts these simulated pairs exactly as htseq-count does (measured at 20,000
    # and 200,000 pairs: every gene equal), so its gene counts must be identical too.
    agreement.identical_counts(
        agreement.genes_only(ours),
        read_featurecounts(alt_dir / "featurecounts.txt"),
        "mRNA gene counts vs featureCounts",
    )
    size = f"{pairs:,} read pairs (simulated, demo genome and annotation)"
    rows, raw = _timing_rows(
        "mRNA, FASTQ pairs -> gene counts: the unit's rules (cutadapt, HISAT2, BAM index, "
        "strandedness, count) via Snakemake",
        size,
        "cutadapt + HISAT2 | samtools sort + samtools index + featureCounts -T {cores}",
        runs,
        "counts identical to htseq-count's on the rule's BAM, gene by gene and __ counters, "
        "and gene counts identical to featureCounts' on the alternative's BAM (asserted); "
        "trimmed pairs equal (asserted)",
    )
    for cores in s.cores:  # the counting step alone, from the same runs
        ours_count = [r.rules.jobs[MRNA_COUNT_JOB] for r in runs[cores]["project"]]
        theirs = [m.seconds for m in featurecounts_runs[cores]]
        rows.append(
            Row(
                f"mRNA counting rule (mrna_count) vs featureCounts, {_cores_label(cores)}",
                size,
                f"{fmt_seconds(harness.median(ours_count))} (its benchmark file)",
                f"featureCounts -T {cores}: {fmt_seconds(harness.median(theirs))}",
                harness.turns_text(harness.turn_ratios(ours_count, theirs)),
                note="from the runs above; both include start-up and reading the GTF",
            )
        )
        raw[str(cores)]["count_rule"] = ours_count
        raw[str(cores)]["featurecounts"] = theirs
    raw.update(pairs=pairs)
    return rows, raw


# --------------------------------------------------------------------------- DE

DESEQ2_R = r"""
suppressPackageStartupMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
threads <- as.integer(args[5])
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
samples <- read.delim(args[2], row.names = 1)
samples$condition <- factor(samples$condition, levels = c("control", "treated"))
counts <- counts[rowSums(counts) >= as.integer(args[4]), colnames(counts) %in% rownames(samples)]
dds <- DESeqDataSetFromMatrix(counts, samples[colnames(counts), , drop = FALSE], ~condition)
if (threads > 1) {
  suppressPackageStartupMessages(library(BiocParallel))
  dds <- DESeq(dds, quiet = TRUE, parallel = TRUE, BPPARAM = MulticoreParam(threads))
} else {
  dds <- DESeq(dds, quiet = TRUE)
}
res <- results(dds, contrast = c("condition", "treated", "control"), alpha = 0.05)
out <- data.frame(feature = rownames(res), as.data.frame(res))
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
"""

CONTRAST = "treated_vs_control"
#: About twice the largest difference measured (rule vs R 4.2.2, DESeq2 1.38.3, 2026-12-06):
#: log2FC 1.8e-5 (20,000 x 12; 3.7e-6 at 60,000 x 48, 6.6e-6 at 1,000 x 6), Wald stat
#: 9.9e-6 of max(|R's|, 1) (60,000 x 48; 6.5e-7 at 20,000 x 12); calls: none differ.
DE_TOLERANCE = agreement.DETolerance(lfc_abs=4e-5, stat_rel=2e-5, alpha=0.05)


def _de_folder(folder: Path, counts: Path, samples: Path, genome: Path, gtf: Path) -> None:
    """A bench folder whose mRNA arm starts at its count matrix (passed QC gate): the DE rules
    read it as a source file (``--allowed-rules``); units name tiny placeholder FASTQs."""
    sheet = pd.read_csv(samples, sep="\t")
    reads = folder / "reads"
    reads.mkdir(parents=True, exist_ok=True)
    units = []
    for sample in sheet["sample"]:
        files = {}
        for mate in ("fq1", "fq2"):
            path = reads / f"{sample}_{mate}.fastq.gz"
            path.write_bytes(b"")
            files[mate] = str(path)
        units.append({"sample": sample, "unit": UNIT, "protocol": "truseq", **files})
    diffexp = {
        **rules.base_config()["diffexp"],
        "design": "~condition",
        "contrasts": {CONTRAST: ["condition", "treated", "control"]},
        # R's DESeq() + results() do not shrink: neither does the rule here.
        "lfc_shrink": False,
    }
    rules.write_folder(
        folder,
        "mrna",
        {"genome": {"source": str(genome)}, "annotation": {"source": str(gtf)}},
        units,
        {"diffexp": diffexp},
    )
    # the sheet's conditions as simulated (write_folder's default is one reference sample)
    sheet.assign(library_type="mrna", batch="b1").to_csv(
        folder / "config" / "samples.tsv", sep="\t", index=False
    )
    results = folder / paths.fill(paths.ARM_COUNTS, arm="mrna")
    results.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(counts, results)
    pd.DataFrame({"sample": sheet["sample"], "passed": True, "reason": ""}).to_csv(
        folder / paths.fill(paths.ARM_QC_GATE, arm="mrna"), sep="\t", index=False
    )


def diffexp(s: Settings) -> tuple[list[Row], dict]:
    """The DE rule (diffexp_contrast: pydeseq2, Wald test) vs R DESeq2, same cores."""
    work = s.work / "de"
    work.mkdir(parents=True, exist_ok=True)
    if not shutil.which("Rscript") or not r_has("DESeq2"):
        raise RuntimeError("R with DESeq2 is needed for the DE comparison: run `make test-tools`")
    (work / "deseq2.R").write_text(DESEQ2_R)
    rows, raw = [], {}
    for n_genes, n_samples in s.de_sizes:
        size_rows, raw[f"{n_genes}x{n_samples}"] = _diffexp_size(s, work, n_genes, n_samples)
        rows += size_rows
    return rows, raw


def _diffexp_size(s: Settings, work: Path, n_genes: int, n_samples: int) -> tuple[list[Row], dict]:
    """:func:`diffexp` at one size: simulated counts, the rule and R in turns, agreement."""
    log = work / "runs.log"
    counts, samples = inputs.de_counts(work, n_genes, n_samples)
    key = f"{n_genes}x{n_samples}"
    folder = work / f"run_{key}"
    demo = REPO / "resources" / "demo" / "mrna"
    _de_folder(folder, counts, samples, demo / "genome.fa", demo / "genes.gtf")
    table = paths.fill(paths.DIFFEXP_TABLE, arm="mrna", contrast=CONTRAST)
    allowed = ["--allowed-rules", "diffexp_arm", "diffexp_contrast"]
    _prepare(folder, [table], max(s.cores), log, extra=allowed)
    r_out = work / f"deseq2_{key}.tsv"
    min_count = str(rules.base_config()["diffexp"].get("min_total_count", 10))
    r_command = [shutil.which("Rscript") or "Rscript", str(work / "deseq2.R"), str(counts)]
    r_command += [str(samples), str(r_out), min_count]

    def project(cores: int) -> rules.RuleRun:
        run = rules.run_rules(
            folder, cores, [table], log=log, forcerun=["diffexp_contrast"], extra=allowed
        )
        rules.check_jobs(run.rules, {f"diffexp/mrna_{CONTRAST}.tsv"})
        return run

    def alternative(cores: int) -> harness.Measurement:
        return _measure_alternative([*r_command, str(cores)], cores, log, work)

    runs = _in_turns(s, project, alternative)
    ours = pd.read_csv(folder / table, sep="\t", index_col="feature")
    theirs = pd.read_csv(r_out, sep="\t", index_col="feature")
    measured = agreement.de_results(ours, theirs, DE_TOLERANCE)
    rows, raw = _timing_rows(
        "DE: the rule diffexp_contrast (pydeseq2, ~condition, Wald, no shrinkage) via Snakemake",
        f"{n_genes:,} genes x {n_samples} samples ({measured['features']:,} after the pre-filter)",
        "R DESeq2 (DESeq + results, BiocParallel {cores})",
        runs,
        f"R and the rule agree (asserted): log2FC within {measured['max_lfc_abs']:.1e} "
        f"(allowed {DE_TOLERANCE.lfc_abs:.0e}), Wald stat within "
        f"{measured['max_stat_rel']:.1e} of max(|R's|, 1) (allowed "
        f"{DE_TOLERANCE.stat_rel:.0e}), NaN on the same features, padj < "
        f"{DE_TOLERANCE.alpha} calls equal for every feature ({measured['significant']:,} "
        "significant); the rule also draws its volcano, MA and heatmap plots, R does not",
    )
    return rows, {**raw, "agreement": measured}


def r_has(package: str) -> bool:
    """Whether R can load ``package``."""
    done = subprocess.run(
        ["Rscript", "-e", f"quit(status = !requireNamespace('{package}', quietly = TRUE))"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0
