"""Section ``aggregate_scale``: the small-RNA aggregate rules at cohort scale (issue 26, items 4,
7 and 8).

Each size of ``s.aggregate_samples`` gets a synthetic cohort (bench/aggregate_inputs.py: the
counting rule's per-sample files, 300-1,500 miRNAs detected per sample; made once and cached
under the bench work folder), then the entry points of rules smallrna_summary, smallrna_isomirs
and smallrna_sample_qc run on it as whole processes (bench/aggregate_run.py, as the rule scripts
call them: imports, figures and mirtop's validation of the merged mirGFF3 included), then rule
multiqc's command on the samples' bowtie logs and the custom tables, then the DE rules' entry
points on the summary's matrix (2 cores, as their ``threads``), then rules report_qc's and
report's entry points on all of it, each measured with GNU time (wall, peak RSS; one run each:
minutes at 1,000 samples). The
report of the largest cohort is then opened in headless Chromium (bench/browser.py) three
times: its size and the time to its load event against issue 26's <= 20 MB and <= 5 s, its
per-sample tables checked to show one page of rows, and the QC overview's pager, sort and
search checked on a copy of the page (bench/browser.py). Before a figure is kept the outputs are
checked: the count matrix holds every sample once and its per-miRNA sums equal the sums of the
per-sample counts files. The figures go to the results table, to the budget row (issue 26: each
rule <= 2 minutes and <= 2 GB at 1,000 samples) and to bench/aggregate_measured.tsv, which
tests/unit/test_resources.py holds the rules' requests (esccrt.resources.aggregate) to.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import aggregate_inputs
import browser
import harness
import pandas as pd
import rules
from harness import Row, fmt_mb, fmt_seconds
from settings import Settings

#: The budget of issue 26, item 4, per aggregate rule at 1,000 samples.
BUDGET_SECONDS = 120.0
BUDGET_MB = 2_000.0
#: The budget of issue 26, item 7: the report at 1,000 samples.
REPORT_MAX_MB = 20.0
REPORT_MAX_LOAD_SECONDS = 5.0
#: Chromium runs per load time (the median is reported).
REPORT_LOADS = 3
#: The report's tables with a row per sample, checked to show one page of rows.
PER_SAMPLE_TABLES = ("samples", "sample-qc", "read-fate", "rna-classes", "mirtop-stats")
#: The rules measured: bench/aggregate_run.py's name -> the workflow's rule.
RULES = {
    "summary": "smallrna_summary",
    "isomirs": "smallrna_isomirs",
    "sample_qc": "smallrna_sample_qc",
    "multiqc": "multiqc",
    "diffexp_arm": "diffexp_arm",
    "diffexp_contrast": "diffexp_contrast",
    "report_qc": "report_qc",
    "report": "report",
}
#: Cores of each rule's process (the DE rules' ``threads``; the others have 1).
CORES = {"diffexp_arm": 2, "diffexp_contrast": 2}
#: What each rule's figure includes and what was checked.
NOTES = {
    "smallrna_summary": "1 run; imports, figures and mirtop's validation of the merged mirGFF3 "
    "included; count matrix checked against the per-sample files (every sample once, "
    "per-miRNA sums)",
    "smallrna_isomirs": "1 run; the isomiR count matrix of the merged mirGFF3 (the schema's "
    "filter: >= 10 reads in >= 2 samples), its labels and the filter's table",
    "smallrna_sample_qc": "1 run; imports, the verdict table, MultiQC table and QC gate",
    "multiqc": "1 run; the rule's multiqc command on each sample's bowtie logs (mature, "
    "hairpin) and the two custom tables (RNA classes, sample QC), small-RNA samples only",
    "diffexp_arm": "1 run; pydeseq2 on the summary's matrix (2,500 miRNAs), every sample kept, "
    "~condition (half treated); normalised counts, VST, size factors, PCA and distance figures",
    "diffexp_contrast": "1 run; the Wald test of treated vs control on the same matrix, its "
    "table, caveats, volcano, MA and top-feature figures",
    "report_qc": "1 run; the QC page: the small-RNA gate, sample QC verdicts and read fate",
    "report": "1 run; the small-RNA QC tables and cohort figures, sample QC verdicts, mirtop "
    "statistics, DE of the cohort; versions measured (no provenance record)",
}
#: Where the measurements are kept for the resources test (one row per rule and size).
MEASURED = Path(__file__).resolve().parent / "aggregate_measured.tsv"
MEASURED_HEADER = (
    "# Peak memory and wall time of the aggregate rules' entry points as whole processes\n"
    "# (GNU time: elapsed, maximum RSS) on synthetic cohorts of N samples\n"
    "# (bench/aggregate_inputs.py, bench/mrna_aggregate_inputs.py), written by\n"
    "# `bench/run.py --only aggregate_scale,mrna_aggregate_scale` (bench/aggregate_scale.py,\n"
    "# bench/mrna_aggregate_scale.py); tests/unit/test_resources.py checks that the rules'\n"
    "# requests cover these peaks.\n"
)


def check_matrix(folder: Path, samples: list[str]) -> None:
    """Raise unless the summary's count matrix holds every sample once and its per-miRNA sums
    equal the per-sample counts files' sums."""
    from esccrt import paths

    matrix = pd.read_csv(folder / paths.fill(paths.ARM_COUNTS, arm="smallrna"), sep="\t")
    if list(matrix.columns[1:]) != sorted(samples):
        raise RuntimeError(f"count matrix of {folder}: not every sample once")
    direct: dict[str, float] = defaultdict(float)
    for sample in samples:
        path = folder / paths.fill(paths.SMALLRNA_SAMPLE_COUNTS, sample=sample)
        for feature, value in json.loads(path.read_text())["mature"].items():
            direct[feature] += value
    sums = matrix.set_index("feature").sum(axis=1)
    if sums[sums > 0].to_dict() != {f: round(v) for f, v in direct.items() if v > 0}:
        raise RuntimeError(f"count matrix of {folder}: per-miRNA sums differ from the samples'")


def multiqc_command(folder: Path, samples: list[str]) -> list[str]:
    """Rule multiqc's command on the cohort's small-RNA reports (its flags; the bowtie logs
    written first, the custom tables are the aggregate rules' outputs)."""
    from esccrt import paths
    from esccrt.multiqc import multiqc_title

    files = [
        *aggregate_inputs.write_bowtie_logs(folder, samples),
        folder / paths.SMALLRNA_RNA_CLASSES_MQC,
        folder / paths.SAMPLE_QC_MQC,
    ]
    listing = folder / paths.MULTIQC_FILE_LIST
    listing.write_text("".join(f"{path}\n" for path in files))
    return [
        str(Path(sys.executable).parent / "multiqc"),
        "--force",
        "--no-data-dir",
        "--no-ai",
        "--no-version-check",
        "--title",
        multiqc_title(["smallrna"]),
        "--cl-config",
        "extra_fn_clean_exts: ['.hisat2']",
        "--file-list",
        str(listing),
        "--outdir",
        str(listing.parent),
        "--filename",
        "multiqc_report.html",
    ]


def write_measured(measured: list[dict]) -> None:
    """bench/aggregate_measured.tsv: these sizes' rows replace the same sizes' earlier ones."""
    table = pd.DataFrame(measured)
    if MEASURED.exists():
        earlier = pd.read_csv(MEASURED, sep="\t", comment="#")
        kept = ~earlier.set_index(["rule", "samples"]).index.isin(
            table.set_index(["rule", "samples"]).index
        )
        table = pd.concat([earlier[kept], table]).sort_values(["rule", "samples"])
    with open(MEASURED, "w") as handle:
        handle.write(MEASURED_HEADER)
        table.to_csv(handle, sep="\t", index=False)


def measured_record(rule: str, n: int, run: harness.Measurement) -> dict:
    """One row of bench/aggregate_measured.tsv: the rule, the samples, wall and peak."""
    return {
        "rule": rule,
        "samples": n,
        "wall_s": round(run.seconds, 1),
        "peak_mb": round(run.peak_mb),
    }


def budget_verdicts(raw: dict, rule_names: Iterable[str], largest: int) -> list[str]:
    """Each rule's figure at the largest size against :data:`BUDGET_SECONDS` and
    :data:`BUDGET_MB` (``raw``: ``{rule}_{n}`` -> seconds, peak_mb)."""
    verdicts = []
    for rule in rule_names:
        figure = raw[f"{rule}_{largest}"]
        fits = figure["seconds"] <= BUDGET_SECONDS and figure["peak_mb"] <= BUDGET_MB
        verdicts.append(
            f"{rule} {fmt_seconds(figure['seconds'])}, {fmt_mb(figure['peak_mb'])}: "
            + ("yes" if fits else "NO")
        )
    return verdicts


def check_paging(page: Path, n: int, page_rows: int, user_dir: Path) -> None:
    """Raise unless, in Chromium, the sample QC overview of ``page`` (``n`` samples) shows its
    first page, then the next one, sorts its overall verdicts worst first over every page and
    finds every sample a search matches on any page."""
    from esccrt.report.html import VERDICTS

    samples = aggregate_inputs.sample_names(n)
    needle = samples[-1][:-1]
    seen = browser.paging(page, "sample-qc", needle, user_dir)
    ranks = [VERDICTS.index(v) for v in seen["sorted"]]
    problems = {
        "first page": seen["first"] != samples[: min(n, page_rows)],
        "next page": seen["next"] != samples[page_rows : 2 * page_rows],
        "sorted worst first": ranks != sorted(ranks) or len(ranks) != min(n, page_rows),
        "search": seen["searched"] != [s for s in samples if needle in s][:page_rows],
    }
    failed = [what for what, wrong in problems.items() if wrong]
    if failed:
        raise RuntimeError(f"{page}: sample QC overview in Chromium: {failed} wrong: {seen}")


def report_scale(folder: Path, n: int) -> tuple[list[Row], dict]:
    """The report that rule report's entry point wrote for the cohort in ``folder``: the page's
    size and its load time in headless Chromium; raise unless every per-sample table holds
    ``n`` rows and shows one page of them."""
    import statistics

    from esccrt import paths

    page = folder / paths.REPORT_HTML
    size_mb = page.stat().st_size / 1e6
    loads = [browser.page_load(page, folder / f"chromium_{k}") for k in range(REPORT_LOADS)]
    page_rows = int(re.search(r"data-page-rows=.(\d+)", loads[0].dom).group(1))
    for table_id in PER_SAMPLE_TABLES:
        if browser.shown_rows(loads[0].dom, table_id) != (min(n, page_rows), n):
            raise RuntimeError(f"{page}: table {table_id} not {n} rows shown a page at a time")
    if n > page_rows:  # a quick run's cohorts fit on one page: no pager to check
        check_paging(page, n, page_rows, folder / "chromium_paging")
    load_s = statistics.median(load.load_ms for load in loads) / 1000
    process_s = statistics.median(load.process_seconds for load in loads)
    fits = size_mb <= REPORT_MAX_MB and load_s <= REPORT_MAX_LOAD_SECONDS
    raw = {"size_mb": size_mb, "load_s": load_s, "chromium_process_s": process_s}
    raw["budget_met"] = fits
    size = f"{n:,} synthetic small-RNA samples"
    rows = [
        Row(
            "report in Chromium (issue 26: <= 20 MB, opens in <= 5 s at 1,000 samples)",
            size,
            f"{size_mb:.1f} MB; load event {load_s:.2f} s: " + ("yes" if fits else "NO"),
            note=f"headless Chromium, real time, median of {REPORT_LOADS} (whole Chromium "
            f"process with start-up and DOM dump {process_s:.1f} s); per-sample tables "
            f"({', '.join(PER_SAMPLE_TABLES)}) {n:,} rows each, {page_rows} shown a page"
            + (
                "; the QC overview's next page, sort (worst verdict first) and search over "
                "every page checked in Chromium"
                if n > page_rows
                else ""
            ),
        ),
    ]
    return rows, raw


def aggregate_scale(s: Settings) -> tuple[list[Row], dict]:
    """Wall time and peak memory of each aggregate rule at each size; the budget check."""
    work = s.work / "aggregate_scale"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    script = str(Path(__file__).resolve().parent / "aggregate_run.py")
    raw: dict = {}
    rows, measured = [], []
    for n in sorted(s.aggregate_samples):
        folder = work / f"cohort_{n}"
        samples = aggregate_inputs.write_cohort(folder, n)
        for name, rule in RULES.items():
            cores = min(CORES.get(rule, 1), s.threads)
            if name == "multiqc":
                command = harness.pinned(multiqc_command(folder, samples), cores)
            else:
                command = [sys.executable, script, name, str(folder), str(n)]
                command = harness.pinned(command, cores)
            run = harness.measure(command, env=rules.env(cores), log=log)
            if name == "summary":
                check_matrix(folder, samples)
            raw[f"{rule}_{n}"] = {"seconds": run.seconds, "peak_mb": run.peak_mb}
            measured.append(measured_record(rule, n, run))
            rows.append(
                Row(
                    f"aggregate rule {rule} (one process, {cores} core{'s' * (cores > 1)})",
                    f"{n:,} synthetic small-RNA samples",
                    f"{fmt_seconds(run.seconds)}",
                    peak=fmt_mb(run.peak_mb),
                    note=NOTES[rule],
                )
            )
    if not s.quick:  # a quick run's figures never replace the real ones
        write_measured(measured)
    largest = max(s.aggregate_samples)
    report_rows, raw["report"] = report_scale(work / f"cohort_{largest}", largest)
    verdicts = budget_verdicts(raw, RULES.values(), largest)
    rows.append(
        harness.budget_row(
            "aggregation budget (issue 26: each rule <= 2 min, <= 2 GB at 1,000 samples)",
            f"{largest:,} synthetic small-RNA samples",
            verdicts,
            s.quick,
        )
    )
    raw["budget_met"] = harness.budget_met(verdicts)
    return rows + report_rows, raw
