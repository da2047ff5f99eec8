# qPCR: Ct values (long table, or instrument files + sample map) -> replicate QC -> stability
# of the candidate references (geNorm, NormFinder) and the references used -> haemolysis check
# -> 2^-ddCt (or Pfaffl) fold changes, post vs pre.
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
            settings=config["qpcr"],
        script:
            "../scripts/qpcr_import_ct.py"


rule qpcr_fold_changes:
    input:
        ct=qpcr_long_ct_table(),
        # LinRegPCR's amplification factors replace qpcr.efficiencies (esccrt.qpcr.curves).
        efficiencies=(
            paths.QPCR_EFFICIENCIES
            if config["qpcr"]["efficiency_source"] == "linregpcr"
            else []
        ),
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
