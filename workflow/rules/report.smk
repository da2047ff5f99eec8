# The final report: one self-contained HTML page joining sequencing QC, DE and survival.


rule report:
    input:
        unpack(report_inputs),
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report.rst",
            category="Report",
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
    params:
        qc_plots=lambda wildcards, input: input.get("qc_plots", []),
        de_plots=lambda wildcards, input: {
            arm: [p for p in input.de_plots if f"/diffexp/{arm}/" in p] for arm in ARMS
        },
        survival_plots=lambda wildcards, input: input.get("survival_plots", []),
    script:
        "../scripts/report.py"
