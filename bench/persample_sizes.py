"""Section persample_sizes (issue 26, item 1): the per-sample ratios at the issue's sizes.

Section persample_cost decomposes the per-sample rules' time at sections smallrna's and mrna's
sizes; this one prints the two ratios of item 1 at the sizes the issue names, each on its own
bench folder (the section's work folder, one per size; inputs from the same simulators):

- the small-RNA sample's rules (trim, collapse, align, count: the sum of their benchmark files,
  Snakemake re-making them from ``smallrna_trim``) against ``cutadapt -j 1`` with the trimming
  rule's options and the insert window, on the same FASTQ: goal 1.3x at 2 M reads, 1.15x at
  10 M;
- rule mrna_count (its benchmark file) against ``featureCounts -T 1`` on the rule's own BAM
  (HISAT2's, records counted): goal 1.5x at 2.6 M records, 1.0x at 15 M. The rule counts as
  htseq-count does (union mode); featureCounts may assign the pairs htseq-count calls
  ambiguous (at 1.3 M pairs: 1 pair, and the rule equal to htseq-count on every gene and
  counter, checked once by hand: htseq-count takes 1.6 minutes there), so the check allows
  exactly those.

Each turn runs the project's side, then the tool's, on the same pinned core; ``s.reps`` turns;
the ratio is the median of the turns' ratios. Before any ratio the outputs agree: cutadapt's
trimming numbers equal the rule's (its cutadapt report and collapse statistics), and
featureCounts' gene counts equal the counting rule's, gene by gene.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import agreement
import harness
import persample_cost
import rule_sections
import rules
from esccrt import paths
from harness import Row, fmt_seconds
from rules import SAMPLE, UNIT
from settings import Settings

#: Issue 26, item 1: the goals (project / tool, whole processes, 1 core) at the sizes it names:
#: small-RNA reads -> ratio, mRNA BAM records -> ratio.
SMALLRNA_GOALS = {2_000_000: 1.3, 10_000_000: 1.15}
MRNA_GOALS = {2_600_000: 1.5, 15_000_000: 1.0}


def goal(goals: dict[int, float], size: int) -> float | None:
    """The issue's goal at ``size`` (within 10 % of a size it names), else None."""
    for named, ratio in goals.items():
        if abs(size - named) <= 0.1 * named:
            return ratio
    return None


def verdict(ratio: float, target: float | None) -> str:
    """'goal 1.3x: met' / 'goal 1.3x: NOT met' / '' (no goal at this size)."""
    if target is None:
        return "no goal named at this size"
    return f"goal {target:g}x: " + ("met" if ratio <= target else "NOT met")


def ratio_row(
    what: str,
    size: str,
    project: tuple[list[float], str],
    tool: tuple[list[float], str, str],
    target: float | None,
    agreed: str,
) -> tuple[Row, float]:
    """The row of one size: the medians of both sides' times (``project``: seconds per turn and
    what they are; ``tool``: seconds, what was run, its short name), the median of the turns'
    ratios (project / tool) against the issue's goal, and what was asserted equal."""
    ours, theirs = project[0], tool[0]
    ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
    ratio = harness.median(ratios)
    row = Row(
        f"per-sample ratio: {what}, 1 core (issue 26, item 1)",
        size,
        f"{fmt_seconds(harness.median(ours))} ({project[1]})",
        f"{tool[1]}: {fmt_seconds(harness.median(theirs))}",
        harness.ratio_text(harness.median(ours), harness.median(theirs)),
        note=f"project {ratio:.2f}x {tool[2]} (median of {len(ratios)} turns: "
        f"{', '.join(f'{r:.2f}' for r in ratios)}); {verdict(ratio, target)}; {agreed}",
    )
    return row, ratio


def smallrna_size(s: Settings, reads: int, log: Path) -> tuple[Row, dict]:
    """The small-RNA sample's rules vs cutadapt -j 1 at ``reads`` reads, in turns."""
    sized = dataclasses.replace(s, work=s.work / "persample_sizes" / f"smallrna_{reads}")
    sized.smallrna_reads = reads
    small = rule_sections.smallrna_folder(sized)
    out, report = small.work / "cutadapt.fa", small.work / "cutadapt.json"
    cutadapt = rule_sections.cutadapt_command(
        rule_sections.smallrna_cutadapt_args(small.folder),
        1,
        str(out),
        str(report),
        rule_sections.smallrna_window(),
    )
    ours, theirs = [], []
    for _ in range(max(1, s.reps)):
        run = rules.run_rules(small.folder, 1, small.targets, log=log, forcerun=["smallrna_trim"])
        rules.check_jobs(run.rules, persample_cost.SMALLRNA_RULES)
        ours.append(sum(run.rules.jobs[job] for job in persample_cost.SMALLRNA_RULES))
        theirs.append(persample_cost.measure_pinned(cutadapt, small.folder, log).seconds)
    persample_cost.trimming_agrees(small.folder, report)
    row, ratio = ratio_row(
        "the small-RNA sample's rules (trim, collapse, align, count) vs cutadapt -j 1",
        f"{reads:,} serum-like reads",
        (ours, "sum of the 4 jobs' benchmark files"),
        (theirs, "cutadapt -j 1 (-m/-M window) on the same file", "cutadapt"),
        goal(SMALLRNA_GOALS, reads),
        "trimming equal to cutadapt's (asserted)",
    )
    return row, {"reads": reads, "project_s": ours, "cutadapt_s": theirs, "ratio": ratio}


def mrna_size(s: Settings, pairs: int, log: Path) -> tuple[Row, dict]:
    """Rule mrna_count vs featureCounts -T 1 on the rule's BAM of ``pairs`` pairs, in turns."""
    sized = dataclasses.replace(s, work=s.work / "persample_sizes" / f"mrna_{pairs}")
    sized.mrna_pairs = pairs
    mrna = rule_sections.mrna_folder(sized)
    bam = mrna.folder / paths.fill(paths.MRNA_BAM, aligner="hisat2", sample=SAMPLE, unit=UNIT)
    records = persample_cost.alignments(bam)
    out = mrna.work / "featurecounts.txt"
    featurecounts = ["featureCounts", "-T", "1", *rule_sections.FEATURECOUNTS_OPTIONS]
    featurecounts += ["-a", str(mrna.gtf), "-o", str(out), str(bam)]
    ours, theirs = [], []
    for _ in range(max(1, s.reps)):
        run = rules.run_rules(mrna.folder, 1, mrna.targets, log=log, forcerun=["mrna_count"])
        rules.check_jobs(run.rules, persample_cost.MRNA_RULES)
        ours.append(run.rules.jobs[rule_sections.MRNA_COUNT_JOB])
        theirs.append(persample_cost.measure_pinned(featurecounts, mrna.work, log).seconds)
    moved = agreement.counts_but_htseq_ambiguous(
        rule_sections.read_htseq(mrna.folder / mrna.targets[0]),
        rule_sections.read_featurecounts(out),
        "mrna_count vs featureCounts on the rule's BAM",
    )
    row, ratio = ratio_row(
        "rule mrna_count vs featureCounts -T 1",
        f"{pairs:,} read pairs (simulated); the rule's BAM: {records:,} records",
        (ours, "its benchmark file"),
        (theirs, "featureCounts -T 1 on the rule's BAM", "featureCounts"),
        goal(MRNA_GOALS, records),
        "gene counts equal to featureCounts' (asserted), "
        + (f"but for the pairs htseq-count calls ambiguous: {moved}" if moved else "every gene"),
    )
    raw = {"pairs": pairs, "records": records, "project_s": ours, "featurecounts_s": theirs}
    return row, raw | {"ratio": ratio}


def persample_sizes(s: Settings) -> tuple[list[Row], dict]:
    """Both ratios at each size of ``s.persample_smallrna_reads`` and ``s.persample_mrna_pairs``."""
    work = s.work / "persample_sizes"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    rows, raw = [], {"load_before": os.getloadavg()}
    for reads in s.persample_smallrna_reads:
        row, raw[f"smallrna_{reads}"] = smallrna_size(s, reads, log)
        rows.append(row)
    for pairs in s.persample_mrna_pairs:
        row, raw[f"mrna_{pairs}"] = mrna_size(s, pairs, log)
        rows.append(row)
    raw["load_after"] = os.getloadavg()
    return rows, raw
