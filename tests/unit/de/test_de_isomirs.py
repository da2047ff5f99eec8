"""isomiR-level DE (esccrt.de.isomirs, rule diffexp_isomirs): the arm's own fit of the isomiR
matrix (the same numbers as the mature miRNAs' entry point gives a matrix), each isomiR's labels
beside its result, and a contrast without isomiRs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.de import isomirs, stage
from esccrt.de.caveats import CAVEAT_COLUMNS
from esccrt.smallrna.isomir_labels import VARIANT_TYPES
from esccrt.smallrna.isomir_matrix import LABEL_COLUMNS
from schema_sections import de_settings

#: The small-RNA arm's settings (schema defaults) with this design and contrast; no apeGLM
#: shrinkage (a second fit: time, and no part of what is tested here).
SETTINGS = de_settings(
    "smallrna",
    design="~condition",
    contrasts={"ir_vs_ctrl": ["condition", "irradiated", "control"]},
    lfc_shrink=False,
)
VARIANTS = ("NA", "iso_5p:+1", "iso_3p:-1", "iso_add3p:1", "iso_snv_seed")


def _inputs(folder: Path, features: int) -> isomirs.IsomirDEInputs:
    """Three control and three irradiated small-RNA libraries; ``features`` isomiRs (seeded
    negative-binomial counts, the first five 8 times up in irradiated), five per miRNA."""
    rng = np.random.default_rng(5)
    samples = [f"c{i}" for i in range(3)] + [f"i{i}" for i in range(3)]
    sheet = pd.DataFrame(
        {
            "sample": samples,
            "library_type": "smallrna",
            "condition": ["control"] * 3 + ["irradiated"] * 3,
            "batch": "b1",
        }
    )
    sheet.to_csv(folder / "samples.tsv", sep="\t", index=False)
    pd.DataFrame({"sample": samples, "passed": True, "reason": ""}).to_csv(
        folder / "qc_gate.tsv", sep="\t", index=False
    )
    means = rng.lognormal(5, 1, size=(features, 1)) * np.array([1] * 3 + [1] * 3)
    means[:5, 3:] *= 8
    counts = rng.poisson(rng.gamma(10, means / 10))
    mature = [f"hsa-miR-{k // 5}-5p" for k in range(features)]
    variant = [VARIANTS[k % 5] for k in range(features)]
    feature = [
        f"{m}|{v}|iso-22-K{k:04d}" for k, (m, v) in enumerate(zip(mature, variant, strict=True))
    ]
    matrix = pd.DataFrame(counts, columns=samples)
    matrix.insert(0, "feature", feature)
    matrix.insert(1, "name", mature)
    matrix.to_csv(folder / "counts.tsv", sep="\t", index=False)
    labels = pd.DataFrame(0, index=range(features), columns=list(LABEL_COLUMNS))
    labels["feature"], labels["mature"], labels["variant"] = feature, mature, variant
    labels["seed_changed"] = [v in ("iso_5p:+1", "iso_snv_seed") for v in variant]
    labels["seed_changed_2_8"] = labels["seed_changed"]
    labels["seed"], labels["mature_seed"] = "AGGTAG", "AGGTAG"
    labels["iso_5p"] = [int(v == "iso_5p:+1") for v in variant]
    labels[features:].to_csv(folder / "empty_labels.tsv", sep="\t", index=False)
    labels.to_csv(folder / "labels.tsv", sep="\t", index=False)
    return isomirs.IsomirDEInputs(
        counts=folder / "counts.tsv",
        qc_gate=folder / "qc_gate.tsv",
        samples=folder / "samples.tsv",
        labels=folder / "labels.tsv",
    )


def test_isomir_results_are_the_arms_fit_with_each_isomirs_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table is the DE stage's own fit (:func:`stage.fit_table`, given what
    :func:`stage.prepare_arm` made of the isomiR matrix), its rows in that order, with the
    labels beside."""
    fits = []

    def fit_table(settings, data, contrast, threads):
        fits.append((data, stage.fit_table(settings, data, contrast, threads)))
        return fits[-1][1]

    monkeypatch.setattr(isomirs, "fit_table", fit_table)
    inputs = _inputs(tmp_path, 60)
    out = isomirs.IsomirDEOutputs(tmp_path / "ir_vs_ctrl.tsv", tmp_path / "caveats.tsv")
    isomirs.run_isomirs(SETTINGS, "ir_vs_ctrl", inputs, out, threads=1)
    table = pd.read_csv(out.table, sep="\t", keep_default_na=False, na_values=[""])
    ((data, (expected, _)),) = fits
    prepared = stage.prepare_arm(SETTINGS, "smallrna", inputs)
    pd.testing.assert_frame_equal(data.counts, prepared.counts)
    assert table["feature"].tolist() == expected["feature"].tolist()  # padj order kept
    for column in ("baseMean", "log2FoldChange", "pvalue", "padj"):
        np.testing.assert_allclose(table[column], expected[column], rtol=1e-12)
    leading = ["feature", "name", *isomirs.LEADING_LABELS]
    assert list(table.columns[: len(leading)]) == leading
    assert list(table.columns[-len(VARIANT_TYPES) :]) == list(VARIANT_TYPES)
    assert (table["variant"] == table["feature"].str.split("|").str[1]).all()  # "NA" kept
    assert (table["seed_changed"] == table["variant"].isin(["iso_5p:+1", "iso_snv_seed"])).all()
    assert set(table.loc[table["significant"], "feature"].head(5)) <= set(
        pd.read_csv(inputs.counts, sep="\t")["feature"][:5]
    )


def test_no_isomir_gives_an_empty_table_and_its_caveat(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, 10)
    inputs = isomirs.IsomirDEInputs(**{**vars(inputs), "labels": tmp_path / "empty_labels.tsv"})
    out = isomirs.IsomirDEOutputs(tmp_path / "ir_vs_ctrl.tsv", tmp_path / "caveats.tsv")
    isomirs.run_isomirs(SETTINGS, "ir_vs_ctrl", inputs, out, threads=1)
    table = pd.read_csv(out.table, sep="\t")
    assert table.empty and {"feature", "padj", "seed_changed", "seed_changed_2_8"} <= set(
        table.columns
    )
    caveats = pd.read_csv(out.caveats, sep="\t")
    assert list(caveats.columns) == CAVEAT_COLUMNS
    assert caveats["caveat"].tolist() == [isomirs.NO_ISOMIRS]
