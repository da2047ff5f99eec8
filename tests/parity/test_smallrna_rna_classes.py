"""RNA class screening on real references and reads; mouse (mmu) QIAseq reads end to end.

References (read in place from ../shared/data/smallrna_refs/contamination): human rDNA from
T2T-CHM13 (45S pre-rRNA and 5S consensus), miRTrace's tRNA reference (the species' own tRNAs:
the all-species file holds a shrimp "tRNA" identical to miR-19b-3p, which a screen before the
miRNA step would take away) and miRTrace's library artifacts. Reads: miRTrace's QC-passed mouse
QIAseq reads (4,709 reads, 2,072 distinct, each tagged with miRTrace's RNA type), the mouse
QIAseq FASTQ itself (10,000 reads) and one human serum library of exRNAQC (10,000 reads).
"""

from __future__ import annotations

import gzip
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from esccrt.smallrna.collapse import copy_number
from esccrt.smallrna.layout import MIRNA_STEPS
from esccrt.smallrna.reference import read_fasta
from esccrt.smallrna.screen import fasta_tally
from esccrt.smallrna.settings import BowtieSettings, ReferenceSettings
from esccrt.smallrna.stage import (
    AlignInputs,
    AlignOutputs,
    ReferenceOutputs,
    ScreenInputs,
    ScreenOutputs,
    align,
    reference,
    screen,
)
from prerequisites import require_commands
from schema_sections import smallrna_section
from smallrna_helpers import (
    EXRNAQC,
    ArmReferences,
    build_index,
    collapse_as_rule,
    run_sample,
    trim_as_rule,
)

#: The workflow's bowtie options (schema defaults) of the class screen.
SCREEN = BowtieSettings.from_config(smallrna_section(), "rna_classes")
CLASSES = ("rRNA", "tRNA", "artifact")
MIRTRACE_DIR = Path("mirtrace") / "qiaseq_mouse_example"
MIRTRACE_READS = (
    MIRTRACE_DIR / "expected_mirtrace_qc/qc_passed_reads.all.collapsed/QiaSeq_data.fasta"
)


def _species_trnas(source: Path, species: str, target: Path) -> Path:
    """The entries of miRTrace's tRNA reference whose name starts with ``species`` (as written)."""
    keep = False
    with open(source) as handle, open(target, "w") as out:
        for line in handle:
            if line.startswith(">"):
                keep = line[1:].startswith(f"{species}_tRNA_")
            if keep:
                out.write(line)
    return target


class ClassReferences:
    """bowtie indexes of the class FASTAs: as the workflow prepares them, and as published.

    The workflow's: a ``smallrna.rna_classes`` list prepared by rule smallrna_reference's entry
    point (the tRNAs taken from the all-species file with ``names_starting_with``). The plain
    ones: bowtie-build on the files as published (the rDNA decompressed, the species' tRNA
    entries cut out by hand), only with ``plain``.
    """

    def __init__(self, contamination: Path, species: str, folder: Path, plain: bool = True):
        folder.mkdir(parents=True)
        rdna = folder / "rRNA.raw.fa"
        with gzip.open(contamination / "rRNA_human_T2T" / "T2T_rDNA.consensus.fa.gz") as source:
            rdna.write_bytes(source.read())
        trnas = contamination / "mirtrace" / "tRNA_reference.fa"
        raw = {
            "rRNA": rdna,
            "tRNA": _species_trnas(trnas, species, folder / "tRNA.raw.fa"),
            "artifact": contamination / "mirtrace" / "artifact_sequences.fa",
        }
        sources = {**raw, "tRNA": trnas}
        rna_classes = [
            {
                "name": name,
                "fasta": str(sources[name]),
                "names_starting_with": f"{species}_tRNA_" if name == "tRNA" else "",
            }
            for name in CLASSES
        ]
        section = smallrna_section(rna_classes=rna_classes)
        self.index, self.plain = {}, {}
        for name in CLASSES:
            fasta = folder / f"{name}.fa"
            reference(ReferenceSettings.from_config(section, name), ReferenceOutputs(fasta))
            self.index[name] = build_index(fasta, folder / name)
            if plain:
                self.plain[name] = build_index(raw[name], folder / f"{name}.plain")

    def ordered(self, plain: bool = False) -> list[tuple[str, str]]:
        indexes = self.plain if plain else self.index
        return [(name, indexes[name]) for name in CLASSES]


def plain_bowtie_screen(reads: Path, indexes: list[tuple[str, str]], work: Path) -> dict:
    """bowtie run by hand, class after class on what the previous one left (``--un``).

    Reads per class are counted from bowtie's SAM: the copy numbers (``_x<n>``) of the distinct
    read names with an alignment (flag 4 unset), not from the leftover files.
    """
    counts = {}
    for name, index in indexes:
        unaligned = work / f"plain.{name}.un.fa"
        sam = subprocess.run(
            ["bowtie", *SCREEN.args, "-f", "--un", str(unaligned), "-S", "-x", index, str(reads)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        aligned = set()
        for line in sam.splitlines():
            fields = line.split("\t")
            if not line.startswith("@") and not int(fields[1]) & 4:
                aligned.add(fields[0])
        counts[name] = sum(int(read.rsplit("_x", 1)[1]) for read in aligned)
        reads = unaligned
    return counts


@pytest.fixture(scope="module")
def contamination(shared_data):
    require_commands("bowtie", "bowtie-build")
    return shared_data / "smallrna_refs" / "contamination"


@pytest.fixture(scope="module")
def mouse_classes(contamination, tmp_path_factory):
    return ClassReferences(contamination, "Mus_musculus", tmp_path_factory.mktemp("mmu") / "c")


def _human_serum_reads(shared_data: Path, work: Path) -> Path:
    """One exRNAQC serum library trimmed and collapsed by the rules' entry points."""
    fastq = shared_data / "smallrna_fastq" / "exrnaqc_serum_plasma" / "RNA014937_S1_R1.fastq.gz"
    assert "RNA014937" in EXRNAQC
    collapsed, _ = collapse_as_rule([trim_as_rule(fastq, "illumina", "", work)], work)
    return collapsed


@pytest.mark.parametrize("dataset", ["mouse_mirtrace_reads", "human_serum"])
def test_class_totals_equal_a_plain_sequential_bowtie_screen(
    dataset, shared_data, contamination, mouse_classes, tmp_path
):
    if dataset == "human_serum":
        refs = ClassReferences(contamination, "Homo_sapiens", tmp_path / "hsa")
        reads = _human_serum_reads(shared_data, tmp_path)
    else:
        refs, reads = mouse_classes, contamination / MIRTRACE_READS
    ours = _screen(reads, refs.ordered(), tmp_path / "left.fa")
    plain = plain_bowtie_screen(reads, refs.ordered(plain=True), tmp_path)
    print(f"{dataset}: ours {ours}; plain bowtie {plain}")
    assert {name: count.reads for name, count in ours.items()} == plain
    assert ours["rRNA"].reads > 0 and ours["tRNA"].reads > 0
    left = fasta_tally(tmp_path / "left.fa").reads
    assert left + sum(plain.values()) == fasta_tally(reads).reads


def test_rna_types_agree_with_mirtrace(contamination, mouse_classes, mouse_mirbase, tmp_path):
    """Each of miRTrace's QC-passed reads: miRTrace's RNA type against the class we give it.

    Tolerance: miRTrace matches k-mers against its own databases (its rRNA database is not
    available here; human T2T rDNA stands in for mouse rRNA), bowtie aligns whole reads with
    one seed mismatch. So (1) at least 95 % of the reads miRTrace calls rRNA, tRNA or miRNA
    (measured 99.0 %, 97.3 %, 99.96 %) must get the same class here, with miRNA = the mature or
    hairpin step after the screen; (2) what we add to rRNA and tRNA beyond miRTrace's calls
    comes only from reads miRTrace left unknown or called artifacts (measured +45 rRNA, +10
    tRNA reads, from its 'unknown' 1,195 and 'artifacts' 518); miRTrace's artifacts are reads with
    an Illumina adapter behind a short insert, which whole-read alignment never matches, so
    that class is not compared.
    """
    reads = contamination / MIRTRACE_READS
    mirtrace = {}
    for record in read_fasta(reads):
        mirtrace[record.name] = record.header.split()[1].removeprefix("rnatype:")
    ours: dict[str, str] = {}
    current = reads
    # rule smallrna_align's entry point, class after class with the screen's options (the
    # screen keeps no alignments), then the miRNA steps: the class of each read
    steps = [(name, index, SCREEN) for name, index in mouse_classes.ordered()]
    steps += [(step, mouse_mirbase.index[step], _bowtie(step)) for step in MIRNA_STEPS]
    for name, index, settings in steps:
        outputs = AlignOutputs(tmp_path / f"{name}.bam", tmp_path / f"{name}.un.fa")
        align(settings, index, AlignInputs(current), outputs, threads=1, log_file=None)
        ours.update(dict.fromkeys(_aligned_names(outputs.bam), name))
        current = outputs.unaligned
    ours = {read: "mirna" if name in MIRNA_STEPS else name for read, name in ours.items()}
    table = Counter()
    for read, rna_type in mirtrace.items():
        table[rna_type, ours.get(read, "unknown")] += copy_number(read)
    print(sorted(table.items()))
    for theirs, mine in (("rrna", "rRNA"), ("trna", "tRNA"), ("mirna", "mirna")):
        called = sum(n for (t, _), n in table.items() if t == theirs)
        # measured min 0.973 (tRNA; rRNA 0.990, miRNA 0.999) on 2026-12-06
        assert table[theirs, mine] >= 0.95 * called, (theirs, table)
    for mine in ("rRNA", "tRNA"):
        extra = {t: n for (t, m), n in table.items() if m == mine and t != mine.lower()}
        assert set(extra) <= {"unknown", "artifacts"}, (mine, extra)


def _aligned_names(bam: Path) -> set[str]:
    import pysam

    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        return {read.query_name for read in handle.fetch(until_eof=True) if not read.is_unmapped}


def _bowtie(step: str) -> BowtieSettings:
    """The schema's bowtie options of a miRNA step."""
    return BowtieSettings.from_config(smallrna_section(), step)


def _screen(reads: Path, classes: list[tuple[str, str]], left: Path) -> dict:
    """Rule smallrna_screen's entry point with the schema's options: reads per class."""
    outputs = ScreenOutputs(left, left.with_suffix(".json"))
    return screen(SCREEN, classes, ScreenInputs(reads), outputs, threads=1, log_file=None)


@pytest.fixture(scope="module")
def mouse_mirbase(contamination, tmp_path_factory) -> ArmReferences:
    """Mouse mature (miRBase v22) and hairpin (v21) sequences, prepared and indexed; the arms.

    miRBase 22 has no all-species hairpin file here (mirbase_all/README.md), hence the v21 one.
    """
    folder = contamination.parent / "mirbase_all"
    section = smallrna_section(
        species="mmu",
        mature=str(folder / "mature.fa"),
        hairpin=str(folder / "v21/hairpin_miRBase21.fa.gz"),
    )
    return ArmReferences(section, tmp_path_factory.mktemp("mmu_mirbase"))


def test_mouse_qiaseq_reads_end_to_end(contamination, mouse_classes, mouse_mirbase, tmp_path):
    """mmu: QIAseq trimming with UMIs, class screen, mouse miRBase, through the rules' entry
    points with the schema's settings; top miRNAs as miRTrace's, and its miRNA QC criteria."""
    fastq = contamination / MIRTRACE_DIR / "QiaSeq_data.fastq.gz"
    work = tmp_path / "mmu_qiaseq"
    result = run_sample(mouse_mirbase, fastq, "qiaseq", "", work, mouse_classes.ordered())
    fate, mature = result["fate"], result["mature"]
    top = sorted(mature, key=mature.get, reverse=True)
    print(fate, [(m, round(mature[m])) for m in top[:10]])
    assert fate.input == 10000 and all(name.startswith("mmu-") for name in mature)
    # miRTrace's most abundant sequences (REFERENCE_RESULTS.md, section 5), as mouse miRNAs.
    expected = {
        "mmu-miR-295-3p",
        "mmu-miR-16-5p",
        "mmu-miR-142a-3p",
        "mmu-miR-292a-5p",
        "mmu-miR-293-5p",
        "mmu-miR-7a-5p",
        "mmu-miR-20a-5p",
        "mmu-miR-19b-3p",
    }
    print(f"{len(expected & set(top[:12]))} of the expected in the top 12")
    assert len(expected & set(top[:12])) >= 8, top[:12]  # measured 8 on 2026-12-06; was 6
    assert top[0] in ("mmu-miR-295-3p", "mmu-miR-16-5p")
    # miRTrace: 2,677 miRNA reads of its 4,709 QC-passed reads (measured here: 2,755 mature;
    # the windows differ, 16-40 nt here and 18-50 there, miRTrace has no UMI deduplication, and
    # the workflow counts reads with non-templated 3' tails of up to 3 nt, the schema's default).
    # measured 78 (2,755) on 2026-12-06 through the rules' entry points; before, with tails off (the
    # test re-assembled the counting), 8 (2,685) with a bound of 16; was 10 % (268)
    assert abs(fate.mature - 2677) <= 156
    assert fate.rna_classes["rRNA"] > 0 and fate.rna_classes["tRNA"] > 0
    _check_mirtrace_mirna_criteria(mouse_mirbase, work, contamination / MIRTRACE_DIR)


def _check_mirtrace_mirna_criteria(refs: ArmReferences, work: Path, mirtrace_dir: Path) -> None:
    """miRTrace's miRNA share and complexity of the sample just run, through rule
    smallrna_sample_qc's entry point with the schema's thresholds: miRTrace's verdicts (neither
    flagged) and values near its statistics (mirtrace-results.json).

    miRTrace: 2,677 miRNA reads of its 4,709 QC-passed reads, 922 of which had no adapter;
    276 of the 1,193 mouse hairpins of its database (miRBase 21, as here) detected. Here the
    share is of the reads in the 16-40 nt window after UMI deduplication; QIAseq reads without
    adapter have no UMI and are discarded, so miRTrace's share is compared without its 922
    adapter-less reads (2,677 / 3,787). What remains differs by the windows (18-50 nt there),
    UMI deduplication and bowtie against k-mer matching (test_rna_types_agree_with_mirtrace).
    """
    import json

    import pandas as pd
    from esccrt.smallrna.sample_qc import SampleQCInputs, SampleQCOutputs, sample_qc
    from schema_sections import qc_section

    counts = json.loads((work / "counts.json").read_text())
    matrix = work / "matrix.tsv"
    mature = counts["mature"]
    frame = pd.DataFrame({"feature": list(mature), work.name: list(mature.values())})
    frame.to_csv(matrix, sep="\t", index=False)
    inputs = SampleQCInputs(
        (work / "counts.json",),
        (work / "QiaSeq_data.fastq.trim.json",),
        refs.arms_table,
        refs.fasta("hairpin"),
        matrix,
    )
    outputs = SampleQCOutputs(work / "qc.tsv", work / "qc_mqc.tsv", work / "qc_gate.tsv")
    row = sample_qc(qc_section(), [work.name], inputs, outputs).iloc[0]
    results = json.loads((mirtrace_dir / "expected_mirtrace_qc/mirtrace-results.json").read_text())
    stats = results["results"][0]["stats"]
    mirna, adapter_not_detected = stats["statsRNAType"][0], stats["statsQC"][3]
    theirs = {
        "mirna_share": mirna / (sum(stats["statsRNAType"]) - adapter_not_detected),
        "mirna_complexity": len(stats["foundRNAReads"][0]) / results["rnaTypeRefSeqCounts"][0],
    }
    flags = {"mirna_share": "rnatype", "mirna_complexity": "complexity"}
    print({name: (round(row[name], 4), round(value, 4)) for name, value in theirs.items()})
    for name, flag in flags.items():
        assert stats["qcAnalysisFlags"][flag] == "ok"
        assert row[f"{name}_verdict"] == "pass"
    # measured 0.6888 vs 0.7069 and 0.2146 vs 0.2313 (256 vs 276 hairpins) on 2026-12-07
    assert abs(row["mirna_share"] - theirs["mirna_share"]) <= 0.03
    assert abs(row["mirna_complexity"] - theirs["mirna_complexity"]) <= 0.025


def test_mitochondrial_rrna_class_takes_the_mir_4485_3p_fragment(shared_data, tmp_path):
    """hsa-miR-4485-3p is a fragment of the mitochondrial 16S rRNA (MT-RNR2): an rRNA class
    holding MT-RNR2 takes its reads before the mature step, so it cannot top the miRNA table.

    MT-RNR2 is cut from the full chrM of nf-core's test genome (hg38 chrM = rCRS, MT-RNR2 at
    1,671-3,229); miR-4485-3p's sequence comes from the human miRBase mature file.
    """
    require_commands("bowtie")
    genome = shared_data / "smallrna_refs" / "nfcore_smrnaseq" / "reference" / "genome.fa"
    chrm = next(r for r in read_fasta(genome) if r.name == "chrM").sequence
    (tmp_path / "mt_rRNA.fa").write_text(f">MT-RNR2\n{chrm[1670:3229]}\n")
    mature = {r.name: r.sequence for r in read_fasta(shared_data / "mirbase" / "mature.fa")}
    mir4485 = mature["hsa-miR-4485-3p"].replace("U", "T")
    mir21 = mature["hsa-miR-21-5p"].replace("U", "T")
    assert mir4485 in chrm[1670:3229]
    reads = tmp_path / "collapsed.fa"
    reads.write_text(f">seq1_x500\n{mir4485}\n>seq2_x40\n{mir4485[1:]}A\n>seq3_x90\n{mir21}\n")
    index = build_index(tmp_path / "mt_rRNA.fa", tmp_path / "mt_rRNA")
    left = tmp_path / "left.fa"
    taken = _screen(reads, [("rRNA", index)], left)
    assert (taken["rRNA"].reads, taken["rRNA"].sequences) == (540, 2)
    assert left.read_text() == f">seq3_x90\n{mir21}\n"
