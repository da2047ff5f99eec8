"""The measured steps, each run as its own process (so its time and peak memory are its own).

Called by the benchmark sections as ``python bench/tasks.py <task> [options]``; not meant for
users. Each task uses the project's library (``esccrt``) exactly as the rule scripts do.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: nf-core/smrnaseq-style bowtie settings (as config/config.yaml; reads as FASTQ, not -f).
MATURE_ARGS = ["-n", "0", "-l", "15", "-e", "99999", "-k", "50", "--best", "--strata", "--norc"]
HAIRPIN_ARGS = ["-n", "1", "-l", "15", "-e", "99999", "-k", "50", "--best", "--strata", "--norc"]
MIN_LENGTH, MAX_LENGTH = 16, 40


def study_section(stage: str) -> dict:
    """The demo config's ``stage`` section, validated (defaults filled in) as the workflow runs
    it: the study's choices the tasks pass to the library, which has no defaults for them."""
    import yaml
    from esccrt.config_check import check_config

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return check_config(config[stage], f"{stage}.schema.yaml", stage)


def smallrna_project(args: argparse.Namespace) -> None:
    """trim + count inserts in one pass -> collapse the unit's inserts -> bowtie mature ->
    bowtie hairpin -> weighted counts and the mirGFF3 (as rules smallrna_trim ...
    smallrna_count)."""
    from esccrt.smallrna.align import run_bowtie
    from esccrt.smallrna.arms import ArmRule, read_arms
    from esccrt.smallrna.collapse import collapse_units
    from esccrt.smallrna.count import add_counts, count_alignments
    from esccrt.smallrna.mirgff import sample_records, write_mirgff
    from esccrt.smallrna.presets import TrimSettings, trim_preset
    from esccrt.smallrna.reference import read_fasta
    from esccrt.smallrna.trim import trim_unit

    small = study_section("smallrna")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trimmed = out / "trimmed.fa"
    with open(out / "trim.log", "w") as log:
        report = trim_unit(
            args.fastq,
            trim_preset("illumina"),
            TrimSettings.from_config(small),
            output=trimmed,
            cutadapt_report=out / "cutadapt.json",
            log=log,
            where="bench",
            window=(MIN_LENGTH, MAX_LENGTH),
        )
    collapsed = collapse_units([trimmed], [report], [0], out / "collapsed.fa")
    index = Path(args.index_dir)
    run_bowtie(
        str(index / "mature"),
        out / "collapsed.fa",
        out / "mature.bam",
        out / "mature.un.fa",
        MATURE_ARGS,
        args.threads,
        out / "bowtie.log",
    )
    run_bowtie(
        str(index / "hairpin"),
        out / "mature.un.fa",
        out / "hairpin.bam",
        out / "hairpin.un.fa",
        HAIRPIN_ARGS,
        args.threads,
        out / "bowtie.log",
    )
    arms = read_arms(index / "arms.tsv")
    tails = small["non_templated_3p"]["max_length"]
    mature = count_alignments(out / "mature.bam", max_non_templated=tails)
    hairpin = count_alignments(
        out / "hairpin.bam",
        arms,
        ArmRule.from_config(small["hairpin_to_mature"]),
        max_non_templated=tails,
    )
    counts = add_counts(mature.features, hairpin.arm_features)
    hairpins = {r.name: r.sequence for r in read_fasta(index / "hairpin.fa")}
    records, _ = sample_records([mature, hairpin], arms, hairpins)
    rows = ((record, [record.expression]) for record in records)
    write_mirgff(rows, ["bench"], out / "sample.gff", "miRBasev21")
    summary = {key: collapsed[key] for key in ("reads", "kept", "unique")}
    summary["mirgff_lines"] = len(records)
    summary["mature_reads"] = mature.aligned_copies + hairpin.arm_copies
    (out / "counts.json").write_text(json.dumps({"summary": summary, "mature": counts}))


def smallrna_naive(args: argparse.Namespace) -> None:
    """nf-core/smrnaseq style: cutadapt (with length filter), bowtie on every read, idxstats."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trimmed = out / "trimmed.fastq.gz"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cutadapt",
            "-a",
            "TGGAATTCTCGGGTGCCAAGG",
            "-e",
            "0.1",
            "-q",
            "20",
            "-O",
            "3",
            "-m",
            str(MIN_LENGTH),
            "-M",
            str(MAX_LENGTH),
            "--cores",
            str(args.threads),
            "-o",
            str(trimmed),
            args.fastq,
        ],
        check=True,
        capture_output=True,
    )
    index = Path(args.index_dir)
    reads = str(trimmed)
    for ref, extra in (("mature", MATURE_ARGS), ("hairpin", HAIRPIN_ARGS)):
        bam = out / f"{ref}.bam"
        unaligned = out / f"{ref}.un.fq"
        bowtie = subprocess.Popen(
            [
                "bowtie",
                "-p",
                str(args.threads),
                *extra,
                "-q",
                "--un",
                str(unaligned),
                "-S",
                "--no-unal",
                "-x",
                str(index / ref),
                reads,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            ["samtools", "sort", "-@", str(max(args.threads - 1, 0)), "-o", str(bam), "-"],
            stdin=bowtie.stdout,
            check=True,
            stderr=subprocess.DEVNULL,
        )
        bowtie.stdout.close()
        if bowtie.wait():
            raise RuntimeError(f"bowtie failed on {reads}")
        subprocess.run(["samtools", "index", str(bam)], check=True)
        with open(out / f"{ref}.idxstats", "w") as handle:
            subprocess.run(["samtools", "idxstats", str(bam)], stdout=handle, check=True)
        reads = str(unaligned)
        if not unaligned.exists():
            unaligned.touch()


def mrna_count(args: argparse.Namespace) -> None:
    """esccrt.mrna: load the GTF, count the BAM like htseq-count, write the htseq table."""
    from esccrt.mrna.counting import count_bam
    from esccrt.mrna.features import load_features
    from esccrt.mrna.htseq_table import write_htseq_table

    counting = study_section("mrna")["counting"]
    features = load_features(
        args.gtf,
        stranded=args.stranded != "no",
        feature_type=counting["feature_type"],
        id_attribute=counting["id_attribute"],
        name_attribute=counting["name_attribute"],
    )
    result = count_bam(
        args.bam,
        features,
        args.stranded,
        minaqual=counting["minaqual"],
        mode=counting["mode"],
        nonunique=counting["nonunique"],
        threads=args.threads,
    )
    write_htseq_table(result, features.names, args.out)


def de_project(args: argparse.Namespace) -> None:
    """esccrt.de: ~condition, condition treated vs control, Wald test (no shrinkage)."""
    import pandas as pd
    from esccrt.de.inputs import prefilter
    from esccrt.de.model import run_contrast
    from esccrt.de.settings import DESettings, arm_section

    counts = pd.read_csv(args.counts, sep="\t", index_col=0)
    samples = pd.read_csv(args.samples, sep="\t", index_col=0)
    contrasts = {"treated_vs_control": ["condition", "treated", "control"]}
    counts = prefilter(counts, args.min_total_count)
    settings = DESettings.from_config(arm_section(study_section("diffexp"), "mrna"))
    results = run_contrast(
        counts,
        samples,
        "~condition",
        contrasts,
        "treated_vs_control",
        size_factors=settings.size_factors,
        alpha=settings.padj_threshold,
        lfc_threshold=0.0,  # as the R script it is compared with: no fold-change cut-off
        shrink=args.shrink,
        n_cpus=args.threads,
    )
    results.rename_axis("feature").reset_index().to_csv(args.out, sep="\t", index=False)


def survival_project(args: argparse.Namespace) -> None:
    """esccrt.survival: log-rank test and Cox model of one endpoint by a two-level group."""
    import pandas as pd
    from esccrt.survival.cox import fit_cox
    from esccrt.survival.logrank import logrank

    table = pd.read_csv(args.table, sep="\t")
    result: dict[str, float] = {}
    started = time.perf_counter()
    for _ in range(args.loops):
        test = logrank(table["time"], table["event"], table["group"])
        cox, _fit = fit_cox(table, "time", "event", ["high"])
        result = {
            "logrank_chisq": float(test.chisq),
            "logrank_p": float(test.p),
            "cox_coef": float(cox.loc["high", "coef"]),
            "cox_hr": float(cox.loc["high", "hr"]),
            "cox_p": float(cox.loc["high", "p"]),
        }
    result["seconds_per_analysis"] = (time.perf_counter() - started) / args.loops
    Path(args.out).write_text(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    """Dispatch one task."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="task", required=True)
    for name, function in (
        ("smallrna-project", smallrna_project),
        ("smallrna-naive", smallrna_naive),
    ):
        p = sub.add_parser(name)
        p.add_argument("--fastq", required=True)
        p.add_argument("--index-dir", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--threads", type=int, default=2)
        p.set_defaults(function=function)
    p = sub.add_parser("mrna-count")
    p.add_argument("--bam", required=True)
    p.add_argument("--gtf", required=True)
    p.add_argument("--stranded", default="reverse")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(function=mrna_count)
    p = sub.add_parser("de-project")
    p.add_argument("--counts", required=True)
    p.add_argument("--samples", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-total-count", type=int, default=10)
    p.add_argument("--shrink", action="store_true")
    p.set_defaults(function=de_project)
    p = sub.add_parser("survival-project")
    p.add_argument("--table", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--loops", type=int, default=1)
    p.set_defaults(function=survival_project)
    args = parser.parse_args(argv)
    args.function(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
