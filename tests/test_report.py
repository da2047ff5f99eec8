"""The final report: content functions, the page in headless Chromium, MultiQC and --report.

Unit tests build small hand-made tables; the tests marked with ``demo_results`` read the report
of the full simulated demo (results/report/report.html), which the fixture runs or reuses.
"""

from __future__ import annotations

import base64
import copy
import html
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt import report
from esccrt.errors import InputError

CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = list(report.SECTIONS)
VERSIONS = {
    "cutadapt": "5.2",
    "bowtie": "1.3.1",
    "hisat2": "2.2.1",
    "STAR": "2.7.11b",
    "samtools": "1.16.1",
    "HTSeq": "2.1.2",
    "pysam": "0.24.1",
    "pydeseq2": "0.5.4",
    "lifelines": "0.30.3",
    "snakemake": "9.27.1",
    "multiqc": "1.35",
}


@pytest.fixture()
def config(repo_root: Path) -> dict:
    """The demo's configuration, as Snakemake loads it."""
    return yaml.safe_load((repo_root / "config" / "config.yaml").read_text())


def mrna_de() -> pd.DataFrame:
    """A small mRNA DE table: two M2 markers, two other genes, one without a name."""
    return pd.DataFrame(
        {
            "feature": ["G1", "G2", "G3", "G4", "G5"],
            "name": ["CD163", "MRC1", "PTEN", "KRAS", ""],
            "baseMean": [100.0, 200.0, 300.0, 400.0, 50.0],
            "log2FoldChange": [1.8, -0.2, -1.5, 2.0, 3.0],
            "padj": [0.001, 0.8, 0.01, 0.02, 0.001],
            "significant": [True, False, True, True, True],
        }
    )


# ------------------------------------------------------------------------------ methods text


def test_methods_text_follows_the_config(config: dict) -> None:
    text = report.methods_text(config, VERSIONS)
    assert "padj < 0.05" in text and "|log2 fold change| >= 1.0" in text
    assert "pydeseq2 0.5.4" in text and "HISAT2 2.2.1" in text and "bowtie 1.3.1" in text
    assert "fold change of 1.5" in text and "hsa-miR-484 and hsa-miR-191-5p" in text

    changed = copy.deepcopy(config)
    changed["diffexp"]["padj_threshold"] = 0.1
    changed["diffexp"]["lfc_threshold"] = 0.58
    changed["mrna"]["aligner"] = "star"
    changed["survival"]["fold_change_cutoff"] = 2.0
    changed["qpcr"]["efficiencies"] = {"hsa-miR-143-3p": 1.9}
    other = report.methods_text(changed, {**VERSIONS, "pydeseq2": "0.6.0"})
    assert "padj < 0.1 " in other and "padj < 0.05" not in other
    assert "|log2 fold change| >= 0.58" in other
    assert "STAR 2.7.11b" in other and "HISAT2" not in other
    assert "fold change of 2.0" in other and "Pfaffl" in other
    assert "pydeseq2 0.6.0" in other and "pydeseq2 0.5.4" not in other


def test_methods_text_leaves_out_arms_that_did_not_run(config: dict) -> None:
    mrna_only = {k: v for k, v in config.items() if k not in ("smallrna", "qpcr", "survival")}
    text = report.methods_text(mrna_only, VERSIONS)
    assert "Small-RNA" not in text and "Kaplan-Meier" not in text
    assert "HTSeq 2.1.2" in text


def test_tool_version_numbers_and_used_tools(config: dict) -> None:
    assert report.version_number("/usr/bin/hisat2-align-s version 2.2.1") == "2.2.1"
    assert report.version_number("samtools 1.16.1\nUsing htslib 1.16") == "1.16.1"
    assert report.used_tools(config) == report.TOOLS
    assert "STAR" in report.used_tools({"mrna": {"aligner": "star"}})
    assert report.tool_versions({"surely-not-a-tool-xyz": "--version"}) == {
        "surely-not-a-tool-xyz": "not found"
    }


# ------------------------------------------------------------------------------ content parts


def test_marker_panel_keeps_the_configured_order_and_names_missing_markers() -> None:
    panel = report.marker_panel(mrna_de(), ["MRC1", "IL10", "CD163"])
    assert panel["gene"].tolist() == ["MRC1", "IL10", "CD163"]
    assert panel.loc[0, "log2FoldChange"] == -0.2 and not panel.loc[0, "significant"]
    assert panel.loc[1, "note"] == "not in the DE table"
    assert panel.loc[2, "padj"] == 0.001 and panel.loc[2, "note"] == "up in irradiated"


def test_candidate_targets_from_a_hand_made_table(tmp_path: Path) -> None:
    targets_file = tmp_path / "targets.tsv"
    targets_file.write_text(
        "miRNA\tgene\tsource\n"
        "hsa-miR-143-3p\tKRAS\tmiRTarBase\n"  # significant: listed
        "hsa-miR-143-3p\tMRC1\tmiRTarBase\n"  # not significant: left out
        "hsa-miR-223-3p\tPTEN\tTargetScan\n"  # significant: listed
        "hsa-miR-223-3p\tG5\tby id\n"  # matched by feature id (gene without a name)
        "hsa-miR-181a-5p\tCD163\tTargetScan\n"  # not a candidate: left out
    )
    targets = report.read_mirna_targets(targets_file)
    joined = report.candidate_targets(targets, ["hsa-miR-143-3p", "hsa-miR-223-3p"], mrna_de())
    assert joined[["miRNA", "gene"]].values.tolist() == [
        ["hsa-miR-143-3p", "KRAS"],
        ["hsa-miR-223-3p", "G5"],
        ["hsa-miR-223-3p", "PTEN"],
    ]
    assert joined["log2FoldChange"].tolist() == [2.0, 3.0, -1.5]
    assert report.candidate_targets(targets, [], mrna_de()).empty


def test_a_bad_target_table_is_refused_with_file_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "targets.tsv"
    bad.write_text("mirna\tgene\nhsa-miR-143-3p\tKRAS\n")
    with pytest.raises(InputError, match=r"targets\.tsv.*miRNA.*header"):
        report.read_mirna_targets(bad)
    bad.write_text("miRNA\tgene\nhsa-miR-143-3p\t\n")
    with pytest.raises(InputError, match=r"targets\.tsv, line 2, column 'gene'"):
        report.read_mirna_targets(bad)


def test_table_escapes_and_image_refuses_what_is_not_png(tmp_path: Path) -> None:
    frame = pd.DataFrame({"feature": ["<script>"], "padj": [0.0123456]})
    out = report.table(frame, "t1")
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert "0.01235" in out and 'data-table="t1"' in out
    not_png = tmp_path / "plot.png"
    not_png.write_text("<svg/>")
    with pytest.raises(InputError, match="not a PNG"):
        report.image(not_png, "plot")


# ------------------------------------------------------------------------------ the real page


def _chromium(url: str, *args: str, user_dir: Path) -> subprocess.CompletedProcess:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={user_dir}",
        "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=10000",
    ]
    return subprocess.run(
        [str(CHROMIUM), *flags, *args, url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def report_html(demo_results: Path) -> Path:
    return demo_results / "report" / "report.html"


def test_report_in_headless_chromium(report_html: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: apt-get install --no-install-recommends chromium")
    url = report_html.resolve().as_uri()
    shot = tmp_path / "report.png"
    run = _chromium(
        url, f"--screenshot={shot}", "--window-size=1400,4000", user_dir=tmp_path / "profile1"
    )
    assert shot.exists(), run.stderr[-3000:]
    assert shot.read_bytes().startswith(report.PNG_SIGNATURE) and shot.stat().st_size > 50_000

    # The page after its scripts ran, opened with a search in the address (#search=...).
    run = _chromium(url + "#search=miR-143", "--dump-dom", user_dir=tmp_path / "profile2")
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


def test_report_is_self_contained(report_html: Path) -> None:
    text = report_html.read_text()
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in text
    sources = re.findall(r'<img [^>]*src="([^"]*)"', text)
    assert sources
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(report.PNG_SIGNATURE)
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
    for tool in report.used_tools(config):
        assert re.fullmatch(r"\d+(\.\d+)+[a-z]?", versions[tool]), (tool, versions[tool])
    methods = re.search(r'<p class="methods">(.*?)</p>', text, re.S).group(1)
    assert html.unescape(methods) == report.methods_text(config, versions)
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
        "bowtie1": "18",
        "cutadapt": "6",  # the mRNA units (small-RNA trimming: read_fate.tsv)
    }


def test_snakemake_report_zip(demo_results: Path, repo_root: Path, tmp_path: Path) -> None:
    target = tmp_path / "snakemake_report.zip"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [str(bin_dir / "snakemake"), "--report", str(target)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    names = zipfile.ZipFile(target).namelist()
    assert any(n.endswith("report.html") for n in names)
    for shown in ("multiqc_report.html", "volcano.png", "forest.png", "roc.png", "table1.tsv"):
        assert any(n.endswith(shown) for n in names), shown


def test_insert_sizes_agree_with_samtools_own_average(demo_results: Path) -> None:
    stats = sorted((demo_results / "qc" / "samtools_stats").glob("*/*.txt"))
    assert len(stats) == 6
    summary = report.insert_size_summary([report.read_insert_sizes(p) for p in stats])
    for path, mean in zip(stats, summary["mean"], strict=True):
        average = re.search(r"^SN\tinsert size average:\t([\d.]+)", path.read_text(), re.M)
        assert mean == pytest.approx(float(average.group(1)), abs=0.5), path.name
    assert (demo_results / "report" / "mrna_insert_sizes.png").exists()


def test_report_lists_the_candidates_targets(
    demo_results: Path, config: dict, tmp_path: Path
) -> None:
    """With report.mirna_targets set, the join section lists the candidates' DE targets."""
    targets = tmp_path / "targets.tsv"
    targets.write_text(
        "miRNA\tgene\nhsa-miR-143-3p\tMRC1\nhsa-miR-223-3p\tCD163\nhsa-miR-181a-5p\tARG1\n"
    )
    de = demo_results / "diffexp"
    inputs = report.ReportInputs(
        samples=str(demo_results.parent / config["samples"]),
        de_tables=[str(de / arm / "irradiated_vs_control.tsv") for arm in ("smallrna", "mrna")],
        table1=str(demo_results / "survival" / "table1.tsv"),
        cox=str(demo_results / "survival" / "cox.tsv"),
        mirna_targets=str(targets),
    )
    page = report.build_report(inputs, config, VERSIONS, "test", tmp_path / "report.html")
    listed = re.search(r'<table id="targets">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr><td>(hsa-[^<]+)</td><td>([^<]+)</td>", listed)
    # miR-181a-5p is no candidate; MRC1 and CD163 are significant M2 markers in the demo.
    assert rows == [("hsa-miR-143-3p", "MRC1"), ("hsa-miR-223-3p", "CD163")]


def test_archive_keeps_every_run_with_its_provenance(tmp_path):
    html = tmp_path / "report" / "report.html"
    html.parent.mkdir()
    prov = tmp_path / "provenance.json"
    for run, stamp in enumerate(("20261124T101500Z", "20261125T090000Z")):
        html.write_text(f"<html>run {run}</html>")
        prov.write_text(f'{{"run": {run}}}')
        report.archive_copy(html, prov, stamp)
    archive = sorted(p.name for p in (html.parent / "archive").iterdir())
    assert archive == [
        "provenance-20261124T101500Z.json",
        "provenance-20261125T090000Z.json",
        "report-20261124T101500Z.html",
        "report-20261125T090000Z.html",
    ]
    assert (html.parent / "archive" / "report-20261124T101500Z.html").read_text() == (
        "<html>run 0</html>"
    )
