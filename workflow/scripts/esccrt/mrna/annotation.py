"""Gene annotation (GTF) checks and the small tables derived from it.

A GTF that does not match the genome is the most common silent failure of an RNA-seq run: every
read ends up in ``__no_feature``. :func:`check_annotation` catches it before the (slow) index build,
with a message naming the file, the line and the fix.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from esccrt.errors import InputError, located
from esccrt.io import read_fai

_ATTRIBUTE = re.compile(r'\s*([^\s";]+)\s+(?:"([^"]*)"|([^\s";]+))\s*;?')
GTF_STRANDS = ("+", "-", ".")


@dataclass(frozen=True)
class GtfRecord:
    """One GTF line: 1-based closed coordinates as in the file, attributes as a dict."""

    line: int
    chrom: str
    feature: str
    start: int
    end: int
    strand: str
    attributes: dict[str, str]


@dataclass
class AnnotationSummary:
    """What :func:`check_annotation` found: counts per feature type, genes and chromosomes."""

    n_lines: int = 0
    feature_types: Counter = field(default_factory=Counter)
    genes: set[str] = field(default_factory=set)
    chromosomes: set[str] = field(default_factory=set)
    genes_with_name: set[str] = field(default_factory=set)


def open_text(path: str | os.PathLike[str]) -> IO[str]:
    """Open a plain or gzip-compressed text file for reading."""
    path = Path(path)
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt")
    return path.open()


def parse_attributes(text: str) -> dict[str, str]:
    """Parse a GTF attribute column (``gene_id "G1"; gene_name "ABC";``) into a dict.

    Values may be quoted or bare (``exon_number 1``). The first occurrence of a key wins.
    """
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        key, quoted, bare = match.groups()
        attributes.setdefault(key, quoted if quoted is not None else bare)
    return attributes


def read_gtf(path: str | os.PathLike[str]) -> Iterator[GtfRecord]:
    """Yield the records of a GTF file, raising :class:`InputError` on malformed lines."""
    with open_text(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.lstrip().lower().startswith(("<!doctype", "<html")):
                raise InputError(
                    located(
                        path,
                        "this is an HTML page, not a GTF file (a download that returned an "
                        "error page?). Download the annotation again and check its sha256.",
                    )
                )
            line = raw.rstrip("\n\r")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 9:
                raise InputError(
                    located(
                        path,
                        f"line {number} has {len(fields)} tab-separated columns, a GTF line has "
                        "9. Is this a GTF file (not GFF3, BED or space-separated)?",
                    )
                )
            try:
                start, end = int(fields[3]), int(fields[4])
            except ValueError:
                raise InputError(
                    located(
                        path,
                        f"line {number}: start/end ({fields[3]!r}, {fields[4]!r}) are not whole "
                        "numbers.",
                    )
                ) from None
            if fields[6] not in GTF_STRANDS:
                raise InputError(
                    located(path, f"line {number}: strand {fields[6]!r} is not '+', '-' or '.'.")
                )
            yield GtfRecord(
                line=number,
                chrom=fields[0],
                feature=fields[2],
                start=start,
                end=end,
                strand=fields[6],
                attributes=parse_attributes(fields[8]),
            )


def fasta_sequence_names(path: str | os.PathLike[str]) -> list[str]:
    """Sequence names of a FASTA file (first word of each header), from its ``.fai`` if present."""
    path = Path(path)
    fai = Path(f"{path}.fai")
    if fai.exists() and fai.stat().st_mtime >= path.stat().st_mtime:
        return [name for name, _ in read_fai(fai)]
    names = []
    with open_text(path) as handle:
        first = handle.readline()
        if not first.startswith(">"):
            raise InputError(
                located(
                    path,
                    "does not start with a '>' header line, so it is not a FASTA file "
                    "(an HTML error page from a download?). Provide the genome in FASTA format.",
                )
            )
        names.append(first[1:].split()[0] if first[1:].split() else "")
        names.extend(line[1:].split()[0] for line in handle if line.startswith(">"))
    return names


def check_annotation(
    gtf: str | os.PathLike[str],
    genome: str | os.PathLike[str] | None,
    *,
    feature_type: str,
    id_attribute: str,
    stranded: bool = True,
) -> AnnotationSummary:
    """Check that a GTF can be counted against: features present, ids present, chromosomes known.

    Raises :class:`InputError` naming the file (and line) when a ``feature_type`` line lacks
    ``id_attribute``, has no strand while counting is stranded, when no ``feature_type`` line
    exists, or when chromosomes of the GTF are missing from the genome FASTA (``genome``; skipped
    when None).
    """
    summary = AnnotationSummary()
    for record in read_gtf(gtf):
        summary.n_lines += 1
        summary.feature_types[record.feature] += 1
        if record.feature != feature_type:
            continue
        gene = record.attributes.get(id_attribute)
        if not gene:
            raise InputError(
                located(
                    gtf,
                    f"line {record.line}: the {feature_type} line has no '{id_attribute}' "
                    "attribute. Every counted feature needs one (Ensembl/GENCODE GTFs have it; "
                    "convert GFF3 with gffread -T, or set mrna.counting.id_attribute).",
                )
            )
        if stranded and record.strand == ".":
            raise InputError(
                located(
                    gtf,
                    f"line {record.line}: {feature_type} of {gene} has no strand ('.'); "
                    "stranded counting needs '+' or '-'. Fix the GTF or count unstranded.",
                )
            )
        summary.genes.add(gene)
        summary.chromosomes.add(record.chrom)
        if record.attributes.get("gene_name"):
            summary.genes_with_name.add(gene)
    if not summary.genes:
        found = ", ".join(f"{k} ({v})" for k, v in summary.feature_types.most_common(5)) or "none"
        raise InputError(
            located(
                gtf,
                f"no '{feature_type}' lines found (feature types present: {found}). "
                "Provide a gene annotation with exon lines or set mrna.counting.feature_type.",
            )
        )
    if genome is not None:
        _check_genome_has_chromosomes(gtf, genome, summary.chromosomes)
    return summary


def _check_genome_has_chromosomes(
    gtf: str | os.PathLike[str], genome: str | os.PathLike[str], chromosomes: set[str]
) -> None:
    """:class:`InputError` when the genome repeats a name or lacks a chromosome of the GTF."""
    names = fasta_sequence_names(genome)
    known = set(names)
    if len(known) < len(names):
        twice = sorted(name for name, n in Counter(names).items() if n > 1)
        raise InputError(
            located(
                genome,
                f"sequence name(s) {twice[:5]} occur more than once in the genome FASTA; "
                "aligners and counting need unique chromosome names. Use the assembly's "
                "primary FASTA as published, without concatenating files twice.",
            )
        )
    missing = sorted(chromosomes - known)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        example = ", ".join(sorted(known)[:3])
        raise InputError(
            located(
                gtf,
                f"{len(missing)} chromosome(s) of the annotation are not in the genome "
                f"{genome}: {shown} (genome has e.g. {example}). Use annotation and genome "
                "of the same assembly and naming style ('chr1' vs '1').",
            )
        )


@dataclass(frozen=True)
class GeneSpan:
    """A gene's extent on the genome (0-based half-open) and strand, from its exon lines."""

    gene_id: str
    chrom: str
    start: int
    end: int
    strand: str


def gene_spans(
    gtf: str | os.PathLike[str], *, feature_type: str, id_attribute: str
) -> list[GeneSpan]:
    """Per gene, the span from its first to its last ``feature_type`` line (0-based half-open)."""
    spans: dict[str, list] = {}
    for record in read_gtf(gtf):
        if record.feature != feature_type or id_attribute not in record.attributes:
            continue
        gene = record.attributes[id_attribute]
        start = record.start - 1
        if gene not in spans:
            spans[gene] = [record.chrom, start, record.end, record.strand]
        else:
            span = spans[gene]
            span[1] = min(span[1], start)
            span[2] = max(span[2], record.end)
    return [GeneSpan(g, c, s, e, strand) for g, (c, s, e, strand) in spans.items()]


def stranded_regions(
    gtf: str | os.PathLike[str], *, feature_type: str
) -> list[tuple[str, int, int, str]]:
    """``feature_type`` intervals merged per chromosome and strand: (chrom, start, end, strand).

    0-based half-open; lines without a '+'/'-' strand are left out. Used to tell which strand
    the genes under a read are on (strandedness inference).
    """
    intervals: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for record in read_gtf(gtf):
        if record.feature == feature_type and record.strand in ("+", "-"):
            intervals[(record.chrom, record.strand)].append((record.start - 1, record.end))
    merged: list[tuple[str, int, int, str]] = []
    for (chrom, strand), spans in sorted(intervals.items()):
        spans.sort()
        start, end = spans[0]
        for next_start, next_end in spans[1:]:
            if next_start <= end:
                end = max(end, next_end)
            else:
                merged.append((chrom, start, end, strand))
                start, end = next_start, next_end
        merged.append((chrom, start, end, strand))
    return merged


def _transcript_exons(gtf: str | os.PathLike[str]) -> dict[str, tuple[str, str, list[list[int]]]]:
    """Exons per transcript, sorted, merged where the intron between them is <= 5 bp.

    Same rules as HISAT2's ``hisat2_extract_splice_sites.py``/``hisat2_extract_exons.py``:
    exon lines with ``gene_id`` and ``transcript_id`` and start < end, 1-based coordinates.
    """
    transcripts: dict[str, tuple[str, str, list[list[int]]]] = {}
    for record in read_gtf(gtf):
        if record.feature != "exon" or record.start >= record.end:
            continue
        if "gene_id" not in record.attributes or "transcript_id" not in record.attributes:
            continue
        tid = record.attributes["transcript_id"]
        if tid not in transcripts:
            transcripts[tid] = (record.chrom, record.strand, [])
        transcripts[tid][2].append([record.start, record.end])
    for _chrom, _strand, exons in transcripts.values():
        exons.sort()
        merged = [exons[0]]
        for exon in exons[1:]:
            if exon[0] - merged[-1][1] <= 5:
                merged[-1][1] = exon[1]
            else:
                merged.append(exon)
        exons[:] = merged
    return transcripts


def hisat2_splice_sites(gtf: str | os.PathLike[str]) -> list[tuple[str, int, int, str]]:
    """Splice sites for ``hisat2-build --ss``: (chrom, last exon base, first exon base, strand).

    Positions are 0-based, as written by HISAT2's ``hisat2_extract_splice_sites.py``.
    """
    junctions = set()
    for chrom, strand, exons in _transcript_exons(gtf).values():
        for previous, current in itertools.pairwise(exons):
            junctions.add((chrom, previous[1] - 1, current[0] - 1, strand))
    return sorted(junctions)


def hisat2_exons(gtf: str | os.PathLike[str]) -> list[tuple[str, int, int, str]]:
    """Exons for ``hisat2-build --exon``: merged, 0-based (chrom, start, end, strand)."""
    exons = sorted(
        {
            (chrom, start, end, strand)
            for chrom, strand, texons in _transcript_exons(gtf).values()
            for start, end in texons
        }
    )
    merged: list[tuple[str, int, int, str]] = []
    for exon in exons:
        if merged and exon[0] == merged[-1][0] and exon[1] <= merged[-1][2]:
            last = merged[-1]
            merged[-1] = (last[0], last[1], max(last[2], exon[2]), last[3])
        else:
            merged.append(exon)
    return [(chrom, start - 1, end - 1, strand) for chrom, start, end, strand in merged]


def gene_names(
    gtf: str | os.PathLike[str],
    *,
    feature_type: str,
    id_attribute: str,
    name_attribute: str,
) -> dict[str, str]:
    """``id_attribute`` -> ``name_attribute`` (empty when absent) over ``feature_type`` lines.

    Like htseq-count's ``--additional-attr``, the last line of a gene decides.
    """
    names: dict[str, str] = defaultdict(str)
    for record in read_gtf(gtf):
        if record.feature == feature_type and id_attribute in record.attributes:
            names[record.attributes[id_attribute]] = record.attributes.get(name_attribute, "")
    return dict(names)
