"""qPCR as a cohort study runs it (issue 30): the three defects, each run through Snakemake as a
user would, qPCR only (no sequencing arm), in a temporary folder (the first and the third on the
session's shared qPCR-only runs, ``finished_qpcr_only`` and ``finished_qpcr_without_survival`` of
``tests/workflow/conftest.py``).

- A patient missing a timepoint (the demo's Ct table without P06's pre sample) no longer stops
  the run ("candidate reference ... has no Ct for: P06 (pre)"): P06 leaves the paired fold
  changes, is named in results/qpcr/unpaired_samples.tsv and the report, and its post sample
  stays in the replicate QC, the reference stability and the haemolysis check.
- The sample map excludes samples (column exclude, with the reason): two QuantStudio plates of
  an unpaired case-control study (ESCC serum vs healthy donors, design unpaired), one sample
  excluded with a patient and one without; neither reaches the Ct table, both are listed in
  results/qpcr/excluded_samples.tsv, the report and its methods.
- A qPCR experiment without a survival section (once a bare KeyError 'survival' while the
  workflow was read) runs to fold changes, QC and the report, which says survival was not run.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from workflow_runs import REPO_ROOT, run_workflow

pytestmark = pytest.mark.slow

SEQUENCING = ("smallrna", "mrna", "diffexp", "samples", "units")


def _qpcr_folder(workdir: Path, drop: tuple[str, ...] = (), **qpcr: object) -> Path:
    """The demo's config without the sequencing arms (and the sections ``drop``), with the
    ``qpcr`` keys replaced by ``qpcr``."""
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    for name in (*SEQUENCING, *drop):
        config.pop(name, None)
    config["qpcr"].update(qpcr)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def _report(workdir: Path) -> str:
    """The report page of a finished run."""
    return (workdir / "results" / "report" / "report.html").read_text()


def _run(workdir: Path) -> str:
    """Run the workflow to its end; the report page."""
    run = run_workflow(workdir, "--cores", "2")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return _report(workdir)


def _methods(page: str) -> str:
    return html.unescape(re.search(r'<p class="methods">(.*?)</p>', page, re.S).group(1))


def _tsv(workdir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(workdir / "results" / "qpcr" / name, sep="\t", dtype={"patient": str})


def test_patient_missing_a_timepoint_leaves_the_pairs_only(finished_qpcr_only: Path) -> None:
    """The session's qPCR-only study, whose Ct table lacks P06's pre sample."""
    workdir = finished_qpcr_only
    page = _report(workdir)
    unpaired = _tsv(workdir, "unpaired_samples.tsv")
    assert unpaired[["patient", "timepoint_present", "timepoint_missing"]].values.tolist() == [
        ["P06", "post", "pre"]
    ]
    fold_changes = _tsv(workdir, "fold_changes.tsv")
    assert fold_changes["patient"].nunique() == 39 and "P06" not in set(fold_changes["patient"])
    qc = _tsv(workdir, "replicate_qc.tsv")
    assert set(qc.loc[qc["patient"] == "P06", "timepoint"]) == {"post"}
    stability = _tsv(workdir, "reference_stability.tsv")
    assert set(stability["n_samples"]) == {79}  # 40 patients x 2 timepoints - P06 pre
    assert (stability["note"].fillna("") == "").all()  # no invented "left out" sample
    haemolysis = _tsv(workdir, "haemolysis.tsv")
    assert haemolysis.loc[haemolysis["patient"] == "P06", "timepoint"].tolist() == ["post"]
    assert (workdir / "results" / "survival" / "table1.tsv").stat().st_size > 0
    assert 'id="qpcr-unpaired-samples"' in page and "P06 (no pre)" in page
    assert "left out of that comparison's fold changes: P06 (no pre)" in _methods(page)


def _quantstudio(path: Path, wells: list[tuple[str, str, str, object]]) -> None:
    """A QuantStudio results export of (sample, target, task, Ct) wells."""
    rows = [
        f"{k + 1},{chr(65 + k // 12)}{k % 12 + 1},false,{s},{t},{task},FAM,{ct},N"
        for k, (s, t, task, ct) in enumerate(wells)
    ]
    info = ["Block Type,96-Well Block", "Instrument Type,QuantStudio 5 System", ""]
    header = "Well,Well Position,Omit,Sample Name,Target Name,Task,Reporter,CT,HIGHSD"
    path.write_text("\n".join([*info, header, *rows]) + "\n")


#: The case-control study: targets, references, the cases' Ct shift per target.
TARGETS = {"hsa-miR-143-3p": -1.5, "hsa-miR-223-3p": 0.0}
REFERENCES = ["hsa-miR-484", "hsa-miR-191-5p"]


def _case_control_plates(folder: Path) -> list[str]:
    """Two plates, 8 ESCC and 8 healthy subjects (E01-E08 on plate 1, H01-H08 on plate 2),
    a sample 'pilot' and a no-template control on each; returns the sample map's lines."""
    rng = np.random.default_rng(30)
    folder.mkdir()
    lines = ["sample\tpatient\ttimepoint\tgroup\texclude\ttask"]
    for plate, (prefix, group) in enumerate((("E", "ESCC"), ("H", "healthy")), start=1):
        wells = []
        for k in range(1, 9):
            subject = f"{prefix}{k:02d}"
            lines.append(f"{subject}\t{subject}\tserum\t{group}\t\t")
            for target in [*TARGETS, *REFERENCES]:
                base = 27 + rng.normal(0, 0.5) + (TARGETS.get(target, 0) if prefix == "E" else 0)
                wells += [(subject, target, "UNKNOWN", f"{base + rng.normal(0, 0.1):.3f}")] * 1
                wells += [(subject, target, "UNKNOWN", f"{base + rng.normal(0, 0.1):.3f}")]
        wells += [("pilot", t, "UNKNOWN", "24.0") for t in [*TARGETS, *REFERENCES]]
        wells += [("water", t, "NTC", "Undetermined") for t in TARGETS]
        _quantstudio(folder / f"plate{plate}.csv", wells)
    lines[lines.index("H07\tH07\tserum\thealthy\t\t")] = (
        "H07\tH07\tserum\thealthy\thaemolysed on inspection\t"
    )
    lines += ["pilot\t\t\t\tpilot dilution, not a subject\t", "water\t\t\t\t\tNTC"]
    return lines


def test_sample_map_excludes_samples_in_an_unpaired_multi_plate_study(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    lines = _case_control_plates(tmp_path / "plates")
    shutil.copytree(tmp_path / "plates", workdir / "plates")
    _qpcr_folder(
        workdir,
        drop=("survival",),
        ct_table=["plates/plate1.csv", "plates/plate2.csv"],
        format="quantstudio",
        sample_map="config/qpcr_samples.tsv",
        design="unpaired",
        groups={"case": "ESCC", "control": "healthy"},
        targets=list(TARGETS),
        reference_targets=REFERENCES,
        reference_candidates=[],
    )
    (workdir / "config" / "qpcr_samples.tsv").write_text("\n".join(lines) + "\n")
    page = _run(workdir)
    excluded = _tsv(workdir, "excluded_samples.tsv")
    assert sorted(zip(excluded["sample"], excluded["wells"], strict=True)) == [
        ("H07", 8),
        ("pilot", 4),
        ("pilot", 4),
    ]
    imported = _tsv(workdir, "ct_imported.tsv")
    assert not {"H07", "pilot"} & set(imported["sample"]) and imported["patient"].nunique() == 15
    comparison = _tsv(workdir, "group_comparison.tsv").set_index("target")
    assert comparison[["n_case", "n_control"]].values.tolist() == [[8, 7], [8, 7]]
    assert comparison.at["hsa-miR-143-3p", "fold_change"] > 2  # planted: 1.5 cycles lower
    assert _tsv(workdir, "fold_changes.tsv").empty  # unpaired: no per-patient fold changes
    assert 'id="qpcr-excluded-samples"' in page and 'id="qpcr-group-comparison"' in page
    methods = _methods(page)
    assert "H07: haemolysed on inspection" in methods
    assert "pilot: pilot dilution, not a subject" in methods
    assert "compared between two groups of subjects, ESCC and healthy" in methods


def test_qpcr_without_survival_runs_to_a_report(finished_qpcr_without_survival: Path) -> None:
    workdir = finished_qpcr_without_survival
    page = _report(workdir)
    assert _tsv(workdir, "fold_changes.tsv")["patient"].nunique() == 40
    assert (workdir / "results" / "qpcr" / "replicate_qc.tsv").stat().st_size > 0
    assert not (workdir / "results" / "survival").exists()
    assert 'id="survival"' not in page and 'id="qpcr-quality"' in page
    assert "Survival analysis</b>: not run; the configuration has no survival section" in page
    assert "No survival analysis was run" in _methods(page)
