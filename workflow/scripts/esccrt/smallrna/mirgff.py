"""isomiRs in mirGFF3 (miRTop's format), labelled as mirtop 0.4.30 labels them.

One line per read and mature miRNA it is counted for, in hairpin coordinates as mirtop writes
them (column 4 the 0-based start, column 5 the last position: a read on hairpin bases 6-27
counted from 1 is written ``5 26``), with mirtop's attributes ``Read``, ``UID`` (MINTplates
code, from mirtop itself), ``Name``, ``Parent``, ``Variant`` (``iso_5p``, ``iso_3p``,
``iso_add3p``, ``iso_snv*``), ``Cigar``, ``Expression`` (copies), ``Filter`` and ``Hits``.
:func:`mirtop_variant` ports mirtop's rules (``mirtop.bam.filter.tune`` and
``mirtop.mirna.annotate._coord``) for reads without indels, so the labels equal mirtop's for
the same reads, quirks included: a 3' end after an addition is measured from the read's end
(``iso_3p:-2`` for 1 nt trimmed plus 3 nt added), and trailing A/U that match the hairpin
count as added when a mismatch precedes them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, groupby
from operator import itemgetter
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

from esccrt.smallrna.collapse import copy_number
from esccrt.smallrna.isomir_labels import SEED
from esccrt.smallrna.spill import SortedItems

if TYPE_CHECKING:  # pandas is imported where used
    from esccrt.smallrna.count import AlignmentCounts

#: DOI of miRBase in FAIRsharing, written by mirtop after the source name.
SOURCE_ONTOLOGY_DOI = "doi:10.25504/fairsharing.hmgte8"
#: mirtop's windows: a read more than this many nt off the mature 5' / 3' end is not labelled.
MAX_5P_SHIFT, MAX_3P_SHIFT = 6, 7
#: mirtop looks for added nucleotides among the last 5 read positions.
ADDITION_REACH = 5
#: The bases of the reads written (mirtop labels and encodes reads of these only).
_PLATE_BASES = frozenset("ACGT")


class GffRecord(NamedTuple):
    """One mirGFF3 line of one sample (hairpin coordinates as mirtop writes them: 0-based start,
    last position). A named tuple: a sample has one per counted read and miRNA, built in a few
    tenths of a microsecond (a frozen dataclass takes several)."""

    hairpin: str
    start: int
    end: int
    read: str
    mature: str
    variant: str
    cigar: str
    expression: int
    hits: int


def _additions(read: str, errors: set[int]) -> set[int]:
    """Read positions mirtop calls added (``tune``): the 3' run of mismatches and A/T before."""
    added: list[int] = []
    seen_error = False
    for position in range(len(read) - 1, len(read) - 1 - ADDITION_REACH, -1):
        if position < 0:
            break
        if position in errors:
            seen_error = True
            added.append(position)
        elif not seen_error and read[position] in "AT":
            added.append(position)
        else:
            break
    return set(added) if seen_error else set()


def _mismatches(read: str, reference: str) -> list[int]:
    """0-based positions, in order, where ``read`` differs from ``reference`` (the hairpin from
    the read's start) or runs past its end."""
    if read == reference:  # most reads: no per-base comparison
        return []
    pairs = zip(read, reference, strict=False)  # the hairpin may end before the read
    positions = [p for p, (base, template) in enumerate(pairs) if base != template]
    positions.extend(range(len(reference), len(read)))
    return positions


def _cigar(read: str, mismatches: Sequence[int]) -> str:
    """mirtop's CIGAR: runs of matches as ``nM`` (``M`` for one), mismatches as the read nt
    (``mismatches``: :func:`_mismatches`)."""
    parts: list[str] = []
    matched_from = 0
    for position in mismatches:
        run = position - matched_from
        if run:
            parts.append(f"{run}M" if run > 1 else "M")
        parts.append(read[position])
        matched_from = position + 1
    run = len(read) - matched_from
    if run:
        parts.append(f"{run}M" if run > 1 else "M")
    return "".join(parts)


def _snv_tag(position: int) -> str:
    """mirtop's substitution class by 0-based read position (its seed region: ``SEED``)."""
    if position in SEED:
        return "iso_snv_seed"
    if position == 8:
        return "iso_snv_central_offset"
    if 8 < position < 13:
        return "iso_snv_central"
    if 12 < position < 18:
        return "iso_snv_central_supp"
    return "iso_snv"


def mirtop_variant(
    read: str, hairpin: str, start: int, mature_start: int, mature_end: int
) -> tuple[str, str] | None:
    """mirtop's ``Variant`` and ``Cigar`` of ``read`` at 0-based ``start`` of ``hairpin``.

    ``mature_start``/``mature_end``: 0-based start and exclusive end of the mature miRNA in the
    hairpin. Returns None where mirtop would not assign the read to this miRNA (5' end more than
    6 nt, or 3' end more than 7 nt, from the mature ends). Positions past the hairpin's end count
    as mismatches.
    """
    mismatches = _mismatches(read, hairpin[start : start + len(read)])
    errors = set(mismatches)
    added = _additions(read, errors) if errors else set()  # additions end in a mismatch
    tags = {_snv_tag(p) for p in errors - added}
    if abs(start - mature_start) > MAX_5P_SHIFT:
        return None
    if start != mature_start:
        sign = "-" if start < mature_start else "+"
        tags.add(f"iso_5p:{sign}{abs(start - mature_start)}")
    read_end, last = start + len(read) - 1, mature_end - 1  # inclusive, as mirtop
    templated_end = read_end - len(added)
    shift3 = abs(last - read_end)  # mirtop measures from the read's end, additions included
    if shift3 > MAX_3P_SHIFT:
        return None
    if templated_end > last:
        tags.add(f"iso_3p:+{min(shift3, len(read) - len(added))}")
    elif templated_end < last and shift3:
        tags.add(f"iso_3p:-{len(hairpin[last + 1 - shift3 : last + 1])}")
    if added:
        tags.add(f"iso_add3p:{len(added)}")
    return ",".join(sorted(tags)) or "NA", _cigar(read, mismatches)


def _mature_sites(arms: Mapping[str, Sequence[tuple[str, int, int]]]) -> dict[str, tuple]:
    """Mature name -> (hairpin, start, end) of its first hairpin (by name): for mature hits."""
    sites: dict[str, tuple[str, int, int]] = {}
    for hairpin in sorted(arms):
        for mature, start, end in arms[hairpin]:
            sites.setdefault(mature, (hairpin, start, end))
    return sites


def sample_records(
    steps: Iterable[AlignmentCounts],
    arms: Mapping[str, Sequence[tuple[str, int, int]]],
    hairpins: Mapping[str, str],
) -> tuple[SampleRecords, int]:
    """mirGFF3 records of a sample's counted reads, sorted, and the number of (read, miRNA)
    pairs left out.

    ``steps``: the mature and hairpin steps' counts with their placements (a read's together,
    each read in one step: the hairpin step takes the reads the mature one left); mature hits
    are placed on the first hairpin (by name) holding that mature sequence. One record per read
    and miRNA, as mirtop writes them (of several hairpins, the first by name and position, so
    that every sample places a sequence alike); reads with N, reads outside mirtop's windows
    and hits on mature sequences that lie in no hairpin are left out. Records are sorted with
    bounded memory (:class:`~esccrt.smallrna.spill.SortedItems`); close them when written.
    """
    sites = _mature_sites(arms)
    skipped = 0

    def records() -> Iterable[tuple]:
        nonlocal skipped
        for counts in steps:
            for name, placements in groupby(counts.placements, key=itemgetter(0)):
                rows, left_out = _read_records(name, placements, sites, arms, hairpins)
                skipped += left_out
                yield from rows

    return SampleRecords(records()), skipped


class SampleRecords(SortedItems):
    """Sorted :class:`GffRecord` of one sample (tuples on disk beyond the memory bound)."""

    def __iter__(self) -> Iterator[GffRecord]:
        return (GffRecord(*fields) for fields in super().__iter__())


def _read_records(
    name: str,
    placements: Iterable[tuple[str, str, int, str, str]],
    sites: Mapping[str, tuple[str, int, int]],
    arms: Mapping[str, Sequence[tuple[str, int, int]]],
    hairpins: Mapping[str, str],
) -> tuple[list[tuple], int]:
    """The record fields (:class:`GffRecord` order) of one read's placements, and how many
    (read, miRNA) pairs of it are left out."""
    placed: dict[str, tuple[str, int, int, int, str]] = {}
    homeless: set[str] = set()  # mature sequences found in no hairpin
    for _, reference, start, mature, read in placements:
        if mature == reference:  # a hit on the mature sequence itself
            if mature not in sites:
                homeless.add(mature)
                continue
            hairpin, mature_start, mature_end = sites[mature]
            start += mature_start
        else:
            hairpin = reference
            mature_start, mature_end = _mature_region(arms, hairpin, mature)
        site = (hairpin, start, mature_start, mature_end, read)
        placed[mature] = min(placed.get(mature, site), site)
    rows, skipped = [], len(homeless - placed.keys())
    copies = copy_number(name)
    for mature, (hairpin, start, mature_start, mature_end, read) in placed.items():
        label = None
        if set(read) <= _PLATE_BASES:
            label = mirtop_variant(read, hairpins[hairpin], start, mature_start, mature_end)
        if label is None:
            skipped += 1
            continue
        variant, cigar = label
        end = start + len(read) - 1
        rows.append((hairpin, start, end, read, mature, variant, cigar, copies, len(placed)))
    return rows, skipped


def _mature_region(arms, hairpin: str, mature: str) -> tuple[int, int]:
    """0-based start and end of ``mature`` in ``hairpin``."""
    for name, start, end in arms[hairpin]:
        if name == mature:
            return start, end
    raise KeyError(f"{mature} is not a mature region of {hairpin}")


@contextlib.contextmanager
def quiet_mirtop_import():
    """Import mirtop without Biopython's notice that mirtop's aligner (pairwise2) is deprecated."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Bio.pairwise2 has been deprecated")
        yield


@functools.cache
def _mintplates() -> ModuleType:
    """mirtop's MINTplates module (``mirtop/mirna/mintplates.py`` of the installed package,
    its own table and ``convert``), loaded once per process from its file: importing it as
    ``mirtop.mirna.mintplates`` runs mirtop's ``__init__``, which imports ``pkg_resources``
    (0.15-0.4 s per counting job, measured by bench section persample_cost); the module
    itself imports only ``sys``, ``re`` and ``argparse``."""
    import importlib.util

    package = importlib.util.find_spec("mirtop")  # finds the package without importing it
    if package is None or not package.submodule_search_locations:
        raise ImportError("mirtop is not installed (workflow/envs/smallrna.yaml)")
    source = os.path.join(package.submodule_search_locations[0], "mirna", "mintplates.py")
    spec = importlib.util.spec_from_file_location("_esccrt_mirtop_mintplates", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _uid(read: str) -> str:
    """mirtop's UID (MINTplates license plate) of a read sequence.

    Reads of A, C, G and T only (all written reads: :func:`_read_records` leaves out the
    others) are encoded with mirtop's own table, 5 nt per code, as ``convert`` does after its
    checks (which cost more than the encoding, per line); anything else goes through
    ``convert``.
    """
    plates = _mintplates()
    if not read or not set(read) <= _PLATE_BASES:
        return plates.convert(read, True, "iso")
    codes = [plates.encode_hash[read[i : i + 5]] for i in range(0, len(read), 5)]
    return f"iso-{len(read)}-{''.join(codes)}"


class SparseExpression(NamedTuple):
    """A merged line's reads by sample index (absent: 0) among ``width`` samples: written
    without a value per sample to convert (most samples lack most lines)."""

    reads: Mapping[int, int]
    width: int

    def text(self) -> str:
        """The comma-separated reads of every sample, as mirGFF3's ``Expression``."""
        values = ["0"] * self.width
        for sample, reads in self.reads.items():
            values[sample] = str(int(reads))
        return ",".join(values)


def write_mirgff(
    rows: Iterable[tuple[GffRecord, Sequence[int] | SparseExpression]],
    samples: Sequence[str],
    path: str | os.PathLike[str],
    source: str,
) -> None:
    """Write mirGFF3 1.2 as mirtop does: header, then one line per record.

    ``rows``: (record, expression per sample in ``samples`` order, or a
    :class:`SparseExpression`). Written atomically.
    """
    from esccrt.io import write_text_atomic

    header = (
        "## mirGFF3. VERSION 1.2\n"
        f"## source-ontology: {source} {SOURCE_ONTOLOGY_DOI}\n"
        "## TOOLS: bowtie,esccrt\n"
        f"## COLDATA: {','.join(samples)}\n"
    )
    lines = (_gff_line(record, expression, source) for record, expression in rows)
    write_text_atomic(chain([header], lines), path)


def _gff_line(record: GffRecord, expression: Sequence[int] | SparseExpression, source: str) -> str:
    """One mirGFF3 line (with its newline)."""
    kind = line_type(record)
    if isinstance(expression, SparseExpression):
        values = expression.text()
    else:
        values = ",".join(map(str, map(int, expression)))
    return (
        f"{record.hairpin}\t{source}\t{kind}\t{record.start}\t{record.end}\t0\t+\t.\t"
        f"Read {record.read}; UID {_uid(record.read)}; Name {record.mature}; "
        f"Parent {record.hairpin}; Variant {record.variant}; Cigar {record.cigar}; "
        f"Expression {values}; Filter Pass; Hits {record.hits}\n"
    )


def _line_key(record: GffRecord) -> tuple:
    """What makes two samples' lines the same isomiR line: hairpin, position, read, miRNA and
    labels (the order of the sorted per-sample files)."""
    return record[:7]


#: The attributes of a line as :func:`_gff_line` writes them (read, miRNA, variant, CIGAR,
#: expression, hits): one match per line where a dict of the attributes takes several times as
#: long (4 million lines at 1,000 samples).
_WRITTEN_ATTRIBUTES = re.compile(
    r"Read (\S+); UID \S+; Name (\S+); Parent \S+; Variant (\S+); Cigar (\S+); "
    r"Expression (\d+); Filter \S+; Hits (\d+)"
)


#: One attribute of a mirGFF3 line, mirtop's style (``Name x``) or GFF3's (``Name=x``).
_ATTRIBUTE = re.compile(r"\s*([^\s=;]+)[ =](.*)")


def gff_attributes(text: str) -> dict[str, str]:
    """The attributes of a mirGFF3 line (either style), by name."""
    attributes = {}
    for item in text.split(";"):
        match = _ATTRIBUTE.match(item)
        if match:
            attributes[match[1]] = match[2].strip()
    return attributes


def sample_line(attributes: str) -> tuple[str, str, str, str, int, int]:
    """(read, miRNA, variant, CIGAR, expression, hits) of a single-sample line's attributes
    (mirtop's order and spacing, as written, by one match; any other order by name)."""
    written = _WRITTEN_ATTRIBUTES.match(attributes)
    if written:
        read, mature, variant, cigar, expression, hits = written.groups()
        return read, mature, variant, cigar, int(expression), int(hits)
    named = gff_attributes(attributes)
    return (
        named["Read"],
        named["Name"],
        named["Variant"],
        named["Cigar"],
        int(named["Expression"]),
        int(named["Hits"]),
    )


def iter_mirgff(path: str | os.PathLike[str]) -> Iterator[GffRecord]:
    """Records of a single-sample mirGFF3 written by :func:`write_mirgff`, one at a time."""
    with open(path) as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t", 8)
            yield GffRecord(fields[0], int(fields[3]), int(fields[4]), *sample_line(fields[8]))


def read_mirgff(path: str | os.PathLike[str]) -> list[GffRecord]:
    """Records of a single-sample mirGFF3 written by :func:`write_mirgff`."""
    return list(iter_mirgff(path))


def line_type(record: GffRecord) -> str:
    """The mirGFF3 type (column 3) of a record: ``ref_miRNA`` without variants, else isomiR."""
    return "ref_miRNA" if record.variant == "NA" else "isomiR"


def validation_errors(path: str | os.PathLike[str]) -> int:
    """Number of errors ``mirtop validate`` finds in a mirGFF3 file (0 = valid)."""
    with quiet_mirtop_import():
        from mirtop.gff.validator import _check_file

    return int(_check_file(str(path)))


def write_checked_mirgff(
    rows: Iterable[tuple[GffRecord, Sequence[int] | SparseExpression]],
    samples: Sequence[str],
    path: str | os.PathLike[str],
    source: str,
) -> None:
    """:func:`write_mirgff`, then ``mirtop validate``; an invalid file is removed, with an error."""
    write_mirgff(rows, samples, path, source)
    errors = validation_errors(path)
    if errors:
        os.unlink(path)
        raise ValueError(f"{path}: mirtop validate found {errors} error(s); file removed")
