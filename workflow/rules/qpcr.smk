# qPCR: long Ct table -> replicate QC -> 2^-ddCt (or Pfaffl) fold changes, post vs pre.
# Needs from common.smk: config, validate, qpcr_enabled.
if qpcr_enabled():
    validate(config["qpcr"], schema="../schemas/qpcr.schema.yaml")


rule qpcr_fold_changes:
    input:
        ct=lambda wildcards: config["qpcr"]["ct_table"],
    output:
        fold_changes="results/qpcr/fold_changes.tsv",
        replicate_qc="results/qpcr/replicate_qc.tsv",
    log:
        "results/logs/qpcr/fold_changes.log",
    benchmark:
        "results/benchmarks/qpcr/fold_changes.tsv"
    conda:
        "../envs/survival.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        settings=lambda wildcards: config["qpcr"],
    script:
        "../scripts/qpcr_fold_changes.py"
