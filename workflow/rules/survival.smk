# Survival: clinical table + qPCR fold changes -> Table 1 (log-rank, BH q-values), Kaplan-Meier,
# Cox models (Harrell's C), the markers' continuous Cox models (linear and spline), Riley et al.'s
# minimum sample size, diagnostic ROC (DeLong CI, optimism-corrected and cross-validated AUC), the
# fold-change cut-off scan (maximally selected log-rank), the marker Cox model's time-dependent
# accuracy, decision curves and bootstrap-corrected calibration at the landmarks, the missing
# values per variable (and, with survival.missing_data.method mice, the markers' Cox models
# pooled over imputed data sets), competing risks (Aalen-Johansen cumulative incidence,
# Fine-Gray), and their figures. Included only when a Ct table is configured.
# With survival.sequencing_markers, rule survival_sequencing_markers first turns the small-RNA
# arm's normalised counts (DE stage) into per-patient fold changes read beside the qPCR's.
# Needs from common.smk: paths, config.


rule survival_analysis:
    input:
        clinical=config["survival"]["clinical"],
        fold_changes=paths.QPCR_FOLD_CHANGES,
        haemolysis=paths.QPCR_HAEMOLYSIS,
        unpaired=paths.QPCR_UNPAIRED_SAMPLES,
        # survival.sequencing_markers: small-RNA miRNAs' changes, markers named seq:<miRNA>
        sequencing_fold_changes=(
            paths.SURVIVAL_SEQUENCING_FOLD_CHANGES
            if config["survival"]["sequencing_markers"]
            else []
        ),
        # survival.validate_model: the locked model applied to this cohort (none: develop one)
        locked_model=config["survival"]["validate_model"] or [],
    output:
        table1=report(
            paths.SURVIVAL_TABLE1,
            caption="../report/survival_table1.rst",
            category="Survival",
        ),
        table1_md=paths.SURVIVAL_TABLE1_MD,
        groups=paths.SURVIVAL_GROUPS,
        logrank=paths.SURVIVAL_LOGRANK,
        km_medians=paths.SURVIVAL_KM_MEDIANS,
        cox=report(
            paths.SURVIVAL_COX,
            caption="../report/survival_cox.rst",
            category="Survival",
        ),
        roc=paths.SURVIVAL_ROC,
        auc=paths.SURVIVAL_AUC,
        maxstat=paths.SURVIVAL_MAXSTAT,
        cutoff_scan=paths.SURVIVAL_CUTOFF_SCAN,
        cutoffs=paths.SURVIVAL_CUTOFFS,
        continuous=paths.SURVIVAL_CONTINUOUS,
        sample_size=paths.SURVIVAL_SAMPLE_SIZE,
        predicted_risks=paths.SURVIVAL_PREDICTED_RISKS,
        time_accuracy=paths.SURVIVAL_TIME_ACCURACY,
        decision_curves=paths.SURVIVAL_DECISION_CURVES,
        prognostic_model=paths.SURVIVAL_PROGNOSTIC_MODEL,
        external_validation=paths.SURVIVAL_EXTERNAL_VALIDATION,
        calibration=paths.SURVIVAL_CALIBRATION,
        calibration_curve=paths.SURVIVAL_CALIBRATION_CURVE,
        missingness=paths.SURVIVAL_MISSINGNESS,
        mice_pooled=paths.SURVIVAL_MICE_POOLED,
        competing_risks=paths.SURVIVAL_COMPETING_RISKS,
        cumulative_incidence=paths.SURVIVAL_CUMULATIVE_INCIDENCE,
        incidence_curves=paths.SURVIVAL_INCIDENCE_CURVES,
        plots=report(
            SURVIVAL_PLOTS,
            caption="../report/survival_plots.rst",
            category="Survival",
        ),
    log:
        "results/logs/survival/analysis.log",
    benchmark:
        "results/benchmarks/survival/analysis.tsv"
    group:
        "survival"
    conda:
        "../envs/survival.yaml"
    threads: 1
    resources:
        **requests("survival_analysis"),
    params:
        settings=config["survival"],
        demo=config["demo"],
    script:
        "../scripts/survival_analysis.py"


# Only with sequencing markers: a qPCR-only study has no sample sheet or small-RNA arm.
if config["survival"]["sequencing_markers"]:

    rule survival_sequencing_markers:
        input:
            samples=config["samples"],
            normalized=paths.fill(paths.DIFFEXP_NORMALIZED, arm="smallrna"),
        output:
            paths.SURVIVAL_SEQUENCING_FOLD_CHANGES,
        log:
            "results/logs/survival/sequencing_markers.log",
        benchmark:
            "results/benchmarks/survival/sequencing_markers.tsv"
        group:
            "survival"
        conda:
            "../envs/survival.yaml"
        threads: 1
        resources:
            **requests("survival_sequencing_markers"),
        params:
            markers=config["survival"]["sequencing_markers"],
            # the qPCR's timepoints: one vocabulary for both kinds of marker
            pre=config["qpcr"]["pre"],
            post=config["qpcr"]["post"],
        script:
            "../scripts/survival_sequencing_markers.py"
