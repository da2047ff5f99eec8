# Survival: clinical table + qPCR fold changes -> Table 1 (log-rank), Kaplan-Meier, Cox models,
# diagnostic ROC and their figures. Needs from common.smk: config, validate, qpcr_enabled.
from esccrt.survival.layout import plot_files

if qpcr_enabled():
    validate(config["survival"], schema="../schemas/survival.schema.yaml")
# Every figure of rule survival_analysis (KM per endpoint x factor, forest, ROC): the report
# embeds these.
SURVIVAL_PLOTS = plot_files(config["survival"]) if qpcr_enabled() else []


rule survival_analysis:
    input:
        clinical=lambda wildcards: config["survival"]["clinical"],
        fold_changes="results/qpcr/fold_changes.tsv",
    output:
        table1=report(
            "results/survival/table1.tsv",
            caption="../report/survival_table1.rst",
            category="Survival",
        ),
        table1_md="results/survival/table1.md",
        groups="results/survival/groups.tsv",
        logrank="results/survival/logrank.tsv",
        km_medians="results/survival/km_medians.tsv",
        cox=report(
            "results/survival/cox.tsv",
            caption="../report/survival_cox.rst",
            category="Survival",
        ),
        roc="results/survival/roc.tsv",
        auc="results/survival/auc.tsv",
        plots=report(
            SURVIVAL_PLOTS,
            caption="../report/survival_plots.rst",
            category="Survival",
        ),
    log:
        "results/logs/survival/analysis.log",
    benchmark:
        "results/benchmarks/survival/analysis.tsv"
    conda:
        "../envs/survival.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        settings=lambda wildcards: config["survival"],
        demo=config.get("demo", False),
    script:
        "../scripts/survival_analysis.py"
