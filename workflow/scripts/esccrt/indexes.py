"""Prebuilt aligner indexes (HISAT2, STAR, bowtie): where their files are, and whether they match.

A lab with a human index already built (hours of work, 8-160 GB of RAM) gives its location in the
config instead of letting the workflow build one. Before any read is aligned, the index's sequence
names and lengths (``hisat2-inspect -s``, ``bowtie-inspect -s``, STAR's ``chrNameLength.txt``)
are compared with the configured FASTA's; any difference stops the run with a message naming
both files. Lengths come from the FASTA's ``.fai`` when it is newer than the FASTA, else from a
single streaming pass.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt import paths
from esccrt.errors import InputError
from esccrt.io import read_fai

#: The files of each index kind; ``{prefix}`` is the configured prefix. HISAT2 and bowtie write
#: ``.ht2l``/``.ebwtl`` files instead for genomes over 4 Gb.
INDEX_SUFFIXES = {
    "hisat2": tuple(f".{n}.ht2" for n in range(1, 9)),
    "bowtie": (".1.ebwt", ".2.ebwt", ".3.ebwt", ".4.ebwt", ".rev.1.ebwt", ".rev.2.ebwt"),
}
STAR_INDEX_FILES = ("Genome", "SA", "SAindex", "chrNameLength.txt")

_INSPECT_LINE = re.compile(r"^Sequence-\d+\t(\S+)[^\t]*\t(\d+)\s*$")


@dataclass(frozen=True)
class IndexCheck:
    """What a successful check compared: the index, the FASTA and their sequence count."""

    index: str
    fasta: str
    sequences: int
    bases: int
    #: What the user may want to know about the index (e.g. built without splice sites).
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """The lines for the log and the marker file."""
        line = (
            f"index {self.index} matches {self.fasta}: {self.sequences} sequence(s), "
            f"{self.bases} bases, same names and lengths"
        )
        return "\n".join([line, *self.notes])


def index_files(kind: str, location: str, key: str) -> list[str]:
    """The files of a prebuilt index, checked to exist; ``key`` names the config key.

    ``kind`` is ``hisat2`` or ``bowtie`` (``location`` = the prefix given to ``-x``) or ``star``
    (``location`` = the genome directory).
    """
    if kind == "star":
        files = [str(Path(location) / name) for name in STAR_INDEX_FILES]
    else:
        suffixes = INDEX_SUFFIXES[kind]
        large = [f"{location}{suffix}l" for suffix in suffixes]
        files = large if os.path.exists(large[0]) else [f"{location}{s}" for s in suffixes]
    missing = [path for path in files if not os.path.isfile(path)]
    if missing:
        raise InputError(
            f"config key {key}: the prebuilt {kind} index '{location}' is incomplete or absent: "
            f"{', '.join(missing[:3])} not found. Give the index "
            + ("directory (STAR --genomeDir)" if kind == "star" else "prefix (as given to -x)")
            + ", or leave the key empty to let the workflow build the index."
        )
    return files


def index_prefix(first_file: str) -> str:
    """The prefix of a HISAT2/bowtie index from its first file (``genome.1.ht2`` -> ``genome``)."""
    return re.sub(r"\.1\.(ht2|ebwt)l?$", "", first_file)


def fasta_lengths(fasta: str | os.PathLike[str]) -> dict[str, int]:
    """Sequence name (first header word) -> length of a plain FASTA file.

    Uses the ``.fai`` beside the FASTA when it is at least as new as the FASTA.
    """
    fai = Path(f"{fasta}.fai")
    if fai.exists() and fai.stat().st_mtime >= Path(fasta).stat().st_mtime:
        return dict(read_fai(fai))
    lengths: dict[str, int] = {}
    name = None
    with open(fasta) as handle:
        for line in handle:
            if line.startswith(">"):
                name = line[1:].split(maxsplit=1)[0] if line[1:].strip() else ""
                lengths[name] = 0
            elif name is not None:
                lengths[name] += len(line.strip())
    return lengths


def parse_inspect_summary(text: str) -> dict[str, int]:
    """Sequence name -> length from ``hisat2-inspect -s`` / ``bowtie-inspect -s`` output."""
    lengths = {}
    for line in text.splitlines():
        match = _INSPECT_LINE.match(line)
        if match:
            lengths[match[1]] = int(match[2])
    return lengths


def inspect_summary(kind: str, prefix: str) -> str:
    """The summary (``-s``) of a HISAT2 or bowtie index by its inspect tool."""
    tool = {"hisat2": "hisat2-inspect", "bowtie": "bowtie-inspect"}[kind]
    run = subprocess.run([tool, "-s", prefix], capture_output=True, text=True)
    if run.returncode or not parse_inspect_summary(run.stdout):
        raise InputError(
            f"{tool} -s {prefix} could not read the index (exit {run.returncode}): "
            f"{run.stderr.strip()[-300:]}. Is it a {kind} index built by a compatible version?"
        )
    return run.stdout


def hisat2_notes(summary: str) -> tuple[str, ...]:
    """A note when a HISAT2 index holds no splice sites (``Num. Splice Sites: 0``)."""
    match = re.search(r"Num\. Splice Sites: (\d+)", summary)
    if match and int(match[1]) == 0:
        return (
            "note: this index was built without splice sites (hisat2-build --ss/--exon); "
            "mrna.hisat2.splice_sites applies only to indexes the workflow builds. HISAT2 still "
            "aligns spliced reads, without the annotation's junctions.",
        )
    return ()


def star_lengths(genome_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Sequence names and lengths of a STAR genome directory (its ``chrNameLength.txt``)."""
    with open(Path(genome_dir) / "chrNameLength.txt") as handle:
        rows = (line.rstrip("\n").split("\t") for line in handle if line.strip())
        return {row[0]: int(row[1]) for row in rows}


def compare_lengths(
    index: Mapping[str, int], fasta: Mapping[str, int], index_label: str, fasta_label: str
) -> None:
    """Raise :class:`InputError` naming both files unless names and lengths are identical."""
    only_index = sorted(set(index) - set(fasta))
    only_fasta = sorted(set(fasta) - set(index))
    differ = sorted(name for name in set(index) & set(fasta) if index[name] != fasta[name])
    if not (only_index or only_fasta or differ):
        return
    problems = []
    if only_index:
        problems.append(f"{len(only_index)} sequence(s) only in the index (e.g. {only_index[:3]})")
    if only_fasta:
        problems.append(f"{len(only_fasta)} only in the FASTA (e.g. {only_fasta[:3]})")
    if differ:
        examples = ", ".join(f"{n}: {index[n]} vs {fasta[n]}" for n in differ[:3])
        problems.append(f"{len(differ)} with other lengths (index vs FASTA: {examples})")
    raise InputError(
        f"the prebuilt index {index_label} does not match {fasta_label}: "
        + "; ".join(problems)
        + ". The index was built from another genome or assembly version. Build the index from "
        "this FASTA, or configure the FASTA the index was built from; nothing was aligned."
    )


def check_index(kind: str, location: str, fasta: str) -> IndexCheck:
    """Compare a prebuilt index (``kind`` hisat2|bowtie|star) with the FASTA it must represent."""
    notes: tuple[str, ...] = ()
    if kind == "star":
        found = star_lengths(location)
    else:
        summary = inspect_summary(kind, location)
        found = parse_inspect_summary(summary)
        notes = hisat2_notes(summary) if kind == "hisat2" else ()
    expected = fasta_lengths(fasta)
    compare_lengths(found, expected, f"'{location}' ({kind})", f"the FASTA '{fasta}'")
    return IndexCheck(location, fasta, len(expected), sum(expected.values()), notes)


# ------------------------------------------- what the aligner rules read (prebuilt or built here)


def _mrna_prebuilt(mrna: Mapping, aligner: str) -> str:
    """The prebuilt index location of ``aligner`` when it is the configured aligner, else ""."""
    return mrna[aligner]["index"] if aligner == mrna["aligner"] else ""


def mrna_index_input(mrna: Mapping, aligner: str, prebuilt_files: Sequence[str]) -> object:
    """What an mRNA aligner rule reads: the prebuilt index (HISAT2 files, STAR folder) or the
    one the workflow builds (``mrna`` is the validated config section)."""
    location = _mrna_prebuilt(mrna, aligner)
    if not location:
        return list(paths.MRNA_HISAT2_INDEX_FILES) if aligner == "hisat2" else paths.MRNA_STAR_INDEX
    return list(prebuilt_files) if aligner == "hisat2" else location


def mrna_index_marker(mrna: Mapping, aligner: str) -> list[str]:
    """The check marker a prebuilt mRNA index needs before any alignment (none when built)."""
    if not _mrna_prebuilt(mrna, aligner):
        return []
    return [paths.fill(paths.MRNA_INDEX_CHECKED, aligner=aligner)]


def bowtie_index_input(prebuilt: Mapping[str, Sequence[str]], ref: str) -> list[str]:
    """The index files of a small-RNA bowtie step: prebuilt (by step), or built by the workflow."""
    if ref in prebuilt:
        return list(prebuilt[ref])
    prefix = paths.fill(paths.SMALLRNA_BOWTIE_INDEX, ref=ref)
    return [prefix + suffix for suffix in INDEX_SUFFIXES["bowtie"]]


def bowtie_index_marker(prebuilt: Mapping[str, Sequence[str]], ref: str) -> list[str]:
    """The check marker of a prebuilt bowtie index (none when the workflow builds it)."""
    return [paths.fill(paths.SMALLRNA_INDEX_CHECKED, ref=ref)] if ref in prebuilt else []


def star_gene_ids(genome_dir: str | os.PathLike[str]) -> set[str] | None:
    """Gene ids a STAR index was built with (``geneInfo.tab``); None when built without a GTF."""
    info = Path(genome_dir) / "geneInfo.tab"
    if not info.exists():
        return None
    with info.open() as handle:
        next(handle, None)  # the first line holds the number of genes
        return {line.split("\t")[0].strip() for line in handle if line.strip()}


def check_star_annotation(genome_dir: str, gene_ids: set[str], gtf: str) -> str:
    """Compare the genes of a STAR index with the configured GTF's; a note for the log.

    Raises :class:`InputError` naming both when they differ; an index built without a GTF is
    accepted with a note (STAR then knows no annotated junctions).
    """
    found = star_gene_ids(genome_dir)
    if found is None:
        return (
            f"note: the STAR index '{genome_dir}' was built without an annotation (no "
            "geneInfo.tab): alignment will not use the annotated splice junctions of "
            f"'{gtf}'."
        )
    only_index, only_gtf = sorted(found - gene_ids), sorted(gene_ids - found)
    if only_index or only_gtf:
        raise InputError(
            f"the prebuilt STAR index '{genome_dir}' was built with another annotation than "
            f"'{gtf}': {len(only_index)} gene(s) only in the index (e.g. {only_index[:3]}), "
            f"{len(only_gtf)} only in the GTF (e.g. {only_gtf[:3]}). Build the index with this "
            "GTF (--sjdbGTFfile), or configure the GTF it was built with; nothing was aligned."
        )
    return f"the STAR index '{genome_dir}' holds the same {len(found)} genes as '{gtf}'"
