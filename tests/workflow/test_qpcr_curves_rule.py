"""The qPCR import rule with ``cq_source: linregpcr`` and ``efficiency_source: linregpcr``: a
config with format rdml pointing at an RDML 1.4 file of raw curves (no Cq written) yields
LinRegPCR's Cq in the long Ct table and the efficiency table, through Snakemake."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from rdml_curves import SHIFTS, rdml_xml
from workflow_runs import REPO_ROOT, run_workflow

pytestmark = pytest.mark.slow

OUTPUTS = (
    "results/qpcr/ct_imported.tsv",
    "results/qpcr/efficiencies.tsv",
    "results/qpcr/linregpcr_reactions.tsv",
)


def test_import_rule_writes_linregpcr_cq_and_efficiencies(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    (workdir / "plate1.rdml").write_text(rdml_xml(SHIFTS))  # curves only, no <cq>
    (workdir / "config" / "qpcr_map.tsv").write_text(
        "sample\tpatient\ttimepoint\nS1\tP1\tpre\nS2\tP1\tpost\nS3\tP2\tpre\n"
    )
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    for section in ("smallrna", "mrna", "diffexp", "samples", "units"):  # a qPCR-only study
        config.pop(section)
    config["qpcr"].update(
        ct_table="plate1.rdml",
        format="rdml",
        sample_map="config/qpcr_map.tsv",
        cq_source="linregpcr",
        efficiency_source="linregpcr",
    )
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    run = run_workflow(workdir, "--cores", "1", *OUTPUTS)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    read = {"sep": "\t", "keep_default_na": False, "na_values": [""]}
    long, efficiencies, reactions = (pd.read_csv(workdir / o, **read) for o in OUTPUTS)
    assert list(long["well"]) == [f"A{i}" for i in range(1, 7)]
    assert np.array_equal(long["ct"].to_numpy(float), reactions["cq"].to_numpy(float))
    assert long["ct"][2] - long["ct"][0] == pytest.approx(3.0, abs=0.01)  # the curves' shift
    assert efficiencies.to_dict("list") | {"efficiency": None, "efficiency_se": None} == {
        "target": ["miR-A"],
        "efficiency": None,
        "efficiency_se": None,
        "n_reactions": [6],
        "source": ["linregpcr"],
    }
    assert efficiencies["efficiency"][0] == pytest.approx(reactions["efficiency"].mean())
    log = (workdir / "results" / "logs" / "qpcr" / "import_ct.log").read_text()
    assert "LinRegPCR (rdmlpython 1.7.2): 6 reactions, 6 with a Cq" in log
