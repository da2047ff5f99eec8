"""The survival analysis's part of the methods paragraph (:mod:`esccrt.report.methods`): the
statistics of Table 1, the markers as continuous covariates and the sample size, missing data,
sequencing markers, the diagnostic model and the marker Cox model at the landmarks, each block
of workflow/report/methods.md filled in from the validated config.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from esccrt.de.settings import arm_section
from esccrt.report.wording import Fill, words


def _diagnostic(surv: Mapping, fill: Fill) -> str:
    """The logistic model of early events, its ROC curve and its internal validation."""
    diagnostic = surv["diagnostic"]
    return fill(
        "diagnostic",
        endpoint=diagnostic["endpoint"],
        within=diagnostic["within"],
        time_unit=surv["time_unit"],
        predictors=words(diagnostic["predictors"]),
        bootstrap=diagnostic["bootstrap"],
        seed=diagnostic["seed"],
        cv_folds=diagnostic["cv_folds"],
        cv_repeats=diagnostic["cv_repeats"],
    )


def _sequencing_markers(config: Mapping, fill: Fill) -> str:
    """The small-RNA miRNAs whose change between timepoints is a marker beside the qPCR's."""
    return fill(
        "sequencing_markers",
        markers=", ".join(config["survival"]["sequencing_markers"]),
        pre=config["qpcr"]["pre"],
        post=config["qpcr"]["post"],
        size_factors=arm_section(config["diffexp"], "smallrna")["size_factors"],
    )


def _landmarks(surv: Mapping, fill: Fill) -> str:
    """The marker Cox model judged at the landmarks: time-dependent accuracy, decision curves,
    bootstrap-corrected calibration."""
    accuracy = fill(
        "landmarks",
        predictors=words(surv["diagnostic"]["predictors"]),
        landmarks=words([f"{t:g}" for t in surv["landmarks"]]),
        time_unit=surv["time_unit"],
        threshold_max=surv["decision_curve"]["threshold_max"],
        threshold_step=surv["decision_curve"]["threshold_step"],
    )
    calibration = fill(
        "calibration",
        bootstrap=surv["calibration"]["bootstrap"],
        seed=surv["diagnostic"]["seed"],
    )
    validated = surv["validate_model"]  # a locked model applied here, or this run's model locked
    locked = (
        fill("external_validation", model_file=validated) if validated else fill("locked_model")
    )
    return f"{accuracy} {calibration} {locked}"


def _survival_statistics(surv: Mapping, fill: Fill) -> str:
    """Multiplicity of Table 1, Harrell's C of the Cox models and the cut-off scan."""
    return fill(
        "survival_statistics",
        n_tests=len(surv["factors"]) * len(surv["endpoints"]),
        n_factors=len(surv["factors"]),
        n_endpoints=len(surv["endpoints"]),
        min_prop=surv["cutpoints"]["min_prop"],
        max_prop=surv["cutpoints"]["max_prop"],
    )


def _continuous(surv: Mapping, fill: Fill) -> str:
    """The markers as continuous covariates (linear and spline) and the sample size criteria."""
    size = surv["sample_size"]
    r2_source = (
        f"an anticipated Cox-Snell R2 of {size['r2_cs']}"
        if size["r2_cs"] is not None
        else "the Cox-Snell R2 of the markers' joint Cox model (from its likelihood-ratio "
        "statistic, adjusted for optimism by the shrinkage 1 - P/LR)"
    )
    return fill(
        "continuous_markers",
        knots=surv["continuous"]["knots"],
        endpoint=size["endpoint"] or surv["diagnostic"]["endpoint"],
        shrinkage=size["shrinkage"],
        r2_difference=size["r2_difference"],
        timepoint=size["timepoint"]
        if size["timepoint"] is not None
        else surv["diagnostic"]["within"],
        time_unit=surv["time_unit"],
        margin=size["margin"],
        r2_source=r2_source,
    )


def _missing_data(surv: Mapping, v: Callable[[str], str], fill: Fill) -> str:
    """Complete-case analyses, and the markers' multiple imputation when it ran."""
    text = fill("missing_data")
    block = surv["missing_data"]
    if block["method"] != "mice":
        return text
    mice = fill(
        "missing_data_mice",
        statsmodels=v("statsmodels"),
        donors=block["donors"],
        imputations=block["imputations"],
        iterations=block["iterations"],
        seed=block["seed"],
    )
    return f"{text} {mice}"


def _competing_risks(surv: Mapping, fill: Fill) -> str:
    """Competing risks of the endpoints naming a competing event (at least one does)."""
    named = [e for e in surv["endpoints"] if e["competing"]]
    blocks = {"finegray": "fine_gray_finegray", "crr": "fine_gray_crr"}
    return fill(
        "competing_risks",
        endpoints=words([e.get("label", e["name"]) for e in named]),
        competing=words(sorted({e["competing"] for e in named})),
        landmarks=words([f"{t:g}" for t in surv["landmarks"]]),
        time_unit=surv["time_unit"],
        estimator=fill(blocks[surv["competing_risks"]["estimator"]]),
    )


def survival_parts(config: Mapping, v: Callable[[str], str], fill: Fill) -> list[str]:
    """The survival methods, in paragraph order; ``v`` gives a package's version."""
    surv = config["survival"]
    parts = [
        _survival_statistics(surv, fill),
        _continuous(surv, fill),
        _missing_data(surv, v, fill),
    ]
    if surv.get("sequencing_markers"):
        parts.append(_sequencing_markers(config, fill))
    # .get: callers may pass config.yaml as written, without the schema's default ""
    if any(e.get("competing") for e in surv["endpoints"]):
        parts.append(_competing_risks(surv, fill))
    if surv.get("diagnostic"):
        parts += [_diagnostic(surv, fill), _landmarks(surv, fill)]
    return parts
