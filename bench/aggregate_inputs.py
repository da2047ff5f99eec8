"""Synthetic per-sample outputs of the small-RNA arm, for the aggregate rules at cohort scale
(issue 26, items 4 and 8): what rules smallrna_trim and smallrna_count write for each sample,
in their own formats (written by the project's own writers), under a results folder laid out as
the workflow lays it out (esccrt.paths).

Diversity as serum libraries show it: a reference of :data:`MATURE` mature miRNAs (one per
hairpin); each sample detects 300 to 1,500 of them (abundant miRNAs more often, Zipf), each
with 2 to 6 isomiRs from the miRNA's shared pool (5' shifts, 3' trimming and extension,
non-templated A/U additions) and, in 30 % of them, one private isomiR with a substitution (a
sequencing error: a line no other sample shares). The demo's six libraries have 3,500-4,000
mirGFF3 lines each and 9,611 merged; a synthetic sample has about 4,000 and the merged file
grows by about 260 lines per sample (the private isomiRs). Seeded: the same N gives the same
files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Mature miRNAs (and hairpins) of the synthetic reference.
MATURE = 2_500
#: Detected miRNAs per sample: uniform in this range.
DETECTED = (300, 1_500)
#: isomiRs per detected miRNA from its shared pool; share of miRNAs with a private isomiR.
ISOMIRS_PER_MIRNA = (2, 6)
PRIVATE_SHARE = 0.3
SEED = 20261207
#: The mature miRNA's place in its hairpin (0-based start, exclusive end); hairpin length.
MATURE_START, MATURE_END, HAIRPIN_LENGTH = 12, 34, 80
#: (5' shift, 3' shift, added nt) of each miRNA's shared isomiR pool, canonical first.
POOL = (
    (0, 0, ""),
    (0, -1, ""),
    (0, -2, ""),
    (0, 1, ""),
    (0, 2, ""),
    (-1, 0, ""),
    (1, 0, ""),
    (0, 0, "A"),
    (0, -1, "T"),
    (0, 0, "AA"),
)
RNA_CLASSES = ("rRNA", "tRNA")
SOURCE = "miRBase"


def sample_names(n: int) -> list[str]:
    """The synthetic samples' names (sorted as the workflow sorts them)."""
    return [f"syn_{k:05d}" for k in range(1, n + 1)]


@dataclass(frozen=True)
class Reference:
    """Synthetic hairpins, each holding one mature miRNA at the same place."""

    hairpins: dict[str, str]
    mature: dict[str, str]  # mature name -> sequence
    hairpin_of: dict[str, str]  # mature name -> hairpin name


def reference(rng: np.random.Generator) -> Reference:
    """:data:`MATURE` random hairpins (A, C, G, T) and their mature miRNAs."""
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    hairpins, mature, hairpin_of = {}, {}, {}
    for k in range(1, MATURE + 1):
        sequence = bases[rng.integers(0, 4, HAIRPIN_LENGTH)].tobytes().decode()
        hairpin, name = f"hsa-mir-syn{k:04d}", f"hsa-miR-syn{k:04d}-5p"
        hairpins[hairpin] = sequence
        mature[name] = sequence[MATURE_START:MATURE_END]
        hairpin_of[name] = hairpin
    return Reference(hairpins, mature, hairpin_of)


def _record(reference_: Reference, mature: str, read: str, start: int):
    """The mirGFF3 record (expression and hits set later) of ``read`` at ``start``."""
    from esccrt.smallrna.mirgff import GffRecord, mirtop_variant

    hairpin = reference_.hairpin_of[mature]
    label = mirtop_variant(read, reference_.hairpins[hairpin], start, MATURE_START, MATURE_END)
    if label is None:
        raise AssertionError(f"synthetic read {read} of {mature} outside mirtop's windows")
    variant, cigar = label
    return GffRecord(hairpin, start, start + len(read) - 1, read, mature, variant, cigar, 0, 1)


def _isomir_class(shift5: int, shift3: int, added: str, private: bool) -> str:
    """The isomiR class (esccrt.smallrna.isomirs) of a pool entry or a private read."""
    if private:
        return "mismatch"
    if added:
        return "non_templated_3p"
    if shift5:
        return "shifted_5p"
    return "trimmed_3p" if shift3 < 0 else "extended_3p" if shift3 > 0 else "canonical"


def _pool_read(hairpin: str, shift5: int, shift3: int, added: str) -> tuple[str, int]:
    """The read of a pool entry and its 0-based start in the hairpin."""
    start = MATURE_START + shift5
    return hairpin[start : MATURE_END + shift3] + added, start


def _private_read(rng: np.random.Generator, hairpin: str) -> tuple[str, int]:
    """The mature read with one substitution (not at the 3' end: not an addition)."""
    read = list(hairpin[MATURE_START:MATURE_END])
    position = int(rng.integers(1, len(read) - 5))
    read[position] = "ACGT"[("ACGT".index(read[position]) + int(rng.integers(1, 4))) % 4]
    return "".join(read), MATURE_START


def write_sample(
    rng: np.random.Generator,
    reference_: Reference,
    popularity: np.ndarray,
    sample: str,
    folder: Path,
    detected: tuple[int, int] = DETECTED,
) -> None:
    """One sample's counts JSON, mirGFF3 and trimming report, as rules smallrna_count and
    smallrna_trim write them."""
    from esccrt import paths
    from esccrt.io import write_json_atomic
    from esccrt.smallrna.mirgff import write_mirgff
    from esccrt.smallrna.trim import TrimReport, write_trim_report

    names = list(reference_.mature)
    detected = rng.choice(
        len(names), size=int(rng.integers(*detected, endpoint=True)), replace=False, p=popularity
    )
    records, mature, hairpin_counts = [], {}, {}
    isomirs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for index in sorted(detected):
        name = names[index]
        hairpin = reference_.hairpins[reference_.hairpin_of[name]]
        chosen = rng.choice(len(POOL), size=int(rng.integers(*ISOMIRS_PER_MIRNA, endpoint=True)))
        reads = [(*_pool_read(hairpin, *POOL[k]), _isomir_class(*POOL[k], False)) for k in chosen]
        if rng.random() < PRIVATE_SHARE:
            reads.append((*_private_read(rng, hairpin), "mismatch"))
        total = 0
        for (read, start, kind), copies in zip(
            reads, rng.zipf(1.6, len(reads)).clip(max=100_000), strict=True
        ):
            records.append(_record(reference_, name, read, start)._replace(expression=int(copies)))
            isomirs[name][kind] += float(copies)
            total += int(copies)
        mature[name] = float(total)
        hairpin_counts[reference_.hairpin_of[name]] = float(total + int(rng.integers(0, 20)))
    merged = _merge_duplicates(records)
    mirna = int(sum(mature.values()))
    hairpin_only = int(sum(hairpin_counts.values())) - mirna
    classes = {name: int(rng.integers(100, 5_000)) for name in RNA_CLASSES}
    too_short, too_long, unassigned = (int(v) for v in rng.integers(100, 5_000, 3))
    lengths = {length: int(rng.integers(10, 2_000)) for length in range(0, 45)}
    input_reads = mirna + hairpin_only + sum(classes.values()) + too_short + too_long + unassigned
    fate = {
        "sample": sample,
        "input": input_reads,
        "adapter_found": input_reads - int(rng.integers(0, 100)),
        "no_adapter_discarded": 0,
        "too_short": too_short,
        "too_long": too_long,
        "umi_duplicate": 0,
        "mature": mirna,
        "hairpin_only": hairpin_only,
        "unassigned": unassigned,
        "rna_classes": classes,
    }
    write_json_atomic(
        {
            "fate": fate,
            "mature": mature,
            "hairpin": hairpin_counts,
            "isomirs": {m: dict(c) for m, c in isomirs.items()},
            "lengths": {str(k): v for k, v in lengths.items()},
        },
        folder / paths.fill(paths.SMALLRNA_SAMPLE_COUNTS, sample=sample),
    )
    write_mirgff(
        ((record, [record.expression]) for record in merged),
        [sample],
        folder / paths.fill(paths.SMALLRNA_SAMPLE_MIRGFF, sample=sample),
        SOURCE,
    )
    report = TrimReport(
        input=input_reads,
        adapter_found=fate["adapter_found"],
        no_adapter_discarded=0,
        output=input_reads,
        too_short=too_short,
        too_long=too_long,
        lengths=lengths,
        phred={score: int(rng.integers(1_000, 100_000)) for score in range(2, 42)},
    )
    write_trim_report(
        report,
        folder / paths.fill(paths.SMALLRNA_TRIM_REPORT, sample=sample, unit="lane1"),
    )


def _merge_duplicates(records: list) -> list:
    """The sample's records sorted as the counting rule writes them, a read drawn twice for
    one miRNA as one line (its copies added)."""
    merged: dict[tuple, int] = defaultdict(int)
    for record in records:
        merged[record._replace(expression=0)] += record.expression
    return sorted(record._replace(expression=copies) for record, copies in merged.items())


def write_cohort(folder: Path, n: int, detected: tuple[int, int] = DETECTED) -> list[str]:
    """``n`` synthetic samples' outputs and the prepared references under ``folder``/results
    (the workflow's layout); returns the sample names. Made once per folder and size.
    ``detected``: the range of miRNAs each sample detects (fewer: smaller, quicker files)."""
    from esccrt import paths
    from esccrt.io import atomic_write

    results = Path(folder) / paths.RESULTS
    marker = results / f".synthetic_{n}"
    samples = sample_names(n)
    if marker.exists():
        return samples
    rng = np.random.default_rng(SEED)
    reference_ = reference(rng)
    for ref, sequences in (("mature", reference_.mature), ("hairpin", reference_.hairpins)):
        path = Path(folder) / paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref=ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as handle:
            handle.writelines(f">{name}\n{seq}\n" for name, seq in sequences.items())
    with atomic_write(Path(folder) / paths.SMALLRNA_ARMS) as handle:
        handle.write("hairpin\tmature\tstart\tend\n")
        handle.writelines(
            f"{hairpin}\t{mature}\t{MATURE_START}\t{MATURE_END}\n"
            for mature, hairpin in reference_.hairpin_of.items()
        )
    ranks = np.arange(1, MATURE + 1, dtype=float)
    popularity = ranks**-0.5 / (ranks**-0.5).sum()
    for name in ("counts", "mirgff", "trimmed"):
        (results / "smallrna" / name).mkdir(parents=True, exist_ok=True)
    for sample in samples:
        (results / "smallrna" / "trimmed" / sample).mkdir(exist_ok=True)
        write_sample(rng, reference_, popularity, sample, Path(folder), detected)
    marker.write_text("ok\n")
    return samples


def write_bowtie_logs(folder: Path, samples: list[str]) -> list[Path]:
    """bowtie's log of each sample's mature and hairpin steps (MultiQC reads them), with the
    read numbers of the sample's read fate; returns their paths (made once)."""
    import json

    from esccrt import paths

    logs = []
    for sample in samples:
        counts = Path(folder) / paths.fill(paths.SMALLRNA_SAMPLE_COUNTS, sample=sample)
        fate = json.loads(counts.read_text())["fate"]
        processed = fate["mature"] + fate["hairpin_only"] + fate["unassigned"]
        aligned = {"mature": fate["mature"], "hairpin": fate["hairpin_only"]}
        for ref, reads in aligned.items():
            log = Path(folder) / paths.fill(paths.SMALLRNA_BOWTIE_LOG, ref=ref, sample=sample)
            logs.append(log)
            if log.exists():
                continue
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(
                f"# reads processed: {processed}\n"
                f"# reads with at least one alignment: {reads} ({100 * reads / processed:.2f}%)\n"
                f"# reads that failed to align: {processed - reads} "
                f"({100 * (processed - reads) / processed:.2f}%)\n"
                f"Reported {reads} alignments\n"
            )
            processed -= reads  # the hairpin step aligns what the mature step left
    return logs
