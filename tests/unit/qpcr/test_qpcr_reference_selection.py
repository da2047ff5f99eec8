"""Candidate references in the qPCR step: stability table, automatic choice, the checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.ct_table import CT_COLUMNS, read_ct_table
from esccrt.qpcr.fold_changes import fold_changes, replicate_summary
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.stage import reference_table
from schema_sections import qpcr_settings

#: Candidate references and the SD of their sample-to-sample noise (cycles).
NOISE = {"steady": 0.05, "calm": 0.08, "ref_a": 0.4, "ref_b": 0.6, "wild": 1.2}
CANDIDATES = list(NOISE)


def _ct_table(tmp_path: Path, n_patients: int = 8) -> Path:
    """Duplicate wells of a target and the candidates; every sample has its own load."""
    rng = np.random.default_rng(7)
    rows = []
    for p in range(n_patients):
        for timepoint in ("pre", "post"):
            load = rng.normal(0.0, 1.0)
            truths = {"miR-T": 30.0 + load + rng.normal(0.0, 0.5)}
            truths |= {c: 25.0 + load + rng.normal(0.0, sd) for c, sd in NOISE.items()}
            for target, truth in truths.items():
                rows += [(f"P{p}", timepoint, target, r, round(truth, 3)) for r in (1, 2)]
    path = tmp_path / "ct.tsv"
    pd.DataFrame(rows, columns=list(CT_COLUMNS)).to_csv(path, sep="\t", index=False)
    return path


def _settings(**keys: object):
    return qpcr_settings(
        ["miR-T"],
        ["ref_a", "ref_b"],
        **{"ct_limit": 40, "reference_candidates": CANDIDATES, **keys},
    )


def test_defaults_keep_the_configured_references_and_their_fold_changes(tmp_path: Path) -> None:
    path = _ct_table(tmp_path)
    settings = _settings()
    assert settings.reference_selection == {"auto": False, "method": "genorm", "n": 2}
    assert (
        settings.haemolysis["threshold"] == 7 and not settings.haemolysis["exclude_from_survival"]
    )
    results = run_qpcr(path, settings)
    assert results.references == ["ref_a", "ref_b"]
    summary = replicate_summary(read_ct_table(path, settings.undetermined_tokens), settings)
    configured = fold_changes(summary, settings)  # with the configured references, no selection
    pd.testing.assert_frame_equal(results.fold_changes, configured)
    table = results.stability.table.set_index("candidate")
    assert table["used_as_reference"].tolist() == [False, False, True, True, False]
    assert table["n_samples"].eq(16).all()
    assert set(table.index[table["genorm_rank"] == 1]) == {"steady", "calm"}
    assert table["normfinder_rho"].idxmin() in {"steady", "calm"}
    assert table["genorm_rank"].idxmax() == table["normfinder_rho"].idxmax() == "wild"
    steps = results.stability.steps
    assert steps.groupby("step")["n_candidates"].first().tolist() == [5, 4, 3, 2]
    assert results.stability.genorm_optimal_n >= 2


@pytest.mark.parametrize("method", ["genorm", "normfinder"])
def test_automatic_choice_uses_the_most_stable_candidates(tmp_path: Path, method: str) -> None:
    path = _ct_table(tmp_path)
    auto = _settings(reference_selection={"auto": True, "method": method, "n": 2})
    results = run_qpcr(path, auto)
    assert set(results.references) == {"steady", "calm"}
    used = results.stability.table.set_index("candidate")["used_as_reference"]
    assert used[used].index.tolist() == ["steady", "calm"]
    by_hand = run_qpcr(path, _settings(reference_targets=results.references)).fold_changes
    pd.testing.assert_frame_equal(results.fold_changes, by_hand)


def test_candidate_checks(tmp_path: Path) -> None:
    path = _ct_table(tmp_path)
    with pytest.raises(InputError, match=r"'absent'.*qpcr\.reference_candidates.*P0 \(pre\)"):
        run_qpcr(path, _settings(reference_candidates=[*CANDIDATES, "absent"]))
    with pytest.raises(InputError, match=r"reference_selection\.n"):
        _settings(reference_selection={"auto": True, "method": "genorm", "n": 1})
    with pytest.raises(InputError, match=r"reference_selection\.n"):
        _settings(reference_selection={"auto": True, "n": 5})
    with pytest.raises(InputError, match=r"targets and qpcr\.reference_candidates.*miR-T"):
        _settings(reference_candidates=["miR-T", "steady", "calm"])
    efficiencies = {"miR-T": 2.0, "ref_a": 1.95, "ref_b": 1.9}
    with pytest.raises(InputError, match=r"qpcr\.efficiencies.*steady"):
        _settings(efficiencies=efficiencies)


def test_two_candidates_give_genorm_only_and_efficiencies_scale_the_ct(tmp_path: Path) -> None:
    path = _ct_table(tmp_path)
    two = qpcr_settings(["miR-T"], ["ref_a", "ref_b"], ct_limit=40)
    stability = run_qpcr(path, two).stability
    assert stability.table["genorm_rank"].tolist() == [1, 1]
    assert stability.table["normfinder_rho"].isna().all() and stability.notes
    perfect = qpcr_settings(
        ["miR-T"],
        ["ref_a", "ref_b"],
        ct_limit=40,
        efficiencies={"miR-T": 2, "ref_a": 2, "ref_b": 2},
    )
    slower = qpcr_settings(
        ["miR-T"],
        ["ref_a", "ref_b"],
        ct_limit=40,
        efficiencies={"miR-T": 2, "ref_a": 1.8, "ref_b": 1.8},
    )
    m_perfect = run_qpcr(path, perfect).stability.table["genorm_m"]
    m_slower = run_qpcr(path, slower).stability.table["genorm_m"]
    assert m_perfect.tolist() == pytest.approx(stability.table["genorm_m"].tolist())
    assert (m_slower / m_perfect).tolist() == pytest.approx([np.log2(1.8)] * 2)


def test_the_references_table_says_why_each_reference_was_used(tmp_path: Path) -> None:
    """results/qpcr/references.tsv: configured references, or those geNorm picked, in order."""
    path = _ct_table(tmp_path)
    configured = _settings()
    table = reference_table(run_qpcr(path, configured).references, configured)
    assert table["reference"].tolist() == list(configured.reference_targets)
    assert set(table["selection"]) == {"configured"}
    assert set(table["config_key"]) == {"qpcr.reference_targets"}
    auto = _settings(reference_selection={"auto": True, "method": "genorm", "n": 2})
    results = run_qpcr(path, auto)
    table = reference_table(results.references, auto)
    assert table["reference"].tolist() == results.references
    assert table["position"].tolist() == [1, 2] and set(table["selection"]) == {"geNorm"}
    assert table["reason"].iloc[0].startswith("picked automatically: the 2 most stable")
