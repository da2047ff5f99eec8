# qPCR: Ct values (long table, or instrument files + sample map) -> replicate QC -> stability
# of the candidate references (geNorm, NormFinder) and the references used -> haemolysis check
# -> 2^-ddCt (or Pfaffl) fold changes, post vs pre, and relative quantities, each with its SE and
# confidence interval (replicate SDs and efficiency SEs propagated as qBase does). Before them,
# the inter-run calibration of the plates (qpcr.interrun_calibration; with method none the table
# passes unchanged).
# Included only when a Ct table is configured. Needs from common.smk: paths, config,
# qpcr_long_ct_table, qpcr_design_outputs, qpcr_efficiency_table.


if config["qpcr"]["format"] != "long":

    rule qpcr_import_ct:
        input:
            ct=config["qpcr"]["ct_table"],
            sample_map=config["qpcr"]["sample_map"],
        output:
            ct=paths.QPCR_CT_IMPORTED,
            control_wells=paths.QPCR_CONTROL_WELLS,
            excluded=paths.QPCR_EXCLUDED_SAMPLES,
            efficiencies=paths.QPCR_EFFICIENCIES,
            linregpcr_reactions=paths.QPCR_LINREGPCR_REACTIONS,
        log:
            "results/logs/qpcr/import_ct.log",
        benchmark:
            "results/benchmarks/qpcr/import_ct.tsv"
        group:
            "survival"
        conda:
            "../envs/qpcr_import.yaml"
        threads: 1
        resources:
            **requests("qpcr_import_ct"),
        params:
            # only the keys the import reads: other qpcr choices do not rerun it
            settings=import_rule_settings(config["qpcr"]),
        script:
            "../scripts/qpcr_import_ct.py"


if config["qpcr"]["format"] in ("rdml", "auto"):

    rule qpcr_melt_curves:
        input:
            ct=config["qpcr"]["ct_table"],
        output:
            melt_peaks=paths.QPCR_MELT_PEAKS,
        log:
            "results/logs/qpcr/melt_curves.log",
        benchmark:
            "results/benchmarks/qpcr/melt_curves.tsv"
        group:
            "survival"
        conda:
            "../envs/qpcr_import.yaml"
        threads: 1
        resources:
            **requests("qpcr_melt_curves"),
        # Only the keys it reads: another qPCR choice does not rerun it.
        params:
            format=config["qpcr"]["format"],
            melt=config["qpcr"]["qc"]["melt"],
        script:
            "../scripts/qpcr_melt_curves.py"


rule qpcr_interrun_calibration:
    input:
        ct=qpcr_long_ct_table(),
    output:
        ct=paths.QPCR_CT_CALIBRATED,
        factors=paths.QPCR_INTERRUN_FACTORS,
        split_pairs=paths.QPCR_PLATE_SPLIT_PAIRS,
    log:
        "results/logs/qpcr/interrun_calibration.log",
    benchmark:
        "results/benchmarks/qpcr/interrun_calibration.tsv"
    group:
        "survival"
    conda:
        "../envs/survival.yaml"
    threads: 1
    resources:
        **requests("qpcr_interrun_calibration"),
    params:
        # only the keys the calibration reads: other qpcr choices do not rerun it
        settings={
            key: config["qpcr"][key]
            for key in (
                "interrun_calibration",
                "efficiencies",
                "pre",
                "post",
                "undetermined_tokens",
            )
        },
    script:
        "../scripts/qpcr_interrun_calibration.py"


rule qpcr_fold_changes:
    input:
        unpack(qpcr_efficiency_table),
        **qpcr_qc_inputs(),
        ct=paths.QPCR_CT_CALIBRATED,
    output:
        # the comparison table of the design (qpcr.design unpaired, timecourse; common.smk)
        **qpcr_design_outputs(),
        fold_changes=paths.QPCR_FOLD_CHANGES,
        replicate_qc=paths.QPCR_REPLICATE_QC,
        reference_stability=report(
            paths.QPCR_REFERENCE_STABILITY,
            caption="../report/qpcr_reference_stability.rst",
            category="qPCR",
        ),
        genorm_steps=paths.QPCR_GENORM_STEPS,
        stability_plot=report(
            paths.QPCR_REFERENCE_STABILITY_PLOT,
            caption="../report/qpcr_reference_stability.rst",
            category="qPCR",
        ),
        haemolysis=paths.QPCR_HAEMOLYSIS,
        references=paths.QPCR_REFERENCES,
        relative_quantities=paths.QPCR_RELATIVE_QUANTITIES,
        efficiency_uncertainty=paths.QPCR_EFFICIENCY_UNCERTAINTY,
        fold_change_plot=report(
            paths.QPCR_FOLD_CHANGE_PLOT,
            caption="../report/qpcr_fold_changes.rst",
            category="qPCR",
        ),
        unpaired_samples=paths.QPCR_UNPAIRED_SAMPLES,
        well_qc=paths.QPCR_WELL_QC,
        sample_qc=paths.QPCR_SAMPLE_QC,
        detection_limits=paths.QPCR_DETECTION_LIMITS,
    log:
        "results/logs/qpcr/fold_changes.log",
    benchmark:
        "results/benchmarks/qpcr/fold_changes.tsv"
    group:
        "survival"
    conda:
        "../envs/survival.yaml"
    threads: 1
    resources:
        **requests("qpcr_fold_changes"),
    params:
        settings=config["qpcr"],
    script:
        "../scripts/qpcr_fold_changes.py"
