"""The report's part on the locked prognostic model: where it is locked (a development run) or
its external validation on this cohort (results/survival/external_validation.tsv, as the
survival stage wrote it)."""

from __future__ import annotations

from esccrt import paths
from esccrt.io import read_tsv
from esccrt.report.html import table
from esccrt.report.survival_accuracy import LISTED_THRESHOLD_STEP, on_step


def external_validation_part(validation_path: str) -> str:
    """The validation metrics and the net benefit at every ``LISTED_THRESHOLD_STEP`` threshold;
    a development run's table has no rows: the report says where the model was locked."""
    if not validation_path:
        return ""
    validation = read_tsv(validation_path)
    heading = "<h3>Locked prognostic model: external validation</h3>"
    if validation.empty:
        return (
            f"{heading}<p>Development run: the marker Cox model is locked in "
            f"{paths.SURVIVAL_PROGNOSTIC_MODEL} (coefficients, baseline survival at the "
            "landmarks, SHA-256). A run with <code>survival.validate_model</code> naming that "
            "file applies it unchanged to another cohort.</p>"
        )
    net_benefit = validation["metric"].str.startswith("net_benefit")
    listed = validation[net_benefit & on_step(validation["threshold"], LISTED_THRESHOLD_STEP)]
    return "".join(
        [
            heading,
            "<p>The locked model was applied unchanged to this cohort, nothing refitted: "
            "Harrell's and Uno's C (each with the standard error of survival::concordance, "
            "infinitesimal jackknife, and its 95 % Wald interval) and the calibration slope "
            "over the whole follow-up; at each "
            "landmark the cumulative/dynamic AUC, Brier score, IPA and calibration-in-the-large "
            "(observed Kaplan-Meier risk vs mean predicted risk, O/E ratio).</p>",
            table(validation[~net_benefit], "external_validation", searchable=False, digits=3),
            f"<details><summary>Net benefit at thresholds in steps of {LISTED_THRESHOLD_STEP:g} "
            f"({len(listed)} rows)</summary>"
            f"{table(listed, 'external_net_benefit', digits=3)}</details>",
        ]
    )
