"""DE caveats end to end (issue #28 item 5): on the small demo (3 vs 3 per arm, design
``~ batch + condition``: 6 samples - 3 coefficients) PyDESeq2 warns of the residual degrees of
freedom; each contrast's caveat table says so, and the report shows it under the contrast."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def test_the_demo_contrasts_carry_their_caveats(finished_mini_demo: Path) -> None:
    results = finished_mini_demo / "results"
    page = (results / "report" / "report.html").read_text()
    for arm in ("smallrna", "mrna"):
        caveats = pd.read_csv(
            results / "diffexp" / arm / "caveats" / "irradiated_vs_control.tsv", sep="\t"
        )
        assert caveats["contrast"].eq("irradiated_vs_control").all()
        assert "few_residual_df" in caveats["caveat"].tolist()
        assert "few_replicates" not in caveats["caveat"].tolist()  # 3 per group
        detail = caveats.set_index("caveat").loc["few_residual_df", "detail"]
        assert detail.startswith("6 samples - 3 coefficients = 3 residual degrees of freedom")
        section = re.search(
            rf'<section id="{arm}-differential-expression">(.*?)</section>', page, re.S
        ).group(1)
        shown = re.search(
            r'<h3>irradiated_vs_control: .*?</h3><div class="caveat">(.*?)</div>', section, re.S
        )
        assert shown, f"{arm}: no caveat under the contrast's heading"
        assert "few residual df: 6 samples - 3 coefficients" in shown.group(1)
    assert not (results / "report" / "report.stale.html").exists()
