"""The DE stage's entry points (esccrt.de.stage) on degenerate inputs: identical replicates and a
constant matrix give their tables, and a figure that cannot be drawn becomes a placeholder and a
note, never a failed job (esccrt.plot_guard)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.de import plots, stage
from esccrt.de.caveats import CAVEAT_COLUMNS
from esccrt.plot_guard import guarded_plot
from schema_sections import de_settings

PNG = b"\x89PNG\r\n\x1a\n"
#: The mRNA arm's settings as a validated config gives them (schema defaults), with this design,
#: contrast, fold-change threshold and heatmap size.
SETTINGS = de_settings(
    "mrna",
    design="~condition",
    contrasts={"ir_vs_ctrl": ["condition", "irradiated", "control"]},
    lfc_threshold=1.0,
    top_features_heatmap=10,
)


def _arm(folder: Path, counts: np.ndarray) -> stage.ContrastInputs:
    """Sample sheet (half control, half irradiated mRNA libraries: 3 + 3 for six columns of
    ``counts``), QC gate and count matrix."""
    per_group = counts.shape[1] // 2
    samples = [f"c{i}" for i in range(per_group)] + [f"i{i}" for i in range(per_group)]
    sheet = pd.DataFrame(
        {
            "sample": samples,
            "library_type": "mrna",
            "condition": ["control"] * per_group + ["irradiated"] * per_group,
            "batch": "b1",
        }
    )
    sheet.to_csv(folder / "samples.tsv", sep="\t", index=False)
    gate = pd.DataFrame({"sample": samples, "passed": True, "reason": ""})
    gate.to_csv(folder / "qc_gate.tsv", sep="\t", index=False)
    matrix = pd.DataFrame(counts, columns=samples)
    matrix.insert(0, "feature", [f"G{i}" for i in range(len(matrix))])
    matrix.to_csv(folder / "counts.tsv", sep="\t", index=False)
    return stage.ContrastInputs(
        counts=folder / "counts.tsv",
        qc_gate=folder / "qc_gate.tsv",
        samples=folder / "samples.tsv",
        vst=folder / "vst.tsv",
    )


def _outputs(folder: Path) -> tuple[stage.ArmOutputs, stage.ContrastOutputs]:
    arm = stage.ArmOutputs(
        normalized=folder / "normalized_counts.tsv",
        vst=folder / "vst.tsv",
        size_factors=folder / "size_factors.tsv",
        excluded=folder / "excluded_samples.tsv",
        pca=folder / "pca.png",
        distances=folder / "sample_distances.png",
    )
    contrast = stage.ContrastOutputs(
        table=folder / "ir_vs_ctrl.tsv",
        caveats=folder / "caveats" / "ir_vs_ctrl.tsv",
        volcano=folder / "volcano.png",
        ma=folder / "ma.png",
        heatmap=folder / "top.png",
    )
    return arm, contrast


def _identical_replicates() -> np.ndarray:
    """40 genes; the three libraries of a condition are the same library (one real file copied)."""
    rng = np.random.default_rng(3)
    control = rng.integers(20, 2000, size=40)
    irradiated = control.copy()
    irradiated[:5] *= 8  # five genes up in irradiated
    return np.column_stack([control] * 3 + [irradiated] * 3)


def _run_both(folder: Path, counts: np.ndarray) -> tuple[stage.ArmOutputs, stage.ContrastOutputs]:
    inputs = _arm(folder, counts)
    arm_out, contrast_out = _outputs(folder)
    stage.run_arm(SETTINGS, "mrna", inputs, arm_out, threads=1)
    stage.run_contrast(SETTINGS, "mrna", "ir_vs_ctrl", inputs, contrast_out, threads=1)
    return arm_out, contrast_out


@pytest.mark.parametrize(
    "counts",
    [_identical_replicates(), np.full((40, 6), 100)],
    ids=["identical replicates", "constant matrix"],
)
def test_degenerate_counts_give_every_table_and_figure(tmp_path: Path, counts: np.ndarray) -> None:
    arm_out, contrast_out = _run_both(tmp_path, counts)
    vst = pd.read_csv(arm_out.vst, sep="\t", index_col="feature")
    assert vst.shape == (40, 6)
    table = pd.read_csv(contrast_out.table, sep="\t")
    assert len(table) == 40 and {"log2FoldChange", "padj", "significant"} <= set(table.columns)
    assert list(pd.read_csv(contrast_out.caveats, sep="\t").columns) == CAVEAT_COLUMNS
    for png in (arm_out.pca, arm_out.distances, *vars(contrast_out).values()):
        if png.suffix == ".png":
            assert png.read_bytes().startswith(PNG), png


def test_identical_replicates_find_the_changed_genes(tmp_path: Path) -> None:
    _, contrast_out = _run_both(tmp_path, _identical_replicates())
    table = pd.read_csv(contrast_out.table, sep="\t").set_index("feature")
    assert (table.loc[[f"G{i}" for i in range(5)], "log2FoldChange"] > 2.5).all()


def test_a_failing_pca_leaves_the_tables_a_placeholder_and_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PCA of near-identical replicates failed with numpy's LinAlgError: the job goes on."""

    def svd_fails(*args: object, **kwargs: object) -> None:
        raise np.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(plots, "pca", svd_fails)
    inputs = _arm(tmp_path, _identical_replicates())
    arm_out, _ = _outputs(tmp_path)
    stage.run_arm(SETTINGS, "mrna", inputs, arm_out, threads=1)
    for table in (arm_out.normalized, arm_out.vst, arm_out.size_factors, arm_out.excluded):
        assert table.stat().st_size > 0, table
    assert arm_out.pca.read_bytes().startswith(PNG)  # the placeholder
    assert arm_out.distances.read_bytes().startswith(PNG)  # the next figure is still drawn
    log = capsys.readouterr().err
    assert f"note: PCA plot not drawn ({arm_out.pca}): LinAlgError: SVD did not converge" in log


def test_the_real_pca_of_a_broken_matrix_is_guarded(tmp_path: Path) -> None:
    """plots.pca itself raises on a VST with a missing value; the guard turns it into a note."""
    vst = pd.DataFrame(np.full((20, 4), 5.0), columns=list("abcd"))
    vst.iloc[0, 0] = np.nan
    sheet = pd.DataFrame({"condition": ["x", "x", "y", "y"]}, index=list("abcd"))
    path = tmp_path / "pca.png"
    note = guarded_plot("PCA plot", path, lambda: plots.pca(vst, sheet, path, "broken"))
    assert "LinAlgError: SVD did not converge" in note
    assert path.read_bytes().startswith(PNG)
    assert guarded_plot("PCA plot", path, lambda: plots.pca(vst.fillna(5.0), sheet, path, "")) == ""


def _random_counts(per_group: int) -> np.ndarray:
    """300 genes of negative-binomial counts with DESeq2's dispersion trend 0.05 + 1 / mean,
    ``per_group`` libraries per condition (seeded)."""
    rng = np.random.default_rng(11)
    means = rng.lognormal(6, 1.2, size=300)[:, None]
    dispersions = 0.05 + 1 / means
    shape = 1 / dispersions
    return rng.poisson(rng.gamma(shape, means / shape, size=(300, 2 * per_group)))


def test_three_per_group_leaves_no_caveat(tmp_path: Path) -> None:
    _, contrast_out = _run_both(tmp_path, _random_counts(3))
    caveats = pd.read_csv(contrast_out.caveats, sep="\t")
    assert caveats.empty and list(caveats.columns) == CAVEAT_COLUMNS


def test_two_per_group_writes_its_caveats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """2 vs 2: too few replicates (both groups named), and PyDESeq2's warning on the residual
    degrees of freedom (4 samples - 2 coefficients), which the log still shows."""
    _, contrast_out = _run_both(tmp_path, _random_counts(2))
    caveats = pd.read_csv(contrast_out.caveats, sep="\t")
    assert caveats["contrast"].eq("ir_vs_ctrl").all()
    assert caveats["caveat"].tolist() == ["few_replicates", "few_residual_df"]
    assert caveats["detail"][0] == (
        "samples per group below 3 (condition = irradiated: 2, condition = control: 2)"
    )
    assert caveats["detail"][1].startswith(
        "4 samples - 2 coefficients = 2 residual degrees of freedom (PyDESeq2 warns at 3 or "
        "fewer): As the residual degrees of freedom is less than 3"
    )
    assert "UserWarning: As the residual degrees of freedom" in capsys.readouterr().err
