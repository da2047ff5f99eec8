# Survival: clinical table + qPCR fold changes -> Table 1 (log-rank, BH q-values), Kaplan-Meier,
# Cox models (Harrell's C), the markers' continuous Cox models (linear and spline), Riley et al.'s
# minimum sample size, diagnostic ROC (DeLong CI, optimism-corrected and cross-validated AUC), the
# fold-change cut-off scan (maximally selected log-rank), the marker Cox model's time-dependent
# accuracy, decision curves and bootstrap-corrected calibration at the landmarks, competing risks
# (Aalen-Johansen cumulative incidence, Fine-Gray), and their figures. Included only when a Ct table
# is configured.
# Needs from common.smk: paths, config.


rule survival_analysis:
    input:
        clinical=config["survival"]["clinical"],
        fold_changes=paths.QPCR_FOLD_CHANGES,
        haemolysis=paths.QPCR_HAEMOLYSIS,
        unpaired=paths.QPCR_UNPAIRED_SAMPLES,
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
