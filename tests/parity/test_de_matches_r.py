"""Differential expression (esccrt.de) against R DESeq2 outputs nobody here wrote.

References (read in place, never copied):
- pydeseq2/tests/data/*: R DESeq2 1.34 outputs on PyDESeq2's synthetic data (see its README.md);
- de_counts/pasilla: R DESeq2 1.46 ``results(DESeq(dds))`` on Bioconductor's pasilla counts;
- R DESeq2 run here (the ``run_r_deseq2`` fixture) on simulated counts with planted outliers.
Checks, on every feature: baseMean, log2FoldChange, Wald stat, p-value, padj, size factors and
dispersions within a relative tolerance of 2x the difference measured (per data set, below; a
value NaN on one side only is a mismatch); padj < alpha calls (NaN = no call) identical on the
small reference sets, on >= 99.5 % of features on pasilla.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.de.design import sample_metadata
from esccrt.de.inputs import load_counts, prepare
from esccrt.de.model import contrast_results, fit_dataset, run_contrast
from esccrt.de.tables import RESULT_COLUMNS, feature_table, results_table
from esccrt.de.transform import normalise_and_vst
from prerequisites import TEST_DATA, missing
from schema_sections import de_options, de_settings

#: The columns of results() compared with R.
RESULT_QUANTITIES = ("baseMean", "log2FoldChange", "stat", "pvalue", "padj")


#: Largest relative difference from R measured on 2026-12-06 per data set and quantity, over
#: every feature (rounded up to 2 digits; where a quantity is absent, float noise). The test's
#: tolerance is twice this (:func:`_tolerance`). The largest differences are on features of
#: baseMean < 10 (single_factor: 2.1e-7 above).
MEASURED = {
    "single_factor": {
        "log2FoldChange": 4.2e-5,
        "stat": 4.2e-5,
        "pvalue": 7.7e-7,
        "padj": 7.6e-7,
        "dispersions": 3.8e-15,
        "log2FoldChange_shrunk": 1.3e-3,  # apeGLM, a separate optimisation
    },
    "multi_factor": {
        "log2FoldChange": 3.7e-6,
        "stat": 3.6e-6,
        "pvalue": 8.2e-7,
        "padj": 7.7e-7,
        "dispersions": 2.2e-9,
        "log2FoldChange_shrunk": 6.1e-3,
    },
    "continuous": {
        "log2FoldChange": 1.3e-7,
        "stat": 1.2e-7,
        "pvalue": 2.1e-7,
        "padj": 2.1e-7,
        "dispersions": 1.4e-9,
    },
    "wide": {
        "log2FoldChange": 1.1e-5,
        "stat": 1.1e-5,
        "pvalue": 3.9e-6,
        "padj": 3.9e-6,
        "dispersions": 4.7e-8,
    },
    "large_counts": {
        "log2FoldChange": 1.1e-6,
        "stat": 1.2e-6,
        "pvalue": 4.0e-6,
        "padj": 4.0e-6,
        "dispersions": 7.3e-14,
    },
    "pasilla": {"log2FoldChange": 5.5e-3, "stat": 5.5e-3, "pvalue": 6.9e-4, "padj": 6.9e-4},
    # simulated counts with planted outliers, R DESeq2 run here (R's alpha 0.1 on both sides)
    "outliers ~condition": {
        "log2FoldChange": 1.2e-3,
        "stat": 1.2e-3,
        # p-values 1.7e-5 and dispersions 6.5e-8 (one gene: g1284) before the genes were
        # fitted in blocks, whose per-gene sums (einsum, not BLAS) round differently (2026-12-07)
        "pvalue": 2.7e-5,
        "padj": 2.7e-5,
        "dispersions": 5.9e-7,
    },
    "outliers ~batch + condition": {
        "log2FoldChange": 8.1e-4,
        "stat": 8.1e-4,
        "pvalue": 3.1e-5,
        "padj": 3.1e-5,
        "dispersions": 1.4e-6,
    },
    # baseMean, size factors (ratio and poscounts): at most 4.9e-15 everywhere (float noise)
}
#: pasilla's top gene against R's printed log2FoldChange (7 digits), relative.
PASILLA_TOP_TOLERANCE = 2.2e-7  # measured 1.14e-7 on 2026-12-06 (formerly 2 %)
#: Float noise: the floor of every relative tolerance here.
FLOAT_NOISE = 1e-12


def _tolerance(data_set: str, quantity: str) -> float:
    """Twice the measured difference of ``quantity`` on ``data_set`` (float noise at least)."""
    return max(2 * MEASURED[data_set].get(quantity, 0.0), FLOAT_NOISE)


#: Counts of PyDESeq2's ``test_lfc_shrinkage_large_counts`` (owkin/PyDESeq2,
#: tests/test_pydeseq2.py): the matrix behind ``tests/data/large_counts`` (R stores no counts).
LARGE_COUNTS = pd.DataFrame(
    [
        [25, 405, 1355, 12558, 489843],
        [28, 480, 2144, 13844, 514571],
        [12, 690, 1919, 15632, 564106],
        [31, 420, 1684, 11513, 556380],
        [34, 278, 3849, 11577, 412551],
        [19, 249, 3086, 7296, 295565],
        [17, 491, 4089, 13805, 280945],
        [15, 251, 2785, 10492, 214062],
    ],
    index=["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"],
    columns=["g1", "g2", "g3", "g4", "g5"],
).T


def _write_contract(counts: pd.DataFrame, path: Path, names: pd.Series | None = None) -> Path:
    """Write features x samples counts in the workflow's count-matrix contract."""
    feature_table(counts, names).to_csv(path, sep="\t", index=False)
    return path


def _sheet(metadata: pd.DataFrame) -> pd.DataFrame:
    """A sample sheet as common.smk gives it: strings, indexed by sample."""
    sheet = metadata.astype(str).copy()
    sheet.index = sheet.index.astype(str)
    sheet.index.name = "sample"
    sheet.insert(0, "sample", sheet.index)
    return sheet


def _relative(py: pd.Series, r: pd.Series) -> pd.Series:
    """|py - r| / |r| per feature, aligned on ``py``'s index: 0 where both are NaN (or equal),
    infinite where only one side is NaN (a mismatch, never dropped)."""
    r = r.reindex(py.index)
    relative = (py - r).abs() / r.abs()
    relative[py == r] = 0.0
    relative[py.isna() & r.isna()] = 0.0
    relative[py.isna() != r.isna()] = np.inf
    return relative


def _assert_close(what: str, py: pd.Series, r: pd.Series, tolerance: float) -> None:
    """Every feature of ``py`` within ``tolerance`` (relative) of R; prints the measured max."""
    relative = _relative(py, r)
    print(f"{what}: max relative difference {relative.max():.3g} over {len(relative)}")
    assert relative.max() <= tolerance, relative.sort_values().tail()


def _fit(counts_path, sheet, design, contrasts, name, lfc_shrink=False):
    """Run the module's functions as the rule script does, with the mRNA arm's settings (R's
    median-of-ratios size factors); return results and the fitted set."""
    options = de_options("mrna", lfc_shrink=lfc_shrink)
    counts, _, kept, formula, _ = prepare(counts_path, sheet, None, design, contrasts, 0)
    spec = contrasts[name]
    reference = {spec[0]: spec[2]} if len(spec) == 3 else {}
    meta = sample_metadata(kept, formula, contrasts, reference)
    dds = fit_dataset(counts, meta, formula, size_factors=options.pop("size_factors"), n_cpus=1)
    res = contrast_results(dds, spec, **options, n_cpus=1)
    return res, dds


def _assert_matches_r(res, dds, r_res, data_set, r_sf=None, r_disp=None, alpha=0.05):
    """The acceptance checks of the module against one R DESeq2 run: every feature's result
    columns (and size factors, dispersions when given) within :func:`_tolerance`; every padj <
    alpha call the same."""
    for column in RESULT_QUANTITIES:
        _assert_close(column, res[column], r_res[column], _tolerance(data_set, column))
    if r_sf is not None:
        sf = pd.Series(np.asarray(dds.obs["size_factors"]), index=dds.obs_names)
        _assert_close("size factors", sf, r_sf, _tolerance(data_set, "size factors"))
    if r_disp is not None:
        disp = pd.Series(np.asarray(dds.var["dispersions"]), index=dds.var_names)
        _assert_close("dispersions", disp, r_disp, _tolerance(data_set, "dispersions"))
    _assert_calls_agree(res, r_res, alpha, min_agreement=1.0)


def _assert_matches_r_outputs(res, dds, data: Path) -> None:
    """:func:`_assert_matches_r` against the R run stored in folder ``data`` (results, size
    factors, dispersions)."""
    _assert_matches_r(
        res,
        dds,
        _read_r(data / "r_test_res.csv"),
        data.name,
        _read_x(data / "r_test_size_factors.csv"),
        _read_x(data / "r_test_dispersions.csv"),
    )


def _assert_calls_agree(res, r_res, alpha: float, min_agreement: float) -> None:
    """padj < alpha on both sides (NaN: no call) for at least ``min_agreement`` of features."""
    py_call = res["padj"].fillna(1) < alpha
    r_call = r_res.reindex(res.index)["padj"].fillna(1) < alpha
    differ = py_call != r_call
    print(f"calls at alpha {alpha}: {int(differ.sum())} of {len(differ)} differ")
    assert 1 - differ.mean() >= min_agreement, res.loc[differ, ["baseMean", "padj"]]


def _stored_inputs(data: Path, tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The counts (in the workflow's contract) and sample sheet of R test folder ``data``."""
    path = _write_contract(pd.read_csv(data / "test_counts.csv", index_col=0), tmp_path / "c.tsv")
    return path, _sheet(pd.read_csv(data / "test_metadata.csv", index_col=0))


def _read_r(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, index_col=0)


def _read_x(path: Path) -> pd.Series:
    return pd.read_csv(path, index_col=0).iloc[:, 0]


# --------------------------------------------------------------------------- R DESeq2 1.34


@pytest.fixture(scope="module")
def pydeseq2_data(shared_data):
    root = shared_data / "pydeseq2"
    if not (root / "tests" / "data" / "single_factor" / "r_test_res.csv").is_file():
        missing(f"R DESeq2 reference outputs under {root}", TEST_DATA)
    return root


@pytest.fixture(scope="module")
def synthetic(pydeseq2_data, tmp_path_factory):
    """PyDESeq2's synthetic 100 samples x 10 genes, in the workflow's contract."""
    source = pydeseq2_data / "datasets" / "synthetic"
    counts = pd.read_csv(source / "test_counts.csv", index_col=0)
    path = _write_contract(counts, tmp_path_factory.mktemp("synthetic") / "counts.tsv")
    return path, _sheet(pd.read_csv(source / "test_metadata.csv", index_col=0))


def test_single_factor_matches_r(synthetic, pydeseq2_data):
    data = pydeseq2_data / "tests" / "data" / "single_factor"
    contrasts = {"B_vs_A": ["condition", "B", "A"]}
    res, dds = _fit(*synthetic, "~condition", contrasts, "B_vs_A", lfc_shrink=True)
    r_res = _read_r(data / "r_test_res.csv")
    _assert_matches_r_outputs(res, dds, data)
    # NA p-values (Cook's outliers, all-zero features) and NA padj (independent filtering)
    assert (res["pvalue"].isna() == r_res["pvalue"].isna()).all()
    assert (res["padj"].isna() == r_res["padj"].isna()).all()
    # apeGLM shrinkage, run from our own fit, against R's lfcShrink(type = "apeglm")
    r_shrunk = _read_r(data / "r_test_lfc_shrink_res.csv")["log2FoldChange"]
    shrunk = _tolerance(data.name, "log2FoldChange_shrunk")
    _assert_close("shrunk", res["log2FoldChange_shrunk"], r_shrunk, shrunk)


def test_poscounts_size_factors_match_r(synthetic, pydeseq2_data):
    r_sf = _read_x(pydeseq2_data / "tests/data/single_factor/r_test_size_factors_poscount.csv")
    counts_path, sheet = synthetic
    counts, _ = load_counts(counts_path, list(sheet.index))
    meta = sample_metadata(sheet, "~condition", {"c": ["condition", "B", "A"]})
    _, _, size = normalise_and_vst(counts, meta, "~condition", size_factors="poscounts")
    _assert_close("poscounts size factors", size, r_sf, FLOAT_NOISE)


def test_vst_matches_r(synthetic, pydeseq2_data):
    r_vst = pd.read_csv(pydeseq2_data / "tests/data/single_factor/r_vst.csv", index_col=0)
    counts_path, sheet = synthetic
    counts, _ = load_counts(counts_path, list(sheet.index))
    meta = sample_metadata(sheet, "~condition", {"c": ["condition", "B", "A"]})
    normalised, vst, size = normalise_and_vst(
        counts, meta, "~condition", size_factors=de_settings("mrna").size_factors
    )  # R's vst() default: median of ratios
    r_vst = r_vst.loc[vst.index, vst.columns]
    relative = ((vst - r_vst).abs() / r_vst).to_numpy().max()
    print(f"vst: max relative difference {relative:.3g}")
    assert relative <= 1.9e-6  # measured max 9.9e-7 on 2026-12-06
    # measured: equal (0 difference) on 2026-12-06
    np.testing.assert_allclose(normalised.to_numpy(), (counts / size).to_numpy(), rtol=FLOAT_NOISE)


def test_multi_factor_matches_r(synthetic, pydeseq2_data):
    data = pydeseq2_data / "tests" / "data" / "multi_factor"
    contrasts = {"B_vs_A": ["condition", "B", "A"]}
    res, dds = _fit(*synthetic, "~group + condition", contrasts, "B_vs_A", lfc_shrink=True)
    r_shrunk = _read_r(data / "r_test_lfc_shrink_res.csv")["log2FoldChange"]
    shrunk = _tolerance(data.name, "log2FoldChange_shrunk")
    _assert_close("shrunk", res["log2FoldChange_shrunk"], r_shrunk, shrunk)
    _assert_matches_r_outputs(res, dds, data)


def test_continuous_covariate_matches_r(pydeseq2_data, tmp_path):
    data = pydeseq2_data / "tests" / "data" / "continuous"
    path, sheet = _stored_inputs(data, tmp_path)
    contrasts = {"slope": ["measurement"]}
    res, dds = _fit(path, sheet, "~group + condition + measurement", contrasts, "slope")
    assert dds.obs["measurement"].dtype == float  # a number column is a covariate, not groups
    _assert_matches_r_outputs(res, dds, data)


def test_wide_matches_r(pydeseq2_data, tmp_path):
    data = pydeseq2_data / "tests" / "data" / "wide"
    path, sheet = _stored_inputs(data, tmp_path)
    contrasts = {"B_vs_A": ["condition", "B", "A"]}
    res, dds = _fit(path, sheet, "~group + condition", contrasts, "B_vs_A")
    _assert_matches_r_outputs(res, dds, data)


def test_large_counts_match_r(pydeseq2_data, tmp_path):
    data = pydeseq2_data / "tests" / "data" / "large_counts"
    path = _write_contract(LARGE_COUNTS, tmp_path / "c.tsv")
    sheet = _sheet(pd.DataFrame({"condition": list("AAAABBBB")}, index=LARGE_COUNTS.columns))
    contrasts = {"B_vs_A": ["condition", "B", "A"]}
    res, dds = _fit(path, sheet, "auto", contrasts, "B_vs_A")
    # R keeps the starting value of g2..g5 (gain < 1e-6 * |log posterior|, esccrt.de.dispersion);
    # PyDESeq2's own L-BFGS-B fit moved them and was up to 5.4 % off R's dispersions here
    _assert_matches_r_outputs(res, dds, data)
    # (the dispersions within float noise: see MEASURED; formerly 1e-4 allowed)


# --------------------------------------------------------------------------- pasilla, R 1.46


def test_pasilla_matches_r(shared_data, tmp_path):
    folder = shared_data / "de_counts" / "pasilla"
    if not (folder / "BioTableDemo_pasilla_condition_treated_results.csv").is_file():
        missing(f"the pasilla reference under {folder}", TEST_DATA)
    counts = pd.read_csv(folder / "pasilla_gene_counts.tsv", sep="\t", index_col=0)
    annotation = pd.read_csv(folder / "pasilla_sample_annotation.csv", index_col=0)
    annotation.index = annotation.index.str.removesuffix("fb")
    names = pd.Series("gene_" + counts.index, index=counts.index)  # exercises the name column
    path = _write_contract(counts, tmp_path / "counts.tsv", names)
    sheet = _sheet(annotation[["condition"]])
    contrasts = {"treated_vs_untreated": ["condition", "treated", "untreated"]}
    counts_in, names_in, kept, formula, _ = prepare(path, sheet, None, "auto", contrasts, 0)
    assert formula == "~condition"
    # R ran results() with its default alpha 0.1
    options = de_options("mrna", padj_threshold=0.1)
    res = run_contrast(
        counts_in, kept, formula, contrasts, "treated_vs_untreated", **options, n_cpus=2
    )
    r_res = pd.read_csv(folder / "BioTableDemo_pasilla_condition_treated_results.csv", index_col=0)
    # the R script did not relevel: its fold change is untreated vs treated (sign note)
    r_res = r_res.reindex(res.index)
    r_res[["log2FoldChange", "stat"]] *= -1
    assert len(res) == 14599 and int(r_res["baseMean"].notna().sum()) == len(res)
    # every feature (NaN padj of independent filtering and of Cook's outliers included), with R's
    # trend, dispersion fits and floored means (esccrt.de.dispersion); PyDESeq2 0.5.4's own
    # fits: 79 % of features within 2 % (Wald stat)
    for column in RESULT_QUANTITIES:
        _assert_close(column, res[column], r_res[column], _tolerance("pasilla", column))
    stat = _relative(res["stat"], r_res["stat"])
    print(f"stat: median relative difference {stat.median():.3g}")
    assert stat.median() < 1e-3
    _assert_calls_agree(res, r_res, alpha=0.1, min_agreement=0.995)  # measured: all agree
    _assert_calls_agree(res, r_res, alpha=0.05, min_agreement=0.995)  # measured: all agree
    table = results_table(res, names_in)
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert table.loc[0, "feature"] == "FBgn0039155"
    assert table.loc[0, "name"] == "gene_FBgn0039155"
    lfc = table.loc[0, "log2FoldChange"]
    print(f"FBgn0039155 log2FoldChange {lfc!r} (R -4.619014)")
    assert lfc == pytest.approx(-4.619014, rel=PASILLA_TOP_TOLERANCE)
    assert table.loc[0, "log2FoldChange_shrunk"] < 0
    # R: 1061 genes with padj < 0.1; 1 Cook's outlier (pvalue NA) among expressed genes
    assert (res["padj"] < 0.1).sum() == 1061  # measured: 1061 (formerly 3 % allowed)
    expected = (res["padj"] < 0.1) & (res["log2FoldChange"].abs() >= 1)
    assert table["significant"].sum() == expected.sum()


# --------------------------------------------------------------------------- R DESeq2 run here


@pytest.mark.parametrize("design", ["~condition", "~batch + condition"])
def test_outlier_refit_matches_r_run_here(tmp_path, design, run_r_deseq2):
    """Eight replicates per group and planted outliers: with ``~condition`` R replaces and
    refits them (Cook's, 7 or more replicates per cell), with ``~batch + condition`` (cells of
    4) it flags them instead; dispersions and statistics of every feature match R run on the
    same matrix (formerly: baseMean >= 10, 1e-3 and 2 % allowed)."""
    rng = np.random.default_rng(20261125)
    n_genes, per_group = 1500, 8
    base = rng.lognormal(4, 1.5, n_genes)
    alpha = 0.05 + 1 / base
    group = np.repeat([0, 1], per_group)
    change = np.where(rng.random(n_genes) < 0.1, rng.normal(0, 1.5, n_genes), 0.0)
    batch = np.tile([0, 1], per_group)
    mean = base[:, None] * np.exp(change[:, None] * group + 0.3 * batch)
    counts = rng.negative_binomial(1 / alpha[:, None], 1 / (1 + alpha[:, None] * mean))
    rows, cols = rng.choice(n_genes, 100, replace=False), rng.integers(0, 2 * per_group, 100)
    counts[rows, cols] = counts[rows, cols] * 20 + 50
    names = [f"s{i:02d}" for i in range(2 * per_group)]
    frame = pd.DataFrame(counts, index=[f"g{i}" for i in range(n_genes)], columns=names)
    sheet = pd.DataFrame(
        {
            "condition": np.where(group, "irradiated", "control"),
            "batch": np.where(batch, "b2", "b1"),
        },
        index=pd.Index(names, name="sample"),
    )
    counts_path = tmp_path / "counts.tsv"
    frame.rename_axis("feature").to_csv(counts_path, sep="\t")
    sheet.to_csv(tmp_path / "samples.tsv", sep="\t")
    r_out = run_r_deseq2(counts_path, tmp_path / "samples.tsv", design)
    r = pd.read_csv(r_out, sep="\t", index_col="feature")
    contrasts = {"x": ["condition", "irradiated", "control"]}
    meta = sample_metadata(_sheet(sheet), design, contrasts, {"condition": "control"})
    # R's results() ran with its default alpha 0.1, which sets the independent filtering
    options = de_options("mrna", padj_threshold=0.1, lfc_shrink=False)
    dds = fit_dataset(frame, meta, design, size_factors=options.pop("size_factors"))
    res = contrast_results(dds, contrasts["x"], **options)
    refitted = dds.var["refitted"] if "refitted" in dds.var else pd.Series(False, dds.var_names)
    assert refitted.sum() >= (50 if design == "~condition" else 0)
    assert (refitted == r["replaced"].reindex(refitted.index).fillna(False)).all()
    dispersions = pd.Series(np.asarray(dds.var["dispersions"]), index=dds.var_names)
    data_set = f"outliers {design}"
    _assert_close("dispersions", dispersions, r["dispersion"], _tolerance(data_set, "dispersions"))
    for column in RESULT_QUANTITIES:
        _assert_close(column, res[column], r[column], _tolerance(data_set, column))
    _assert_calls_agree(res, r, alpha=0.1, min_agreement=1.0)
    _assert_calls_agree(res, r, alpha=0.05, min_agreement=1.0)
