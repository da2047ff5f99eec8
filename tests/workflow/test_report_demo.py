"""The report of the full simulated demo: the page in headless Chromium, MultiQC and --report.

These tests read the results of the demo's run (the ``demo_results`` fixture); the unit tests of
the report's parts are in tests/unit/report/ and tests/unit/test_integrate.py.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from browser import CHROMIUM, chromium
from esccrt.integrate import (
    JoinSettings,
    candidate_mirnas,
    candidate_targets,
    mirna_evidence,
    read_mirna_targets,
)
from esccrt.io import read_tsv
from esccrt.mrna.insert_sizes import insert_size_summary, read_insert_sizes
from esccrt.report.build import build_report
from esccrt.report.html import PNG_SIGNATURE
from esccrt.report.html import SECTIONS as SECTION_NAMES
from esccrt.report.inputs import ReportInputs
from esccrt.report.methods import QpcrDecisions, methods_text
from esccrt.report.qpcr_quality import read_references, used_references
from esccrt.report.remark import fold_change_cutoffs
from esccrt.versions import used_tools
from prerequisites import TEST_TOOLS, missing
from schema_sections import validated
from workflow_runs import run_workflow

SECTIONS = list(SECTION_NAMES)


@pytest.fixture()
def config(demo_results: Path) -> dict:
    """The configuration of the demo's run, as Snakemake loads it (schema defaults filled)."""
    return validated(
        "config", yaml.safe_load((demo_results.parent / "config" / "config.yaml").read_text())
    )


# ------------------------------------------------------------------------------ the real page


@pytest.fixture(scope="module")
def report_html(demo_results: Path) -> Path:
    return demo_results / "report" / "report.html"


def test_report_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} (Debian chromium)", TEST_TOOLS)
    url = report_html.resolve().as_uri()
    shot = tmp_path / "report.png"
    run = chromium(
        url, f"--screenshot={shot}", "--window-size=1400,4000", user_dir=tmp_path / "profile1"
    )
    assert shot.exists(), run.stderr[-3000:]
    assert shot.read_bytes().startswith(PNG_SIGNATURE) and shot.stat().st_size > 50_000

    # The page after its scripts ran, opened with a search in the address (#search=...).
    run = chromium(url + "#search=miR-143", "--dump-dom", user_dir=tmp_path / "profile2")
    dom = run.stdout
    assert 'data-ready="true"' in dom, run.stderr[-3000:]
    for section in SECTIONS:
        assert f'<section id="{section}">' in dom, section
    n_images = len(re.findall(r"<img ", report_html.read_text()))
    assert n_images >= 20
    assert f'data-images="{n_images}"' in dom
    assert 'data-broken-images="0"' in dom, "an image did not load"

    # The small-RNA DE table is filtered to miR-143-3p: every other row is hidden.
    table = re.search(r'<table id="de-smallrna-irradiated_vs_control">.*?</table>', dom, re.S)
    rows = re.findall(r"<tr( style=\"display: none;\")?><td>([^<]*)</td>", table.group(0))
    shown = [name for hidden, name in rows if not hidden]
    assert shown == ["hsa-miR-143-3p"] and len(rows) > 5
    assert re.search(r'id="de-smallrna-irradiated_vs_control-count">1 shown<', dom)


def test_element_ids_are_unique(report_html: Path) -> None:
    """A search box finds its table by id: an id used twice (a section and a table) breaks the
    page's script."""
    ids = re.findall(r'<\w+[^>]*\sid="([^"]+)"', report_html.read_text())
    assert ids and not sorted({i for i in ids if ids.count(i) > 1})


def test_report_is_self_contained(report_html: Path) -> None:
    text = report_html.read_text()
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in text
    sources = re.findall(r'<img [^>]*src="([^"]*)"', text)
    assert sources
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', text)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)
    # The MultiQC link is relative and points at the file MultiQC wrote.
    link = re.search(r'<a href="([^"]+)">MultiQC report', text).group(1)
    assert not link.startswith("/") and (report_html.parent / link).resolve().exists()


def test_report_methods_and_versions_are_what_ran(report_html: Path, config: dict) -> None:
    text = report_html.read_text()
    table = re.search(r'<table id="versions">.*?</table>', text, re.S).group(0)
    versions = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td></tr>", table))
    for package in ("snakemake", "pandas", "pydeseq2", "lifelines", "HTSeq", "cutadapt"):
        assert versions[package] == importlib.metadata.version(package), package
    for tool in used_tools(config):
        assert re.fullmatch(r"\d+(\.\d+)+[a-z]?", versions[tool]), (tool, versions[tool])
    methods = re.search(r'<p class="methods">(.*?)</p>', text, re.S).group(1)
    # The demo runs every stage; what its stages decided is read from their tables.
    stages = {"smallrna", "mrna", "qpcr"}
    decisions = QpcrDecisions(
        used_references(read_references(report_html.parents[1] / "qpcr" / "references.tsv")),
        fold_change_cutoffs(read_tsv(report_html.parents[1] / "survival" / "cutoffs.tsv")),
    )
    assert html.unescape(methods) == methods_text(config, versions, stages, qpcr=decisions)
    assert f"padj < {config['diffexp']['padj_threshold']}" in html.unescape(methods)


def test_multiqc_found_every_tool(demo_results: Path) -> None:
    assert (demo_results / "qc" / "multiqc_report.html").stat().st_size > 100_000
    log = (demo_results / "logs" / "qc" / "multiqc.log").read_text()
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)
    found = dict(re.findall(r"(\S+)\s*\|\s*Found (\d+)", log))
    assert found == {
        "htseq": "6",
        "samtools": "6",
        "hisat2": "6",
        # 6 small-RNA samples and 6 mRNA units; no bowtie: its rates count collapsed sequences,
        # the read-based rates are custom content (smallrna_alignment_rates, below)
        "cutadapt": "12",
    }
    assert "smallrna_alignment_rates: Found" in log
    assert "smallrna_rna_classes: Found" in log


def test_snakemake_report_zip(demo_results: Path, tmp_path: Path) -> None:
    target = tmp_path / "snakemake_report.zip"
    # In the folder of the demo's run: --report reads Snakemake's records of that run.
    run = run_workflow(demo_results.parent, "--report", str(target), timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    names = zipfile.ZipFile(target).namelist()
    assert any(n.endswith("report.html") for n in names)
    for shown in ("multiqc_report.html", "volcano.png", "forest.png", "roc.png", "table1.tsv"):
        assert any(n.endswith(shown) for n in names), shown


def test_insert_sizes_agree_with_samtools_own_average(demo_results: Path) -> None:
    stats = sorted((demo_results / "qc" / "samtools_stats").glob("*/*.txt"))
    assert len(stats) == 6
    summary = insert_size_summary([read_insert_sizes(p) for p in stats])
    for path, mean in zip(stats, summary["mean"], strict=True):
        average = re.search(r"^SN\tinsert size average:\t([\d.]+)", path.read_text(), re.M)
        assert mean == pytest.approx(float(average.group(1)), abs=0.5), path.name
    # Rule mrna_insert_sizes wrote this summary and its plot (the report only shows them).
    written = pd.read_csv(demo_results / "qc" / "mrna_insert_sizes.tsv", sep="\t")
    pd.testing.assert_frame_equal(written, summary)
    assert (demo_results / "qc" / "mrna_insert_sizes.png").exists()


def test_report_lists_the_candidates_targets(
    demo_results: Path, config: dict, tmp_path: Path
) -> None:
    """With a target source (integrate.mirna_targets), the join lists the candidates' DE targets
    in the report."""
    targets = tmp_path / "targets.tsv"
    targets.write_text(
        "miRNA\tgene\nhsa-miR-143-3p\tMRC1\nhsa-miR-223-3p\tCD163\nhsa-miR-181a-5p\tARG1\n"
    )
    de = demo_results / "diffexp"
    de_tables = [str(de / arm / "irradiated_vs_control.tsv") for arm in ("smallrna", "mrna")]
    table1, cox = demo_results / "survival" / "table1.tsv", demo_results / "survival" / "cox.tsv"
    # What rule integrate does, with the target table configured.
    evidence = mirna_evidence(
        read_tsv(de_tables[0]),
        read_tsv(table1),
        read_tsv(cox),
        JoinSettings.from_config(config),
    )
    joined = candidate_targets(
        read_mirna_targets(targets), candidate_mirnas(evidence), read_tsv(de_tables[1])
    )
    evidence.to_csv(tmp_path / "mirna_evidence.tsv", sep="\t", index=False)
    joined.to_csv(tmp_path / "candidate_targets.tsv", sep="\t", index=False)
    inputs = ReportInputs(
        samples=str(demo_results.parent / config["samples"]),
        de_tables=de_tables,
        table1=str(table1),
        cox=str(cox),
        cutoffs=str(demo_results / "survival" / "cutoffs.tsv"),
        qpcr_references=str(demo_results / "qpcr" / "references.tsv"),
        mirna_evidence=str(tmp_path / "mirna_evidence.tsv"),
        candidate_targets=str(tmp_path / "candidate_targets.tsv"),
    )
    page = build_report(inputs, config, {}, "test", tmp_path / "report.html")
    listed = re.search(r'<table id="targets">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr><td>(hsa-[^<]+)</td><td>([^<]+)</td>", listed)
    # miR-181a-5p is no candidate; MRC1 and CD163 are significant M2 markers in the demo.
    assert rows == [("hsa-miR-143-3p", "MRC1"), ("hsa-miR-223-3p", "CD163")]
