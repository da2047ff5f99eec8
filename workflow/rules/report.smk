# The final report: one self-contained HTML page joining sequencing QC, DE and survival.


def report_extra_inputs(wildcards):
    """Report inputs beside common.smk's report_inputs: QC gates, exclusions, MultiQC, targets."""
    inputs = {
        "excluded": expand("results/diffexp/{arm}/excluded_samples.tsv", arm=ARMS),
        "multiqc": "results/qc/multiqc_report.html",
    }
    if MRNA_SAMPLES:
        inputs["qc_rates"] = "results/mrna/qc_rates.tsv"
        inputs["samtools_stats"] = unit_paths(
            "results/qc/samtools_stats/{sample}/{sample}.{unit}.txt", MRNA_UNITS
        )
        inputs["mrna_gate"] = "results/mrna/qc_gate.tsv"
    if qpcr_enabled():
        inputs["auc"] = "results/survival/auc.tsv"
    if config["report"].get("mirna_targets"):
        inputs["mirna_targets"] = config["report"]["mirna_targets"]
    return inputs


rule report:
    input:
        unpack(report_inputs),
        unpack(report_extra_inputs),
    output:
        html=report(
            "results/report/report.html",
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
