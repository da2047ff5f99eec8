"""The benchmark sections: each measures one stage against its alternative and returns rows.

A section returns ``(rows, raw)``: table rows (:class:`harness.Row`) and the raw numbers, which
run.py saves as JSON next to the table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import harness
import inputs
import numpy as np
import pandas as pd
from harness import Row, fmt_mb, fmt_seconds, rate_text, ratio_text, repeat

REPO = inputs.REPO
BENCH = REPO / "bench"
PYTHON = sys.executable
TASKS = str(BENCH / "tasks.py")
BIN = Path(sys.executable).parent


@dataclass
class Settings:
    """Sizes and repetitions (environment variables ``BENCH_*`` or run.py flags)."""

    work: Path = BENCH / "work"
    reps: int = 3
    threads: int = 2
    smallrna_sizes: list[int] = field(default_factory=lambda: [500_000, 2_000_000, 8_000_000])
    smallrna_compare: int = 2_000_000
    smallrna_redundant: int = 1_000_000
    smallrna_error_rate: float = 0.002
    mrna_pairs: int = 2_000_000
    de_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(20_000, 12), (60_000, 48)])
    workflow_samples: list[int] = field(default_factory=lambda: [6, 24, 96])
    workflow_total_samples: list[int] = field(default_factory=lambda: [6, 24])
    workflow_reps: int = 1
    workflow_reads: int = 2_000
    noop_jobs: int = 60

    @classmethod
    def from_env(cls, quick: bool = False) -> Settings:
        """Defaults (or the quick smoke-run sizes), overridden by ``BENCH_*`` variables."""
        s = cls()
        if quick:
            s.reps = 1
            s.smallrna_sizes = [50_000, 100_000, 200_000]
            s.smallrna_compare = 100_000
            s.smallrna_redundant = 100_000
            s.mrna_pairs = 100_000
            s.de_sizes = [(2_000, 6), (5_000, 12)]
            s.workflow_samples = [6, 12]
            s.workflow_total_samples = [6]
            s.workflow_reads = 1_000
            s.noop_jobs = 20
        env = os.environ
        if "BENCH_REPS" in env:
            s.reps = int(env["BENCH_REPS"])
        if "BENCH_THREADS" in env:
            s.threads = int(env["BENCH_THREADS"])
        if "BENCH_SMALLRNA_READS" in env:
            s.smallrna_sizes = [int(x) for x in env["BENCH_SMALLRNA_READS"].split(",")]
        if "BENCH_SMALLRNA_COMPARE" in env:
            s.smallrna_compare = int(env["BENCH_SMALLRNA_COMPARE"])
        if "BENCH_SMALLRNA_REDUNDANT" in env:
            s.smallrna_redundant = int(env["BENCH_SMALLRNA_REDUNDANT"])
        if "BENCH_MRNA_PAIRS" in env:
            s.mrna_pairs = int(env["BENCH_MRNA_PAIRS"])
        if "BENCH_DE_SIZES" in env:
            s.de_sizes = [
                tuple(int(v) for v in x.split("x")) for x in env["BENCH_DE_SIZES"].split(",")
            ]
        if "BENCH_WORKFLOW_SAMPLES" in env:
            s.workflow_samples = [int(x) for x in env["BENCH_WORKFLOW_SAMPLES"].split(",")]
        if "BENCH_WORKFLOW_TOTAL_SAMPLES" in env:
            s.workflow_total_samples = [
                int(x) for x in env["BENCH_WORKFLOW_TOTAL_SAMPLES"].split(",")
            ]
        if "BENCH_WORKFLOW_REPS" in env:
            s.workflow_reps = int(env["BENCH_WORKFLOW_REPS"])
        if "BENCH_WORKFLOW_READS" in env:
            s.workflow_reads = int(env["BENCH_WORKFLOW_READS"])
        return s


def _env() -> dict[str, str]:
    """Environment with the venv's bin first (cutadapt, htseq-count, snakemake)."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def _clean(path: Path):
    def clean() -> None:
        shutil.rmtree(path, ignore_errors=True)

    return clean


def _summary_dict(summary: harness.Summary) -> dict:
    return {
        "label": summary.label,
        "median_s": summary.seconds,
        "median_cpu_s": summary.cpu_seconds,
        "peak_mb": summary.peak_mb,
        "runs": [asdict(m) for m in summary.runs],
    }


# --------------------------------------------------------------------------- small RNA


def _smallrna_project(fastq: Path, out: Path, index: Path, threads: int) -> list[str]:
    """The command of the project's small-RNA arm (raw FASTQ -> counts) on ``threads`` cores."""
    return [
        *(PYTHON, TASKS, "smallrna-project", "--fastq", str(fastq)),
        *("--index-dir", str(index), "--out", str(out), "--threads", str(threads)),
    ]


def _cpu(summary: harness.Summary) -> float | None:
    """Median CPU time (user + system) of the runs, when GNU time reported it."""
    cpu = [m.cpu_seconds for m in summary.runs if m.cpu_seconds]
    return harness.median(cpu) if cpu else None


def _cpu_seconds_text(summary: harness.Summary) -> str:
    cpu = _cpu(summary)
    return f"{cpu:.1f} s CPU" if cpu else "CPU n/a"


def _smallrna_vs_cutadapt(s: Settings, work: Path, fastq: Path, index: Path, log: Path) -> dict:
    """Project arm (1 core) and ``cutadapt -j 1`` alone on the same reads, run in turns."""
    out, trimmed = work / "project_compare", work / "cutadapt_alone.fastq"
    cutadapt = [str(BIN / "cutadapt"), "-j", "1", "-a", "TGGAATTCTCGGGTGCCAAGG", "-e", "0.1"]
    cutadapt += ["-q", "20", "-O", "3", "-o", str(trimmed), str(fastq)]
    project, alone = harness.Summary("project, 1 core"), harness.Summary("cutadapt -j 1")
    for _ in range(max(1, s.reps)):  # in turns, so both see the same load
        _clean(out)()
        project.runs.append(
            harness.measure(_smallrna_project(fastq, out, index, 1), env=_env(), log=log)
        )
        alone.runs.append(harness.measure(cutadapt, env=_env(), log=log))
    trimmed.unlink(missing_ok=True)
    info = json.loads((out / "counts.json").read_text())["summary"]
    return {"project": project, "cutadapt": alone, **info}


def _distinct(info: dict) -> str:
    share = info["unique"] / max(1, info["kept"])
    return f"{info['unique']:,} distinct of {info['kept']:,} inserts ({share:.0%})"


def smallrna(s: Settings) -> tuple[list[Row], dict]:
    """Project small-RNA arm on reads of serum-like diversity vs cutadapt alone; scaling and
    memory; the redundant resampled exRNAQC reads vs cutadapt + bowtie on every read."""
    work = s.work / "smallrna"
    index, ref_label = inputs.smallrna_references(work)
    log = work / "runs.log"
    sizes = sorted(set(s.smallrna_sizes) | {s.smallrna_compare})
    fastqs = {n: work / f"serum_{n}.fastq.gz" for n in sizes}
    for n, path in fastqs.items():
        if not path.exists():
            inputs.simulate_serum_reads(n, path)
    raw: dict = {"reference": ref_label, "model": asdict(inputs.SerumModel()), "sizes": {}}
    n = s.smallrna_compare
    compare = _smallrna_vs_cutadapt(s, work, fastqs[n], index, log)
    p, c = compare.pop("project"), compare.pop("cutadapt")
    raw["compare"] = {"project": _summary_dict(p), "cutadapt": _summary_dict(c), **compare}
    cpu_ratio = f"; CPU {_cpu(p) / _cpu(c):.2f}x of cutadapt's" if _cpu(p) and _cpu(c) else ""
    # The load of a shared machine changes between turns: the ratio of each turn, then the median.
    turns = [a.seconds / b.seconds for a, b in zip(c.runs, p.runs, strict=True)]
    raw["compare"]["ratio_per_turn"] = turns
    rows = [
        Row(
            "small RNA, raw FASTQ -> counts, 1 core, serum-like diversity",
            f"{n:,} reads; {_distinct(compare)}",
            f"{fmt_seconds(p.seconds)} ({_cpu_seconds_text(p)})",
            f"cutadapt -j 1 alone: {fmt_seconds(c.seconds)} ({_cpu_seconds_text(c)})",
            f"{harness.median(turns):.2f}x",
            f"{fmt_mb(p.peak_mb)} / {fmt_mb(c.peak_mb)}",
            f"goal: project time <= 1.5x cutadapt's (ratio >= 0.67x){cpu_ratio}; run in turns: "
            "times are medians of the runs, the ratio the median of the turns' ratios "
            f"({', '.join(f'{x:.2f}' for x in turns)})",
        )
    ]
    project: dict[int, harness.Summary] = {}
    for size in sizes:
        out = work / f"project_{size}"
        if size == n:  # measured above, in turns with cutadapt
            project[size], info = p, compare
        else:
            cmd = _smallrna_project(fastqs[size], out, index, 1)
            project[size] = repeat(
                f"project {size}", cmd, 1, before_each=_clean(out), env=_env(), log=log
            )
            info = json.loads((out / "counts.json").read_text())["summary"]
        reps = len(project[size].runs)
        raw["sizes"][size] = {"project": _summary_dict(project[size]), **info}
        rows.append(
            Row(
                "small RNA scaling (project arm, 1 core, serum-like)",
                f"{size:,} reads",
                f"{fmt_seconds(project[size].seconds)} ({rate_text(size, project[size].seconds)})",
                peak=fmt_mb(project[size].peak_mb),
                note=_distinct(info) + f"; {reps} run(s)",
            )
        )
    k = harness.growth_exponent(sizes, [project[x].seconds for x in sizes])
    peaks = [project[x].peak_mb for x in sizes]
    raw["growth_exponent"] = k
    rows.append(
        Row(
            "small RNA scaling: growth exponent",
            f"{sizes[0]:,} .. {sizes[-1]:,} reads",
            f"k = {k:.2f} (time ~ reads^k)",
            peak=" / ".join(f"{x:.0f}" for x in peaks) + " MB",
            note="simulated serum reads (bench/inputs.py SerumModel): hsa mature miRNAs with Zipf "
            "abundances, 3' isomiRs, 30 % tRNA/random background, 1 % errors; reference: "
            + ref_label,
        )
    )
    rows += _smallrna_redundant(s, work, index, log, raw)
    return rows, raw


def _smallrna_redundant(s: Settings, work: Path, index: Path, log: Path, raw: dict) -> list[Row]:
    """The redundant set: real exRNAQC reads resampled (few distinct inserts), project vs
    cutadapt + bowtie on every read, both on ``s.threads`` cores."""
    records, source = inputs.source_reads()
    n = s.smallrna_redundant
    fastq = work / f"reads_{n}.fastq.gz"
    if not fastq.exists():
        inputs.resample_reads(records, n, fastq, s.smallrna_error_rate)
    out, naive_out = work / f"project_redundant_{n}", work / f"naive_{n}"
    project_cmd = _smallrna_project(fastq, out, index, s.threads)
    naive_cmd = [PYTHON, TASKS, "smallrna-naive", "--fastq", str(fastq)]
    naive_cmd += ["--index-dir", str(index), "--out", str(naive_out), "--threads", str(s.threads)]
    p, naive = harness.Summary(f"project {n}"), harness.Summary(f"naive {n}")
    turns = max(5, s.reps)  # short runs: more turns, in turns so both see the same load
    for _ in range(turns):
        _clean(out)()
        p.runs.append(harness.measure(project_cmd, env=_env(), log=log))
        _clean(naive_out)()
        naive.runs.append(harness.measure(naive_cmd, env=_env(), log=log))
    turn_ratios = [b.seconds / a.seconds for a, b in zip(p.runs, naive.runs, strict=True)]
    info = json.loads((out / "counts.json").read_text())["summary"]
    # Concordance of the two paths' mature counts (naive: samtools idxstats, primary hits).
    ours = json.loads((out / "counts.json").read_text())["mature"]
    theirs = pd.read_csv(naive_out / "mature.idxstats", sep="\t", header=None, index_col=0)[2]
    both = pd.DataFrame({"ours": pd.Series(ours), "naive": theirs}).fillna(0)
    both = both[(both > 0).any(axis=1)]
    pearson = float(np.corrcoef(np.log1p(both["ours"]), np.log1p(both["naive"]))[0, 1])
    raw["redundant"] = {
        "source": source,
        "project": _summary_dict(p),
        "naive": _summary_dict(naive),
        "turn_ratios": turn_ratios,
        "log_count_pearson_vs_naive": pearson,
        **info,
    }
    return [
        Row(
            f"small RNA, redundant reads ({s.threads} cores): trim, collapse, bowtie, count",
            f"{n:,} reads; {_distinct(info)}",
            f"{fmt_seconds(p.seconds)} ({rate_text(n, p.seconds)})",
            f"cutadapt + bowtie on every read: {fmt_seconds(naive.seconds)} "
            f"({rate_text(n, naive.seconds)})",
            ratio_text(p.seconds, naive.seconds),
            f"{fmt_mb(p.peak_mb)} / {fmt_mb(naive.peak_mb)}",
            f"input: {source} resampled with {s.smallrna_error_rate:.1%} substitutions (far "
            f"fewer distinct inserts than real serum); {turns} runs each, in turns: times are "
            f"medians, turns' ratios {', '.join(f'{r:.2f}' for r in turn_ratios)} (median "
            f"{harness.median(turn_ratios):.2f}x); log-count Pearson with the naive counts "
            f"{pearson:.3f}",
        )
    ]


# --------------------------------------------------------------------------- mRNA counting


def _read_htseq(path: Path) -> pd.Series:
    table = pd.read_csv(path, sep="\t", header=None, keep_default_na=False)
    return pd.Series(table.iloc[:, -1].to_numpy(), index=table.iloc[:, 0]).astype(int)


def _interleaved(commands: dict[str, list[str]], reps: int, log: Path) -> dict:
    """Each command ``reps`` times, in turns (a, b, c, a, b, c, ...), so that a change of the
    machine's load hits all of them alike; their summaries by key."""
    summaries = {key: harness.Summary(key) for key in commands}
    for _ in range(max(1, reps)):
        for key, cmd in commands.items():
            summaries[key].runs.append(harness.measure(cmd, env=_env(), log=log))
    return summaries


def _featurecounts_cmd(threads: int, gtf: Path, out: Path, bam: Path) -> list[str]:
    cmd = ["featureCounts", "-T", str(threads), "-p", "--countReadPairs", "-B", "-C"]
    return [*cmd, "-s", "2", "-a", str(gtf), "-o", str(out), str(bam)]


def mrna(s: Settings) -> tuple[list[Row], dict]:
    """esccrt.mrna.counting.count_bam (1 and N threads) vs featureCounts -T 1 / -T N (runs in
    turns, median of ``reps``) and htseq-count (once: the reference counts, asserted equal)."""
    work = s.work / "mrna"
    bam, gtf, pairs = inputs.mrna_bam(work, s.mrna_pairs, s.threads)
    log = work / "runs.log"
    outs = work / "counts"
    outs.mkdir(exist_ok=True)
    commands = {}
    for threads in (1, s.threads):
        cmd = [PYTHON, TASKS, "mrna-count", "--bam", str(bam), "--gtf", str(gtf)]
        commands[f"project_{threads}"] = [
            *cmd,
            *("--threads", str(threads), "--out", str(outs / f"project_{threads}.txt")),
        ]
        fc_out = outs / f"featurecounts_{threads}.txt"
        commands[f"featurecounts_{threads}"] = _featurecounts_cmd(threads, gtf, fc_out, bam)
    results = _interleaved(commands, s.reps, log)
    htseq_out = outs / "htseq.txt"
    htseq_cmd = [
        "bash",
        "-c",
        f"{BIN / 'htseq-count'} -f bam -r pos -s reverse -t exon -i gene_id -m union "
        "--nonunique none --secondary-alignments ignore --supplementary-alignments ignore "
        f"-a 10 {bam} {gtf} > {htseq_out}",
    ]
    results["htseq"] = repeat("htseq-count", htseq_cmd, 1, env=_env(), log=log)
    theirs = _read_htseq(htseq_out).sort_index()
    identical = {
        threads: _read_htseq(outs / f"project_{threads}.txt").sort_index().equals(theirs)
        for threads in (1, s.threads)
    }
    ours = _read_htseq(outs / "project_1.txt")
    fc = pd.read_csv(outs / "featurecounts_1.txt", sep="\t", comment="#", index_col=0)
    fc = fc.iloc[:, -1]
    genes = [g for g in fc.index if g in ours.index]
    pearson = float(np.corrcoef(np.log1p(ours[genes]), np.log1p(fc[genes]))[0, 1])
    raw = {key: _summary_dict(value) for key, value in results.items()}
    raw.update(
        pairs=pairs,
        records=2 * pairs,
        identical_to_htseq=all(identical.values()),
        log_pearson_featurecounts=pearson,
    )
    rows = _mrna_rows(s, results, pairs, identical, pearson)
    if not all(identical.values()):
        raise AssertionError(f"counts differ from htseq-count's ({identical}); see {outs}")
    return rows, raw


def _cpu_text(ours: harness.Summary, theirs: harness.Summary, name: str) -> str:
    """'CPU (user + system): ours X s, <name> Y s (ratio Z)', '' without GNU time's figures."""
    if ours.cpu_seconds is None or theirs.cpu_seconds is None:
        return ""
    return (
        f"CPU (user + system, median): ours {fmt_seconds(ours.cpu_seconds)}, {name} "
        f"{fmt_seconds(theirs.cpu_seconds)} ({ratio_text(ours.cpu_seconds, theirs.cpu_seconds)}); "
    )


def _mrna_rows(s: Settings, results: dict, pairs: int, identical: dict, pearson: float) -> list:
    """Table rows of :func:`mrna`: each thread count vs htseq-count and vs featureCounts."""
    size = f"{pairs:,} read pairs ({2 * pairs:,} records; simulated, HISAT2)"
    ht = results["htseq"]
    rows = []
    for threads in (1, s.threads):
        ours, fcs = results[f"project_{threads}"], results[f"featurecounts_{threads}"]
        label = "1 process" if threads == 1 else f"1 process, {threads} threads"
        goal = "goal: at most 2x featureCounts -T 1 (ratio >= 0.50x); " if threads == 1 else ""
        rows.append(
            Row(
                f"mRNA counting (esccrt.mrna, {label}) vs htseq-count",
                size,
                f"{fmt_seconds(ours.seconds)} ({rate_text(pairs, ours.seconds, 'pairs/s')})",
                f"htseq-count: {fmt_seconds(ht.seconds)} "
                f"({rate_text(pairs, ht.seconds, 'pairs/s')}; 1 run)",
                ratio_text(ours.seconds, ht.seconds),
                f"{fmt_mb(ours.peak_mb)} / {fmt_mb(ht.peak_mb)}",
                "counts and __ counters identical to htseq-count (asserted): "
                + ("yes" if identical[threads] else "NO"),
            )
        )
        rows.append(
            Row(
                f"mRNA counting (esccrt.mrna, {label}) vs featureCounts -T {threads}",
                size,
                f"{fmt_seconds(ours.seconds)}",
                f"featureCounts -T {threads}: {fmt_seconds(fcs.seconds)} "
                f"({rate_text(pairs, fcs.seconds, 'pairs/s')})",
                ratio_text(ours.seconds, fcs.seconds),
                f"{fmt_mb(ours.peak_mb)} / {fmt_mb(fcs.peak_mb)}",
                f"{goal}{_cpu_text(ours, fcs, 'featureCounts')}runs in turns, median of {s.reps}; "
                f"log-count Pearson with featureCounts {pearson:.4f}",
            )
        )
    return rows


# --------------------------------------------------------------------------- DE

DESEQ2_R = r"""
suppressPackageStartupMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
samples <- read.delim(args[2], row.names = 1)
samples$condition <- factor(samples$condition, levels = c("control", "treated"))
counts <- counts[rowSums(counts) >= as.integer(args[4]), colnames(counts) %in% rownames(samples)]
dds <- DESeqDataSetFromMatrix(counts, samples[colnames(counts), , drop = FALSE], ~condition)
dds <- DESeq(dds, quiet = TRUE)
res <- results(dds, contrast = c("condition", "treated", "control"), alpha = 0.05)
out <- data.frame(feature = rownames(res), as.data.frame(res))
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
"""


def diffexp(s: Settings) -> tuple[list[Row], dict]:
    """esccrt.de (pydeseq2) vs R DESeq2 on the same simulated counts."""
    work = s.work / "de"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    rscript = shutil.which("Rscript")
    r_ok = bool(rscript) and _r_has("DESeq2")
    script = work / "deseq2.R"
    script.write_text(DESEQ2_R)
    rows, raw = [], {}
    for n_genes, n_samples in s.de_sizes:
        counts, samples = inputs.de_counts(work, n_genes, n_samples)
        key = f"{n_genes}x{n_samples}"
        ours_out = work / f"project_{key}.tsv"
        cmd = [PYTHON, TASKS, "de-project", "--counts", str(counts), "--samples", str(samples)]
        cmd += ["--out", str(ours_out), "--threads", str(s.threads)]
        r_out = work / f"deseq2_{key}.tsv"
        r_cmd = [rscript, str(script), str(counts), str(samples), str(r_out), "10"]
        # in turns with R, so that a change of the machine's load hits both alike
        timed = _interleaved({"ours": cmd, **({"r": r_cmd} if r_ok else {})}, s.reps, log)
        ours = timed["ours"]
        entry = {"project": _summary_dict(ours)}
        size = f"{n_genes:,} genes x {n_samples} samples"
        if r_ok:
            theirs = timed["r"]
            entry["deseq2"] = _summary_dict(theirs)
            a = pd.read_csv(ours_out, sep="\t", index_col="feature")
            b = pd.read_csv(r_out, sep="\t", index_col="feature")
            common = a.index.intersection(b.index)
            a, b = a.loc[common], b.loc[common]
            ok = a["log2FoldChange"].notna() & b["log2FoldChange"].notna()
            pearson = float(
                np.corrcoef(a.loc[ok, "log2FoldChange"], b.loc[ok, "log2FoldChange"])[0, 1]
            )
            sig_a = a["padj"].fillna(1) < 0.05
            sig_b = b["padj"].fillna(1) < 0.05
            agreement = float((sig_a == sig_b).mean())
            high = b["baseMean"] >= 10
            stat_error = ((a["stat"] - b["stat"]).abs() / b["stat"].abs())[high].dropna()
            stat_within = float((stat_error < 0.02).mean())
            entry.update(
                lfc_pearson=pearson,
                padj_agreement=agreement,
                stat_within_2pct=stat_within,
                stat_max_relative_error=float(stat_error.max()),
                significant_project=int(sig_a.sum()),
                significant_deseq2=int(sig_b.sum()),
            )
            rows.append(
                Row(
                    "DE (esccrt.de / pydeseq2, Wald, no shrinkage) vs R DESeq2",
                    size,
                    fmt_seconds(ours.seconds),
                    f"R DESeq2: {fmt_seconds(theirs.seconds)}",
                    ratio_text(ours.seconds, theirs.seconds),
                    f"{fmt_mb(ours.peak_mb)} / {fmt_mb(theirs.peak_mb)}",
                    f"{_cpu_text(ours, theirs, 'R')}runs in turns; "
                    f"log2FC Pearson {pearson:.4f}; padj<0.05 agreement {agreement:.2%} "
                    f"({int(sig_a.sum())} vs {int(sig_b.sum())} significant); Wald stat "
                    f"within 2 % of R: {stat_within:.2%} of baseMean >= 10 "
                    f"(max {stat_error.max():.2%})",
                )
            )
        else:
            rows.append(
                Row(
                    "DE (esccrt.de / pydeseq2)",
                    size,
                    fmt_seconds(ours.seconds),
                    "R DESeq2 not installed",
                    peak=fmt_mb(ours.peak_mb),
                )
            )
        raw[key] = entry
    return rows, raw


def _r_has(package: str) -> bool:
    done = subprocess.run(
        ["Rscript", "-e", f"quit(status = !requireNamespace('{package}', quietly = TRUE))"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


#: Debian packages of the R comparisons (installed by the bench only, when run as root).
R_PACKAGES = ("r-bioc-deseq2", "r-cran-survival")


def install_gnu_time() -> str:
    """Install GNU time (Debian ``time``) when missing and root; a status message."""
    if os.access(harness.GNU_TIME, os.X_OK):
        return "GNU time present"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "GNU time missing: peak memory from getrusage(RUSAGE_CHILDREN)"
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "time"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
        capture_output=True,
    )
    return "installed GNU time" if done.returncode == 0 else "apt-get install time failed"


def install_r_packages() -> str:
    """Install R DESeq2 and survival from Debian when root and missing; a status message."""
    if shutil.which("Rscript") and _r_has("DESeq2") and _r_has("survival"):
        return "R DESeq2 and survival present"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "R DESeq2/survival missing and not root: R comparisons skipped"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *R_PACKAGES],
        env=env,
        check=False,
        capture_output=True,
    )
    return "installed r-bioc-deseq2 r-cran-survival" if done.returncode == 0 else "apt failed"


# --------------------------------------------------------------------------- survival

SURVIVAL_R = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.delim(args[1])
loops <- as.integer(args[3])
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(loops)) {
  lr <- survdiff(Surv(time, event) ~ group, data = d)
  cx <- coxph(Surv(time, event) ~ high, data = d, ties = "efron")
}
elapsed <- (proc.time()[["elapsed"]] - t0) / loops
s <- summary(cx)$coefficients
cat(sprintf(paste0('{"logrank_chisq": %.10g, "logrank_p": %.10g, "cox_coef": %.10g, ',
    '"cox_hr": %.10g, "cox_p": %.10g, "seconds_per_analysis": %.10g}'),
    lr$chisq, pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE),
    s[1, "coef"], s[1, "exp(coef)"], s[1, "Pr(>|z|)"], elapsed), file = args[2])
"""


def survival(s: Settings) -> tuple[list[Row], dict]:
    """Log-rank + Cox (esccrt.survival / lifelines) vs R survival on the demo cohort."""
    work = s.work / "survival"
    work.mkdir(parents=True, exist_ok=True)
    clinical = pd.read_csv(REPO / "config" / "clinical.tsv", sep="\t", keep_default_na=False)
    groups_path = REPO / "results" / "survival" / "groups.tsv"
    if groups_path.exists():
        groups = pd.read_csv(groups_path, sep="\t", keep_default_na=False)
        factor = "fc_mir143"
        group = clinical["patient"].map(groups.set_index("patient")[factor])
        label = f"PFS by {factor} (results/survival/groups.tsv)"
    else:
        factor = "kps"
        group = clinical["kps"].astype(float).ge(90).map({True: ">=90", False: "<90"})
        label = "PFS by KPS >= 90 (run `make demo` for the miRNA groups)"
    levels = sorted(group.unique())
    table = pd.DataFrame(
        {
            "time": clinical["pfs_months"].astype(float),
            "event": clinical["pfs_event"].astype(int),
            "group": group,
            "high": (group == levels[-1]).astype(int),
        }
    )
    path = work / "cohort.tsv"
    table.to_csv(path, sep="\t", index=False)
    log = work / "runs.log"
    loops = 20
    ours_out = work / "project.json"
    cmd = [PYTHON, TASKS, "survival-project", "--table", str(path), "--out", str(ours_out)]
    ours = repeat("lifelines", [*cmd, "--loops", str(loops)], s.reps, env=_env(), log=log)
    ours_numbers = json.loads(ours_out.read_text())
    raw = {"project": _summary_dict(ours), "project_numbers": ours_numbers, "groups": label}
    rows = []
    r_numbers = None
    if shutil.which("Rscript") and _r_has("survival"):
        script = work / "survival.R"
        script.write_text(SURVIVAL_R)
        r_out = work / "r.json"
        r_cmd = ["Rscript", str(script), str(path), str(r_out), str(loops)]
        theirs = repeat("R survival", r_cmd, s.reps, env=_env(), log=log)
        r_numbers = json.loads(r_out.read_text())
        raw.update(r=_summary_dict(theirs), r_numbers=r_numbers)
    n, events = len(table), int(table["event"].sum())
    for key, name in (
        ("logrank_chisq", "log-rank chi-square"),
        ("logrank_p", "log-rank p"),
        ("cox_hr", f"Cox HR ({levels[-1]} vs {levels[0]})"),
        ("cox_p", "Cox Wald p"),
    ):
        ours_v = ours_numbers[key]
        alt = f"R survival: {r_numbers[key]:.6g}" if r_numbers else "R survival not installed"
        diff = ""
        if r_numbers:
            rel = abs(ours_v - r_numbers[key]) / max(abs(r_numbers[key]), 1e-300)
            diff = f"relative difference {rel:.1e}"
        rows.append(
            Row(
                f"survival: {name}",
                f"{n} patients, {events} events",
                f"{ours_v:.6g}",
                alt,
                note=diff,
            )
        )
    per_ours = ours_numbers["seconds_per_analysis"]
    alt_time = ""
    ratio = ""
    if r_numbers:
        alt_time = (
            f"R: {fmt_seconds(r_numbers['seconds_per_analysis'])} per analysis, "
            f"{fmt_seconds(raw['r']['median_s'])} per Rscript process"
        )
        ratio = ratio_text(per_ours, r_numbers["seconds_per_analysis"])
    rows.append(
        Row(
            "survival: log-rank + Cox time",
            f"{n} patients; {label}",
            f"{fmt_seconds(per_ours)} per analysis, {fmt_seconds(ours.seconds)} per process "
            f"({loops} analyses + imports)",
            alt_time,
            ratio,
            f"{fmt_mb(ours.peak_mb)} / {fmt_mb(raw['r']['peak_mb']) if r_numbers else ''}",
        )
    )
    return rows, raw


# --------------------------------------------------------------------------- workflow

NOOP_SNAKEFILE = """
N = {n}
rule all:
    input: expand("out/{{i}}.txt", i=range(N))
rule job:
    output: "out/{{i}}.txt"
    shell: "touch {{output}}"
"""

SCALED_CONFIG = """
smallrna:
  min_mirna_reads: 1
mrna:
  qc:
    min_assigned_reads: 1
    min_assignment_rate: 0.0
"""


def _snakemake(workdir: Path, *args: str) -> list[str]:
    cmd = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile")]
    if (workdir / "config" / "bench.yaml").exists():
        cmd += ["--configfile", "config/config.yaml", "config/bench.yaml"]
    return [*cmd, *args]


def _scaled_run_folder(work: Path, n_samples: int, reads: int) -> Path:
    """A run folder with ``n_samples`` samples per arm (small RNA and mRNA) of tiny libraries.

    Reads come from a small simulated demo; sample k of an arm reuses demo sample k mod 6's
    reads, subsampled to ``reads`` reads (pairs). Conditions alternate; batch b1 throughout
    except every third replicate (b2), as in the demo (6 samples per arm = the demo's layout).
    """
    folder = work / f"samples_{n_samples}_reads_{reads}"
    if (folder / ".ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    base = work / f"demo_source_{reads}"
    if not (base / "resources" / "demo" / ".complete").exists():
        shutil.rmtree(base, ignore_errors=True)
        shutil.copytree(REPO / "config", base / "config")
        subprocess.run(
            [
                PYTHON,
                str(REPO / "workflow" / "scripts" / "simulate_demo.py"),
                *("--outdir", str(base / "resources" / "demo")),
                *("--cohort-dir", str(base / "config")),
                *("--smallrna-reads", str(max(reads, 100))),
                *("--mrna-pairs", str(max(reads, 100))),
            ],
            check=True,
            capture_output=True,
        )
    shutil.copytree(base / "config", folder / "config")
    shutil.copytree(base / "resources", folder / "resources")
    (folder / "config" / "bench.yaml").write_text(SCALED_CONFIG)
    samples = pd.read_csv(folder / "config" / "samples.tsv", sep="\t", dtype=str).fillna("")
    units = pd.read_csv(folder / "config" / "units.tsv", sep="\t", dtype=str).fillna("")
    per_arm = n_samples
    new_samples, new_units = [], []
    for arm in ("smallrna", "mrna"):
        template = samples[samples["library_type"] == arm].reset_index(drop=True)
        for k in range(per_arm):
            row = template.iloc[k % len(template)].copy()
            unit = units[units["sample"] == row["sample"]].iloc[0].copy()
            condition = "control" if k % 2 == 0 else "irradiated"
            name = f"{row['sample'].split('_')[0]}_{condition[:4]}_{k + 1:03d}"
            row["sample"], row["condition"] = name, condition
            row["batch"] = "b2" if (k // 2) % 3 == 2 else "b1"
            unit["sample"] = name
            for column in ("fq1", "fq2"):  # one file per unit: the sheet check forbids reuse
                if unit[column]:
                    source = folder / unit[column]
                    copy = folder / "resources" / "bench_reads" / f"{name}_{column}.fastq.gz"
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
                    unit[column] = str(copy.relative_to(folder))
            new_samples.append(row)
            new_units.append(unit)
    pd.DataFrame(new_samples).to_csv(folder / "config" / "samples.tsv", sep="\t", index=False)
    pd.DataFrame(new_units).to_csv(folder / "config" / "units.tsv", sep="\t", index=False)
    (folder / ".ready").write_text("ok\n")
    return folder


def workflow(s: Settings) -> tuple[list[Row], dict]:
    """Snakemake's own overhead (DAG build, per-job start) and the workflow at N samples."""
    work = s.work / "workflow"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    rows, raw = [], {}
    # Per-job start: a Snakefile of no-op jobs, one core.
    noop = work / "noop"
    noop.mkdir(exist_ok=True)
    (noop / "Snakefile").write_text(NOOP_SNAKEFILE.format(n=s.noop_jobs))
    noop_cmd = [str(BIN / "snakemake"), "--cores", "1", "--quiet", "all"]
    noop_run = repeat(
        "noop", noop_cmd, s.reps, before_each=_clean(noop / "out"), cwd=noop, env=_env(), log=log
    )
    per_job = noop_run.seconds / s.noop_jobs
    raw["noop"] = _summary_dict(noop_run) | {"jobs": s.noop_jobs, "per_job_s": per_job}
    rows.append(
        Row(
            "Snakemake per-job start (no-op shell jobs, 1 core)",
            f"{s.noop_jobs} jobs",
            f"{fmt_seconds(per_job)} per job ({fmt_seconds(noop_run.seconds)} in all)",
            peak=fmt_mb(noop_run.peak_mb),
            note="includes DAG build and start-up of the Snakemake process",
        )
    )
    dag, total, jobs = {}, {}, {}
    for n in s.workflow_samples:
        folder = _scaled_run_folder(work, n, s.workflow_reads)
        dry = _snakemake(folder, "-n", "--forceall", "--cores", str(s.threads), "--quiet", "rules")
        dag[n] = repeat(f"dag {n}", dry, s.reps, cwd=folder, env=_env(), log=log)
        jobs[n] = _planned_jobs(folder, s.threads)
        raw[f"samples_{n}"] = {"dag": _summary_dict(dag[n]), "jobs": jobs[n]}
        measured = ""
        if n in s.workflow_total_samples:
            run = _snakemake(folder, "--cores", str(s.threads), "--quiet", "rules")
            total[n] = repeat(
                f"workflow {n}",
                run,
                s.workflow_reps,
                before_each=_clean_results(folder),
                cwd=folder,
                env=_env(),
                log=log,
            )
            raw[f"samples_{n}"]["total"] = _summary_dict(total[n])
            measured = (
                f"total {fmt_seconds(total[n].seconds)} "
                f"({total[n].seconds / max(jobs[n], 1):.2f} s per job on {s.threads} cores); "
            )
        rows.append(
            Row(
                "workflow (both arms, DE, qPCR, survival, report)",
                f"{n} + {n} samples ({jobs[n]} jobs; {s.workflow_reads:,} reads/sample)",
                f"{measured}DAG build (snakemake -n) {fmt_seconds(dag[n].seconds)}",
                peak=fmt_mb(total[n].peak_mb) if n in total else "",
                note=(f"total: {s.workflow_reps} run(s)" if n in total else "total not run")
                + f"; DAG: median of {s.reps}",
            )
        )
    sizes = list(s.workflow_samples)
    if len(sizes) >= 2:
        k_dag = harness.growth_exponent(sizes, [dag[n].seconds for n in sizes])
        raw["growth_dag"] = k_dag
        text = f"DAG build k = {k_dag:.2f} ({sizes[0]} .. {sizes[-1]} samples)"
        timed = sorted(total)
        if len(timed) >= 2:
            k_total = harness.growth_exponent(timed, [total[n].seconds for n in timed])
            raw["growth_total"] = k_total
            text += f"; total time k = {k_total:.2f} ({timed[0]} .. {timed[-1]} samples)"
        rows.append(
            Row(
                "workflow scaling: growth exponent",
                f"{sizes[0]} .. {sizes[-1]} samples per arm",
                text,
                note="time ~ samples^k",
            )
        )
    return rows, raw


def _count_jobs(text: str) -> int:
    """Total job count from Snakemake's dry-run job table ('total  N')."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return int(parts[1])
    return 0


def _planned_jobs(folder: Path, threads: int) -> int:
    """Jobs a full run of the workflow in ``folder`` would start (from a dry run)."""
    listed = subprocess.run(
        _snakemake(folder, "-n", "--forceall", "--cores", str(threads)),
        cwd=folder,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    return _count_jobs(listed.stdout + listed.stderr)


def _clean_results(folder: Path):
    def clean() -> None:
        shutil.rmtree(folder / "results", ignore_errors=True)
        shutil.rmtree(folder / ".snakemake", ignore_errors=True)

    return clean


def demo_wall_time(s: Settings) -> tuple[list[Row], dict]:
    """Wall time of the full demo (`make demo` = snakemake --cores N), in a copy of the repo's
    config and demo data so the repository's results/ are left alone."""
    work = s.work / "demo"
    folder = work / "run"
    if not folder.exists():
        folder.mkdir(parents=True)
        shutil.copytree(REPO / "config", folder / "config")
        os.symlink(REPO / "resources", folder / "resources")
    clean = _clean_results(folder)
    run = _snakemake(folder, "--cores", str(s.threads), "--quiet", "rules")
    summary = repeat(
        "demo", run, 1, before_each=clean, cwd=folder, env=_env(), log=work / "runs.log"
    )
    jobs = _planned_jobs(folder, s.threads)
    bench_dir = folder / "results" / "benchmarks"
    job_seconds = 0.0
    for tsv in bench_dir.rglob("*.tsv"):
        try:
            job_seconds += float(pd.read_csv(tsv, sep="\t")["s"].iloc[0])
        except (KeyError, IndexError, ValueError):
            continue
    raw = {"demo": _summary_dict(summary), "jobs": jobs, "sum_job_seconds": job_seconds}
    overhead = summary.seconds * s.threads - job_seconds
    rows = [
        Row(
            "whole demo workflow (make demo)",
            f"{jobs} jobs, 6 + 6 samples",
            f"{fmt_seconds(summary.seconds)} wall on {s.threads} cores",
            peak=fmt_mb(summary.peak_mb),
            note=f"sum of the jobs' own times {fmt_seconds(job_seconds)}; outside jobs "
            f"<= {fmt_seconds(max(overhead, 0) / max(jobs, 1))} per job x core; 1 run",
        )
    ]
    return rows, raw


SECTIONS = {
    "smallrna": smallrna,
    "mrna": mrna,
    "diffexp": diffexp,
    "survival": survival,
    "workflow": workflow,
    "demo": demo_wall_time,
}
