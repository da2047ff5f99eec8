"""The report's qPCR quality section and the MIQE part of the methods text."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.haemolysis import haemolysis_table
from esccrt.qpcr.plots import stability_plot
from esccrt.qpcr.settings import QpcrSettings
from esccrt.qpcr.stability import choose_references, reference_stability
from esccrt.qpcr.stage import reference_table
from esccrt.report.build import build_report
from esccrt.report.inputs import ReportInputs
from esccrt.report.methods import methods_text
from schema_sections import qpcr_decisions, validated

CANDIDATES = {"miR-A": 0.05, "miR-B": 0.1, "miR-C": 0.3, "miR-D": 0.8}
PAIR = ("hsa-miR-23a-3p", "hsa-miR-451a")


@pytest.fixture()
def config(repo_root: Path) -> dict:
    """The demo's configuration with the candidates of this test."""
    config = validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))
    config["qpcr"]["reference_targets"] = ["miR-C", "miR-D"]
    config["qpcr"]["reference_candidates"] = list(CANDIDATES)
    return config


def _summary() -> pd.DataFrame:
    """Mean Cts of 6 patients x 2 timepoints: candidates, and the haemolysis pair (P2 post bad)."""
    rng = np.random.default_rng(11)
    rows = []
    for p in range(6):
        for timepoint in ("pre", "post"):
            load = rng.normal(0.0, 1.0)
            rows += [
                (f"P{p}", timepoint, c, 25 + load + rng.normal(0, sd))
                for c, sd in CANDIDATES.items()
            ]
            bad = (p, timepoint) == (2, "post")
            rows += [
                (f"P{p}", timepoint, PAIR[0], 28.0),
                (f"P{p}", timepoint, PAIR[1], 19 if bad else 24),
            ]
    return pd.DataFrame(rows, columns=["patient", "timepoint", "target", "mean_ct"])


def _page(tmp_path: Path, config: dict) -> str:
    """The page built from the stability and haemolysis outputs of ``config``."""
    qpcr = config["qpcr"]
    summary = _summary()
    result = reference_stability(
        summary, list(CANDIDATES), qpcr["reference_targets"], ("pre", "post"), {}
    )
    used = choose_references(result, qpcr["reference_selection"], qpcr["reference_targets"])
    pair = qpcr["haemolysis"]
    reference, marker = PAIR
    haemolysis = haemolysis_table(
        summary,
        reference=reference,
        marker=marker,
        threshold=pair["threshold"],
        exclude_from_survival=pair["exclude_from_survival"],
        timepoints=("pre", "post"),
    )
    folder = tmp_path / "results" / "qpcr"
    write_tsv_atomic(pd.DataFrame({"sample": ["S1"]}), tmp_path / "samples.tsv")
    write_tsv_atomic(result.table, folder / "reference_stability.tsv")
    write_tsv_atomic(haemolysis, folder / "haemolysis.tsv")
    stability_plot(result, folder / "reference_stability.png")
    settings = QpcrSettings.from_config(validated("qpcr", copy.deepcopy(qpcr)))
    write_tsv_atomic(reference_table(used, settings), folder / "references.tsv")
    inputs = ReportInputs(
        samples=str(tmp_path / "samples.tsv"),
        reference_stability=str(folder / "reference_stability.tsv"),
        stability_plot=str(folder / "reference_stability.png"),
        haemolysis=str(folder / "haemolysis.tsv"),
        qpcr_references=str(folder / "references.tsv"),
    )
    return build_report(inputs, config, {}, "test", tmp_path / "report.html")


def test_section_names_references_stability_and_haemolysed_samples(
    tmp_path: Path, config: dict
) -> None:
    page = _page(tmp_path, config)
    section = re.search(r'<section id="qpcr-quality">.*?</section>', page, re.S).group(0)
    assert "<b>References used</b>: miR-C, miR-D (as configured in qpcr.reference_" in section
    assert "Most stable pair by geNorm: miR-A and miR-B" in section
    rows = re.findall(r'<tr( class="yes")?><td>(miR-[A-D])</td>', section)
    assert rows == [
        ("", "miR-A"),
        ("", "miR-B"),
        (' class="yes"', "miR-C"),
        (' class="yes"', "miR-D"),
    ]
    assert section.count("<img ") == 1
    assert "1 of 12 samples flagged haemolysed: P2 (post)" in section
    assert "Flag only" in section


def test_automatic_choice_and_exclusion_are_stated_in_section_and_methods(
    tmp_path: Path, config: dict
) -> None:
    config["qpcr"]["reference_selection"] = {"auto": True, "method": "normfinder", "n": 2}
    config["qpcr"]["haemolysis"]["exclude_from_survival"] = True
    page = _page(tmp_path, config)
    section = re.search(r'<section id="qpcr-quality">.*?</section>', page, re.S).group(0)
    used = re.search(r"<b>References used</b>: ([^(]+) \(picked automatically", section).group(1)
    assert set(used.split(", ")) == {"miR-A", "miR-B"}
    assert "2 most stable candidates by NormFinder" in section
    assert "left out of the survival analysis: P2." in section
    methods = methods_text(config, {}, {"qpcr"}, qpcr=qpcr_decisions(config, used.split(", ")))
    assert f"normalised to the mean of {used.replace(', ', ' and ')}" in methods
    assert "picked automatically as the 2 most stable candidates by NormFinder" in methods
    assert "left out of the survival analysis" in methods


def test_methods_list_what_miqe_asks_of_the_data_analysis(config: dict) -> None:
    text = methods_text(config, {}, {"qpcr"}, qpcr=qpcr_decisions(config))
    for words in (
        "MIQE",
        "normalisation was to the arithmetic mean Ct of 2 reference miRNAs (miR-C and miR-D)",
        "candidates miR-A, miR-B, miR-C and miR-D by geNorm M",
        "NormFinder rho with the timepoints as groups",
        "the configured ones (qpcr.reference_targets)",
        "assumed to be 100 % (amplification factor 2)",
        "Cts above 35 cycles and undetermined wells were set to 35",
        "Technical replicates were averaged (mean Ct)",
        "SD above 0.5 cycles were flagged.",
        "dCt = Ct(hsa-miR-23a-3p) - Ct(hsa-miR-451a), flagged above 7",
        "(flag only)",
    ):
        assert words in text, words
    changed = copy.deepcopy(config)
    changed["qpcr"].update(
        efficiencies={"miR-C": 1.9, "miR-D": 1.95},
        undetermined="exclude",
        remove_outliers=True,
    )
    other = methods_text(changed, {}, {"qpcr"}, qpcr=qpcr_decisions(changed))
    assert "corrected with the amplification factors miR-C 1.9 and miR-D 1.95" in other
    assert "undetermined wells were excluded" in other
    assert "farthest from the median was dropped" in other
