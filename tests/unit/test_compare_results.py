"""The run comparison used to prove a restructuring changed no result (tests/tools)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from tools.compare_results import compare_runs, html_tables, values_agree


def test_numbers_agree_within_tolerance_and_text_exactly() -> None:
    assert values_agree("1.0000000000001", "1.0", 1e-9)
    assert not values_agree("1.001", "1.0", 1e-9)
    assert values_agree("nan", "NaN", 1e-9) and not values_agree("nan", "0", 1e-9)
    assert values_agree("hsa-miR-143-3p", "hsa-miR-143-3p", 1e-9)
    assert not values_agree("up", "down", 1e-9)


def _run(folder: Path, value: float, extra: bool = False) -> Path:
    results = folder / "results"
    (results / "diffexp").mkdir(parents=True)
    (results / "logs").mkdir()
    table = pd.DataFrame({"feature": ["a", "b"], "log2FoldChange": [value, 2.0]})
    table.to_csv(results / "diffexp" / "t.tsv", sep="\t", index=False)
    # Bookkeeping (times of this run) is not a result and is not compared.
    (results / "logs" / "times.tsv").write_text(f"s\n{value}\n")
    if extra:
        table.to_csv(results / "new.tsv", sep="\t", index=False)
    return results


def test_runs_differ_only_where_a_result_differs(tmp_path: Path) -> None:
    before = _run(tmp_path / "a", 1.0)
    count, differences = compare_runs(before, _run(tmp_path / "b", 1.0 + 1e-12), 1e-9)
    assert count == 1 and differences == {}
    count, differences = compare_runs(before, _run(tmp_path / "c", 1.5, extra=True), 1e-9)
    assert count == 2
    assert differences["new.tsv"] == ["absent before"]
    assert differences["diffexp/t.tsv"] == ["row 2, column 'log2FoldChange': '1.0' vs '1.5'"]


def test_html_tables_are_read_cell_by_cell() -> None:
    page = "<p>x</p><table><tr><th>a</th></tr><tr><td>1 &amp; 2</td></tr></table>"
    assert html_tables(page) == [["a", "1 & 2"]]
