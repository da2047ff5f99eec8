"""Design formula and checks (esccrt.de.design): bad designs stop with the config key named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from esccrt.de.design import check_design, resolve_design
from esccrt.errors import InputError
from schema_sections import de_options

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


def test_paired_radiotherapy_example_is_a_valid_design(repo_root):
    """The README's paired example: serum before/after radiotherapy, ~ patient + timepoint."""
    import yaml
    from esccrt.sheets import load_samples

    example = repo_root / "config" / "examples" / "paired_radiotherapy"
    config = yaml.safe_load((example / "config.yaml").read_text())
    samples = load_samples(repo_root / config["samples"])
    assert check_design(samples, config["diffexp"]) == "~patient + timepoint"
    assert samples.groupby("patient")["timepoint"].nunique().eq(2).all()
    # a sheet whose "patient" only repeats the timepoint cannot be analysed as paired
    unpaired = samples.assign(patient=samples["timepoint"].map({"pre": "A", "post": "B"}))
    with pytest.raises(InputError, match=r"confounded|cannot be told apart"):
        check_design(unpaired, config["diffexp"])


def test_paired_design_finds_within_patient_changes(repo_root):
    """Simulated serum counts with large patient-to-patient differences and a 2-fold rise after
    radiotherapy in 20 of 100 miRNAs: ~ patient + timepoint finds most, ~ timepoint fewer."""
    import yaml
    from esccrt.de.model import run_contrast
    from esccrt.sheets import load_samples

    example = repo_root / "config" / "examples" / "paired_radiotherapy"
    config = yaml.safe_load((example / "config.yaml").read_text())
    samples = load_samples(repo_root / config["samples"])
    rng = np.random.default_rng(7)
    patients = rng.normal(0, 1.0, size=(100, samples["patient"].nunique()))
    base, lfc = rng.uniform(4, 8, size=100), np.r_[np.ones(20), np.zeros(80)]
    counts = {}
    for name, row in samples.iterrows():
        mu = np.exp(base + patients[:, int(row["patient"][1:]) - 1])
        mu *= 2 ** (lfc * (row["timepoint"] == "post"))
        counts[name] = rng.negative_binomial(10, 10 / (10 + mu))
    counts = pd.DataFrame(counts, index=[f"m{i}" for i in range(100)])
    found = {}
    for design in ("~patient + timepoint", "~timepoint"):
        # the example's small-RNA settings, without shrinkage or fold-change cut-off
        options = de_options("smallrna", **config["diffexp"], lfc_shrink=False, lfc_threshold=0)
        table = run_contrast(counts, samples, design, config["diffexp"]["contrasts"],
                             "post_vs_pre", **options)  # fmt: skip
        found[design] = int((table["padj"].iloc[:20] < 0.05).sum())
        if design != "~timepoint":
            assert abs(table["log2FoldChange"].iloc[:20].median() - 1) < 0.3
    assert found["~patient + timepoint"] >= 10 > found["~timepoint"]
