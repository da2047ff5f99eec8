"""mRNA arm: adapter trimming, alignment commands, strandedness and htseq-count-exact counting.

Tools are called with argument lists built here (never a shell string containing sheet values).
Counting re-implements ``htseq-count``'s loop on top of HTSeq's library (GenomicArrayOfSets,
BAM_Reader, pair_SAM_alignments_with_buffer) with the same decisions in the same order, so the
per-gene counts and the ``__`` counters are identical to the command line's.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pandas as pd

from esccrt import union_count
from esccrt.errors import InputError, located
from esccrt.references import fetch, is_url
from esccrt.sheets import ADAPTER_PATTERN, STRANDEDNESS

# ----------------------------------------------------------------------------------------------
# Trimming
# ----------------------------------------------------------------------------------------------


def adapters_for(
    protocol: str,
    adapter: str,
    presets: Mapping[str, Mapping[str, str]],
    paired: bool,
    where: str = "units sheet",
) -> tuple[str, str | None]:
    """The 3' adapters (read 1, read 2) of a unit.

    ``protocol`` is a key of ``presets`` (e.g. ``truseq``/``nextera``, each with ``r1`` and ``r2``
    sequences) or ``custom``; an empty protocol means ``truseq``. With ``custom``, ``adapter`` is
    one sequence (used for both reads) or ``R1SEQ,R2SEQ``. Read 2's adapter is None when
    single-end. ``where`` names the sheet row for the error message.
    """
    protocol = (protocol or "truseq").strip().lower()
    adapter = (adapter or "").strip().upper()
    if protocol == "custom":
        parts = [part.strip() for part in adapter.split(",")] if adapter else []
        if not parts or len(parts) > 2 or not all(ADAPTER_PATTERN.match(part) for part in parts):
            raise InputError(
                f"{where}: protocol 'custom' needs the adapter column to hold the 3' adapter "
                f"sequence (A/C/G/T/N), or two separated by a comma for read 1 and read 2; "
                f"got {adapter!r}."
            )
        r1 = parts[0]
        r2 = parts[-1]
    elif protocol in presets:
        if adapter:
            raise InputError(
                f"{where}: the adapter column is only read with protocol 'custom', but protocol "
                f"is {protocol!r}. Empty the adapter column or set protocol to 'custom'."
            )
        r1, r2 = presets[protocol]["r1"], presets[protocol]["r2"]
    else:
        known = ", ".join([*sorted(presets), "custom"])
        raise InputError(f"{where}: unknown protocol {protocol!r} for mRNA; use one of {known}.")
    return r1, (r2 if paired else None)


def cutadapt_args(
    *,
    fq1: str,
    out1: str,
    adapter_r1: str,
    min_length: int,
    json_report: str,
    fq2: str | None = None,
    out2: str | None = None,
    adapter_r2: str | None = None,
    quality_cutoff: int = 20,
    cores: int = 1,
    extra: Sequence[str] = (),
) -> list[str]:
    """Arguments of cutadapt (after the program name) for single- or paired-end trimming.

    Paired-end needs ``fq2``, ``out2`` and ``adapter_r2`` together; read pairs where either read
    gets shorter than ``min_length`` are dropped (cutadapt's ``--pair-filter=any``).
    """
    paired_parts = (fq2, out2, adapter_r2)
    if any(part is not None for part in paired_parts) and not all(
        part is not None for part in paired_parts
    ):
        raise ValueError("paired-end trimming needs fq2, out2 and adapter_r2 together")
    if min_length < 1:
        raise InputError(f"mrna.trimming.min_length must be at least 1, got {min_length}.")
    args = [
        "--cores",
        str(cores),
        "-a",
        adapter_r1,
    ]
    if adapter_r2 is not None:
        args += ["-A", adapter_r2]
    args += [
        "--quality-cutoff",
        str(quality_cutoff),
        "--minimum-length",
        str(min_length),
        "--json",
        json_report,
        *extra,
        "-o",
        out1,
    ]
    if fq2 is not None:
        args += ["-p", str(out2), fq1, fq2]
    else:
        args += [fq1]
    return args


def run_cutadapt(
    args: Sequence[str], report: str | os.PathLike[str], err: IO | None = None
) -> None:
    """Run cutadapt (this Python's ``-m cutadapt``) with ``args``.

    Its text report (what MultiQC reads) goes to ``report``, its messages to ``err``.
    """
    with open(report, "w") as out:
        subprocess.run(
            [sys.executable, "-m", "cutadapt", *args], stdout=out, stderr=err, check=True
        )


# ----------------------------------------------------------------------------------------------
# References
# ----------------------------------------------------------------------------------------------


def fetch_reference(source: str, sha256: str, dest: str | os.PathLike[str], key: str) -> None:
    """Copy or download ``source`` to ``dest`` (decompressing ``.gz``), checking ``sha256``."""
    fetch(source, dest, sha256=sha256, key=key, decompress=True)


REFERENCE_FILES = {"genome.fa": "genome", "genes.gtf": "annotation"}


def reference_path(mrna_config: Mapping, name: str) -> str:
    """Where the workflow reads the genome ('genome.fa') or annotation ('genes.gtf') from.

    A plain local ``source`` is used in place; a URL or a ``.gz`` file goes through
    ``resources/cache/mrna/<name>`` (downloaded, checked and decompressed once).
    """
    source = mrna_config[REFERENCE_FILES[name]]["source"]
    cached = is_url(source) or source.endswith(".gz")
    return f"resources/cache/mrna/{name}" if cached else source


def file_size(path: str | os.PathLike[str]) -> int:
    """Size in bytes of ``path``; 1 when it does not exist yet (dry run, download pending)."""
    return os.path.getsize(path) if os.path.exists(path) else 1


def trimmed_reads(sample: str, unit: str, paired: bool) -> dict[str, str]:
    """The trimmed FASTQ(s) of a unit, as named inputs r1 (and r2 when paired)."""
    base = f"results/mrna/trimmed/{sample}/{sample}.{unit}"
    if paired:
        return {"r1": f"{base}.1.fastq.gz", "r2": f"{base}.2.fastq.gz"}
    return {"r1": f"{base}.se.fastq.gz"}


def unit_paths(pattern: str, unit_keys: Iterable[tuple[str, str]]) -> list[str]:
    """``pattern`` formatted with each (sample, unit)."""
    return [pattern.format(sample=sample, unit=unit) for sample, unit in unit_keys]


# ----------------------------------------------------------------------------------------------
# Alignment
# ----------------------------------------------------------------------------------------------


def hisat2_build_args(
    genome: str,
    prefix: str,
    threads: int = 1,
    splice_sites: str | None = None,
    exons: str | None = None,
) -> list[str]:
    """``hisat2-build`` command; with ``splice_sites``/``exons`` files the index knows the GTF."""
    args = ["hisat2-build", "-p", str(threads)]
    if splice_sites:
        args += ["--ss", splice_sites]
    if exons:
        args += ["--exon", exons]
    return [*args, genome, prefix]


def hisat2_args(
    index_prefix: str,
    fq1: str,
    summary_file: str,
    fq2: str | None = None,
    threads: int = 1,
    read_group: tuple[str, str] | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """``hisat2`` command writing SAM to stdout (unaligned reads kept, for the read fate).

    ``read_group`` is (ID, SM). The alignment summary goes to ``summary_file`` in the
    ``--new-summary`` format, the one MultiQC's HISAT2 module reads.
    """
    args = ["hisat2", "-p", str(threads), "-x", index_prefix, "--new-summary"]
    args += ["-1", fq1, "-2", fq2] if fq2 else ["-U", fq1]
    args += ["--summary-file", summary_file]
    if read_group:
        args += ["--rg-id", read_group[0], "--rg", f"SM:{read_group[1]}"]
    return [*args, *extra]


def samtools_sort_args(
    output: str, tmp_prefix: str, threads: int = 1, mem_mb_per_thread: int = 768
) -> list[str]:
    """``samtools sort`` reading SAM/BAM on stdin and writing a coordinate-sorted BAM."""
    return [
        "samtools",
        "sort",
        "-@",
        str(max(threads - 1, 0)),
        "-m",
        f"{mem_mb_per_thread}M",
        "-T",
        tmp_prefix,
        "-o",
        output,
        "-",
    ]


def run_pipe(producer: Sequence[str], consumer: Sequence[str], err: IO | None = None) -> None:
    """Run ``producer | consumer`` (both argument lists), their messages to ``err``."""
    if err is not None:
        err.flush()
    first = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=err)
    second = subprocess.Popen(consumer, stdin=first.stdout, stderr=err)
    assert first.stdout is not None
    first.stdout.close()
    code_second = second.wait()
    code_first = first.wait()
    if code_first or code_second:
        raise RuntimeError(
            f"{producer[0]} (exit {code_first}) | {consumer[0]} (exit {code_second}) failed"
        )


def star_sa_index_nbases(genome_length: int) -> int:
    """STAR's ``--genomeSAindexNbases``: min(14, log2(genome length)/2 - 1) (STAR manual)."""
    return max(1, min(14, int(math.log2(max(genome_length, 2)) / 2 - 1)))


def star_index_args(
    genome: str, gtf: str, outdir: str, genome_length: int, threads: int = 1, overhang: int = 100
) -> list[str]:
    """``STAR --runMode genomeGenerate`` command with the annotation's splice junctions."""
    return [
        "STAR",
        "--runMode",
        "genomeGenerate",
        "--runThreadN",
        str(threads),
        "--genomeDir",
        outdir,
        "--genomeFastaFiles",
        genome,
        "--sjdbGTFfile",
        gtf,
        "--sjdbOverhang",
        str(overhang),
        "--genomeSAindexNbases",
        str(star_sa_index_nbases(genome_length)),
    ]


def star_args(
    index_dir: str,
    fq1: str,
    out_prefix: str,
    fq2: str | None = None,
    threads: int = 1,
    sort_mem_mb: int = 2000,
    extra: Sequence[str] = (),
) -> list[str]:
    """``STAR`` alignment to a coordinate-sorted BAM keeping unmapped reads and the NH tag."""
    reads = [fq1, fq2] if fq2 else [fq1]
    args = [
        "STAR",
        "--runThreadN",
        str(threads),
        "--genomeDir",
        index_dir,
        "--readFilesIn",
        *reads,
    ]
    if fq1.endswith(".gz"):
        args += ["--readFilesCommand", "zcat"]
    args += [
        "--outSAMtype",
        "BAM",
        "SortedByCoordinate",
        "--outSAMunmapped",
        "Within",
        "--outSAMattributes",
        "NH",
        "HI",
        "AS",
        "nM",
        "--limitBAMsortRAM",
        str(sort_mem_mb * 1024 * 1024),
        "--outFileNamePrefix",
        out_prefix,
    ]
    return [*args, *extra]


def genome_length(fasta: str | os.PathLike[str]) -> int:
    """Total sequence length of a FASTA file (from its ``.fai`` when present)."""
    fai = Path(f"{fasta}.fai")
    if fai.exists():
        with fai.open() as handle:
            return sum(int(line.split("\t")[1]) for line in handle if line.strip())
    total = 0
    with open(fasta) as handle:
        for line in handle:
            if not line.startswith(">"):
                total += len(line.strip())
    return total


def index_mem_mb(genome_bytes: int, aligner: str, splice_sites: bool = True) -> int:
    """Memory (MB) to declare for building an index of a genome of ``genome_bytes`` bytes.

    Rough published needs for the human genome (3.1 Gb): STAR ~32 GB; HISAT2 ~8 GB plain and
    ~160 GB with splice sites and exons. Scaled linearly, never below 2 GB.
    """
    per_byte = {"star": 11.0, "hisat2": 55.0 if splice_sites else 3.0}[aligner]
    return max(2000, int(genome_bytes * per_byte / 1e6))


def parse_aligner_log(path: str | os.PathLike[str], aligner: str) -> float | None:
    """Fraction of reads (pairs) aligned, from a HISAT2 summary or a STAR ``Log.final.out``.

    HISAT2: its "overall alignment rate". STAR: uniquely mapped + mapped to multiple loci.
    None when the log has no such line.
    """
    text = Path(path).read_text()
    if aligner == "hisat2":
        match = re.search(r"([\d.]+)% overall alignment rate", text) or re.search(
            r"Overall alignment rate:\s*([\d.]+)%", text
        )
        return float(match.group(1)) / 100 if match else None
    unique = re.search(r"Uniquely mapped reads %\s*\|\s*([\d.]+)%", text)
    multi = re.search(r"% of reads mapped to multiple loci\s*\|\s*([\d.]+)%", text)
    if unique is None:
        return None
    return (float(unique.group(1)) + (float(multi.group(1)) if multi else 0.0)) / 100


# ----------------------------------------------------------------------------------------------
# Strandedness
# ----------------------------------------------------------------------------------------------

HTSEQ_STRANDED = {"unstranded": "no", "forward": "yes", "reverse": "reverse"}
_FORWARD_KEYS = ("1++", "1--", "2+-", "2-+")
_REVERSE_KEYS = ("1+-", "1-+", "2++", "2--")


@dataclass(frozen=True)
class StrandEvidence:
    """Counts behind a strandedness call (RSeQC infer_experiment's categories).

    Unlike RSeQC, the forward/reverse fractions are taken over the reads whose genes are all on
    one strand (``informative``): reads on exons of both strands (overlapping or convergent
    genes, common in compact genomes such as yeast) say nothing about the protocol and would
    otherwise drag a clearly stranded library below the threshold.
    """

    reads_used: int
    forward: int
    reverse: int
    undetermined: int

    @property
    def informative(self) -> int:
        """Reads on exons of one strand only (``forward + reverse``)."""
        return self.forward + self.reverse

    @property
    def fraction_forward(self) -> float:
        """Fraction explained by "1++,1--,2+-,2-+" (read 1 on the gene's strand)."""
        return self.forward / self.informative if self.informative else float("nan")

    @property
    def fraction_reverse(self) -> float:
        """Fraction explained by "1+-,1-+,2++,2--" (read 1 antisense to the gene)."""
        return self.reverse / self.informative if self.informative else float("nan")

    @property
    def fraction_undetermined(self) -> float:
        """Fraction of exon-overlapping reads with exons on both strands under them."""
        total = self.informative + self.undetermined
        return self.undetermined / total if total else float("nan")


def _strand_index(regions: Iterable[tuple[str, int, int, str]]):
    """Unstranded GenomicArrayOfSets holding the strands ('+'/'-') of exons at each position."""
    import HTSeq

    index = HTSeq.GenomicArrayOfSets("auto", stranded=False)
    for chrom, start, end, strand in regions:
        if strand in ("+", "-") and end > start:
            index[HTSeq.GenomicInterval(chrom, start, end, ".")] += strand
    return index


def split_quota(n: int, weights: Sequence[int]) -> list[int]:
    """Whole shares of ``n`` proportional to ``weights``, summing to ``n`` (largest remainders)."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    exact = [n * w / total for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[: n - sum(shares)]:
        shares[i] += 1
    return shares


def _sample_alignments(bam, n_reads: int, min_mapq: int) -> Iterator:
    """Up to ``n_reads`` usable alignments spread over contigs in proportion to mapped reads.

    Usable: mapped, primary, not QC-failed or duplicate, MAPQ >= ``min_mapq``, and properly
    paired when paired. Taking each contig's first reads keeps it fast on a sorted, indexed BAM;
    without an index, the first usable reads of the file are taken.
    """
    try:
        stats = [s for s in bam.get_index_statistics() if s.mapped > 0]
        quotas = split_quota(n_reads, [s.mapped for s in stats])
        sources = [(bam.fetch(s.contig), q) for s, q in zip(stats, quotas, strict=True) if q]
    except ValueError:  # no index: the first reads of the file
        sources = [(bam.fetch(until_eof=True), n_reads)]
    for reads, quota in sources:
        taken = 0
        for read in reads:
            if (
                read.is_unmapped
                or read.is_secondary
                or read.is_supplementary
                or read.is_qcfail
                or read.is_duplicate
                or read.mapping_quality < min_mapq
                or (read.is_paired and not read.is_proper_pair)
            ):
                continue
            yield read
            taken += 1
            if taken >= quota:
                break


def strand_evidence(
    bam_path: str | os.PathLike[str],
    regions: Iterable[tuple[str, int, int, str]],
    n_reads: int = 200_000,
    min_mapq: int = 30,
) -> StrandEvidence:
    """Classify a subsample of reads by read strand vs the strand of the exons they overlap.

    ``regions`` are exon intervals (chrom, 0-based start, end, strand), e.g. from
    :func:`esccrt.gtf.stranded_regions`. As in RSeQC ``infer_experiment.py``, reads over exons of
    both strands are undetermined and reads over no exon are ignored (RSeQC uses whole gene
    spans; exons avoid calling intronic reads of antisense genes). Needs a sorted, indexed BAM.
    """
    import HTSeq
    import pysam

    index = _strand_index(regions)
    counts: Counter[str] = Counter()
    used = 0
    with pysam.AlignmentFile(str(bam_path)) as bam:
        for read in _sample_alignments(bam, n_reads, min_mapq):
            used += 1
            chrom = read.reference_name
            if chrom not in index.chrom_vectors:
                continue
            strands: set[str] = set()
            for start, end in read.get_blocks():
                if end > start:
                    iv = HTSeq.GenomicInterval(chrom, start, end, ".")
                    for _iv, step in index[iv].steps():
                        strands |= step
            if not strands:
                continue
            if len(strands) > 1:
                counts["undetermined"] += 1
                continue
            which = "2" if read.is_paired and read.is_read2 else "1"
            key = which + ("-" if read.is_reverse else "+") + next(iter(strands))
            counts[key] += 1
    return StrandEvidence(
        reads_used=used,
        forward=sum(counts[k] for k in _FORWARD_KEYS),
        reverse=sum(counts[k] for k in _REVERSE_KEYS),
        undetermined=counts["undetermined"],
    )


def call_strandedness(
    evidence: StrandEvidence, threshold: float = 0.75, min_reads: int = 50
) -> str:
    """'forward' or 'reverse' when that fraction exceeds ``threshold``, else 'unstranded'.

    'undetermined' when fewer than ``min_reads`` reads lie on exons of one strand only.
    """
    if evidence.informative < min_reads:
        return "undetermined"
    if evidence.fraction_forward > threshold:
        return "forward"
    if evidence.fraction_reverse > threshold:
        return "reverse"
    return "unstranded"


@dataclass(frozen=True)
class StrandDecision:
    """The strandedness used for counting, and how it relates to the sheet."""

    used: str
    agreement: str  # yes | no | inferred | not_tested
    message: str | None = None


def resolve_strandedness(sheet: str, inferred: str, mismatch: str, where: str) -> StrandDecision:
    """Combine the sheet's strandedness with the inferred one.

    ``sheet`` empty or 'auto' uses the inferred value ('unstranded', with a warning, when it
    could not be inferred: a near-empty library should reach the QC gate, not stop the run); an
    explicit value that disagrees gives a warning (``mismatch='warn'``, the sheet value is kept)
    or an :class:`InputError` ('fail').
    ``where`` names the sample/unit for messages.
    """
    sheet = (sheet or "auto").strip().lower()
    if sheet not in STRANDEDNESS:
        raise InputError(
            f"{where}: strandedness {sheet!r} is not one of {', '.join(STRANDEDNESS)}."
        )
    if sheet == "auto":
        if inferred == "undetermined":
            return StrandDecision(
                used="unstranded",
                agreement="not_tested",
                message=(
                    f"{where}: strandedness is 'auto' but too few reads lie on annotated exons "
                    "to infer it; counting unstranded (the QC gate judges the sample). Set "
                    "strandedness (unstranded/forward/reverse) in the units sheet to choose."
                ),
            )
        return StrandDecision(used=inferred, agreement="inferred")
    if inferred == "undetermined":
        return StrandDecision(
            used=sheet,
            agreement="not_tested",
            message=f"{where}: too few reads overlap genes to check strandedness '{sheet}'.",
        )
    if inferred == sheet:
        return StrandDecision(used=sheet, agreement="yes")
    message = (
        f"{where}: the units sheet says strandedness '{sheet}' but the reads look '{inferred}'. "
        f"Check the library kit; set strandedness to '{inferred}' or 'auto' in the units sheet "
        "(a wrong value loses most reads to __no_feature in stranded counting)."
    )
    if mismatch == "fail":
        raise InputError(message)
    return StrandDecision(used=sheet, agreement="no", message=message)


# ----------------------------------------------------------------------------------------------
# Counting (htseq-count semantics)
# ----------------------------------------------------------------------------------------------

SPECIAL_COUNTERS = (
    "__no_feature",
    "__ambiguous",
    "__too_low_aQual",
    "__not_aligned",
    "__alignment_not_unique",
)
_CIGAR_MATCH = ("M", "=", "X")


@dataclass
class Features:
    """Exons as a GenomicArrayOfSets of gene ids, and the gene names (htseq's attributes)."""

    array: object
    names: dict[str, str]
    stranded: bool


def load_features(
    gtf: str | os.PathLike[str],
    stranded: bool,
    feature_type: str = "exon",
    id_attribute: str = "gene_id",
    name_attribute: str = "gene_name",
) -> Features:
    """Read the GTF the way htseq-count does (``-t``, ``-i``, ``--additional-attr``)."""
    import HTSeq

    scan = HTSeq.make_feature_genomicarrayofsets(
        HTSeq.GFF_Reader(str(gtf)),
        id_attribute,
        feature_type=[feature_type],
        additional_attributes=[name_attribute],
        stranded=stranded,
    )
    names = {feature: values[0] for feature, values in scan["attributes"].items()}
    return Features(array=scan["features"], names=names, stranded=stranded)


@dataclass
class CountResult:
    """Per-feature counts and htseq-count's five special counters."""

    counts: dict[str, int]
    special: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPECIAL_COUNTERS, 0))

    @property
    def assigned(self) -> int:
        """Reads/pairs counted to exactly one feature."""
        return sum(self.counts.values())

    def __iadd__(self, other: CountResult) -> CountResult:
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for key, value in other.special.items():
            self.special[key] += value
        return self


def _invert(iv):
    """Copy of a GenomicInterval on the other strand."""
    iv2 = iv.copy()
    if iv2.strand == "+":
        iv2.strand = "-"
    elif iv2.strand == "-":
        iv2.strand = "+"
    return iv2


def _intervals(alignment, invert: bool) -> list:
    """Reference intervals of an alignment's M/=/X CIGAR operations (strand optionally flipped)."""
    ivs = [op.ref_iv for op in alignment.cigar if op.type in _CIGAR_MATCH and op.size > 0]
    return [_invert(iv) for iv in ivs] if invert else ivs


def _skip_single(aln, minaqual: int, nonunique: str, special: dict[str, int]) -> bool:
    """htseq-count's checks of a single-end record, in its order; True = not counted."""
    if not aln.aligned:
        special["__not_aligned"] += 1
        return True
    if aln.not_primary_alignment or aln.supplementary:
        return True
    try:
        if aln.optional_field("NH") > 1:
            special["__alignment_not_unique"] += 1
            if nonunique == "none":
                return True
    except KeyError:
        pass
    if aln.aQual < minaqual:
        special["__too_low_aQual"] += 1
        return True
    return False


def _skip_pair(pair, minaqual: int, nonunique: str, special: dict[str, int]) -> bool:
    """htseq-count's checks of a read pair (either mate may be None), in its order."""
    first, second = pair
    if (first is None or not first.aligned) and (second is None or not second.aligned):
        special["__not_aligned"] += 1
        return True
    for mate in pair:
        if mate is not None and (mate.not_primary_alignment or mate.supplementary):
            return True
    try:
        if (first is not None and first.optional_field("NH") > 1) or (
            second is not None and second.optional_field("NH") > 1
        ):
            special["__alignment_not_unique"] += 1
            if nonunique == "none":
                return True
    except KeyError:
        pass
    if (first and first.aQual < minaqual) or (second and second.aQual < minaqual):
        special["__too_low_aQual"] += 1
        return True
    return False


def _feature_set(features, ivs: Iterable, mode: str) -> set[str] | None:
    """Genes overlapped by the intervals under htseq's overlap ``mode``; None = unknown chrom."""
    chroms = features.chrom_vectors
    if mode == "union":
        found: set[str] = set()
        for iv in ivs:
            if iv.chrom not in chroms:
                return None
            for _iv, step in features[iv].steps():
                found |= step
        return found
    result: set[str] | None = set()
    started = False
    for iv in ivs:
        if iv.chrom not in chroms:
            return None
        for _iv, step in features[iv].steps():
            if step or mode == "intersection-strict":
                if not started:
                    result, started = set(step), True
                else:
                    result &= step
    return result


def count_alignments(
    records: Iterable,
    features: Features,
    stranded: str,
    paired: bool,
    minaqual: int = 10,
    mode: str = "union",
    nonunique: str = "none",
    max_buffer_size: int = 30_000_000,
) -> CountResult:
    """Count HTSeq alignment records like ``htseq-count -r pos`` (secondary/supplementary ignored).

    ``stranded`` is htseq's yes/no/reverse; ``records`` are HTSeq SAM_Alignment objects of one
    position-sorted file (paired-end ones are paired with ``pair_SAM_alignments_with_buffer``).
    """
    import HTSeq

    if stranded not in ("yes", "no", "reverse"):
        raise ValueError(f"stranded must be yes/no/reverse, got {stranded!r}")
    if mode not in ("union", "intersection-strict", "intersection-nonempty"):
        raise ValueError(f"unknown overlap mode {mode!r}")
    if nonunique not in ("none", "all"):
        raise ValueError(f"nonunique must be none or all, got {nonunique!r}")
    reverse = stranded == "reverse"
    array = features.array
    result = CountResult(counts=dict.fromkeys(features.names, 0))
    counts, special = result.counts, result.special

    if paired:
        units = HTSeq.pair_SAM_alignments_with_buffer(
            records, max_buffer_size=max_buffer_size, primary_only=True
        )
    else:
        units = records
    for unit in units:
        if paired:
            if _skip_pair(unit, minaqual, nonunique, special):
                continue
            first, second = unit
            ivs = []
            if first is not None and first.aligned:
                ivs += _intervals(first, invert=reverse)
            if second is not None and second.aligned:
                ivs += _intervals(second, invert=not reverse)
        else:
            if _skip_single(unit, minaqual, nonunique, special):
                continue
            ivs = _intervals(unit, invert=reverse)
        found = _feature_set(array, ivs, mode)
        if not found:  # None (unknown chromosome) or empty
            special["__no_feature"] += 1
            continue
        if len(found) > 1:
            special["__ambiguous"] += 1
            if nonunique == "all":
                for gene in found:
                    counts[gene] += 1
            continue
        counts[next(iter(found))] += 1
    return result


def _peek_paired(reader) -> tuple[bool, Iterator]:
    """Whether the file is paired-end (its first record decides, as in htseq-count)."""
    iterator = iter(reader)
    try:
        first = next(iterator)
    except StopIteration:
        return False, iter(())
    return first.paired_end, itertools.chain([first], iterator)


def _check_common_chromosomes(bam: str | os.PathLike[str], header_sq: list, features) -> None:
    """:class:`InputError` when the BAM header shares no chromosome with the annotation."""
    bam_chroms = {record.get("SN") for record in header_sq}
    if bam_chroms and not bam_chroms & set(features.array.chrom_vectors):
        raise InputError(
            located(
                bam,
                "no chromosome in common with the annotation (e.g. 'chr1' vs '1'), every read "
                "would be __no_feature. Use genome and GTF of the same naming style.",
            )
        )


def _pysam_records(samfile, reads: Iterable) -> Iterator:
    """HTSeq SAM_Alignment objects of pysam reads, as HTSeq.BAM_Reader makes them."""
    import HTSeq

    for read in reads:
        yield HTSeq.SAM_Alignment.from_pysam_AlignedSegment(read, samfile)


# Set in the parent before forking the counting workers (features are large: not pickled).
_WORKER_STATE: dict = {}


def _count_region_htseq(region: str) -> tuple[CountResult, list[str]]:
    """Count the records of one reference (or '*', the unplaced ones) of an indexed BAM.

    Paired records whose mate lies on another reference are not counted here but returned as
    SAM text, to be paired and counted together afterwards.
    """
    import pysam

    state = _WORKER_STATE
    deferred: list[str] = []
    with pysam.AlignmentFile(state["bam"]) as samfile:

        def local_reads() -> Iterator:
            for read in samfile.fetch(region):
                if state["paired"] and read.next_reference_id != read.reference_id:
                    deferred.append(read.to_string())
                else:
                    yield read

        result = count_alignments(
            _pysam_records(samfile, local_reads()),
            state["features"],
            paired=state["paired"],
            **state["options"],
        )
    return result, deferred


def _count_region_union(region: str | None) -> tuple[union_count.Tally, list[tuple]]:
    """Union-mode count of one reference (None: the whole file, in one pass).

    Primary records of pairs split across references are returned, to be paired afterwards.
    """
    import pysam

    state = _WORKER_STATE
    index, invert, minaqual = state["index"], state["stranded"] == "reverse", state["minaqual"]
    split: list[tuple] = []
    with pysam.AlignmentFile(state["bam"], threads=state["decompress_threads"]) as samfile:
        reads = samfile.fetch(region) if region else samfile.fetch(until_eof=True)
        if not state["paired"]:
            return union_count.count_single(reads, index, invert, minaqual), split
        if region is not None:
            reads = _same_reference_mates(reads, split, index, invert)
        tally = union_count.count_paired(reads, index, invert, minaqual, state["max_buffer_size"])
    return tally, split


def _same_reference_mates(reads: Iterable, split: list, index, invert: bool) -> Iterator:
    """Reads whose mate is on the same reference; the other primary ones go to ``split``."""
    for read in reads:
        if read.next_reference_id == read.reference_id:
            yield read
            continue
        entry = union_count.pairing_entry(read, index, invert)
        if entry is not None:
            split.append(entry)


def count_bam(
    bam: str | os.PathLike[str],
    features: Features,
    stranded: str,
    minaqual: int = 10,
    mode: str = "union",
    nonunique: str = "none",
    max_buffer_size: int = 30_000_000,
    threads: int = 1,
    by_region: bool | None = None,
) -> CountResult:
    """Count a coordinate-sorted BAM exactly like ``htseq-count -f bam -r pos``.

    htseq-count's defaults (``-m union --nonunique none``) run on
    :mod:`esccrt.union_count`; other modes on HTSeq's own objects (:func:`count_alignments`).
    With ``by_region`` (default: when ``threads`` > 1 and the BAM is indexed) each reference
    is counted separately, in ``threads`` processes; read pairs split across references are
    paired and counted at the end. Counts are sums, so the result is the same as one pass.
    Raises :class:`InputError` when the BAM shares no chromosome with the annotation.
    """
    import HTSeq
    import pysam

    if stranded not in ("yes", "no", "reverse"):
        raise ValueError(f"stranded must be yes/no/reverse, got {stranded!r}")
    reader = HTSeq.BAM_Reader(str(bam))
    _check_common_chromosomes(bam, reader.get_header_dict().get("SQ") or [], features)
    paired, records = _peek_paired(reader)
    with pysam.AlignmentFile(str(bam)) as samfile:
        indexed = samfile.has_index()
        regions = [*samfile.references, "*"]
    if by_region is None:
        by_region = threads > 1 and indexed
    if by_region and not indexed:
        raise ValueError(f"{bam}: counting by region needs a BAM index (samtools index)")
    union = mode == "union" and nonunique == "none"
    options = {
        "stranded": stranded,
        "minaqual": minaqual,
        "mode": mode,
        "nonunique": nonunique,
        "max_buffer_size": max_buffer_size,
    }
    if not union and not by_region:
        return count_alignments(records, features, paired=paired, **options)

    _WORKER_STATE.update(bam=str(bam), features=features, paired=paired, options=options)
    index = None
    if union:
        index = union_count.StepIndex.from_array(features.array, features.names, features.stranded)
        _WORKER_STATE.update(
            index=index,
            stranded=stranded,
            minaqual=minaqual,
            max_buffer_size=max_buffer_size,
            decompress_threads=1 if by_region else max(threads, 1),
        )
    worker = _count_region_union if union else _count_region_htseq
    try:
        if not by_region:
            parts = [worker(None)]
        elif threads > 1:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(threads) as pool:
                parts = pool.map(worker, regions, chunksize=1)
        else:
            parts = [worker(region) for region in regions]
    finally:
        _WORKER_STATE.clear()
    if union:
        return _union_total(parts, index, minaqual)
    return _htseq_total(bam, parts, features, options)


def _union_total(parts: list, index: union_count.StepIndex, minaqual: int) -> CountResult:
    """Sum the regions' tallies, then pair and count the mates split across references."""
    total = union_count.Tally.empty(len(index.genes))
    buffer = union_count.PairBuffer()
    for tally, split in parts:
        total += tally
        for entry in split:
            pair = buffer.offer(*entry)
            if pair is not None:
                union_count.add_pair(total, *pair, minaqual)
    for pair in buffer.leftovers():
        union_count.add_pair(total, *pair, minaqual)
    counts = dict(zip(index.genes, total.genes, strict=True))
    return CountResult(counts=counts, special=total.special())


def _htseq_total(bam, parts: list, features: Features, options: dict) -> CountResult:
    """Sum the regions' HTSeq counts, then pair and count the mates split across references."""
    import pysam

    total = CountResult(counts=dict.fromkeys(features.names, 0))
    deferred: list[str] = []
    for result, lines in parts:
        total += result
        deferred.extend(lines)
    if deferred:
        with pysam.AlignmentFile(str(bam)) as samfile:
            reads = (pysam.AlignedSegment.fromstring(line, samfile.header) for line in deferred)
            total += count_alignments(
                _pysam_records(samfile, reads), features, paired=True, **options
            )
    return total


def write_htseq_table(
    result: CountResult, names: Mapping[str, str], path: str | os.PathLike[str]
) -> None:
    """Write counts as ``htseq-count --additional-attr <name>`` prints them (no header line)."""
    from esccrt.io import atomic_write

    with atomic_write(path) as out:
        for feature in sorted(result.counts):
            out.write(f"{feature}\t{names.get(feature, '')}\t{result.counts[feature]}\n")
        for key in SPECIAL_COUNTERS:
            out.write(f"{key}\t\t{result.special[key]}\n")


def read_htseq_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a table of :func:`write_htseq_table` (or htseq-count with one extra attribute).

    Returns (DataFrame with columns feature, name, count; dict of the special counters).
    """
    table = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=["feature", "name", "count"],
        dtype={"feature": str, "name": str},
        keep_default_na=False,
    )
    special_rows = table["feature"].str.startswith("__")
    special = dict(
        zip(
            table.loc[special_rows, "feature"],
            table.loc[special_rows, "count"].astype(int),
            strict=True,
        )
    )
    genes = table.loc[~special_rows].reset_index(drop=True)
    genes["count"] = genes["count"].astype(int)
    return genes, special


# ----------------------------------------------------------------------------------------------
# Matrices and QC
# ----------------------------------------------------------------------------------------------


def merge_unit_counts(
    tables: Mapping[tuple[str, str], str | os.PathLike[str]], samples: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum per-unit htseq tables into the count matrix and the per-sample count summary.

    ``tables`` maps (sample, unit) to a table path. Returns (counts: feature, name, one integer
    column per sample in ``samples`` order; summary: sample, assigned, the five special
    counters, total).
    """
    matrix: pd.DataFrame | None = None
    summary_rows = {sample: Counter() for sample in samples}
    per_sample: dict[str, pd.Series] = {}
    for (sample, unit), path in tables.items():
        genes, special = read_htseq_table(path)
        if matrix is None:
            matrix = genes[["feature", "name"]].copy()
        elif not genes["feature"].equals(matrix["feature"]):
            raise ValueError(f"feature list of {path} ({sample}/{unit}) differs from the others")
        counts = genes["count"]
        per_sample[sample] = per_sample[sample] + counts if sample in per_sample else counts
        summary_rows[sample]["assigned"] += int(counts.sum())
        for key in SPECIAL_COUNTERS:
            summary_rows[sample][key] += special.get(key, 0)
    if matrix is None:
        raise ValueError("no count tables to merge")
    for sample in samples:
        matrix[sample] = per_sample[sample].astype("int64").to_numpy()
    summary = pd.DataFrame(
        [
            {"sample": s, "assigned": summary_rows[s]["assigned"]}
            | {k: summary_rows[s][k] for k in SPECIAL_COUNTERS}
            for s in samples
        ]
    )
    summary["total"] = summary[["assigned", *SPECIAL_COUNTERS]].sum(axis=1)
    return matrix, summary


def parse_cutadapt_json(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(reads or pairs in, reads or pairs written) from a cutadapt ``--json`` report."""
    import json

    counts = json.loads(Path(path).read_text())["read_counts"]
    return int(counts["input"]), int(counts["output"])


def qc_rates(
    summary: pd.DataFrame,
    aligner_rates: Mapping[str, float | None],
    trimming: Mapping[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Read fate and rates per sample from the count summary (each read or pair once).

    ``trimming`` (sample -> (input, written) of cutadapt, units summed) adds ``raw`` and
    ``too_short`` (removed by trimming). mapping_rate = 1 - __not_aligned/total and
    assignment_rate = assigned/total, of the reads that entered alignment (``total``).
    ``aligner_rates`` (sample -> the aligner's own overall rate, may be None) is added as
    ``aligner_mapping_rate`` for cross-checking.
    """
    trimming = trimming or {}
    rates = pd.DataFrame({"sample": summary["sample"]})
    rates["raw"] = [trimming[s][0] if s in trimming else pd.NA for s in rates["sample"]]
    rates["too_short"] = [
        trimming[s][0] - trimming[s][1] if s in trimming else pd.NA for s in rates["sample"]
    ]
    rates["total"] = summary["total"]
    rates["mapped"] = summary["total"] - summary["__not_aligned"]
    rates["assigned"] = summary["assigned"]
    total = rates["total"].where(rates["total"] > 0)
    rates["mapping_rate"] = rates["mapped"] / total
    rates["assignment_rate"] = rates["assigned"] / total
    rates["aligner_mapping_rate"] = [aligner_rates.get(s) for s in rates["sample"]]
    return rates


def qc_gate(rates: pd.DataFrame, min_assigned: int, min_assignment_rate: float) -> pd.DataFrame:
    """Pass/fail per sample for differential expression, with the reason in words."""
    rows = []
    for rec in rates.itertuples(index=False):
        reasons = []
        if rec.assigned < min_assigned:
            reasons.append(f"{rec.assigned} reads assigned to genes < {min_assigned} required")
        rate = rec.assignment_rate
        if not (rate >= min_assignment_rate):  # also catches NaN (no reads)
            shown = "n/a" if pd.isna(rate) else f"{rate:.3f}"
            reasons.append(f"assignment rate {shown} < {min_assignment_rate}")
        rows.append(
            {"sample": rec.sample, "passed": not reasons, "reason": "; ".join(reasons) or "ok"}
        )
    return pd.DataFrame(rows, columns=["sample", "passed", "reason"])


def plot_qc_rates(
    rates: pd.DataFrame, path: str | os.PathLike[str], min_assignment_rate: float | None = None
) -> None:
    """Bar chart of mapping and assignment rate per sample (dashed: the gate's minimum)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.5, 0.6 * len(rates) + 3.5), 3.5))
    x = range(len(rates))
    width = 0.4
    ax.bar([i - width / 2 for i in x], rates["mapping_rate"], width, label="mapped")
    ax.bar([i + width / 2 for i in x], rates["assignment_rate"], width, label="assigned to genes")
    if min_assignment_rate is not None:
        ax.axhline(min_assignment_rate, color="black", linestyle="--", linewidth=1,
                   label="QC gate: min. assigned")  # fmt: skip
    ax.set_xticks(list(x), rates["sample"], rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction of reads (pairs)")
    ax.set_title("mRNA: mapping and gene assignment rate")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
    fig.tight_layout()
    tmp = Path(path).with_name(f".{Path(path).name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)
