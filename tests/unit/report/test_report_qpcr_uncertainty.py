"""The report's qPCR fold-change section (SE and confidence intervals) and its methods sentence:
rendered from the tables and the figure the qPCR stage wrote, never recomputed."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt.io import read_tsv
from esccrt.qpcr.ct_table import CT_COLUMNS
from esccrt.qpcr.stage import QpcrInputs, QpcrOutputs, run
from esccrt.report.build import build_report
from esccrt.report.inputs import ReportInputs
from esccrt.report.methods import methods_text
from esccrt.report.qpcr_uncertainty import efficiency_se_used
from schema_sections import qpcr_decisions, qpcr_settings, validated

TARGETS, REFS = ["miR-A", "miR-B"], ["ref1", "ref2"]


@pytest.fixture()
def config(repo_root: Path) -> dict:
    """The demo's configuration (its qPCR section: no efficiency SE, 95 % intervals)."""
    return validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))


def _stage_outputs(folder: Path, **keys: object) -> QpcrOutputs:
    """Run the qPCR stage on 3 patients x 2 timepoints, three replicates each; P3's miR-B post
    has one usable replicate (no SD: no interval)."""
    rows = []
    for i, patient in enumerate(("P1", "P2", "P3")):
        for shift, timepoint in ((0.0, "pre"), (1.0 + i, "post")):
            for assay, base in (("miR-A", 30.0), ("miR-B", 28.0), ("ref1", 20.0), ("ref2", 22.0)):
                change = shift if assay == "miR-A" else 0.0
                cts = [base + change + d for d in (-0.1 * (i + 1), 0.0, 0.1 * (i + 1))]
                if (patient, timepoint, assay) == ("P3", "post", "miR-B"):
                    cts = [cts[0], "Undetermined", "Undetermined"]
                rows += [(patient, timepoint, assay, r + 1, ct) for r, ct in enumerate(cts)]
    ct = folder / "ct.tsv"
    folder.mkdir(parents=True)
    pd.DataFrame(rows, columns=list(CT_COLUMNS)).to_csv(ct, sep="\t", index=False)
    names = {f.name: f.name for f in dataclasses.fields(QpcrOutputs)}
    names = {k: folder / (v + (".png" if "plot" in k else ".tsv")) for k, v in names.items()}
    outputs = QpcrOutputs(**names)
    settings = qpcr_settings(TARGETS, REFS, undetermined="exclude", **keys)
    run(settings, QpcrInputs(ct), outputs)
    return outputs


def _page(tmp_path: Path, config: dict, outputs: QpcrOutputs) -> str:
    inputs = ReportInputs(
        qpcr_fold_changes=str(outputs.fold_changes),
        qpcr_relative_quantities=str(outputs.relative_quantities),
        qpcr_efficiency_uncertainty=str(outputs.efficiency_uncertainty),
        qpcr_fold_change_plot=str(outputs.fold_change_plot),
        qpcr_references=str(outputs.references),
    )
    # the stage's outputs alone: a qPCR experiment without the survival analysis
    qpcr_only = {key: value for key, value in config.items() if key != "survival"}
    return build_report(inputs, qpcr_only, {}, "test", tmp_path / "report.html")


def _cells(section: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', section, re.S).group(1)
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_section_shows_the_stage_tables_and_figure(tmp_path: Path, config: dict) -> None:
    outputs = _stage_outputs(tmp_path / "results" / "qpcr")
    page = _page(tmp_path, config, outputs)
    section = re.search(r'<section id="qpcr-fold-changes">.*?</section>', page, re.S).group(0)
    assert section.count("<img ") == 1
    assert "95% confidence interval" in section
    assert "1 could not be given an interval" in section
    assert "efficiencies were taken as exact" in section
    written = read_tsv(outputs.fold_changes, ["patient"])
    shown = _cells(section, "qpcr-fold-change-intervals")
    assert len(shown) == len(written) == 6
    for row, values in zip(written.itertuples(), shown, strict=True):
        assert values[:2] == [row.patient, row.target]
        for column, index in (("fold_change_ci_low", 5), ("fold_change_ci_high", 6)):
            value = getattr(row, column)
            assert values[index] == ("NA" if pd.isna(value) else f"{value:.4g}"), column
    quantities = _cells(section, "qpcr-relative-quantities")
    assert len(quantities) == len(read_tsv(outputs.relative_quantities)) == 12


def test_methods_name_level_method_and_efficiency_ses(tmp_path: Path, config: dict) -> None:
    text = methods_text(config, {}, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "95 % confidence interval" in text
    assert "first-order error propagation (delta method) as in qBase (Hellemans et al." in text
    assert "(SE = SD / sqrt(n) of the mean Cq) were propagated by first-order" in text
    assert "z = 1.960" in text
    assert (
        "log scale. No efficiency SE was given: amplification factors were taken as exact." in text
    )
    outputs = _stage_outputs(
        tmp_path / "qpcr",
        efficiencies={"miR-A": 1.9, "miR-B": 2.0, "ref1": 1.95, "ref2": 2.0},
        efficiency_se={"miR-A": 0.04, "ref1": 0.02},
        ci_level=0.9,
    )
    given, sources = efficiency_se_used(outputs.efficiency_uncertainty)
    assert given == {"miR-A": 0.04, "ref1": 0.02}
    decisions = dataclasses.replace(
        qpcr_decisions(config), efficiency_se=given, efficiency_se_sources=sources
    )
    config["qpcr"]["ci_level"] = 0.9
    text = html.unescape(methods_text(config, {}, {"qpcr"}, qpcr=decisions))
    assert "a 90 % confidence interval" in text and "z = 1.645" in text
    assert (
        "mean Cq) and the standard errors of the amplification factors (miR-A 0.04 and ref1 0.02; "
        "from config qpcr.efficiency_se) were propagated" in text
    )
    assert "taken as exact" not in text
