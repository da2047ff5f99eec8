"""HTML building blocks: escaped tables, embedded PNG figures only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.report.html import image, table


def test_table_escapes_and_image_refuses_what_is_not_png(tmp_path: Path) -> None:
    frame = pd.DataFrame({"feature": ["<script>"], "padj": [0.0123456]})
    out = table(frame, "t1")
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert "0.01235" in out and 'data-table="t1"' in out
    not_png = tmp_path / "plot.png"
    not_png.write_text("<svg/>")
    with pytest.raises(InputError, match="not a PNG"):
        image(not_png, "plot")
