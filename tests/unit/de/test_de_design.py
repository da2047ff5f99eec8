"""Design formula and checks (esccrt.de.design): bad designs stop with the config key named."""

from __future__ import annotations

import numpy as np
import pytest
from esccrt.de.design import check_design, resolve_design
from esccrt.errors import InputError

GOOD = {"ir_vs_ctrl": ["condition", "irradiated", "control"]}


def test_auto_design_adds_batch_only_when_needed(demo_sheet):
    sheet = demo_sheet
    assert resolve_design(sheet, "auto") == "~batch + condition"
    assert resolve_design(sheet.assign(batch="b1"), "auto") == "~condition"
    assert resolve_design(sheet, "batch+condition") == "~batch + condition"
    check_design(sheet, "~batch + condition", GOOD)


@pytest.mark.parametrize(
    ("contrast", "message"),
    [
        (["treatment", "irradiated", "control"], "not a column of the sample sheet"),
        (["condition", "Irradiated", "control"], "level 'Irradiated' does not occur"),
        (["condition", "irradiated"], "expected [variable, tested level, reference level]"),
        (["batch", "b2", "b1"], "level 'b2' of 'batch' has 1 sample"),
    ],
)
def test_bad_contrast_names_config_key(contrast, message, demo_sheet):
    sheet = demo_sheet
    sheet.loc["s_i3", "batch"] = "b3"
    sheet.loc["s_c3", "batch"] = "b2"
    with pytest.raises(InputError) as error:
        check_design(sheet, "~batch + condition", {"bad": contrast})
    assert "contrasts.bad" in str(error.value)
    assert message in str(error.value)


def test_confounded_batch_names_config_key(demo_sheet):
    sheet = demo_sheet
    sheet["batch"] = np.where(sheet["condition"] == "control", "b1", "b2")
    with pytest.raises(InputError) as error:
        check_design(sheet, resolve_design(sheet, "auto"), GOOD)
    assert "contrasts.ir_vs_ctrl" in str(error.value)
    assert "confounded with ['batch']" in str(error.value)


def test_unknown_design_column_and_formula(demo_sheet):
    with pytest.raises(InputError, match=r"diffexp\.design: 'donor'"):
        check_design(demo_sheet, "~donor + condition", GOOD)
    with pytest.raises(InputError, match=r"diffexp\.design"):
        check_design(demo_sheet, "~batch * condition", GOOD)
    with pytest.raises(InputError, match=r"diffexp\.contrasts\.ir_vs_ctrl: 'condition' is not"):
        check_design(demo_sheet, "~batch", GOOD)


def test_check_design_takes_the_config_section(demo_sheet):
    section = {"design": "auto", "contrasts": GOOD}
    assert check_design(demo_sheet, section) == "~batch + condition"
    with pytest.raises(InputError, match=r"diffexp\.contrasts\.x"):
        check_design(demo_sheet, {"design": "auto", "contrasts": {"x": ["condition"]}})
