"""Fitting the genes in blocks (esccrt.de.glm.gene_blocks) gives the unblocked fit, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from esccrt.de import glm, model
from pandas.testing import assert_frame_equal

N_GENES, PER_GROUP = 300, 8  # 8 replicates a group: outliers are replaced and refitted


def _counts() -> pd.DataFrame:
    """Negative-binomial counts with the genes the fits treat apart: all-zero genes, genes
    with a group of zeros (their IRLS diverges to PyDESeq2's optimiser), sparse genes and
    single-sample outliers (Cook's distances, refit)."""
    rng = np.random.default_rng(26)
    n_samples = 2 * PER_GROUP
    effect = np.where(rng.random(N_GENES) < 0.2, rng.normal(0, 1.5, N_GENES), 0.0)
    means = np.exp(rng.normal(3, 2, N_GENES))[:, None] * np.exp(
        np.outer(effect, np.repeat([0.0, 1.0], PER_GROUP))
    )
    dispersions = rng.uniform(0.01, 1.0, N_GENES)[:, None]
    counts = rng.negative_binomial(1 / dispersions, 1 / (1 + means * dispersions))
    counts[:5] = 0
    counts[5:15, :PER_GROUP] = 0
    counts[15:25] = rng.binomial(1, 0.15, (10, n_samples))
    counts[25:35, 3] = 5000
    columns = [f"s{k:02d}" for k in range(n_samples)]
    return pd.DataFrame(counts, index=[f"g{k:03d}" for k in range(N_GENES)], columns=columns)


@pytest.fixture(scope="module")
def fits() -> dict[str, tuple]:
    """The fit and the contrast's table with every gene in one block and in blocks of 37."""
    counts = _counts()
    condition = np.repeat(["control", "treated"], PER_GROUP)
    metadata = pd.DataFrame(
        {"condition": pd.Categorical(condition, categories=["control", "treated"])},
        index=pd.Index(counts.columns, name="sample"),
    )
    per_gene = glm.TEMPORARIES * 8 * metadata.shape[0]
    out, solver, diverged = {}, glm.utils.irls_solver, []

    def counting_solver(**kwargs):
        diverged.append(kwargs["disp"])
        return solver(**kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(glm.utils, "irls_solver", counting_solver)
        for name, genes in {"one block": N_GENES, "blocks of 37": 37}.items():
            patch.setattr(glm, "BLOCK_BYTES", per_gene * genes)
            assert len(list(glm.gene_blocks(N_GENES, metadata.shape[0]))) == -(-N_GENES // genes)
            dds = model.fit_dataset(counts, metadata, "~condition", size_factors="ratio")
            table = model.contrast_results(
                dds, ["condition", "treated", "control"], alpha=0.05, lfc_threshold=0.0,
                shrink=False,
            )  # fmt: skip
            out[name] = (dds, table, len(diverged))
            diverged.clear()
    return out


def test_blocked_fit_equals_unblocked_fit(fits):
    (whole, whole_table, n_diverged), (blocked, blocked_table, _) = fits.values()
    assert not whole.var["non_zero"].iloc[:5].any()  # all-zero genes left out of the fits
    assert whole.var["replaced"].any()  # outliers replaced and refitted
    assert n_diverged > 0  # genes whose IRLS diverged, through PyDESeq2's own solver
    assert not whole.var["_genewise_converged"].all()  # line searches refitted on the grid
    for store in ("layers", "varm", "obsm"):
        fitted, other = getattr(whole, store), getattr(blocked, store)
        assert sorted(fitted.keys()) == sorted(other.keys())
        for key in fitted:
            a, b = fitted[key], other[key]
            if isinstance(a, pd.DataFrame):
                assert_frame_equal(a, b, check_exact=True)
            else:
                assert np.array_equal(a, b, equal_nan=True), f"{store}[{key}] differs"
    assert_frame_equal(whole.var, blocked.var, check_exact=True)
    assert_frame_equal(whole_table, blocked_table, check_exact=True)
