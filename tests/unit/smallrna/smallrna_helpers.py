"""Helpers of the small-RNA tests (unit and parity): tiny FASTQ/BAM files, and the arm run
through its entry points (:mod:`esccrt.smallrna.stage`) with a validated ``smallrna`` section."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pysam
import pytest
from esccrt.smallrna import stage
from esccrt.smallrna.layout import MIRNA_STEPS, rna_class_names
from esccrt.smallrna.presets import ILLUMINA_ADAPTER, TrimPreset, TrimSettings, trim_preset
from esccrt.smallrna.reference import read_fasta
from esccrt.smallrna.settings import (
    BowtieSettings,
    CollapseSettings,
    CountSettings,
    ReferenceSettings,
    TrimStepSettings,
)
from esccrt.smallrna.trim import TrimReport, cutadapt_args
from schema_sections import smallrna_section

ILLUMINA = ILLUMINA_ADAPTER
MIR21 = "TAGCTTATCAGACTGATGTTGA"
LET7A = "TGAGGTAGTAGGTTGTATAGTT"


#: Tests that run these tools fail, naming `make test-tools`, where they are absent.
needs_tools = pytest.mark.commands("bowtie", "bowtie-build", "samtools")


def write_fastq(path: Path, reads: list[tuple[str, str]]) -> Path:
    """Write (name, sequence) reads with high qualities, gzip-compressed when path ends .gz."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as handle:
        for name, sequence in reads:
            handle.write(f"@{name}\n{sequence}\n+\n{'I' * len(sequence)}\n")
    return path


def trim_settings(**keys: object) -> TrimSettings:
    """:class:`TrimSettings` of a validated ``smallrna`` section with these keys."""
    return TrimSettings.from_config(smallrna_section(**keys))


def run_cutadapt(preset: TrimPreset, fastq: Path, out_dir: Path, **settings) -> Path:
    """Run cutadapt through :func:`esccrt.smallrna.trim.cutadapt_args` (``settings``: keys of the
    ``smallrna`` section, the schema's defaults for the rest); return the trimmed FASTQ."""
    output, report = out_dir / f"{fastq.stem}.trimmed.fastq", out_dir / f"{fastq.stem}.json"
    args = cutadapt_args(preset, trim_settings(**settings), str(fastq), output, report)
    subprocess.run([sys.executable, "-m", "cutadapt", *args], check=True, capture_output=True)
    return output


@dataclass(frozen=True)
class TrimmedUnit:
    """A unit trimmed by :func:`trim_as_rule`: rule smallrna_trim's outputs and its preset's UMI."""

    fasta: Path
    report_path: Path
    cutadapt_json: Path
    report: TrimReport
    umi_length: int


def trim_as_rule(
    fastq: Path, protocol: str, adapter: str, out_dir: Path, section: dict | None = None
) -> TrimmedUnit:
    """Trim one unit as rule smallrna_trim does (:func:`esccrt.smallrna.stage.trim`, settings of
    the validated ``section``, default: the schema's): its inserts in the length window with copy
    numbers, its read-level report and cutadapt's JSON report."""
    settings = TrimStepSettings.from_config(section or smallrna_section())
    outputs = stage.TrimOutputs(
        fasta=out_dir / f"{fastq.stem}.distinct.fa",
        json=out_dir / f"{fastq.stem}.trim.json",
        cutadapt=out_dir / f"{fastq.stem}.cutadapt.json",
    )
    preset = trim_preset(protocol, adapter)
    report = stage.trim(settings, preset, stage.TrimInputs(fastq), outputs, f"test {fastq.name}")
    return TrimmedUnit(outputs.fasta, outputs.json, outputs.cutadapt, report, preset.umi_length)


def collapse_as_rule(
    units: list[TrimmedUnit], out_dir: Path, section: dict | None = None
) -> tuple[Path, dict]:
    """Collapse a sample's trimmed units as rule smallrna_collapse does
    (:func:`esccrt.smallrna.stage.collapse`): the collapsed FASTA and the step's numbers."""
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = stage.CollapseOutputs(out_dir / "collapsed.fa", out_dir / "collapsed.json")
    stats = stage.collapse(
        CollapseSettings.from_config(section or smallrna_section()),
        [unit.umi_length for unit in units],
        stage.CollapseInputs(
            tuple(unit.fasta for unit in units), tuple(unit.report_path for unit in units)
        ),
        outputs,
        sample=out_dir.name,
    )
    return outputs.fasta, stats


def arms_as_rule(table, folder: Path):
    """The arms the counting rule reads: a :func:`~esccrt.smallrna.arms.mature_positions` table
    written as rule smallrna_arms writes it and read back (:func:`~esccrt.smallrna.arms.
    read_arms`)."""
    from esccrt.io import write_tsv_atomic
    from esccrt.smallrna.arms import read_arms

    path = folder / "arms.tsv"
    write_tsv_atomic(table, path)
    return read_arms(path)


def build_index(fasta: Path, prefix: Path) -> str:
    """bowtie-build a small reference quietly (rule smallrna_bowtie_index's command)."""
    subprocess.run(["bowtie-build", "-q", str(fasta), str(prefix)], check=True)
    return str(prefix)


class ArmReferences:
    """The references of a validated ``smallrna`` section as the rules prepare them
    (:func:`esccrt.smallrna.stage.reference`, :func:`~esccrt.smallrna.stage.arms`), indexed."""

    def __init__(self, section: dict, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.section, self.folder = section, folder
        self.classes = rna_class_names(section)
        self.index: dict[str, str] = {}
        for ref in (*MIRNA_STEPS, *self.classes):
            fasta = folder / f"{ref}.fa"
            stage.reference(
                ReferenceSettings.from_config(section, ref), stage.ReferenceOutputs(fasta)
            )
            self.index[ref] = build_index(fasta, folder / ref)
        self.arms_table = folder / "arms.tsv"
        stage.arms(
            stage.ArmsInputs(folder / "mature.fa", folder / "hairpin.fa"),
            stage.ArmsOutputs(self.arms_table),
        )
        self.mature_names = [r.name for r in read_fasta(folder / "mature.fa")]

    def fasta(self, ref: str) -> Path:
        """The prepared FASTA of ``ref``."""
        return self.folder / f"{ref}.fa"


def run_sample(
    refs: ArmReferences,
    fastq: Path,
    protocol: str,
    adapter: str,
    work: Path,
    classes: list[tuple[str, str]] | None = None,
) -> dict:
    """One single-unit sample through the arm's entry points, as the rules chain them: trim,
    collapse, screen (when classes are configured), align (mature, then hairpin, one job), count.
    ``classes``: (name, bowtie index) screened in order; default: the classes of ``refs``.

    Returns the count step's JSON (``mature``, ``hairpin``, ``isomirs``, ``fate`` ...) with the
    :class:`~esccrt.smallrna.stage.CountResult` as ``result``, and the files: ``collapsed``,
    ``mirgff``, ``unaligned``, ``count_inputs`` (to count again)."""
    section = refs.section
    work.mkdir(parents=True, exist_ok=True)
    unit = trim_as_rule(fastq, protocol, adapter, work, section)
    collapsed, _ = collapse_as_rule([unit], work, section)
    reads, class_counts = collapsed, None
    if classes is None:
        classes = [(name, refs.index[name]) for name in refs.classes]
    if classes:
        outputs = stage.ScreenOutputs(work / "unscreened.fa", work / "classes.json")
        stage.screen(
            BowtieSettings.from_config(section, "rna_classes"),
            classes,
            stage.ScreenInputs(collapsed),
            outputs,
            threads=1,
            log_file=work / "screen.log",
        )
        reads, class_counts = outputs.unscreened, outputs.counts
    aligned = stage.MirnaStepsOutputs(
        tuple(work / f"{step}.bam" for step in MIRNA_STEPS),
        tuple(work / f"{step}.un.fa" for step in MIRNA_STEPS),
    )
    stage.align_mirna_steps(
        [(BowtieSettings.from_config(section, step), refs.index[step]) for step in MIRNA_STEPS],
        stage.AlignInputs(reads),
        aligned,
        threads=1,
        log_files=[work / f"bowtie_{step}.log" for step in MIRNA_STEPS],
    )
    bams, reads = dict(zip(MIRNA_STEPS, aligned.bams, strict=True)), aligned.unaligned[-1]
    inputs = stage.CountInputs(
        trim_json=(unit.report_path,),
        stats=work / "collapsed.json",
        mature=bams["mature"],
        hairpin=bams["hairpin"],
        unaligned=reads,
        arms=refs.arms_table,
        hairpin_fasta=refs.fasta("hairpin"),
        rna_classes=class_counts,
    )
    outputs = stage.CountOutputs(work / "counts.json", work / "sample.gff")
    result = stage.count(CountSettings.from_config(section), inputs, outputs, sample=work.name)
    counts = json.loads(outputs.counts.read_text())
    return {
        **counts,
        "result": result,
        "fate": result.fate,
        "collapsed": collapsed,
        "mirgff": outputs.mirgff,
        "unaligned": reads,
        "count_inputs": inputs,
    }


def write_bam(path: Path, references: dict[str, int], reads: list[dict]) -> Path:
    """A hand-made BAM: reads are dicts with name, ref, pos, seq, and optional reverse, nm, md."""
    header = {"HD": {"VN": "1.0"}, "SQ": [{"SN": n, "LN": ln} for n, ln in references.items()]}
    names = list(references)
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for spec in reads:
            read = pysam.AlignedSegment()
            read.query_name = spec["name"]
            read.query_sequence = spec["seq"]
            read.flag = 16 if spec.get("reverse") else 0
            read.reference_id = names.index(spec["ref"])
            read.reference_start = spec["pos"]
            read.mapping_quality = 255
            read.cigarstring = f"{len(spec['seq'])}M"
            read.set_tag("NM", spec.get("nm", 0))
            if "md" in spec:
                read.set_tag("MD", spec["md"])
            out.write(read)
    return path


EXRNAQC = {
    "RNA014937": "RNA014937_S1_R1",
    "RNA014938": "RNA014938_S2_R1",
    "RNA014939": "RNA014939_S3_R1",
}


def bound_memory(monkeypatch, keys: int, batching: bool | None = None) -> list[int]:
    """Make the small-RNA steps hold at most ``keys`` inserts (or placements, records) in
    memory, so they spill sorted runs to disk (:mod:`esccrt.smallrna.spill`), and choose how
    trimming counts reads
    (``batching``: per distinct read in small batches, read by read, or None: as it judges).
    Returns one entry per run written, for asserting that they were."""
    from esccrt.smallrna import spill, trim

    runs: list[int] = []
    write = spill._Runs.write

    def counting_write(self, items):
        runs.append(1)
        write(self, items)

    monkeypatch.setattr(spill, "KEYS_IN_MEMORY", keys)
    monkeypatch.setattr(spill, "ITEMS_IN_MEMORY", keys)
    monkeypatch.setattr(spill._Runs, "write", counting_write)
    if batching is not None:
        monkeypatch.setattr(trim, "_READS_PER_BATCH", 97)
        monkeypatch.setattr(trim, "_COPIES_TO_BATCH", 0 if batching else 10**9)
    return runs
