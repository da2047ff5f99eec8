"""The report's isomiR section renders the seed-changed isomiRs of each small-RNA contrast from
the DE stage's isomiR table, in its order, with the filter's decision and the caveats."""

from __future__ import annotations

import re

import pandas as pd
import yaml
from esccrt.report.build import build_report
from esccrt.report.inputs import ReportInputs
from esccrt.report.isomirs import TOP_ISOMIRS, isomir_section
from schema_sections import validated


def _tables(tmp_path, rows: int):
    """An isomiR table (ordered by padj as the DE stage writes it; every third isomiR's seed
    unchanged), its caveats and the filter's decision."""
    folder = tmp_path / "isomirs"
    (folder / "caveats").mkdir(parents=True)
    table = pd.DataFrame(
        {
            "feature": [
                f"hsa-miR-{k}-5p|{'NA' if k % 3 == 0 else 'iso_5p:+1'}|iso-{k}" for k in range(rows)
            ],
            "name": [f"hsa-miR-{k}-5p" for k in range(rows)],
            "variant": ["NA" if k % 3 == 0 else "iso_5p:+1" for k in range(rows)],
            "seed_changed": [k % 3 != 0 for k in range(rows)],
            "seed_changed_2_8": [k % 3 != 0 for k in range(rows)],
            "seed": "GGTAGT",
            "mature_seed": "AGGTAG",
            "baseMean": 100.0,
            "log2FoldChange": 1.5,
            "lfcSE": 0.2,
            "stat": 7.0,
            "pvalue": [1e-6 * (k + 1) for k in range(rows)],
            "padj": [1e-5 * (k + 1) if k < 10 else None for k in range(rows)],
            "log2FoldChange_shrunk": None,
            "significant": [k < 4 for k in range(rows)],
        }
    )
    table.to_csv(folder / "ir_vs_ctrl.tsv", sep="\t", index=False)
    (folder / "caveats" / "ir_vs_ctrl.tsv").write_text(
        "contrast\tcaveat\tdetail\nir_vs_ctrl\tfew_replicates\tsamples per group below 3\n"
    )
    decision = tmp_path / "filter.tsv"
    decision.write_text(
        "min_reads\tmin_samples\tsamples\tlines\tisomirs\tkept\tremoved\n10\t2\t6\t900\t900\t60\t840\n"
    )
    return (
        [str(folder / "ir_vs_ctrl.tsv")],
        [str(folder / "caveats" / "ir_vs_ctrl.tsv")],
        str(decision),
    )


def test_the_top_seed_changed_isomirs_in_the_tables_order(tmp_path) -> None:
    tables, caveats, decision = _tables(tmp_path, 60)
    html = isomir_section(tables, caveats, decision)
    assert "900 isomiRs" in html and "60 with at least 10 reads in at least 2 samples" in html
    # 40 seed-changed of 60; significant: k = 1, 2 (k = 0 and 3 keep their seed)
    heading = "ir_vs_ctrl: 2 significant of 40 tested isomiRs with a changed seed"
    assert f"<h3>{heading} (60 isomiRs tested)</h3>" in html
    assert "few replicates: samples per group below 3" in html
    shown = re.findall(r"<tr[^>]*><td>(hsa-miR-[^<]*)</td>", html)
    expected = [f"hsa-miR-{k}-5p|iso_5p:+1|iso-{k}" for k in range(60) if k % 3][:TOP_ISOMIRS]
    assert shown == expected
    assert html.count('<tr class="yes">') == 2  # the significant ones highlighted


def test_the_canonical_variant_stays_na_and_missing_padj_is_shown_as_na(tmp_path) -> None:
    tables, _, decision = _tables(tmp_path, 30)
    table = pd.read_csv(tables[0], sep="\t", keep_default_na=False)
    table["seed_changed"] = True  # show every row
    table.to_csv(tables[0], sep="\t", index=False)
    html = isomir_section(tables, [], decision)
    assert "<td>NA</td><td>GGTAGT</td>" in html  # variant NA, not an empty cell
    assert "<td>NA</td><td>False</td>" in html  # padj missing (k >= 10), then significant
    assert "few replicates" not in html


def test_the_page_has_the_section_after_the_small_rna_de_only_with_isomirs(
    tmp_path, repo_root
) -> None:
    config = validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))
    tables, caveats, decision = _tables(tmp_path, 30)
    de = tmp_path / "diffexp" / "smallrna" / "ir_vs_ctrl.tsv"
    de.parent.mkdir(parents=True)
    pd.read_csv(tables[0], sep="\t", keep_default_na=False).to_csv(de, sep="\t", index=False)
    samples = tmp_path / "samples.tsv"
    samples.write_text("sample\nS1\n")
    inputs = ReportInputs(samples=str(samples), de_tables=[str(de)])
    page = build_report(inputs, config, {}, "test", tmp_path / "report.html")
    assert '<section id="smallrna-isomirs">' not in page
    inputs.isomir_de, inputs.isomir_caveats, inputs.isomir_filter = tables, caveats, decision
    page = build_report(inputs, config, {}, "test", tmp_path / "report.html")
    sections = re.findall(r'<section id="([^"]+)">', page)
    assert (
        sections.index("smallrna-isomirs") == sections.index("smallrna-differential-expression") + 1
    )
    assert "Small RNA: isomiRs with a changed seed" in page
