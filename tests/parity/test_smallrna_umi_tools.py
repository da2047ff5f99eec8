"""QIAseq UMI deduplication equals ``umi_tools dedup --method directional`` on the same reads.

The real QIAseq reads of miRTrace's example (skipped without ../shared/data), with UMI errors
planted: copies of reads with one base of the UMI changed. Trimmed and collapsed by the
workflow's entry points (rules smallrna_trim, smallrna_collapse); the same trimmed reads go to
UMI-tools as a BAM with each insert as its own reference (so UMI-tools groups by insert, as the
workflow does) and the UMI in the read name.
"""

from __future__ import annotations

import gzip
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from esccrt.smallrna.collapse import copy_number, umi_from_name
from esccrt.smallrna.presets import QIASEQ_ADAPTER, QIASEQ_UMI_LENGTH
from prerequisites import SETUP, TEST_DATA, missing
from schema_sections import smallrna_section
from smallrna_helpers import bound_memory, collapse_as_rule, trim_as_rule

QIASEQ_EXAMPLE = ("smallrna_refs", "contamination", "mirtrace", "qiaseq_mouse_example")
#: The insert length window of the schema (the rules trim and collapse with it).
MIN_LENGTH, MAX_LENGTH = (smallrna_section()[key] for key in ("min_length", "max_length"))


def _umi_tools() -> str:
    found = shutil.which("umi_tools") or str(Path(sys.executable).parent / "umi_tools")
    if not Path(found).exists():
        missing("umi_tools (PyPI umi-tools, in requirements.lock)", SETUP)
    return found


def _with_planted_umi_errors(source: Path, target: Path, reads: int, seed: int = 5) -> int:
    """Copy the first ``reads`` of ``source`` adding PCR duplicates and copies with a one-base
    UMI error; how many error copies were planted."""
    rng = random.Random(seed)
    planted = 0
    with gzip.open(source, "rt") as handle, gzip.open(target, "wt") as out:
        lines = handle.read().splitlines()[: 4 * reads]
        for i in range(0, len(lines), 4):
            name, sequence, _, quality = lines[i : i + 4]
            copies = [sequence] * rng.choice([1, 1, 2, 3])  # PCR duplicates
            found = sequence.find(QIASEQ_ADAPTER)
            umi_at = found + len(QIASEQ_ADAPTER)
            if found >= 0 and umi_at + QIASEQ_UMI_LENGTH <= len(sequence) and rng.random() < 0.3:
                at = umi_at + rng.randrange(QIASEQ_UMI_LENGTH)
                base = rng.choice([b for b in "ACGT" if b != sequence[at]])
                copies.append(sequence[:at] + base + sequence[at + 1 :])
                planted += 1
            for k, copy in enumerate(copies):
                out.write(f"{name.split()[0]}_{k}\n{copy}\n+\n{quality}\n")
    return planted


def _umis_by_insert(trimmed: Path) -> dict[str, list[str]]:
    """Insert -> the UMI of each of its trimmed reads (copies repeated), in the length window."""
    reads: dict[str, list[str]] = {}
    for record in pysam.FastxFile(str(trimmed)):
        header = f"{record.name} {record.comment or ''}"
        umi = umi_from_name(header, QIASEQ_UMI_LENGTH)
        if umi is not None and MIN_LENGTH <= len(record.sequence) <= MAX_LENGTH:
            reads.setdefault(record.sequence, []).extend([umi] * copy_number(header))
    return reads


def _bam_for_umi_tools(reads: dict[str, list[str]], bam: Path) -> list[str]:
    """The reads as a BAM: insert = reference, each read at 0 with its UMI in the name."""
    inserts = sorted(reads)
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": f"insert{i}", "LN": len(s)} for i, s in enumerate(inserts)],
    }
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for ref_id, sequence in enumerate(inserts):
            for k, umi in enumerate(reads[sequence]):
                read = pysam.AlignedSegment(out.header)
                read.query_name = f"r{ref_id}x{k}_{umi}"
                read.query_sequence = sequence
                read.query_qualities = pysam.qualitystring_to_array("I" * len(sequence))
                read.flag, read.reference_id, read.reference_start = 0, ref_id, 0
                read.mapping_quality, read.cigarstring = 255, f"{len(sequence)}M"
                out.write(read)
    pysam.index(str(bam))
    return inserts


@pytest.mark.parametrize("memory", ["in_memory", "spilled"])
def test_umi_dedup_equals_umi_tools_directional(shared_data, tmp_path, monkeypatch, memory):
    """Molecules per insert equal ``umi_tools dedup --method directional``, also when at most
    100 (insert, UMI) pairs are held in memory and the rest spill to disk."""
    runs = bound_memory(monkeypatch, keys=100) if memory == "spilled" else []
    umi_tools = _umi_tools()
    source = shared_data.joinpath(*QIASEQ_EXAMPLE) / "QiaSeq_data.fastq.gz"
    if not source.exists():
        missing(str(source), TEST_DATA)
    fastq = tmp_path / "qiaseq.fastq.gz"
    planted = _with_planted_umi_errors(source, fastq, reads=5000)
    unit = trim_as_rule(fastq, "qiaseq", "", tmp_path)
    trimmed = unit.fasta
    collapsed, stats = collapse_as_rule([unit], tmp_path / "sample")
    ours = {record.sequence: copy_number(record.name) for record in pysam.FastxFile(str(collapsed))}

    bam, deduplicated = tmp_path / "reads.bam", tmp_path / "dedup.bam"
    reads = _umis_by_insert(trimmed)
    inserts = _bam_for_umi_tools(reads, bam)
    subprocess.run(
        [umi_tools, "dedup", "-I", str(bam), "-S", str(deduplicated), "--method", "directional"],
        check=True,
        capture_output=True,
    )
    theirs: dict[str, int] = {}
    with pysam.AlignmentFile(str(deduplicated)) as handle:
        for read in handle:
            sequence = inserts[read.reference_id]
            theirs[sequence] = theirs.get(sequence, 0) + 1

    assert ours == theirs
    assert stats["kept"] + stats["umi_duplicate"] == sum(len(umis) for umis in reads.values())
    # The planted errors were there and were corrected: exact UMI + insert counts more.
    exact_molecules = sum(len(set(umis)) for umis in reads.values())
    print(f"{planted} UMI errors planted; molecules: {stats['kept']} (exact: {exact_molecules})")
    assert planted > 500 and stats["kept"] < exact_molecules
    assert bool(runs) == (memory == "spilled")
