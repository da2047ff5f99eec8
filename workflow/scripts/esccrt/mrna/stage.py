"""The mRNA stage's entry points for the rules that hold logic: rule mrna_cutadapt ->
:func:`trim`, mrna_strandedness -> :func:`strandedness`, mrna_count -> :func:`count`, mrna_qc ->
:func:`qc`. Each takes its settings (built from its block of the validated ``mrna`` section,
:mod:`esccrt.mrna.settings`), its input and output paths and what the rule decides per job.
Tests run these same functions.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt.io import write_tsv_atomic
from esccrt.mrna.settings import (
    CountingSettings,
    QcSettings,
    StrandednessSettings,
    TrimmingSettings,
)


@dataclass(frozen=True)
class TrimInputs:
    """One unit's reads (``fq2`` only for pairs)."""

    fq1: Path
    fq2: Path | None = None


@dataclass(frozen=True)
class TrimOutputs:
    """The trimmed reads' folder (:func:`esccrt.paths.trimmed_fastqs`), cutadapt's text and JSON
    reports."""

    reads: Path
    report: Path
    json: Path


def trim(
    settings: TrimmingSettings,
    unit: Mapping[str, str],
    paired: bool,
    inputs: TrimInputs,
    outputs: TrimOutputs,
    threads: int,
    where: str,
) -> None:
    """Trim adapters (the ``unit`` row's protocol/adapter) and low-quality 3' ends of one unit,
    single- or paired-end, with cutadapt; ``where`` names the unit in messages."""
    from esccrt.fastq import run_reading_reads, temporary_outputs
    from esccrt.io import atomic_write
    from esccrt.mrna.trim import adapters_for, cutadapt_args
    from esccrt.paths import trimmed_fastqs
    from esccrt.safety import split_tool_options

    r1_adapter, r2_adapter = adapters_for(
        unit.get("protocol", ""),
        unit.get("adapter", ""),
        settings.adapters,
        paired=paired,
        where=f"units sheet, {where}",
    )
    # cutadapt writes into a hidden folder and under temporary names, renamed when it succeeds.
    folder = Path(outputs.reads)
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    out_reads = trimmed_fastqs(str(partial), paired)
    reads = [str(inputs.fq1), *([str(inputs.fq2)] if paired else [])]
    try:
        with (
            temporary_outputs([str(outputs.json)]) as tmp,
            atomic_write(outputs.report) as report,
        ):
            args = cutadapt_args(
                fq1=str(inputs.fq1),
                fq2=str(inputs.fq2) if paired else None,
                out1=out_reads[0],
                out2=out_reads[1] if paired else None,
                adapter_r1=r1_adapter,
                adapter_r2=r2_adapter,
                min_length=settings.min_length,
                quality_cutoff=settings.quality_cutoff,
                cores=threads,
                json_report=tmp[0],
                extra=split_tool_options(settings.extra, "mrna.trimming.extra"),
            )
            print("cutadapt " + shlex.join(args), file=sys.stderr, flush=True)
            run_reading_reads(
                [sys.executable, "-m", "cutadapt", *args], where, reads, sys.stderr, stdout=report
            )
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # no half-written reads left behind
        raise
    os.replace(partial, folder)


@dataclass(frozen=True)
class StrandednessInputs:
    """A unit's BAM and the annotation's stranded exon regions."""

    bam: Path
    regions: Path


def strandedness_table(units: Sequence[str | os.PathLike[str]], output: Path) -> None:
    """Rule mrna_strandedness_table's entry point: the units' one-row tables (:func:`strandedness`)
    in one table, in the order given."""
    import pandas as pd

    table = pd.concat(
        [pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) for path in units]
    )
    write_tsv_atomic(table, output)


def strandedness(
    settings: StrandednessSettings,
    sheet: str,
    inputs: StrandednessInputs,
    output: Path,
    sample: str,
    unit: str,
) -> dict[str, object]:
    """Infer one unit's strandedness, reconcile it with the sheet's value (``sheet``; empty =
    auto) and write the one-row table; returns the row."""
    import pandas as pd

    from esccrt.mrna.strandedness import call_strandedness, resolve_strandedness, strand_evidence

    regions = pd.read_csv(inputs.regions, sep="\t", dtype={"chrom": str})
    evidence = strand_evidence(
        inputs.bam,
        regions.itertuples(index=False, name=None),
        n_reads=settings.sample_reads,
        min_mapq=settings.min_mapq,
    )
    inferred = call_strandedness(
        evidence, threshold=settings.threshold, min_reads=settings.min_reads
    )
    sheet = sheet or "auto"
    decision = resolve_strandedness(
        sheet, inferred, settings.mismatch, where=f"sample {sample}, unit {unit}"
    )
    if decision.message:
        print(f"WARNING: {decision.message}", file=sys.stderr)
        print(f"WARNING: {decision.message}", file=sys.__stderr__)
    row = {
        "sample": sample,
        "unit": unit,
        "sheet": sheet,
        "inferred": inferred,
        "fraction_forward": round(evidence.fraction_forward, 4),
        "fraction_reverse": round(evidence.fraction_reverse, 4),
        "fraction_undetermined": round(evidence.fraction_undetermined, 4),
        "reads_used": evidence.reads_used,
        "reads_informative": evidence.informative,
        "used": decision.used,
        "agreement": decision.agreement,
    }
    print(row, file=sys.stderr)
    write_tsv_atomic(pd.DataFrame([row]), output)
    return row


@dataclass(frozen=True)
class CountInputs:
    """A unit's BAM, the annotation, and the unit's strandedness table (its ``used`` call)."""

    bam: Path
    gtf: Path
    strandedness: Path


def count(settings: CountingSettings, inputs: CountInputs, output: Path, threads: int):
    """Count one unit's BAM in genes exactly like htseq-count (``-r pos``, ``-s`` from the
    strandedness the unit's table says was used); writes htseq-count's table, returns the
    :class:`~esccrt.mrna.counting.CountResult`."""
    from esccrt.mrna.counting import count_bam
    from esccrt.mrna.features import load_features
    from esccrt.mrna.htseq_table import write_htseq_table
    from esccrt.mrna.strandedness import HTSEQ_STRANDED, read_used

    used = read_used(inputs.strandedness)
    stranded = HTSEQ_STRANDED[used]
    features = load_features(
        inputs.gtf,
        stranded=stranded != "no",
        feature_type=settings.feature_type,
        id_attribute=settings.id_attribute,
        name_attribute=settings.name_attribute,
    )
    result = count_bam(
        inputs.bam,
        features,
        stranded,
        minaqual=settings.minaqual,
        mode=settings.mode,
        nonunique=settings.nonunique,
        threads=threads,
    )
    print(
        f"strandedness {used} (htseq -s {stranded}); assigned {result.assigned}; {result.special}",
        file=sys.stderr,
    )
    write_htseq_table(result, features.names, output)
    return result


@dataclass(frozen=True)
class QcInputs:
    """The count summary, and per unit (``unit_keys`` order) the aligner log and cutadapt's
    JSON report."""

    summary: Path
    aligner_logs: tuple[Path, ...]
    cutadapt: tuple[Path, ...]


@dataclass(frozen=True)
class QcOutputs:
    """Mapping/assignment rates (table and plot) and the QC gate."""

    rates: Path
    plot: Path
    gate: Path


def qc(
    settings: QcSettings,
    aligner: str,
    unit_keys: Iterable[Sequence[str]],
    inputs: QcInputs,
    outputs: QcOutputs,
) -> None:
    """Mapping/assignment rates per sample and the QC gate for DE."""
    import pandas as pd

    from esccrt.mrna.qc import (
        aligner_rates_per_sample,
        draw_qc_rates,
        qc_gate,
        qc_rates,
        trimming_per_sample,
    )

    summary = pd.read_csv(inputs.summary, sep="\t", dtype={"sample": str})
    samples = [sample for sample, _unit in unit_keys]
    aligner_rates = aligner_rates_per_sample(
        zip(samples, inputs.aligner_logs, strict=True), aligner
    )
    trimming = trimming_per_sample(zip(samples, inputs.cutadapt, strict=True))
    rates = qc_rates(summary, aligner_rates, trimming)
    gate = qc_gate(rates, settings.min_assigned_reads, settings.min_assignment_rate)
    write_tsv_atomic(rates, outputs.rates)
    draw_qc_rates(
        rates,
        outputs.plot,
        min_assignment_rate=settings.min_assignment_rate,
        plots=settings.plots,
    )
    write_tsv_atomic(gate, outputs.gate)
