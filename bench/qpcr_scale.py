"""Section ``qpcr_scale``: the qPCR rules on a cohort-sized study (issue 30, item 7).

The cohort of bench/qpcr_cohort.py (default 1,000 patients x pre/post x 10 assays x 3 wells on
30 OpenArray plates with 2 inter-run calibrators each: 61,800 wells, 30 QuantStudio exports,
every plate offset per assay by up to +-0.5 cycles, every 10th patient's post sample on the
next plate) goes through the workflow's own rules ``qpcr_import_ct`` (exports + sample map ->
long Ct table, control wells), ``qpcr_interrun_calibration`` (qBase+ factors from the
calibrators, config ``qpcr.interrun_calibration``) and ``qpcr_fold_changes`` (replicate, well
and sample QC, reference stability, haemolysis, relative quantities and fold changes with SE
and CI), run by Snakemake in a qPCR-only bench folder (the repository's qPCR settings, the
survival section as configured but not run), pinned to ``threads`` CPUs. Time and memory per
rule come from the rules' Snakemake benchmark files (``s``, ``max_rss``); the whole
``snakemake`` command (start-up, DAG build, sample-map validation) from GNU time. Before any
figure is kept, the outputs are checked against the generated wells (:func:`check_outputs`).
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
JOBS = {
    "qpcr/import_ct.tsv": "qpcr_import_ct",
    "qpcr/interrun_calibration.tsv": "qpcr_interrun_calibration",
    "qpcr/fold_changes.tsv": "qpcr_fold_changes",
}
TARGETS = [paths.QPCR_CT_IMPORTED, paths.QPCR_FOLD_CHANGES]
#: The inter-run calibration the bench runs (qBase+ from the cohort's calibrators).
CALIBRATION_METHOD = "qbase"
#: Fold changes recomputed here must equal the rule's to this relative difference; also the
#: largest difference, in cycles, between computations that must agree exactly (float sums).
FOLD_CHANGE_RTOL = 1e-9
#: The calibration rule's benchmark file, timed once more with method ruijter.
RUIJTER_JOB = "qpcr/interrun_calibration.tsv"


def write_folder(
    folder: Path,
    cohort: qpcr_cohort.Cohort,
    design: qpcr_cohort.CohortDesign,
    method: str = CALIBRATION_METHOD,
) -> dict:
    """A qPCR-only bench folder reading the cohort's exports, calibrated by ``method`` from the
    cohort's calibrators; returns its qpcr section."""
    config = yaml.safe_load((rules.REPO / "config" / "config.yaml").read_text())
    for section in ("smallrna", "mrna"):
        config.pop(section, None)
    qpcr = {
        **config["qpcr"],
        "ct_table": [str(p) for p in cohort.plates],
        "format": "quantstudio",
        "sample_map": str(cohort.sample_map),
        "interrun_calibration": {
            "method": method,
            "calibrators": qpcr_cohort.calibrator_ids(design),
        },
    }
    survival = {**config["survival"], "clinical": str(rules.REPO / "config" / "clinical.tsv")}
    config.update(demo=False, samples="", units="", qpcr=qpcr, survival=survival)
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return qpcr


def censored_cq(truth: pd.DataFrame, limit: float) -> pd.Series:
    """The written Cq with wells without a Cq or beyond ``limit`` at the limit (set_to_limit:
    the limit applies to the measured Cq, calibrated or not)."""
    return truth["cq"].fillna(limit).clip(upper=limit)


def calibration_residuals(truth: pd.DataFrame) -> pd.Series:
    """e(plate, target): what qBase+ estimates of a plate's offset beyond the true one.

    qBase+ takes a plate's offset as the calibrators' mean Cq on it minus their mean over the
    plates; the written Cq are plate-effect-free Cq + offset, so the estimate is the true
    offset (centred over plates) + e, e being the same computation on the calibrators'
    plate-effect-free Cq: their own technical scatter between plates (0 for exact calibrators).
    """
    wells = truth[truth["calibrator"]]
    means = wells.groupby(["target", "patient", "plate"])["true_cq"].mean()
    offsets = means - means.groupby(level=["target", "patient"]).transform("mean")
    return offsets.groupby(level=["plate", "target"]).mean().rename("residual")


def expected_fold_changes(
    truth: pd.DataFrame, qpcr: Mapping, cq: pd.Series | None = None
) -> pd.DataFrame:
    """2^-ddCt per patient and target straight from the generated wells (pandas, no esccrt):
    the wells' ``cq`` (default: as written, those without a Cq or beyond ``ct_limit`` at the
    limit), the replicates' mean, the mean of the references' means, ddCt = dCt(post) -
    dCt(pre)."""
    if qpcr["undetermined"] != "set_to_limit" or qpcr["remove_outliers"] or qpcr["efficiencies"]:
        raise ValueError(
            "the direct computation implements set_to_limit, no outlier removal, Livak only"
        )
    if cq is None:
        cq = censored_cq(truth, float(qpcr["ct_limit"]))
    means = truth.assign(cq=cq).groupby(["patient", "timepoint", "target"])["cq"].mean().unstack()
    reference = means[list(qpcr["reference_targets"])].mean(axis=1)
    delta = means[list(qpcr["targets"])].sub(reference, axis=0)
    ddct = delta.xs(qpcr["post"], level="timepoint") - delta.xs(qpcr["pre"], level="timepoint")
    return (2.0**-ddct).stack().rename("fold_change").rename_axis(["patient", "target"])


def _check_import(folder: Path, truth: pd.DataFrame, qpcr: Mapping, plates: int) -> list[str]:
    """Imported table well by well as generated (calibrators included); one NTC per assay and
    plate, exactly one amplified."""
    imported = pd.read_csv(folder / paths.QPCR_CT_IMPORTED, sep="\t", dtype={"ct": str})
    controls = pd.read_csv(folder / paths.QPCR_CONTROL_WELLS, sep="\t")
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
    if (imported["ct"] == qpcr["undetermined_tokens"][0]).sum() != truth["cq"].isna().sum():
        problems.append("imported wells without Cq differ from the generated")
    ntc_wells = plates * len(qpcr_cohort.ASSAYS)
    if len(controls) != ntc_wells or controls["amplified"].sum() != 1:
        problems.append(f"control wells: {len(controls)}, amplified {controls['amplified'].sum()}")
    return problems


def _check_factors(folder: Path, truth: pd.DataFrame, residual: pd.Series) -> tuple[list, float]:
    """Each plate's and target's Cq shift = -(true offset, centred over plates, + e): to
    FOLD_CHANGE_RTOL cycles; returns the problems and the largest |shift + centred offset|."""
    factors = pd.read_csv(folder / paths.QPCR_INTERRUN_FACTORS, sep="\t")
    imported = pd.read_csv(folder / paths.QPCR_CT_IMPORTED, sep="\t", usecols=["file", "plate"])
    number = truth.groupby("file")["plate"].first()
    label = (
        imported.drop_duplicates("plate")
        .set_index("plate")["file"]
        .map(lambda f: number[Path(f).name])
    )
    factors["plate"] = factors["plate"].map(label)
    shift = factors.set_index(["plate", "target"])["cq_shift"].sort_index()
    offset = truth.groupby(["plate", "target"])["plate_offset"].first()
    centred = offset - offset.groupby(level="target").transform("mean")
    expected = -(centred + residual).reindex(shift.index)
    problems = []
    if len(shift) != len(offset) or shift.index.has_duplicates:
        problems.append(f"{len(shift)} calibration factors for {len(offset)} plates x targets")
    gap = float(np.nanmax(np.abs(shift - expected)))
    if expected.isna().any() or gap > FOLD_CHANGE_RTOL:
        problems.append(f"Cq shifts differ from -(plate offset + e) by up to {gap:.2e} cycles")
    return problems, float(np.abs(shift + centred.reindex(shift.index)).max())


def _check_qc(folder: Path, patients: pd.DataFrame) -> list[str]:
    """Well QC: one row per patient well; sample QC: one row per sample; every patient and
    target in the relative quantities."""
    well_qc = pd.read_csv(folder / paths.QPCR_WELL_QC, sep="\t")
    sample_qc = pd.read_csv(folder / paths.QPCR_SAMPLE_QC, sep="\t")
    haemolysis = pd.read_csv(folder / paths.QPCR_HAEMOLYSIS, sep="\t")
    samples = patients.drop_duplicates(["patient", "timepoint"])
    problems = []
    if len(well_qc) != len(patients):
        problems.append(f"well QC: {len(well_qc)} rows for {len(patients)} wells")
    if len(sample_qc) != len(samples) or sample_qc.duplicated(["patient", "timepoint"]).any():
        problems.append(f"sample QC: {len(sample_qc)} rows for {len(samples)} samples")
    if len(haemolysis) != len(samples):
        problems.append(f"{len(haemolysis)} haemolysis rows for {len(samples)} samples")
    return problems


def check_outputs(
    folder: Path, cohort: qpcr_cohort.Cohort, qpcr: Mapping, design: qpcr_cohort.CohortDesign
) -> dict:
    """The rules' outputs against the generated cohort; raises on any difference.

    Import: one row per unknown well (calibrators included), Cts as written; one NTC per assay
    and plate, exactly one amplified. Calibration: each Cq shift is minus the plate's offset
    (centred over plates) minus e (:func:`calibration_residuals`). Fold changes: one row per
    patient and target, equal to :func:`expected_fold_changes` on the plate-effect-free Cq
    shifted by -e (calibrator wells left out) to FOLD_CHANGE_RTOL; against the plate-effect-free
    Cq alone they differ by 0 where pre and post share a plate (the offset cancels), else by at
    most 4 max|e| cycles (|e_t(post) - e_t(pre) - mean over references of the same|).
    QC: one well-QC row per patient well, one sample-QC and haemolysis row per sample.
    Returns what was checked and the measured differences.
    """
    truth = qpcr_cohort.read_truth(cohort)
    patients = truth[~truth["calibrator"]]
    fold = pd.read_csv(folder / paths.QPCR_FOLD_CHANGES, sep="\t")
    problems = _check_import(folder, truth, qpcr, len(cohort.plates))
    residual = calibration_residuals(truth)
    factor_problems, shift_vs_offset = _check_factors(folder, truth, residual)
    problems += factor_problems + _check_qc(folder, patients)
    n_patients, n_targets = patients["patient"].nunique(), len(qpcr["targets"])
    if len(fold) != n_patients * n_targets or fold.duplicated(["patient", "target"]).any():
        problems.append(f"{len(fold)} fold-change rows for {n_patients} x {n_targets}")
    # the plate-effect-free Cq; a censored well at the limit as its plate measured it
    plate_free = censored_cq(patients, float(qpcr["ct_limit"])) - patients["plate_offset"]
    e = pd.MultiIndex.from_arrays([patients["plate"], patients["target"]]).map(residual)
    expected = expected_fold_changes(patients, qpcr, plate_free - np.asarray(e, dtype=float))
    ours = fold.set_index(["patient", "target"])["fold_change"].reindex(expected.index)
    difference = float(np.nanmax(np.abs(ours / expected - 1.0)))
    if ours.isna().any() or difference > FOLD_CHANGE_RTOL:
        problems.append(
            f"fold changes differ from the direct computation by up to {difference:.2e} "
            f"(allowed {FOLD_CHANGE_RTOL:.0e}; {int(ours.isna().sum())} missing)"
        )
    split = patients.groupby("patient")["plate"].nunique().gt(1)
    split = split.reindex(ours.index.get_level_values("patient")).to_numpy()
    free = expected_fold_changes(patients, qpcr, plate_free)
    uncalibrated = expected_fold_changes(patients, qpcr)
    cycles = np.abs(np.log2(ours / free)).to_numpy()
    raw_cycles = np.abs(np.log2(uncalibrated / free)).to_numpy()
    bound = 4 * float(residual.abs().max())
    if cycles[~split].max() > FOLD_CHANGE_RTOL or cycles[split].max() > bound + FOLD_CHANGE_RTOL:
        problems.append(
            f"fold changes vs plate-effect-free Cq: {cycles[~split].max():.2e} cycles (one "
            f"plate), {cycles[split].max():.3f} (two plates; allowed 4 max|e| = {bound:.3f})"
        )
    if problems:
        raise RuntimeError(
            "qPCR scale run: outputs disagree with the cohort: " + "; ".join(problems)
        )
    haemolysis = pd.read_csv(folder / paths.QPCR_HAEMOLYSIS, sep="\t")
    sample_keys = ["patient", "timepoint"]
    simulated = set(patients.loc[patients["haemolysed"], sample_keys].itertuples(index=False))
    flagged = haemolysis[haemolysis["status"] == "haemolysed"]
    found = set(flagged[sample_keys].itertuples(index=False))
    return {
        "wells": len(truth),
        "patient_wells": len(patients),
        "calibrator_wells": int(truth["calibrator"].sum()),
        "undetermined_wells": int(truth["cq"].isna().sum()),
        "ntc_wells": len(cohort.plates) * len(qpcr_cohort.ASSAYS),
        "fold_change_rows": len(fold),
        "split_patients": int(split.sum() // n_targets),
        "max_fold_change_rel_difference": difference,
        "max_calibrator_residual_cycles": float(residual.abs().max()),
        "max_shift_vs_true_offset_cycles": shift_vs_offset,
        "max_cycles_vs_plate_free_same_plate": float(cycles[~split].max()),
        "max_cycles_vs_plate_free_split": float(cycles[split].max()),
        "max_cycles_vs_plate_free_split_uncalibrated": float(raw_cycles[split].max()),
        "haemolysed_simulated": len(simulated),
        "haemolysed_flagged": len(found),
        "haemolysed_flagged_and_simulated": len(found & simulated),
    }


def check_ruijter_factors(folder: Path, qbase: pd.DataFrame) -> float:
    """Ruijter's factors (one per plate) against the qBase+ factors of the same run.

    With the calibrators as the only overlap, every calibrator on every plate with all its
    wells and one weight per (target, calibrator), rdmlpython's plate ratio is the geometric
    mean of the calibrators' quantity ratios, so a plate's Cq shift is the mean over targets of
    its qBase+ shifts: asserted to FOLD_CHANGE_RTOL cycles. Returns the largest difference."""
    ruijter = pd.read_csv(folder / paths.QPCR_INTERRUN_FACTORS, sep="\t")
    if not ruijter["method"].str.startswith("Ruijter").all():
        raise RuntimeError("the Ruijter run wrote factors of another method")
    theirs = ruijter.groupby("plate")["cq_shift"].agg(["min", "max"])
    if not np.allclose(theirs["min"], theirs["max"], rtol=0, atol=FOLD_CHANGE_RTOL):
        raise RuntimeError("Ruijter's factors differ between the targets of a plate")
    expected = qbase.groupby("plate")["cq_shift"].mean()
    gap = float(np.abs(theirs["min"] - expected.reindex(theirs.index)).max())
    if not np.isfinite(gap) or gap > FOLD_CHANGE_RTOL:
        raise RuntimeError(
            f"Ruijter's Cq shifts differ from the plates' mean qBase+ shifts by up to {gap:.2e}"
        )
    return gap


def measure_ruijter(
    folder: Path, cohort: qpcr_cohort.Cohort, design: qpcr_cohort.CohortDesign, s: Settings
) -> tuple[list[rules.RuleRun], float]:
    """The calibration rule alone with method ruijter (after the qBase+ runs, whose factors it
    is checked against): its runs and the largest difference of :func:`check_ruijter_factors`."""
    qbase = pd.read_csv(folder / paths.QPCR_INTERRUN_FACTORS, sep="\t")
    write_folder(folder, cohort, design, method="ruijter")
    runs = []
    for _ in range(max(1, s.reps)):
        run = rules.run_rules(
            folder,
            s.threads,
            [paths.QPCR_CT_CALIBRATED],
            log=s.work / "qpcr_scale" / "runs.log",
            forcerun=["qpcr_interrun_calibration"],
            # the import's params hold the whole qpcr section: the method's change would
            # rerun it, though its output cannot change
            extra=["--rerun-triggers", "mtime"],
        )
        rules.check_jobs(run.rules, [RUIJTER_JOB])
        runs.append(run)
    return runs, check_ruijter_factors(folder, qbase)


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
    """The three qPCR rules on the simulated cohort: time and memory per rule and in total."""
    work = s.work / "qpcr_scale"
    design = qpcr_cohort.CohortDesign(patients=s.qpcr_patients, plates=s.qpcr_plates)
    cohort = qpcr_cohort.generate(work / f"cohort_{design.patients}x{design.plates}", design)
    folder = work / "run"
    qpcr = write_folder(folder, cohort, design)
    log = work / "runs.log"
    cores = s.threads
    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(max(1, s.reps)):
        run = rules.run_rules(folder, cores, TARGETS, log=log, forcerun=["qpcr_import_ct"])
        rules.check_jobs(run.rules, JOBS)
        runs.append(run)
    load = (load_before, os.getloadavg()[0])
    checked = check_outputs(folder, cohort, qpcr, design)  # before any figure is kept
    size = (
        f"{design.patients:,} patients x pre/post x {len(qpcr_cohort.ASSAYS)} assays x "
        f"{design.replicates} wells + {design.calibrators} calibrators per plate = "
        f"{checked['wells']:,} wells on {design.plates} QuantStudio 12K Flex OpenArray exports "
        f"(plate offsets within +-{design.plate_effect} cycles per assay; "
        f"{checked['split_patients']} patients' pre and post on two plates)"
    )
    rows, raw = _rule_rows(runs, size, cores)
    ruijter_runs, ruijter_gap = measure_ruijter(folder, cohort, design, s)
    ruijter_seconds = [r.rules.jobs[RUIJTER_JOB] for r in ruijter_runs]
    ruijter_peaks = [r.rules.job_peaks_mb[RUIJTER_JOB] for r in ruijter_runs]
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
        ruijter={
            "seconds": ruijter_seconds,
            "peak_mb": ruijter_peaks,
            "max_shift_difference_vs_qbase_mean": ruijter_gap,
        },
    )
    rows.append(
        Row(
            f"qPCR at scale: import + calibration + QC + fold changes, {cores} cores",
            size,
            f"{fmt_seconds(harness.median(total))} (sum of the 3 jobs' benchmark files; CPU "
            f"{fmt_seconds(harness.median(cpu))}, Snakemake's samples); whole snakemake command "
            f"{fmt_seconds(harness.median(command))}",
            peak=fmt_mb(peak),
            note=_total_note(checked, within, load, cores, len(runs)),
        )
    )
    rows.append(
        Row(
            f"qPCR at scale: rule qpcr_interrun_calibration with method ruijter, {cores} cores",
            size,
            f"{fmt_seconds(harness.median(ruijter_seconds))} (its benchmark file)",
            peak=fmt_mb(max(ruijter_peaks)),
            note=(
                "Ruijter et al. 2015 (rdmlpython interRunCorr) on the calibrators: one factor "
                "per plate, its Cq shift equal to the mean over targets of the plate's qBase+ "
                f"shifts within {ruijter_gap:.0e} cycles (asserted; per-assay plate offsets "
                "stay, so not used for the fold changes above); not part of the total; median "
                f"of {len(ruijter_runs)} runs"
            ),
        )
    )
    return rows, raw


def _total_note(checked: dict, within: bool, load: tuple, cores: int, runs: int) -> str:
    """The total row's note: budget, load, and what the outputs were asserted to be."""
    return (
        f"budget {BUDGET_SECONDS:.0f} s and {BUDGET_MB:.0f} MB: "
        f"{'met' if within else 'NOT met'} (load average {load[0]:.1f} before, "
        f"{load[1]:.1f} after: above {cores}, wall times are upper bounds); inter-run "
        f"calibration qBase+ from {checked['calibrator_wells']:,} calibrator wells; outputs "
        f"asserted: {checked['wells']:,} Ct rows well by well as generated "
        f"({checked['undetermined_wells']} without Cq), {checked['ntc_wells']} NTC wells "
        "(1 amplified); every Cq shift = -(plate offset + the calibrators' own scatter e) "
        f"within 1e-9 cycles (shift vs true offset up to "
        f"{checked['max_shift_vs_true_offset_cycles']:.3f}); {checked['fold_change_rows']:,} "
        "fold changes (patients x targets) equal to a direct pandas 2^-ddCt within "
        f"{checked['max_fold_change_rel_difference']:.0e}; against the plate-effect-free Cq: "
        f"{checked['max_cycles_vs_plate_free_same_plate']:.0e} cycles where pre and post share "
        f"a plate, up to {checked['max_cycles_vs_plate_free_split']:.3f} cycles for the "
        f"{checked['split_patients']} patients on two plates (bound 4 max|e| = "
        f"{4 * checked['max_calibrator_residual_cycles']:.3f}; uncalibrated "
        f"{checked['max_cycles_vs_plate_free_split_uncalibrated']:.3f}); well QC one row per "
        f"well ({checked['patient_wells']:,}), sample QC and haemolysis one per sample; "
        f"haemolysis flags {checked['haemolysed_flagged']} samples, "
        f"{checked['haemolysed_flagged_and_simulated']} of the "
        f"{checked['haemolysed_simulated']} simulated; median of {runs} runs"
    )
