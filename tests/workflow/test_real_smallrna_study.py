"""A study of the small real human libraries in ../shared, run with the default config.

The exRNAQC serum and plasma libraries (10,000 reads each; RNA014937 and RNA014938 serum,
RNA014939 EDTA plasma) and exceRpt's human example (SRR026761, 1,000 reads, the Illumina 1.0
adapter), read in place, with miRBase 21 (mature and hairpin, read in place) and nothing else
but the keys a user must give: the sheets, species, references and a contrast (serum vs the
other two; a group needs 2 samples, so the three exRNAQC libraries alone cannot form one).
With the schema's defaults QC fails every library (exceRpt: more than 100,000 transcriptome
reads), `qc.exclude: fail` excludes them and the contrast is left without samples (issue #28,
item 2): the run stops with a message saying that QC removed them, naming each sample and its
failed criteria, no traceback; the QC page (results/report/qc.html) is written and explains each
exclusion (sample, criteria, values, thresholds); the older report and QC page planted before
the run do not look current.

The mouse QIAseq example (miRTrace's, 10,000 reads of one library) cannot form a contrast (it
needs two groups of two samples of one species): it runs as a one-library QC-only study (no
`diffexp` section, as nf-core/smrnaseq runs QC without DE) with species mmu and the mouse entries
of miRBase 21. The run ends without error with the report and its QC page: the library fails
exceRpt's transcriptome reads (about 2,800 <= 100,000), the page explains it and both say no DE
was asked for ("no contrast: QC only").
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_runs import run_workflow

pytestmark = pytest.mark.slow

EXRNAQC = "smallrna_fastq/exrnaqc_serum_plasma"
#: sample -> (FASTQ under the shared data, condition, protocol, adapter of the custom protocol)
LIBRARIES = {
    "RNA014937": (f"{EXRNAQC}/RNA014937_S1_R1.fastq.gz", "serum", "illumina", ""),
    "RNA014938": (f"{EXRNAQC}/RNA014938_S2_R1.fastq.gz", "serum", "illumina", ""),
    "RNA014939": (f"{EXRNAQC}/RNA014939_S3_R1.fastq.gz", "other", "illumina", ""),
    "SRR026761": (
        "smallrna_fastq/excerpt_example/testData_human.fastq.gz",
        "other",
        "custom",
        "TCGTATGCCGTCTTCTGCTTG",
    ),
}
MIRBASE = "smallrna_refs/mirbase_all/v21"
#: A contrast of the human libraries (serum vs the other two).
SERUM_VS_OTHER = {"contrasts": {"serum_vs_other": ["condition", "serum", "other"]}}
#: miRTrace's mouse QIAseq example, one library (its condition names no group of a contrast).
MOUSE = {
    "QiaSeq_data": (
        "smallrna_refs/contamination/mirtrace/qiaseq_mouse_example/QiaSeq_data.fastq.gz",
        "mouse",
        "qiaseq",
        "",
    )
}
#: An older run's pages, planted before the run: neither may be left looking current.
OLD_PAGE = "<html><body>an older run's page</body></html>"


def make_study(
    workdir: Path,
    shared: Path,
    libraries: dict[str, tuple[str, str, str, str]] = LIBRARIES,
    species: str = "hsa",
    diffexp: dict | None = SERUM_VS_OTHER,
) -> Path:
    """The study folder: the user's keys only (everything else the schema's defaults), the
    ``libraries`` (as :data:`LIBRARIES`) of ``species``; ``diffexp`` None: no such section."""
    config = {
        "samples": "config/samples.tsv",
        "units": "config/units.tsv",
        "smallrna": {
            "species": species,
            "mature": str(shared / MIRBASE / "mature_miRBase21.fa.gz"),
            "hairpin": str(shared / MIRBASE / "hairpin_miRBase21.fa.gz"),
        },
        **({"diffexp": diffexp} if diffexp is not None else {}),
    }
    (workdir / "config").mkdir(parents=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    samples = ["sample\tlibrary_type\tcondition\tbatch"]
    units = ["sample\tunit\tfq1\tfq2\tprotocol\tadapter\tstrandedness"]
    for sample, (fastq, condition, protocol, adapter) in libraries.items():
        samples.append(f"{sample}\tsmallrna\t{condition}\tb1")
        units.append(f"{sample}\tlane1\t{shared / fastq}\t\t{protocol}\t{adapter}\t")
    (workdir / "config" / "samples.tsv").write_text("\n".join(samples) + "\n")
    (workdir / "config" / "units.tsv").write_text("\n".join(units) + "\n")
    (workdir / "results" / "report").mkdir(parents=True)
    for name in ("report.html", "qc.html"):
        (workdir / "results" / "report" / name).write_text(OLD_PAGE)
    return workdir


def test_qc_exclusions_stop_the_run_and_the_qc_page_explains_each(
    shared_data: Path, tmp_path: Path
) -> None:
    workdir = make_study(tmp_path / "study", shared_data)
    run = run_workflow(workdir, "--cores", "2")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    results = workdir / "results"
    table = pd.read_csv(results / "qc" / "sample_qc.tsv", sep="\t", dtype=str, index_col=0)
    rows = {sample: row for sample, row in table.iterrows()}
    assert sorted(rows) == sorted(LIBRARIES)
    for row in rows.values():  # too small for exceRpt: under 100,000 transcriptome reads
        assert row["overall"] == "fail", row
        assert row["transcriptome_reads_verdict"] == "fail", row
        assert float(row["transcriptome_reads"]) < 100_000, row

    # The message: QC removed them, each sample with its failed criteria; no traceback.
    # (the DE of mature miRNAs or of isomiRs, whichever job failed first: both give it)
    failed = [p.read_text() for p in (results / "logs" / "diffexp").glob("*.log")]
    failed = [text for text in failed if text.startswith("Input error")]
    assert failed, output[-3000:]
    log = failed[0]
    assert log.startswith("Input error: QC removed 4 sample(s) of this arm"), log[:500]
    assert "Traceback" not in log
    for sample, row in rows.items():
        named = f"{sample}: QC verdict fail (qc.exclude: fail): {row['reasons']}"
        assert named in log and named in output, sample
    assert "level 'serum' does not occur" in log
    assert "results/report/qc.html" in log

    # The QC page: written, and each exclusion explained (sample, criteria, values, thresholds).
    page = (results / "report" / "qc.html").read_text()
    assert "4 of 4 samples excluded from differential expression" in page
    assert "<code>transcriptome_reads</code> (exceRpt): fail &lt;= 100,000" in page
    for sample, row in rows.items():
        assert html.escape(row["reasons"]) in page, sample
        assert f"{float(row['transcriptome_reads']):.4g}" in page, sample

    # No older page looks current: the report moved aside with the failure's banner; the older
    # QC page replaced by this run's.
    report = results / "report"
    assert not (report / "report.html").exists()
    stale = (report / "report.stale.html").read_text()
    assert "OUT OF DATE" in stale and "failed in: diffexp_" in stale
    assert not (report / "qc.stale.html").exists()
    assert "The last report is out of date: see results/report/report.stale.html" in output
    assert "The QC report of this run (each exclusion explained): results/report/qc.html" in output


def test_one_mouse_library_runs_qc_only_and_the_qc_page_explains_its_exclusion(
    shared_data: Path, tmp_path: Path
) -> None:
    workdir = make_study(tmp_path / "mouse", shared_data, MOUSE, "mmu", diffexp=None)
    run = run_workflow(workdir, "--cores", "2")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    results = workdir / "results"
    row = pd.read_csv(results / "qc" / "sample_qc.tsv", sep="\t", dtype=str, index_col=0).loc[
        "QiaSeq_data"
    ]
    assert row["overall"] == "fail" and row["transcriptome_reads_verdict"] == "fail", row
    assert float(row["transcriptome_reads"]) < 100_000, row
    assert not (results / "diffexp").exists()  # no DE was asked for

    qc_page = (results / "report" / "qc.html").read_text()
    report = (results / "report" / "report.html").read_text()
    for page in (qc_page, report):
        assert "QC gate: smallrna (no contrast: QC only)" in page
        assert "1 of 1 samples fail the QC gate and would be excluded" in page
        assert "<code>transcriptome_reads</code> (exceRpt): fail &lt;= 100,000" in page
        assert html.escape(row["reasons"]) in page
        assert f"{float(row['transcriptome_reads']):.4g}" in page
    assert "No differential expression was run for the smallrna arm" in report
    assert (results / "qc" / "multiqc_report.html").is_file()
    assert not (results / "report" / "qc.stale.html").exists()
    assert not (results / "report" / "report.stale.html").exists()
