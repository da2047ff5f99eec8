# The final report: one self-contained HTML page joining sequencing QC, DE and survival.
# Needs from common.smk and the stages before: paths, config, ARMS, CONTRASTS, SMALLRNA_SAMPLES,
# MRNA_SAMPLES, MRNA_UNITS, qpcr_enabled, diffexp_outputs, SURVIVAL_PLOTS.


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
