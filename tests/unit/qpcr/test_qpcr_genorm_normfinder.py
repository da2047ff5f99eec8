"""geNorm and NormFinder on hand-made tables: what the measures mean, and what they refuse.
(The published numbers are checked in tests/parity/test_qpcr_reference_stability_published.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from esccrt.qpcr.genorm import genorm, genorm_m, optimal_number
from esccrt.qpcr.normfinder import normfinder, normfinder_stepwise


def _table(rng: np.random.Generator, noise: dict[str, float], n: int = 12) -> pd.DataFrame:
    """log2 quantities: a shared sample load plus each candidate's own noise (SD given)."""
    load = rng.normal(0.0, 2.0, size=n)
    return pd.DataFrame({g: load + 5.0 + rng.normal(0.0, sd, size=n) for g, sd in noise.items()})


def test_genorm_m_of_two_genes_is_the_sd_of_their_log_ratio() -> None:
    rng = np.random.default_rng(1)
    table = _table(rng, {"a": 0.2, "b": 0.5})
    m = genorm_m(table)
    expected = float((table["a"] - table["b"]).std(ddof=1))
    assert m["a"] == pytest.approx(expected) and m["b"] == pytest.approx(expected)


def test_genorm_ignores_the_sample_load_and_excludes_the_noisiest_first() -> None:
    rng = np.random.default_rng(2)
    table = _table(rng, {"steady": 0.05, "fine": 0.1, "ok": 0.2, "noisy": 0.8, "wild": 1.6})
    shifted = table.add(rng.normal(0.0, 5.0, size=len(table)), axis=0)  # another load per sample
    assert genorm_m(shifted).to_numpy() == pytest.approx(genorm_m(table).to_numpy())
    result = genorm(table)
    assert result.steps["excluded"].tolist() == ["wild", "noisy", "ok", ""]
    assert set(result.ranking[:2]) == {"steady", "fine"}
    assert result.ranks().to_dict() == {"steady": 1, "fine": 1, "ok": 3, "noisy": 4, "wild": 5}
    # average M falls as unstable genes leave; V is reported for 2/3, 3/4 and 4/5
    assert result.steps["average_m"].is_monotonic_decreasing
    assert result.pairwise_v().index.tolist() == ["2/3", "3/4", "4/5"]


def test_pairwise_v_and_optimal_number() -> None:
    rng = np.random.default_rng(3)
    result = genorm(_table(rng, {"a": 0.1, "b": 0.1, "c": 0.1, "d": 2.0}))
    v = result.pairwise_v()
    assert v["2/3"] < 0.15 < v["3/4"]
    assert optimal_number(result) == 2
    assert optimal_number(result, cutoff=0.0) == 4  # no V below the cut-off: all candidates


@pytest.mark.parametrize(
    "bad",
    [
        pd.DataFrame({"a": [1.0, 2.0, 3.0]}),
        pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [1.0, 2.0, 3.0]}),
    ],
)
def test_genorm_refuses_one_candidate_or_missing_values(bad: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="geNorm needs"):
        genorm(bad)


def test_normfinder_sees_a_candidate_that_moves_between_groups() -> None:
    """geNorm cannot tell a gene shifted in one group from a stable one; NormFinder can."""
    rng = np.random.default_rng(4)
    table = _table(rng, {"a": 0.15, "b": 0.15, "c": 0.15, "d": 0.15, "shifted": 0.15}, n=20)
    groups = ["pre"] * 10 + ["post"] * 10
    table.loc[10:, "shifted"] += 1.5
    result = normfinder(table, groups)
    assert result.rho.idxmax() == "shifted"
    assert result.difference.loc["shifted"].abs().min() > 0.5
    assert list(result.difference.columns) == ["post", "pre"]
    stepwise = normfinder_stepwise(result, 3)
    assert stepwise["step"].tolist() == [1, 2, 3] and "shifted" not in set(
        stepwise["candidate"][:2]
    )
    # d sums to zero over the candidates, so the shifted one offsets the small opposite bias of
    # the pair chosen first: NormFinder's combination takes it third, by design
    assert stepwise["candidate"].iloc[2] == "shifted"
    # a shift shared by all candidates in one group is the sample load: rho does not change
    loaded = table.copy()
    loaded.loc[10:] += 3.0
    assert normfinder(loaded, groups).rho.to_numpy() == pytest.approx(result.rho.to_numpy())


def test_normfinder_refuses_what_it_cannot_estimate() -> None:
    table = pd.DataFrame(np.arange(12.0).reshape(4, 3) ** 1.1, columns=["a", "b", "c"])
    with pytest.raises(ValueError, match="2 groups"):
        normfinder(table, ["x"] * 4)
    with pytest.raises(ValueError, match="at least 3 candidates"):
        normfinder(table[["a", "b"]], ["x", "x", "y", "y"])
    with pytest.raises(ValueError, match="2 samples or more"):
        normfinder(table, ["x", "x", "x", "y"])
    with pytest.raises(ValueError, match="n must be"):
        normfinder_stepwise(normfinder(table, ["x", "x", "y", "y"]), 3)


def test_normfinder_without_any_variation_gives_zero_not_nan() -> None:
    """Candidates that move exactly together: tau = v = 0, where R's formula gives 0/0."""
    load = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    table = pd.DataFrame({g: load + k for k, g in enumerate("abc")})
    rho = normfinder(table, ["x"] * 3 + ["y"] * 3).rho
    assert rho.tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
