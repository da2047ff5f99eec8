"""Helpers of the small-RNA tests (unit and parity): tiny FASTQ/BAM files, trimming, indexes."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from esccrt.smallrna.presets import ILLUMINA_ADAPTER, TrimPreset, TrimSettings
from esccrt.smallrna.trim import TrimReport, cutadapt_args, trim_unit
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


def trim_distinct(
    preset: TrimPreset,
    fastq: Path,
    out_dir: Path,
    window: tuple[int, int] | None = None,
    **settings,
) -> tuple[Path, TrimReport]:
    """Trim as rule smallrna_trim does (:func:`esccrt.smallrna.trim.trim_unit`; the rule gives
    the insert length ``window``): the unit's inserts with copy numbers, the read-level report."""
    output = out_dir / f"{fastq.stem}.distinct.fa"
    with open(out_dir / f"{fastq.stem}.trim.log", "w") as log:
        report = trim_unit(
            str(fastq),
            preset,
            trim_settings(**settings),
            output,
            out_dir / f"{fastq.stem}.cutadapt.json",
            log,
            f"test {fastq.name}",
            window,
        )
    return output, report


def build_index(fasta: Path, prefix: Path) -> str:
    """bowtie-build a small reference quietly."""
    subprocess.run(["bowtie-build", "-q", str(fasta), str(prefix)], check=True)
    return str(prefix)


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
