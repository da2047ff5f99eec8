# The final report: one self-contained HTML page joining sequencing QC, DE and survival.
# Needs from common.smk and the stages before: paths, config, ARMS, CONTRASTS, SMALLRNA_SAMPLES,
# MRNA_SAMPLES, MRNA_UNITS, qpcr_enabled, diffexp_outputs, SURVIVAL_PLOTS.


def report_inputs(wildcards):
    """Named inputs of the report: tables and figures of every stage that runs."""
    inputs = {
        "samples": config["samples"],
        "de_tables": expand(paths.DIFFEXP_TABLE, arm=ARMS, contrast=CONTRASTS),
        "de_plots": [p for p in diffexp_outputs() if p.endswith(".png")],
        "qc_plots": [],
        "excluded": expand(paths.DIFFEXP_EXCLUDED, arm=ARMS),
        "multiqc": paths.MULTIQC_REPORT,
        "provenance": paths.PROVENANCE,
    }
    if config["report"].get("mirna_targets"):
        inputs["mirna_targets"] = config["report"]["mirna_targets"]
    if SMALLRNA_SAMPLES:
        inputs["read_fate"] = paths.SMALLRNA_READ_FATE
        inputs["smallrna_gate"] = paths.fill(paths.ARM_QC_GATE, arm="smallrna")
        inputs["qc_plots"] += [
            paths.SMALLRNA_READ_FATE_PLOT,
            paths.SMALLRNA_INSERT_LENGTHS_PLOT,
        ]
    if MRNA_SAMPLES:
        inputs["count_summary"] = paths.MRNA_COUNT_SUMMARY
        inputs["strandedness"] = paths.MRNA_STRANDEDNESS
        inputs["qc_plots"] += [paths.MRNA_QC_RATES_PLOT]
        inputs["qc_rates"] = paths.MRNA_QC_RATES
        inputs["mrna_gate"] = paths.fill(paths.ARM_QC_GATE, arm="mrna")
        inputs["samtools_stats"] = paths.unit_paths(paths.SAMTOOLS_STATS, MRNA_UNITS)
    if qpcr_enabled():
        inputs["table1"] = paths.SURVIVAL_TABLE1
        inputs["cox"] = paths.SURVIVAL_COX
        inputs["survival_plots"] = SURVIVAL_PLOTS
        inputs["auc"] = paths.SURVIVAL_AUC
    return inputs


rule report:
    input:
        unpack(report_inputs),
    output:
        html=report(
            paths.REPORT_HTML,
            caption="../report/report.rst",
            category="Report",
        ),
        m2_plots=report(
            expand(
                "results/report/m2_markers.{contrast}.png",
                contrast=CONTRASTS if MRNA_SAMPLES else [],
            ),
            caption="../report/m2_markers.rst",
            category="Differential expression",
            subcategory="mrna",
        ),
        insert_sizes=report(
            ["results/report/mrna_insert_sizes.png"] if MRNA_SAMPLES else [],
            caption="../report/mrna_insert_sizes.rst",
            category="mRNA",
        ),
    log:
        "results/logs/report/report.log",
    benchmark:
        "results/benchmarks/report/report.tsv"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/report.py"
