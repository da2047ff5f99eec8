"""The DESeq2 model (esccrt.de.model) recovers planted fold changes.

Agreement with R DESeq2 itself is tested in tests/parity/test_de_matches_r.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from esccrt.de.inputs import prepare
from esccrt.de.model import run_contrast
from esccrt.de.tables import feature_table
from schema_sections import de_options


def test_planted_fold_changes_recovered(tmp_path):
    """Negative-binomial counts with planted log2 fold changes: recall >= 0.9, FDP <= 0.1."""
    rng = np.random.default_rng(20261124)
    n_features, per_group = 300, 4
    base = np.exp(rng.uniform(np.log(50), np.log(3000), n_features))
    truth = np.zeros(n_features)
    planted = rng.choice(n_features, 45, replace=False)
    truth[planted] = rng.choice([-1, 1], 45) * rng.uniform(1.5, 3.0, 45)
    dispersion = 0.02 + 2.0 / base
    size = np.exp(rng.normal(0, 0.2, 2 * per_group))
    samples = [f"ctrl_{i}" for i in range(per_group)] + [f"ir_{i}" for i in range(per_group)]
    group = np.repeat([0, 1], per_group)
    mean = base[:, None] * size[None, :] * 2.0 ** (truth[:, None] * group[None, :])
    shape = 1 / dispersion[:, None]
    counts = rng.negative_binomial(shape, shape / (shape + mean))
    frame = pd.DataFrame(counts, index=[f"f{i}" for i in range(n_features)], columns=samples)
    path = tmp_path / "counts.tsv"
    feature_table(frame, None).to_csv(path, sep="\t", index=False)
    sheet = pd.DataFrame(
        {"condition": np.where(group, "irradiated", "control"), "batch": "b1"},
        index=pd.Index(samples, name="sample"),
    ).astype(str)
    sheet.insert(0, "sample", sheet.index)
    contrasts = {"ir_vs_ctrl": ["condition", "irradiated", "control"]}
    counts_in, _, kept, formula, _ = prepare(path, sheet, None, "auto", contrasts, 10)
    options = de_options("mrna")  # the schema's defaults: shrunk, |LFC| >= 1, padj < 0.05
    res = run_contrast(counts_in, kept, formula, contrasts, "ir_vs_ctrl", **options, n_cpus=1)
    truth = pd.Series(truth, index=frame.index).reindex(res.index)
    called = res["significant"]
    true_de = truth.abs() >= 1
    recall = (called & true_de).sum() / true_de.sum()
    fdp = (called & ~true_de).sum() / max(called.sum(), 1)
    assert recall >= 0.9, recall
    assert fdp <= 0.1, fdp
    # the direction of every called change is right, and shrinkage pulls towards 0
    assert (np.sign(res.loc[called, "log2FoldChange"]) == np.sign(truth[called])).all()
    assert (res["log2FoldChange_shrunk"].abs() <= res["log2FoldChange"].abs() + 1e-6).mean() > 0.95
