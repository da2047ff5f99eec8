"""The final report: content functions on small hand-made tables.

The report of the full simulated demo (headless Chromium, MultiQC, --report):
tests/workflow/test_report_demo.py.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt import report
from esccrt.errors import InputError

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
