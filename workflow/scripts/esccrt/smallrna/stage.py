"""The small-RNA stage's entry points, one per rule: each takes the step's settings (built from
the validated ``smallrna`` section, :mod:`esccrt.smallrna.settings`), its input and output paths,
and what the rule decides per job (the unit's preset, the sample, threads, the log).

Rules and entry points: smallrna_reference -> :func:`reference`, smallrna_arms -> :func:`arms`,
smallrna_trim -> :func:`trim`, smallrna_collapse -> :func:`collapse`, smallrna_screen ->
:func:`screen`, smallrna_align -> :func:`align_mirna_steps` (:func:`align` per step),
smallrna_count -> :func:`count`, smallrna_summary -> :func:`esccrt.smallrna.summary.summary`
(its own module). The bowtie indexes are built by the rules' shell lines.
Tests run the arm through these same functions.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from esccrt.errors import InputError
from esccrt.io import write_json_atomic, write_tsv_atomic
from esccrt.smallrna.presets import TrimPreset
from esccrt.smallrna.qc import SampleFate
from esccrt.smallrna.screen import ClassCount
from esccrt.smallrna.settings import (
    BowtieSettings,
    CollapseSettings,
    CountSettings,
    ReferenceSettings,
    TrimStepSettings,
)
from esccrt.smallrna.trim import TrimReport

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------- references
@dataclass(frozen=True)
class ReferenceOutputs:
    """The prepared FASTA of one reference."""

    fasta: Path


def reference(settings: ReferenceSettings, outputs: ReferenceOutputs) -> int:
    """Fetch, check and prepare one reference; return the number of sequences kept."""
    from esccrt.smallrna.reference import prepare_reference

    try:
        kept = prepare_reference(
            settings.source,
            outputs.fasta,
            species=settings.species or None,
            sha256=settings.sha256,
            key=settings.key,
            name_prefix=settings.name_prefix,
            biotypes=settings.biotypes,
        )
    except InputError as error:
        print(f"Input error (config {settings.key}): {error}", file=sys.stderr)
        raise
    print(
        f"{settings.name}: {kept} sequences from {settings.source} written to {outputs.fasta}",
        file=sys.stderr,
    )
    return kept


@dataclass(frozen=True)
class ArmsInputs:
    """The prepared mature and hairpin FASTA."""

    mature: Path
    hairpin: Path


@dataclass(frozen=True)
class ArmsOutputs:
    """Where each mature miRNA lies in the hairpins."""

    arms: Path


def arms(inputs: ArmsInputs, outputs: ArmsOutputs) -> None:
    """Locate each mature miRNA in the hairpins (exact match), for crediting hairpin reads."""
    from esccrt.smallrna.arms import mature_positions
    from esccrt.smallrna.reference import read_fasta

    mature = {r.name: r.sequence for r in read_fasta(inputs.mature)}
    hairpins = {r.name: r.sequence for r in read_fasta(inputs.hairpin)}
    table = mature_positions(mature, hairpins)
    write_tsv_atomic(table, outputs.arms)
    placed = table["mature"].nunique()
    print(
        f"{placed} of {len(mature)} mature miRNAs found in {table['hairpin'].nunique()} of "
        f"{len(hairpins)} hairpins",
        file=sys.stderr,
    )
    missing = sorted(set(mature) - set(table["mature"]))
    if missing:
        print(
            f"not found in any hairpin (counted by direct alignment only): {missing[:20]}",
            file=sys.stderr,
        )


# --------------------------------------------------------------------------- per unit/sample
@dataclass(frozen=True)
class TrimInputs:
    """One unit's reads."""

    fq1: Path


@dataclass(frozen=True)
class TrimOutputs:
    """The unit's inserts in the window (collapsed), its trimming report, cutadapt's report."""

    fasta: Path
    json: Path
    cutadapt: Path


def trim(
    settings: TrimStepSettings,
    preset: TrimPreset,
    inputs: TrimInputs,
    outputs: TrimOutputs,
    where: str,
) -> TrimReport:
    """Trim one unit in one pass with its protocol's ``preset`` (cutadapt's trimming), counting
    its inserts; ``where`` names the unit in messages."""
    from esccrt.smallrna.trim import trim_unit, write_trim_report

    report = trim_unit(
        str(inputs.fq1),
        preset,
        settings.trimming,
        output=outputs.fasta,
        cutadapt_report=outputs.cutadapt,
        log=sys.stderr,
        where=where,
        window=settings.window,
    )
    print(report, file=sys.stderr)
    write_trim_report(report, outputs.json)
    return report


@dataclass(frozen=True)
class CollapseInputs:
    """The trimmed units of one sample and their reports (same order)."""

    fastas: tuple[Path, ...]
    reports: tuple[Path, ...]


@dataclass(frozen=True)
class CollapseOutputs:
    """The sample's unique inserts and the step's numbers."""

    fasta: Path
    stats: Path


def collapse(
    settings: CollapseSettings,
    umi_lengths: Sequence[int],
    inputs: CollapseInputs,
    outputs: CollapseOutputs,
    sample: str,
) -> dict:
    """Collapse the units of ``sample`` (``umi_lengths``: one per unit, from its preset) into
    unique inserts; return the numbers written to ``outputs.stats``."""
    from esccrt.smallrna.collapse import collapse_units
    from esccrt.smallrna.trim import read_trim_report

    stats = collapse_units(
        list(inputs.fastas),
        [read_trim_report(path) for path in inputs.reports],
        list(umi_lengths),
        outputs.fasta,
    )
    write_json_atomic(stats, outputs.stats)
    low, high = settings.window
    print(
        f"sample {sample}: {stats['reads']} trimmed reads, {stats['kept']} kept in {low}..{high} "
        f"nt as {stats['unique']} unique inserts",
        file=sys.stderr,
    )
    if any(umi_lengths) and stats["kept"] == 0:
        raise InputError(
            f"sample {sample}: no read kept with a QIAseq adapter + 12-nt UMI ({stats['reads']} "
            f"reads after trimming, {stats['no_umi']} without a readable UMI). Check the "
            "protocol in units.tsv and the cutadapt report in results/logs/smallrna/trim/."
        )
    if stats["kept"] == 0:
        print(
            f"WARNING: sample {sample} has no read left for alignment; it will fail the QC gate.",
            file=sys.stderr,
        )
    return stats


@dataclass(frozen=True)
class ScreenInputs:
    """A sample's collapsed reads."""

    reads: Path


@dataclass(frozen=True)
class ScreenOutputs:
    """The reads no class took, and the reads and sequences each class took."""

    unscreened: Path
    counts: Path


def screen(
    settings: BowtieSettings,
    classes: Sequence[tuple[str, str]],
    inputs: ScreenInputs,
    outputs: ScreenOutputs,
    threads: int,
    log_file: str | os.PathLike[str] | None,
) -> dict[str, ClassCount]:
    """Screen a sample's reads against the RNA ``classes`` ((name, bowtie index) in order)."""
    from esccrt.smallrna.screen import screen_classes

    sys.stderr.flush()
    counts = screen_classes(
        reads=inputs.reads,
        classes=list(classes),
        unscreened=outputs.unscreened,
        extra_args=settings.args,
        threads=threads,
        log=log_file,
    )
    write_json_atomic({name: asdict(count) for name, count in counts.items()}, outputs.counts)
    return counts


@dataclass(frozen=True)
class AlignInputs:
    """The reads a miRNA step aligns (what the screen or the previous step left)."""

    reads: Path


@dataclass(frozen=True)
class AlignOutputs:
    """bowtie's alignments (BAM, grouped by read) and the reads left for the next step."""

    bam: Path
    unaligned: Path


def align(
    settings: BowtieSettings,
    index: str,
    inputs: AlignInputs,
    outputs: AlignOutputs,
    threads: int,
    log_file: str | os.PathLike[str] | None,
) -> None:
    """Align one sample's remaining reads with bowtie 1 to one reference's ``index`` (prefix)."""
    from esccrt.smallrna.align import run_bowtie

    sys.stderr.flush()
    run_bowtie(
        index=index,
        reads=inputs.reads,
        bam=outputs.bam,
        unaligned=outputs.unaligned,
        extra_args=settings.args,
        threads=threads,
        log=log_file,
    )


@dataclass(frozen=True)
class MirnaStepsOutputs:
    """Each miRNA step's BAM and the reads it left, in step order (mature, then hairpin)."""

    bams: tuple[Path, ...]
    unaligned: tuple[Path, ...]


def align_mirna_steps(
    steps: Sequence[tuple[BowtieSettings, str]],
    inputs: AlignInputs,
    outputs: MirnaStepsOutputs,
    threads: int,
    log_files: Sequence[str | os.PathLike[str]],
) -> None:
    """Align a sample's reads to the miRNA references in one job: each step ((settings, bowtie
    index prefix), in order) aligns the reads the previous one left, as :func:`align` does for
    one, and logs bowtie to its own file of ``log_files``, started empty.

    One job per sample rather than one per step: a job costs about 0.4 s before its work
    starts (the Python process and Snakemake's import), as much as aligning 100,000 reads.
    """
    if not len(steps) == len(outputs.bams) == len(outputs.unaligned) == len(log_files):
        raise ValueError("align_mirna_steps needs one BAM, unaligned FASTA and log per step")
    reads = inputs.reads
    for (settings, index), bam, unaligned, log_file in zip(
        steps, outputs.bams, outputs.unaligned, log_files, strict=True
    ):
        Path(log_file).unlink(missing_ok=True)  # bowtie appends: no lines of an earlier run
        align(settings, index, AlignInputs(reads), AlignOutputs(bam, unaligned), threads, log_file)
        reads = unaligned


@dataclass(frozen=True)
class CountInputs:
    """What a sample's counting reads: every step's report, the BAMs, the arms, the hairpins.

    ``rna_classes`` (the screen's counts) only when RNA classes are configured."""

    trim_json: tuple[Path, ...]
    stats: Path
    mature: Path
    hairpin: Path
    unaligned: Path
    arms: Path
    hairpin_fasta: Path
    rna_classes: Path | None = None


@dataclass(frozen=True)
class CountOutputs:
    """The sample's counts, read fate and isomiRs (JSON) and its mirGFF3."""

    counts: Path
    mirgff: Path


@dataclass(frozen=True)
class CountResult:
    """What :func:`count` wrote: the sample's read fate, and its mirGFF3's size."""

    fate: SampleFate
    mirgff_records: int
    mirgff_skipped: int


def count(
    settings: CountSettings, inputs: CountInputs, outputs: CountOutputs, sample: str
) -> CountResult:
    """Count one sample's mature and hairpin alignments (copy-number weighted), write its read
    fate, counts and isomiRs, and its isomiRs in mirGFF3 (validated when merged, by
    :func:`summary`)."""
    from esccrt.smallrna.arms import read_arms
    from esccrt.smallrna.collapse import fasta_copies
    from esccrt.smallrna.count import add_counts, count_alignments
    from esccrt.smallrna.isomirs import merge_isomirs
    from esccrt.smallrna.mirgff import sample_records, write_mirgff
    from esccrt.smallrna.qc import sample_fate
    from esccrt.smallrna.reference import read_fasta
    from esccrt.smallrna.trim import read_trim_report

    with open(inputs.stats) as handle:
        collapsed = json.load(handle)
    trims = [read_trim_report(path) for path in inputs.trim_json]
    rna_classes = {}
    if inputs.rna_classes:
        with open(inputs.rna_classes) as handle:
            rna_classes = {name: counts["reads"] for name, counts in json.load(handle).items()}
    tails = settings.max_non_templated
    mature = count_alignments(inputs.mature, max_non_templated=tails)
    all_arms = read_arms(inputs.arms)
    arms_used = all_arms if settings.credit_arms else None
    hairpin = count_alignments(
        inputs.hairpin, arms_used, settings.arm_rule, max_non_templated=tails
    )
    fate = sample_fate(
        sample, trims, collapsed, rna_classes, mature, hairpin, fasta_copies(inputs.unaligned)
    )
    write_json_atomic(
        {
            "fate": asdict(fate),
            "mature": add_counts(mature.features, hairpin.arm_features),
            "hairpin": hairpin.features,
            "isomirs": merge_isomirs(mature.isomirs, hairpin.isomirs),
            "lengths": collapsed["lengths"],
        },
        outputs.counts,
    )
    print(json.dumps(asdict(fate), indent=1), file=sys.stderr)

    hairpins = {r.name: r.sequence for r in read_fasta(inputs.hairpin_fasta)}
    records, skipped = sample_records([mature, hairpin], all_arms, hairpins)
    print(
        f"mirGFF3: {len(records)} lines; {skipped} counted (read, miRNA) pairs left out (N, "
        "outside mirtop's windows, or a mature sequence in no hairpin)",
        file=sys.stderr,
    )
    # Not validated here (mirtop's validator takes seconds per 10^5 lines, per sample): the
    # merged file, from these lines, is (rule smallrna_summary); the tests validate every file.
    write_mirgff(
        ((record, [record.expression]) for record in records),
        [sample],
        outputs.mirgff,
        settings.mirgff3_source,
    )
    result = CountResult(fate, len(records), skipped)
    for spilled in (records, mature.placements, hairpin.placements):
        spilled.close()
    return result
