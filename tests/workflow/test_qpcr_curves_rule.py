"""The qPCR rules with ``cq_source: linregpcr`` and ``efficiency_source: linregpcr``: a config
with format rdml pointing at an RDML 1.4 file of raw curves (no Cq written) yields LinRegPCR's
Cq in the long Ct table and the efficiency table, and Pfaffl fold changes with those factors,
through Snakemake (a qPCR-only study: the demo config without the sequencing sections)."""

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

MAP = "sample\tpatient\ttimepoint\nS1\tP1\tpre\nS2\tP1\tpost\nS3\tP2\tpre\nS4\tP2\tpost\n"
#: Two patients, pre and post: target miR-A shifted by ``shift`` cycles, reference ref by half
#: of it (so ddCt = shift(post) - shift(pre), halved), two replicates each.
PAIRED = [
    (sample, midpoint, target)
    for sample, shift in (("S1", 0.0), ("S2", 2.0), ("S3", 1.0), ("S4", -1.5))
    for target, midpoint in (("miR-A", 22.0 + shift), ("ref", 20.0 + shift / 2))
    for _ in range(2)
]
OUTPUTS = (
    "results/qpcr/ct_imported.tsv",
    "results/qpcr/efficiencies.tsv",
    "results/qpcr/linregpcr_reactions.tsv",
)


def _qpcr_only_rdml_study(workdir: Path, shifts: list, **qpcr: object) -> Path:
    """The demo config without sequencing, qPCR from ``plate1.rdml`` of these curves."""
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    (workdir / "plate1.rdml").write_text(rdml_xml(shifts))  # curves only, no <cq>
    (workdir / "config" / "qpcr_map.tsv").write_text(MAP)
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    for section in ("smallrna", "mrna", "diffexp", "samples", "units"):  # a qPCR-only study
        config.pop(section)
    config["qpcr"].update(
        ct_table="plate1.rdml", format="rdml", sample_map="config/qpcr_map.tsv", **qpcr
    )
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def _import_rerun_reason(workdir: Path, **qpcr: object) -> str:
    """Why a dry run for the import's outputs plans rule qpcr_import_ct again once the config's
    qpcr section has these keys ('' when it plans nothing)."""
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["qpcr"].update(qpcr)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    run = run_workflow(workdir, "--dry-run", *OUTPUTS)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    if "qpcr_import_ct" not in run.stdout:
        return ""
    return run.stdout.split("reason:", 1)[1].splitlines()[0].strip()


def test_import_rule_writes_linregpcr_cq_and_efficiencies(tmp_path: Path) -> None:
    workdir = _qpcr_only_rdml_study(
        tmp_path / "run", SHIFTS, cq_source="linregpcr", efficiency_source="linregpcr"
    )
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
    # its params are the keys the import reads (esccrt.qpcr.curves.import_rule_settings)
    assert _import_rerun_reason(workdir, sd_threshold=0.3, ci_level=0.9) == ""
    assert _import_rerun_reason(workdir, interrun_calibration={"method": "ruijter"}) == ""
    reason = _import_rerun_reason(workdir, undetermined_tokens=["Undetermined", "N/A"])
    assert reason.startswith("Params have changed since last execution")


def test_fold_changes_use_linregpcr_cq_and_efficiencies(tmp_path: Path) -> None:
    workdir = _qpcr_only_rdml_study(
        tmp_path / "run",
        PAIRED,
        cq_source="linregpcr",
        efficiency_source="linregpcr",
        targets=["miR-A"],
        reference_targets=["ref"],
        reference_candidates=[],
    )
    run = run_workflow(workdir, "--cores", "1", "results/qpcr/fold_changes.tsv")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    results = workdir / "results" / "qpcr"
    read = {"sep": "\t", "keep_default_na": False, "na_values": [""]}
    long = pd.read_csv(results / "ct_imported.tsv", **read)
    factor = pd.read_csv(results / "efficiencies.tsv", **read).set_index("target")["efficiency"]
    fold = pd.read_csv(results / "fold_changes.tsv", **read).set_index("patient")
    ct = long.groupby(["patient", "timepoint", "target"])["ct"].mean()
    for patient in ("P1", "P2"):
        # Pfaffl (2001) by hand: E_t^(Ct_t,pre - Ct_t,post) / E_r^(Ct_r,pre - Ct_r,post)
        target = factor["miR-A"] ** (ct[(patient, "pre", "miR-A")] - ct[(patient, "post", "miR-A")])
        reference = factor["ref"] ** (ct[(patient, "pre", "ref")] - ct[(patient, "post", "ref")])
        assert fold.at[patient, "method"] == "pfaffl"
        assert fold.at[patient, "fold_change"] == pytest.approx(target / reference, rel=1e-9)
    # the curves' shifts: ddCt = (2 - 0) / 2 for P1 and (-1.5 - 1) / 2 for P2
    assert fold.at["P1", "ddct"] == pytest.approx(1.0, abs=0.02)
    assert fold.at["P2", "ddct"] == pytest.approx(-1.25, abs=0.02)
