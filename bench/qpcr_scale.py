"""Section ``qpcr_scale``: the qPCR rules on a cohort-sized study (issue 30, item 7).

The cohort of bench/qpcr_cohort.py (default 1,000 patients x pre/post x 10 assays x 3 wells on
30 OpenArray plates: 60,000 wells, 30 QuantStudio exports) goes through the workflow's own rules
``qpcr_import_ct`` (exports + sample map -> long Ct table, control wells) and
``qpcr_fold_changes`` (replicate QC, reference stability, haemolysis, fold changes), run by
Snakemake in a qPCR-only bench folder (the repository's qPCR settings, the survival section as
configured but not run), pinned to ``threads`` CPUs. Time and memory per rule come from the
rules' Snakemake benchmark files (``s``, ``max_rss``); the whole ``snakemake`` command (start-up,
DAG build, sample-map validation) from GNU time. Before any figure is kept, the outputs are
checked against the generated wells (:func:`check_outputs`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import harness
import numpy as np
import pandas as pd
import qpcr_cohort
import rules
import yaml
from esccrt import paths
from harness import Row, fmt_mb, fmt_seconds
from settings import Settings

#: The budget of issue 30, item 7 (2 cores).
BUDGET_SECONDS = 30.0
BUDGET_MB = 1024.0
#: The qPCR jobs (benchmark files) of a timed run.
JOBS = {"qpcr/import_ct.tsv": "qpcr_import_ct", "qpcr/fold_changes.tsv": "qpcr_fold_changes"}
TARGETS = [paths.QPCR_CT_IMPORTED, paths.QPCR_FOLD_CHANGES]
#: Fold changes recomputed here must equal the rule's to this relative difference.
FOLD_CHANGE_RTOL = 1e-9


def write_folder(folder: Path, cohort: qpcr_cohort.Cohort) -> dict:
    """A qPCR-only bench folder reading the cohort's exports; returns its qpcr section."""
    config = yaml.safe_load((rules.REPO / "config" / "config.yaml").read_text())
    for section in ("smallrna", "mrna"):
        config.pop(section, None)
    qpcr = {
        **config["qpcr"],
        "ct_table": [str(p) for p in cohort.plates],
        "format": "quantstudio",
        "sample_map": str(cohort.sample_map),
    }
    survival = {**config["survival"], "clinical": str(rules.REPO / "config" / "clinical.tsv")}
    config.update(demo=False, samples="", units="", qpcr=qpcr, survival=survival)
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return qpcr


def expected_fold_changes(truth: pd.DataFrame, qpcr: Mapping) -> pd.DataFrame:
    """2^-ddCt per patient and target straight from the generated wells (pandas, no esccrt):
    wells without a Cq or beyond ``ct_limit`` at the limit, the replicates' mean, the mean of
    the references' means, ddCt = dCt(post) - dCt(pre)."""
    if qpcr["undetermined"] != "set_to_limit" or qpcr["remove_outliers"] or qpcr["efficiencies"]:
        raise ValueError(
            "the direct computation implements set_to_limit, no outlier removal, Livak only"
        )
    limit = float(qpcr["ct_limit"])
    cq = truth["cq"].fillna(limit).clip(upper=limit)
    means = truth.assign(cq=cq).groupby(["patient", "timepoint", "target"])["cq"].mean().unstack()
    reference = means[list(qpcr["reference_targets"])].mean(axis=1)
    delta = means[list(qpcr["targets"])].sub(reference, axis=0)
    ddct = delta.xs(qpcr["post"], level="timepoint") - delta.xs(qpcr["pre"], level="timepoint")
    return (2.0**-ddct).stack().rename("fold_change").rename_axis(["patient", "target"])


def check_outputs(folder: Path, cohort: qpcr_cohort.Cohort, qpcr: Mapping) -> dict:
    """The rules' outputs against the generated cohort; raises on any difference.

    Imported table: one row per unknown well, Cts as written; control wells: one NTC per assay
    and plate, exactly one amplified; fold changes: one row per patient and target, each equal
    to :func:`expected_fold_changes`; haemolysis: one row per sample. Returns what was checked.
    """
    truth = qpcr_cohort.read_truth(cohort)
    imported = pd.read_csv(folder / paths.QPCR_CT_IMPORTED, sep="\t", dtype={"ct": str})
    controls = pd.read_csv(folder / paths.QPCR_CONTROL_WELLS, sep="\t")
    fold = pd.read_csv(folder / paths.QPCR_FOLD_CHANGES, sep="\t")
    haemolysis = pd.read_csv(folder / paths.QPCR_HAEMOLYSIS, sep="\t")
    patients = truth["patient"].nunique()
    problems = []
    keys = ["patient", "timepoint", "target"]
    written = pd.to_numeric(imported["ct"], errors="coerce").to_numpy()
    if len(imported) != len(truth) or not (
        imported[keys].equals(truth[keys])
        and np.array_equal(written, truth["cq"].to_numpy(), equal_nan=True)
    ):
        problems.append(
            f"imported {len(imported)} Ct rows, generated {len(truth)} wells: not the same "
            "patient, timepoint, target and Cq well by well"
        )
    undetermined = int((imported["ct"] == qpcr["undetermined_tokens"][0]).sum())
    if undetermined != int(truth["cq"].isna().sum()):
        problems.append(f"{undetermined} imported wells without Cq, generated otherwise")
    ntc_wells = len(cohort.plates) * len(qpcr_cohort.ASSAYS)
    if len(controls) != ntc_wells or controls["amplified"].sum() != 1:
        problems.append(f"control wells: {len(controls)}, amplified {controls['amplified'].sum()}")
    if len(fold) != patients * len(qpcr["targets"]) or fold.duplicated(["patient", "target"]).any():
        problems.append(f"{len(fold)} fold-change rows for {patients} x {len(qpcr['targets'])}")
    if len(haemolysis) != 2 * patients:
        problems.append(f"{len(haemolysis)} haemolysis rows for {2 * patients} samples")
    expected = expected_fold_changes(truth, qpcr)
    ours = fold.set_index(["patient", "target"])["fold_change"].reindex(expected.index)
    difference = float(np.nanmax(np.abs(ours / expected - 1.0)))
    if ours.isna().any() or difference > FOLD_CHANGE_RTOL:
        problems.append(
            f"fold changes differ from the direct computation by up to {difference:.2e} "
            f"(allowed {FOLD_CHANGE_RTOL:.0e}; {int(ours.isna().sum())} missing)"
        )
    if problems:
        raise RuntimeError(
            "qPCR scale run: outputs disagree with the cohort: " + "; ".join(problems)
        )
    sample_keys = ["patient", "timepoint"]
    simulated = set(truth.loc[truth["haemolysed"], sample_keys].itertuples(index=False))
    flagged = haemolysis[haemolysis["status"] == "haemolysed"]
    found = set(flagged[["patient", "timepoint"]].itertuples(index=False))
    return {
        "wells": len(truth),
        "undetermined_wells": undetermined,
        "ntc_wells": ntc_wells,
        "fold_change_rows": len(fold),
        "max_fold_change_rel_difference": difference,
        "haemolysed_simulated": len(simulated),
        "haemolysed_flagged": len(found),
        "haemolysed_flagged_and_simulated": len(found & simulated),
    }


def _rule_rows(runs: list[rules.RuleRun], size: str, cores: int) -> tuple[list[Row], dict]:
    """One row per rule: median wall (its benchmark file) and largest max_rss over the runs."""
    rows, raw = [], {}
    for job, rule in JOBS.items():
        seconds = [r.rules.jobs[job] for r in runs]
        peaks = [r.rules.job_peaks_mb[job] for r in runs]
        raw[rule] = {"seconds": seconds, "peak_mb": peaks}
        rows.append(
            Row(
                f"qPCR at scale: rule {rule}, {cores} cores",
                size,
                f"{fmt_seconds(harness.median(seconds))} (its benchmark file)",
                peak=fmt_mb(max(peaks)),
                note=f"median of {len(runs)} runs",
            )
        )
    return rows, raw


def qpcr_scale(s: Settings) -> tuple[list[Row], dict]:
    """The two qPCR rules on the simulated cohort: time and memory per rule and in total."""
    work = s.work / "qpcr_scale"
    design = qpcr_cohort.CohortDesign(patients=s.qpcr_patients, plates=s.qpcr_plates)
    cohort = qpcr_cohort.generate(work / f"cohort_{design.patients}x{design.plates}", design)
    folder = work / "run"
    qpcr = write_folder(folder, cohort)
    log = work / "runs.log"
    cores = s.threads
    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(max(1, s.reps)):
        run = rules.run_rules(folder, cores, TARGETS, log=log, forcerun=["qpcr_import_ct"])
        rules.check_jobs(run.rules, JOBS)
        runs.append(run)
    load = (load_before, os.getloadavg()[0])
    checked = check_outputs(folder, cohort, qpcr)  # before any figure is kept
    size = (
        f"{design.patients:,} patients x pre/post x {len(qpcr_cohort.ASSAYS)} assays x "
        f"{design.replicates} wells = {checked['wells']:,} wells on {design.plates} "
        "QuantStudio 12K Flex OpenArray exports"
    )
    rows, raw = _rule_rows(runs, size, cores)
    total = [r.rules.seconds for r in runs]
    cpu = [r.rules.cpu_seconds for r in runs]
    command = [r.command.seconds for r in runs]
    peak = max(r.rules.peak_mb for r in runs)
    within = harness.median(total) <= BUDGET_SECONDS and peak <= BUDGET_MB
    raw.update(
        design=asdict(design),
        agreement=checked,
        total_seconds=total,
        cpu_seconds=cpu,
        command_seconds=command,
        peak_mb=peak,
        within_budget=within,
        load_average_1min=load,
    )
    rows.append(
        Row(
            f"qPCR at scale: import + QC + fold changes, {cores} cores",
            size,
            f"{fmt_seconds(harness.median(total))} (sum of the 2 jobs' benchmark files; CPU "
            f"{fmt_seconds(harness.median(cpu))}, Snakemake's samples); whole snakemake command "
            f"{fmt_seconds(harness.median(command))}",
            peak=fmt_mb(peak),
            note=(
                f"budget {BUDGET_SECONDS:.0f} s and {BUDGET_MB:.0f} MB: "
                f"{'met' if within else 'NOT met'} (load average {load[0]:.1f} before, "
                f"{load[1]:.1f} after: above {cores}, wall times are upper bounds); outputs "
                f"asserted: {checked['wells']:,} Ct rows well by well as generated "
                f"({checked['undetermined_wells']} without Cq), {checked['ntc_wells']} NTC wells "
                f"(1 amplified), {checked['fold_change_rows']:,} fold changes (patients x "
                "targets) equal to a direct pandas 2^-ddCt from the generated Cq within "
                f"{checked['max_fold_change_rel_difference']:.0e}; haemolysis flags "
                f"{checked['haemolysed_flagged']} samples, "
                f"{checked['haemolysed_flagged_and_simulated']} of the "
                f"{checked['haemolysed_simulated']} simulated; no inter-run calibration (not in "
                f"the workflow yet); median of {len(runs)} runs"
            ),
        )
    )
    return rows, raw
