# The final report: one self-contained HTML page rendering the tables and figures the stages
# wrote (sequencing QC, DE, the join of rule integrate, survival); it computes no result itself.


rule report:
    input:
        unpack(report_inputs),
    output:
        html=report(
            paths.REPORT_HTML,
            caption="../report/report.rst",
            category="Report",
        ),
    log:
        "results/logs/report/report.log",
    benchmark:
        "results/benchmarks/report/report.tsv"
    group:
        "report"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("report"),
    params:
        # The run summary shows the whole validated config: any change reruns the report.
        config=config,
    script:
        "../scripts/report.py"
