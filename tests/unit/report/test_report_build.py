"""The whole page from hand-made stage outputs: it renders what exists and writes no file."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt.integrate import marker_panel, marker_plot, marker_table
from esccrt.report.build import build_report
from esccrt.report.inputs import ReportInputs
from schema_sections import validated


@pytest.fixture()
def config(repo_root: Path) -> dict:
    """The demo's configuration, as Snakemake loads it."""
    return validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))


def _tsv(path: Path, frame: pd.DataFrame) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False)
    return str(path)


def _inputs(folder: Path) -> ReportInputs:
    """A mRNA DE table, its M2 markers (table and plot) and a one-row evidence table."""
    de = pd.DataFrame(
        {
            "feature": ["G1", "G2"],
            "name": ["CD163", "MRC1"],
            "baseMean": [100.0, 200.0],
            "log2FoldChange": [1.8, -0.2],
            "padj": [0.001, 0.8],
            "significant": [True, False],
        }
    )
    panel = marker_panel(de, ["CD163", "IL10"])
    plot = folder / "integrate" / "m2_markers.a_vs_b.png"
    plot.parent.mkdir(parents=True)
    marker_plot(panel, plot, "M2 markers: a_vs_b")
    evidence = pd.DataFrame(
        {"miRNA": ["hsa-miR-143-3p"], "logrank_p_os": [0.0123456], "candidate": [True]}
    )
    return ReportInputs(
        samples=_tsv(folder / "samples.tsv", pd.DataFrame({"sample": ["S1", "S2"]})),
        de_tables=[_tsv(folder / "diffexp" / "mrna" / "a_vs_b.tsv", de)],
        m2_markers=_tsv(folder / "integrate" / "m2_markers.tsv", marker_table({"a_vs_b": panel})),
        m2_plots=[str(plot)],
        mirna_evidence=_tsv(folder / "integrate" / "mirna_evidence.tsv", evidence),
    )


def test_the_page_renders_the_join_tables_and_writes_nothing(tmp_path: Path, config: dict) -> None:
    inputs = _inputs(tmp_path / "results")
    before = sorted(tmp_path.rglob("*"))
    page = build_report(inputs, config, {}, "test", tmp_path / "report" / "report.html")
    assert sorted(tmp_path.rglob("*")) == before  # no figure or table written on the way
    for section in ("mrna-differential-expression", "sequencing-meets-survival", "methods"):
        assert f'<section id="{section}">' in page
    assert '<section id="survival">' not in page  # no Table 1 given
    markers = re.search(r'<table id="m2-a_vs_b">.*?</table>', page, re.S).group(0)
    assert re.findall(r"<tr[^>]*><td>([^<]+)</td>", markers) == ["CD163", "IL10"]
    assert "not in the DE table" in markers and 'class="yes"' in markers
    assert "M2 marker fold changes, a_vs_b" in page
    join = re.search(r'<table id="join">.*?</table>', page, re.S).group(0)
    assert "<td>0.01235</td>" in join
    assert "prognostic for PFS by qPCR): hsa-miR-143-3p" in page
    # No arm's QC table given (no stage ran as far as the report sees): DE methods alone.
    methods = re.search(r'<p class="methods">(.*?)</p>', page, re.S).group(1)
    assert methods.startswith("Differential expression used pydeseq2")
    assert "mRNA reads" not in methods and "Small-RNA" not in methods and "Kaplan" not in methods


def test_the_run_summary_shows_the_references_table_as_written(
    tmp_path: Path, config: dict
) -> None:
    """results/references.tsv as the provenance rule wrote it: nothing is read or recomputed
    from the reference files (they do not exist here), a release such as 3.0 stays as written."""
    row = {
        "arm": "smallrna",
        "role": "mature",
        "config_key": "reference.mirna",
        "path": "resources/cache/references/mirgenedb/3.0/hsa/mature.fa",
        "bytes": 41250,
        "sha256": "ab" * 32,
        "pinned_sha256": "",
        "source": "https://mirgenedb.org/fasta/hsa?mat=1",
        "provider": "mirgenedb",
        "release": "3.0",
        "published_checksum": "",
    }
    references = _tsv(tmp_path / "results" / "references.tsv", pd.DataFrame([row]))
    inputs = ReportInputs(references_used=references)
    page = build_report(inputs, config, {}, "test", tmp_path / "report" / "report.html")
    summary = re.search(r'<section id="run-summary">.*?</section>', page, re.S).group(0)
    assert "<h3>References used (results/references.tsv)</h3>" in summary
    shown = re.search(r'<table id="references-used">.*?</table>', summary, re.S).group(0)
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", shown)
    assert headers == list(row)
    cells = re.findall(r"<td>([^<]*)</td>", shown)
    assert cells == [str(value).replace("&", "&amp;") for value in row.values()]
    # without the table (no provenance rule), no heading
    page = build_report(ReportInputs(), config, {}, "test", tmp_path / "report" / "report.html")
    assert "References used" not in page


def test_a_contrast_caveat_is_shown_beside_its_result(tmp_path: Path, config: dict) -> None:
    """The DE stage's caveats are rendered under the contrast's heading, before its table; a
    contrast whose caveat table is empty shows none."""
    inputs = _inputs(tmp_path / "results")
    caveats = pd.DataFrame(
        [["a_vs_b", "few_replicates", "samples per group below 3 (condition = b: 2)"]],
        columns=["contrast", "caveat", "detail"],
    )
    inputs.de_caveats = [_tsv(tmp_path / "results/diffexp/mrna/caveats/a_vs_b.tsv", caveats)]
    page = build_report(inputs, config, {}, "test", tmp_path / "report" / "report.html")
    part = re.search(r"<h3>a_vs_b: .*?</h3>(.*?)<table", page, re.S).group(1)
    assert '<div class="caveat">' in part
    assert "<li>few replicates: samples per group below 3 (condition = b: 2)</li>" in part
    _tsv(Path(inputs.de_caveats[0]), caveats.iloc[:0])
    page = build_report(inputs, config, {}, "test", tmp_path / "report" / "report.html")
    assert 'class="caveat"' not in page.split("</style>", 1)[1]
