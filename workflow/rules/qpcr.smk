# qPCR: Ct values (long table, or instrument files + sample map) -> replicate QC -> stability
# of the candidate references (geNorm, NormFinder) and the references used -> haemolysis check
# -> 2^-ddCt (or Pfaffl) fold changes, post vs pre, and relative quantities, each with its SE and
# confidence interval (replicate SDs and efficiency SEs propagated as qBase does).
# Included only when a Ct table is configured. Needs from common.smk: paths, config,
# qpcr_long_ct_table.


if config["qpcr"]["format"] != "long":

    rule qpcr_import_ct:
        input:
            ct=config["qpcr"]["ct_table"],
            sample_map=config["qpcr"]["sample_map"],
        output:
            ct=paths.QPCR_CT_IMPORTED,
            control_wells=paths.QPCR_CONTROL_WELLS,
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
            settings=config["qpcr"],
        script:
            "../scripts/qpcr_import_ct.py"


def qpcr_efficiency_table(wildcards):
    """The curve analysis' per-target efficiencies (with SEs) when a rule of this workflow
    writes them; their SEs then enter the fold changes' intervals (esccrt.qpcr.uncertainty).
    """
    made = any(paths.QPCR_EFFICIENCIES in rule.output for rule in workflow.rules)
    return {"efficiencies": paths.QPCR_EFFICIENCIES} if made else {}


rule qpcr_fold_changes:
    input:
        unpack(qpcr_efficiency_table),
        ct=qpcr_long_ct_table(),
    output:
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
