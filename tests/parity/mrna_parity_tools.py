"""Helpers of the mRNA parity tests: the reference tools' command lines and shared data.

The reference for counting is the ``htseq-count`` command line of HTSeq 2.1.2 (run here on the
same BAMs with the same options) and, as an independent second tool, subread's featureCounts.
Not a test module: the ``tests/parity/test_mrna_*.py`` files import it (the folder is in
pytest's ``pythonpath`` setting, pyproject.toml).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.mrna.align import hisat2_args, hisat2_build_args, run_pipe, samtools_sort_args
from esccrt.mrna.annotation import hisat2_exons, hisat2_splice_sites
from esccrt.mrna.htseq_table import read_count_column, read_htseq_table
from esccrt.mrna.settings import CountingSettings, TrimmingSettings
from esccrt.mrna.stage import CountInputs, TrimInputs, TrimOutputs, count
from esccrt.mrna.stage import trim as stage_trim
from esccrt.mrna.strandedness import HTSEQ_STRANDED
from esccrt.paths import trimmed_fastqs
from schema_sections import mrna_section

REPO = Path(__file__).resolve().parents[2]
HTSEQ_COUNT = Path(sys.executable).parent / "htseq-count"
TRUSEQ = {"r1": "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "r2": "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"}
HTSEQ_OPTIONS = [
    "-f", "bam", "-r", "pos", "-t", "exon", "-i", "gene_id", "-m", "union",
    "--nonunique", "none", "-a", "10", "--secondary-alignments", "ignore",
    "--supplementary-alignments", "ignore", "--additional-attr", "gene_name",
]  # fmt: skip
YEAST_SAMPLES = ["SRR4238351", "SRR4238379"]
DEMO = REPO / "resources" / "demo" / "mrna"

#: Tests that run these tools fail, naming `make test-tools`, where they are absent.
needs_featurecounts = pytest.mark.commands("featureCounts")
needs_tools = pytest.mark.commands("hisat2", "hisat2-build", "samtools")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def htseq_count_cli(
    bam: Path, gtf: Path, stranded: str, out: Path, extra: tuple[str, ...] = ()
) -> Path:
    """Run the reference ``htseq-count`` command line (``extra`` options override ours)."""
    with out.open("w") as handle:
        subprocess.run(
            [str(HTSEQ_COUNT), *HTSEQ_OPTIONS, *extra, "-s", stranded, "-q", str(bam), str(gtf)],
            stdout=handle,
            check=True,
        )
    return out


def trim_as_rule(fq1: Path, fq2: Path | None, out: Path, threads: int = 1) -> list[Path]:
    """Trim one TruSeq unit as rule mrna_cutadapt does (:func:`esccrt.mrna.stage.trim`, the
    schema's trimming settings): the trimmed FASTQ(s) in ``out``, cutadapt's text report in
    ``out/cutadapt.txt`` and its JSON report in ``out/cutadapt.json``."""
    out.mkdir(parents=True, exist_ok=True)
    outputs = TrimOutputs(out / "reads", out / "cutadapt.txt", out / "cutadapt.json")
    settings = TrimmingSettings.from_config(mrna_section()["trimming"])
    unit = {"protocol": "truseq", "adapter": ""}
    paired = fq2 is not None
    stage_trim(settings, unit, paired, TrimInputs(fq1, fq2), outputs, threads, f"test {fq1.name}")
    return [Path(path) for path in trimmed_fastqs(str(outputs.reads), paired)]


def count_as_rule(bam: Path, gtf: Path, stranded: str, out: Path, threads: int = 2):
    """Count as rule mrna_count does (:func:`esccrt.mrna.stage.count`, the schema's counting
    settings, the rule's 2 threads) with htseq-count's ``-s stranded``; return the result."""
    used = {option: name for name, option in HTSEQ_STRANDED.items()}[stranded]
    table = out.with_suffix(".strandedness.tsv")
    table.write_text(f"used\n{used}\n")
    settings = CountingSettings.from_config(mrna_section()["counting"])
    return count(settings, CountInputs(bam, gtf, table), out, threads=threads)


def ours(bam: Path, gtf: Path, stranded: str, out: Path) -> Path:
    """Count as rule mrna_count does (:func:`count_as_rule`): htseq-count's table format."""
    count_as_rule(bam, gtf, stranded, out)
    return out


def assert_same_as_htseq(bam: Path, gtf: Path, stranded: str, tmp: Path) -> dict[str, int]:
    """Gene by gene and counter by counter equality with htseq-count; returns the counters."""
    ref = htseq_count_cli(bam, gtf, stranded, tmp / f"{bam.stem}.{stranded}.htseq.tsv")
    mine = ours(bam, gtf, stranded, tmp / f"{bam.stem}.{stranded}.ours.tsv")
    ref_genes, ref_special = read_htseq_table(ref)
    # The count matrix's fast reader reads htseq-count's own table as the table reader does.
    column = read_count_column(ref)
    assert column.counts.tolist() == ref_genes["count"].tolist()
    assert column.special == ref_special
    my_genes, my_special = read_htseq_table(mine)
    pd.testing.assert_frame_equal(my_genes, ref_genes)
    assert my_special == ref_special
    assert mine.read_text() == ref.read_text()  # byte for byte, names included
    return {**ref_special, "assigned": int(ref_genes["count"].sum())}


def feature_counts(bam: Path, gtf: Path, strand: int, paired: bool, tmp: Path) -> pd.Series:
    """Gene counts from featureCounts with options matching htseq-count's as far as possible."""
    out = tmp / f"{bam.stem}.s{strand}.featurecounts.tsv"
    args = ["featureCounts", "-a", str(gtf), "-o", str(out), "-t", "exon", "-g", "gene_id"]
    args += ["-s", str(strand), "-Q", "10", "--primary", "-T", "1"]
    if paired:
        args += ["-p", "--countReadPairs"]
    subprocess.run([*args, str(bam)], check=True, capture_output=True)
    table = pd.read_csv(out, sep="\t", comment="#")
    return table.set_index("Geneid").iloc[:, -1]


def log_pearson(a: pd.Series, b: pd.Series) -> float:
    """Pearson correlation of log(count + 1) over the genes of ``a``."""
    b = b.reindex(a.index)
    return float(np.corrcoef(np.log1p(a.to_numpy(float)), np.log1p(b.to_numpy(float)))[0, 1])


def build_hisat2_index(genome: Path, gtf: Path, outdir: Path) -> str:
    """HISAT2 index with splice sites and exons, through the workflow's functions."""
    outdir.mkdir(parents=True, exist_ok=True)
    ss, exons = outdir / "splice_sites.tsv", outdir / "exons.tsv"
    for rows, path in ((hisat2_splice_sites(gtf), ss), (hisat2_exons(gtf), exons)):
        path.write_text("".join("\t".join(map(str, row)) + "\n" for row in rows))
    prefix = str(outdir / "genome")
    args = hisat2_build_args(str(genome), prefix, 2, str(ss), str(exons))
    subprocess.run(args, check=True, capture_output=True)
    return prefix


def align(prefix: str, fq1: Path, out: Path, fq2: Path | None = None) -> Path:
    """HISAT2 | samtools sort, then samtools index, as the workflow's rule does."""
    summary = out.with_suffix(".summary.txt")
    args = hisat2_args(prefix, str(fq1), str(summary), str(fq2) if fq2 else None, 2)
    sort = samtools_sort_args(str(out), str(out.with_suffix(".tmp")), 2)
    with open(out.with_suffix(".log"), "w") as err:
        run_pipe(args, sort, err=err)
    subprocess.run(["samtools", "index", str(out)], check=True)
    return out
