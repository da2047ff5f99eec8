# The final report: one self-contained HTML page rendering the tables and figures the stages
# wrote (sequencing QC, DE, the join of rule integrate, survival); it computes no result itself.
import sys

from esccrt.report import stale

# With identifiers coded (report.pseudonymise): the tables meant for sharing and the private
# mapping of identifiers to codes.
CODED_OUTPUTS = (
    {"share": directory(paths.SHARE), "pseudonyms": paths.PSEUDONYMS}
    if PSEUDONYMISE
    else {}
)


rule report:
    input:
        unpack(report_inputs),
    output:
        **CODED_OUTPUTS,
        html=report(
            paths.REPORT_HTML,
            caption="../report/report.rst",
            category="Report",
        ),
        tripod_checklist=paths.REPORT_TRIPOD_CHECKLIST,
        remark_checklist=paths.REPORT_REMARK_CHECKLIST,
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


# An older report never looks current (esccrt.report.stale): Snakemake deletes the report only
# when its job starts, so a run that stops before would leave it looking like this run's result.
# It is moved to report.stale.html with a banner when this run rebuilds it, and when any job fails
# (naming the failed rules' logs); a missing report.html is also what makes the next run rebuild it.
# The QC page (rule report_qc) likewise when this run rebuilds it; a QC page there after a failure
# is this run's (or was up to date), so onerror names it.
STALE_PAGES = {
    "report": (paths.REPORT_HTML, paths.REPORT_STALE_HTML),
    "report_qc": (paths.REPORT_QC_HTML, paths.REPORT_QC_STALE_HTML),
}


onstart:
    rebuilt = {job.rule.name for job in workflow.dag.needrun_jobs()}
    for rule_name, (page, stale_page) in STALE_PAGES.items():
        if rule_name in rebuilt:
            stale.mark_stale(page, stale_page, stale.rebuilding_reason(log))


onerror:
    reason = stale.failed_reason(log, stale.failed_jobs(log))
    if stale.mark_stale(paths.REPORT_HTML, paths.REPORT_STALE_HTML, reason):
        print(
            f"The last report is out of date: see {paths.REPORT_STALE_HTML}",
            file=sys.stderr,
        )
    if Path(paths.REPORT_QC_HTML).is_file():
        stale.clear_stale(paths.REPORT_QC_HTML, paths.REPORT_QC_STALE_HTML)
        print(
            f"The QC report of this run (each exclusion explained): {paths.REPORT_QC_HTML}",
            file=sys.stderr,
        )
    else:  # the run stopped before QC decided: an older QC page gets this failure's banner
        stale.mark_stale(paths.REPORT_QC_HTML, paths.REPORT_QC_STALE_HTML, reason)


onsuccess:
    for page, stale_page in STALE_PAGES.values():
        stale.clear_stale(page, stale_page)
