"""The benchmark harness: its pure helpers and agreement checks, and one quick run of a section."""

from __future__ import annotations

import math
import os

import agreement
import harness
import pandas as pd
import pytest
import rule_sections
import rules
import yaml
from bench_runs import run_quick_section
from settings import Settings

GNU_TIME_REPORT = """\
\tCommand being timed: "sleep 1"
\tUser time (seconds): 0.75
\tSystem time (seconds): 0.25
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50
\tMaximum resident set size (kbytes): 2048000
\tExit status: 0
"""


def test_median_odd_even_and_empty():
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError):
        harness.median([])


def test_growth_exponent_recovers_power_laws():
    sizes = [250_000, 1_000_000, 4_000_000]
    assert harness.growth_exponent(sizes, [2.0 * s for s in sizes]) == pytest.approx(1.0)
    assert harness.growth_exponent(sizes, [5e-9 * s**1.5 for s in sizes]) == pytest.approx(1.5)
    assert harness.growth_exponent(sizes, [7.0, 7.0, 7.0]) == pytest.approx(0.0)
    # Least squares over noisy points: between the two pairwise slopes.
    k = harness.growth_exponent([1, 2, 4], [1.0, 2.2, 3.8])
    assert math.log2(3.8 / 2.2) < k < math.log2(2.2 / 1.0)


def test_growth_exponent_rejects_bad_input():
    with pytest.raises(ValueError):
        harness.growth_exponent([1], [1.0])
    with pytest.raises(ValueError):
        harness.growth_exponent([2, 2], [1.0, 3.0])
    with pytest.raises(ValueError):
        harness.growth_exponent([0, 2], [1.0, 3.0])


def test_parse_gnu_time_report():
    seconds, peak_mb = harness.parse_gnu_time(GNU_TIME_REPORT)
    assert seconds == pytest.approx(62.5)
    assert peak_mb == pytest.approx(2000.0)
    assert harness.parse_gnu_time("nothing here") == (None, None)


def test_parse_gnu_cpu_adds_user_and_system_time():
    assert harness.parse_gnu_cpu(GNU_TIME_REPORT) == pytest.approx(1.0)
    no_system = GNU_TIME_REPORT.replace("\tSystem time (seconds): 0.25\n", "")
    assert harness.parse_gnu_cpu(no_system) is None  # not a full report
    assert harness.parse_gnu_cpu("nothing here") is None


def test_summary_takes_median_time_and_max_memory():
    summary = harness.Summary(
        "x",
        [
            harness.Measurement(3.0, 100),
            harness.Measurement(1.0, 300),
            harness.Measurement(2.0, 50),
        ],
    )
    assert summary.seconds == 2.0
    assert summary.peak_mb == 300


def test_ratio_and_rate_text():
    assert harness.ratio_text(10.0, 35.0) == "3.50x"
    assert harness.ratio_text(0.0, 1.0) == ""
    assert harness.rate_text(1_000_000, 4.0) == "250,000 reads/s"
    assert harness.fmt_seconds(0.1234) == "0.123 s"
    assert harness.fmt_seconds(12.34) == "12.3 s"
    assert harness.fmt_seconds(1234.0) == "1234 s"
    assert harness.fmt_mb(812.6) == "813 MB"


def test_render_table_has_header_and_escapes_pipes():
    rows = [
        harness.Row("small RNA", "1,000,000 reads", "10 s", "35 s", "3.50x", "300 MB", "a|b"),
        harness.Row("survival", "40 patients", "0.1"),
    ]
    text = harness.render_table(rows)
    lines = text.strip().splitlines()
    assert lines[0].startswith("| stage | size | this project | alternative | ratio")
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert len(lines) == 4
    assert "a\\|b" in lines[2]
    assert all(line.count(" | ") >= 6 for line in lines[2:])


def test_machine_info_keys():
    info = harness.machine_info()
    for key in ("date", "cpu", "cores", "ram"):
        assert info[key]


# --------------------------------------------------------------------------- like for like


def test_turn_ratios_and_their_text():
    ratios = harness.turn_ratios([2.0, 4.0, 1.0], [3.0, 4.0, 2.0])
    assert ratios == [1.5, 1.0, 2.0]
    assert harness.turns_text(ratios) == "1.50x (turns 1.50, 1.00, 2.00)"
    with pytest.raises(ValueError):
        harness.turn_ratios([1.0], [1.0, 2.0])  # runs not made in turns
    with pytest.raises(ValueError):
        harness.turn_ratios([], [])
    with pytest.raises(ValueError):
        harness.turn_ratios([0.0], [1.0])


def test_pinned_confines_both_sides_to_the_same_cpus():
    assert harness.pinned(["cutadapt", "-j", "1"], 1) == [
        "taskset",
        "-c",
        "0-0",
        "cutadapt",
        "-j",
        "1",
    ]
    assert harness.pinned(["Rscript", "x.R"], 2)[:3] == ["taskset", "-c", "0-1"]
    with pytest.raises(ValueError):
        harness.pinned(["x"], (os.cpu_count() or 1) + 1)
    with pytest.raises(ValueError):
        harness.pinned(["x"], 0)
    assert set(harness.thread_env(2).values()) == {"2"}


def test_settings_refuse_ratios_from_fewer_than_three_runs(monkeypatch):
    monkeypatch.setenv("BENCH_REPS", "2")
    with pytest.raises(ValueError, match="at least 3"):
        Settings.from_env()
    quick = Settings.from_env(quick=True)  # a smoke run may use fewer
    assert quick.reps == 2 and quick.quick
    monkeypatch.delenv("BENCH_REPS")
    monkeypatch.setenv("BENCH_QUICK", "1")
    assert Settings.from_env().quick
    monkeypatch.setenv("BENCH_CORES", str((os.cpu_count() or 1) + 1))
    with pytest.raises(ValueError, match="cores"):
        Settings.from_env()


def _cutadapt_report(adapter_found=900, output=800, quality=12, lengths=((3, [5]), (20, [7, 1]))):
    return {
        "read_counts": {
            "input": 1000,
            "output": output,
            "read1_with_adapter": adapter_found,
            "filtered": {"too_short": 150, "too_long": 50},
        },
        "basepair_counts": {"quality_trimmed": quality},
        "adapters_read1": [
            {
                "three_prime_end": {
                    "trimmed_lengths": [
                        {"len": n, "expect": 0.1, "counts": list(c)} for n, c in lengths
                    ]
                }
            }
        ],
    }


TRIM = {"input": 1000, "adapter_found": 900, "too_short": 150, "too_long": 50}


def test_smallrna_trimming_agreement_accepts_equal_counts():
    compared = agreement.smallrna_trimming(
        TRIM, {"kept": 800}, _cutadapt_report(), _cutadapt_report()
    )
    assert compared["inserts in the window"] == 800
    assert compared["reads with adapter"] == 900


@pytest.mark.parametrize(
    ("trim", "collapse", "cutadapt", "named"),
    [
        (TRIM, {"kept": 800}, _cutadapt_report(adapter_found=899), "reads with adapter"),
        (TRIM, {"kept": 801}, _cutadapt_report(), "inserts in the window"),
        ({**TRIM, "too_long": 49}, {"kept": 800}, _cutadapt_report(), "longer than the window"),
        (TRIM, {"kept": 800}, _cutadapt_report(quality=13), "quality-trimmed bases"),
        (TRIM, {"kept": 800}, _cutadapt_report(lengths=((3, [5]),)), "removed adapter lengths"),
    ],
)
def test_smallrna_trimming_agreement_refuses_any_difference(trim, collapse, cutadapt, named):
    with pytest.raises(agreement.DisagreementError, match=named):
        agreement.smallrna_trimming(trim, collapse, _cutadapt_report(), cutadapt)


def test_identical_counts_refuses_one_count_or_gene_off():
    ours = pd.Series({"g1": 5, "g2": 0, "__no_feature": 3})
    agreement.identical_counts(ours, ours.iloc[::-1].copy(), "counts")  # order does not matter
    with pytest.raises(agreement.DisagreementError, match="1 of 3 counts differ"):
        agreement.identical_counts(ours, ours.replace({5: 6}), "counts")
    with pytest.raises(agreement.DisagreementError, match="one side only"):
        agreement.identical_counts(ours, ours.drop("g2"), "counts")


def test_genes_only_leaves_out_htseq_counters_for_featurecounts():
    ours = pd.Series({"g1": 100, "g2": 10, "__no_feature": 50, "__ambiguous": 2})
    featurecounts = pd.Series({"g2": 10, "g1": 100})
    agreement.identical_counts(agreement.genes_only(ours), featurecounts, "fc")
    with pytest.raises(agreement.DisagreementError, match="one side only"):
        agreement.identical_counts(ours, featurecounts, "fc")
    with pytest.raises(agreement.DisagreementError, match="g1: 100 vs 101"):
        agreement.identical_counts(
            agreement.genes_only(ours), featurecounts.replace({100: 101}), "fc"
        )


def _de_table(lfc=(1.0, -2.0, 0.1), stat=(5.0, -8.0, 0.2), padj=(0.001, 0.0001, 0.9)):
    return pd.DataFrame(
        {"log2FoldChange": lfc, "stat": stat, "padj": padj}, index=["g1", "g2", "g3"]
    )


DE_TOLERANCE = agreement.DETolerance(lfc_abs=1e-3, stat_rel=1e-2, alpha=0.05)


def test_de_agreement_within_tolerance():
    theirs = _de_table(lfc=(1.0005, -2.0, 0.1), stat=(5.04, -8.0, 0.2))
    measured = agreement.de_results(_de_table(), theirs, DE_TOLERANCE)
    assert measured["max_lfc_abs"] == pytest.approx(5e-4)
    assert measured["max_stat_rel"] == pytest.approx(0.04 / 5.04)
    assert measured["significant"] == 2 and measured["call_mismatches"] == 0


@pytest.mark.parametrize(
    ("theirs", "named"),
    [
        (_de_table(lfc=(1.01, -2.0, 0.1)), "log2FC differs"),
        (_de_table(stat=(5.2, -8.0, 0.2)), "Wald stat differs"),
        (_de_table(padj=(0.001, 0.06, 0.9)), "1 features called differently"),
        (_de_table(padj=(0.001, 0.0001, float("nan"))), "padj NaN on one side only"),
        (_de_table().drop("g3"), "features on one side only"),
    ],
)
def test_de_agreement_refuses_disagreeing_results(theirs, named):
    with pytest.raises(agreement.DisagreementError, match=named):
        agreement.de_results(_de_table(), theirs, DE_TOLERANCE)


def _benchmark(seconds, cpu, rss=100.0):
    return pd.DataFrame({"s": [seconds], "h:m:s": ["0:00:01"], "max_rss": [rss], "cpu_time": [cpu]})


def test_sum_benchmarks_adds_the_jobs_wall_and_cpu():
    times = rules.sum_benchmarks(
        {
            "smallrna/trim/bench_lane1.tsv": _benchmark(2.5, 2.0, 80),
            "smallrna/count/bench.tsv": _benchmark(1.5, "NA", "NA"),  # ended before a sample
        }
    )
    assert times.seconds == pytest.approx(4.0)
    assert times.cpu_seconds == pytest.approx(2.0)
    assert times.peak_mb == 80
    assert times.job_peaks_mb == {
        "smallrna/trim/bench_lane1.tsv": 80,
        "smallrna/count/bench.tsv": 0,
    }
    rules.check_jobs(times, {"smallrna/trim/bench_lane1.tsv", "smallrna/count/bench.tsv"})
    with pytest.raises(RuntimeError, match="reference was rebuilt"):
        rules.check_jobs(times, {"smallrna/trim/bench_lane1.tsv"})
    with pytest.raises(RuntimeError, match="did not run"):
        rules.check_jobs(times, {*times.jobs, "smallrna/collapse/bench.tsv"})
    with pytest.raises(ValueError):
        rules.sum_benchmarks({})


def test_cutadapt_command_takes_the_rules_options_and_the_window():
    project = ["-a", "illumina=TGGAATTCTCGGGTGCCAAGG;min_overlap=3", "-e", "0.1", "--cores", "1"]
    project += [
        "--json",
        "results/x.cutadapt.json",
        "-q",
        "20",
        "-o",
        "results/x.fa",
        "reads.fq.gz",
    ]
    command = rule_sections.cutadapt_command(project, 2, "alt.fa", "alt.json", (16, 40))
    assert command == [
        "cutadapt",
        *("-a", "illumina=TGGAATTCTCGGGTGCCAAGG;min_overlap=3", "-e", "0.1", "--cores", "2"),
        *("--json", "alt.json", "-q", "20", "-o", "alt.fa", "-m", "16", "-M", "40"),
        "reads.fq.gz",
    ]


def test_mrna_alternative_uses_the_rules_trimming_and_the_same_cores(tmp_path):
    project = ["--cores", "2", "-a", "AGATCGGAAGAGC", "-A", "AGATCGGAAGAGCGT", "--quality-cutoff"]
    project += ["20", "--minimum-length", "20", "--json", "r.json", "-o", "r1", "-p", "r2"]
    project += ["in1.fq.gz", "in2.fq.gz"]
    pipeline, featurecounts = rule_sections.mrna_alternative_script(
        project, "idx/genome", "genes.gtf", tmp_path, 1
    )
    script = pipeline[-1]
    assert "cutadapt --cores 1 -a AGATCGGAAGAGC -A AGATCGGAAGAGCGT --quality-cutoff 20" in script
    assert "hisat2 -p 1 -x idx/genome" in script and "samtools sort -@ 0" in script
    assert featurecounts[:3] == ["featureCounts", "-T", "1"]
    assert "r1" not in script.split() and "in1.fq.gz" in script


def test_bench_folder_config_keeps_the_schema_defaults(tmp_path):
    units = [
        {"sample": s, "unit": "lane1", "fq1": f"{s}.fq.gz", "protocol": "illumina"}
        for s in (rules.SAMPLE, *rules.COMPANIONS)
    ]
    rules.write_folder(tmp_path, "smallrna", {"mature": "m.fa", "hairpin": "h.fa"}, units)
    config = yaml.safe_load((tmp_path / "config" / "config.yaml").read_text())
    # only what a user must set: RNA classes, 3' tails and the rest come from the schema
    assert config["smallrna"] == {"mature": "m.fa", "hairpin": "h.fa"}
    assert "qpcr" not in config and "mrna" not in config
    samples = pd.read_csv(tmp_path / "config" / "samples.tsv", sep="\t")
    column, tested, reference = rules.contrast_levels(config)
    assert list(samples[column]) == [reference, tested, reference, tested]


@pytest.mark.slow
def test_quick_smallrna_section_runs_the_rules_end_to_end(tmp_path, shared_data, repo_root):
    """bench/run.py --quick through Snakemake: rows with the agreement asserted, seconds."""
    saved = run_quick_section(repo_root, tmp_path, "smallrna", BENCH_SHARED_DATA=str(shared_data))
    rows = [row["stage"] for row in saved["rows"]]
    assert rows == [f"{rows[0].rsplit(', ', 1)[0]}, {n}" for n in ("1 core", "2 cores")]
    assert saved["raw"]["agreement"]["inserts in the window"] > 0
    assert set(saved["raw"]["1"]["jobs"]) == rule_sections.SMALLRNA_JOBS
    assert (tmp_path / "results.quick.md").exists()


def test_timing_rows_give_medians_and_the_median_of_the_turns_ratios():
    def project(seconds, command_cpu):
        times = rules.RuleTimes(seconds, seconds / 2, 50.0, {"a.tsv": seconds})
        return rules.RuleRun(times, harness.Measurement(seconds + 3, 60.0, command_cpu))

    runs = {
        1: {
            "project": [project(10.0, 12.0), project(12.0, 14.0), project(11.0, 13.0)],
            "alternative": [harness.Measurement(s, 20.0, s) for s in (20.0, 18.0, 33.0)],
        }
    }
    rows, raw = rule_sections._timing_rows("stage", "size", "tool -j {cores}", runs, "checked")
    (row,) = rows
    assert row.stage == "stage, 1 core"
    assert row.project.startswith("11.0 s (sum of 1 jobs' benchmark files; CPU between 5.5 s")
    assert "13.0 s, the whole command" in row.project
    assert row.alternative == "tool -j 1: 20.0 s (20.0 s CPU)"
    assert row.ratio == "2.00x (turns 2.00, 1.50, 3.00)"  # not 20.0 / 11.0
    assert raw["1"]["turn_ratios"] == [2.0, 1.5, 3.0]
    assert row.note.endswith("checked")


def test_survival_agreement_refuses_a_result_beyond_its_tolerance():
    """The survival row prints no ratio unless the project's log-rank and Cox results equal R's
    within the stated relative tolerances (measured values from the 2026-12-06 run)."""
    from agreement import DisagreementError, survival_statistics

    r = {"logrank_chisq": 2.90476, "logrank_p": 0.0883185, "cox_hr": 1.87355, "cox_p": 0.0967272}
    close = {**r, "cox_hr": r["cox_hr"] * (1 + 4.7e-7), "cox_p": r["cox_p"] * (1 + 2.7e-6)}
    assert survival_statistics(close, r)["cox_hr"] == pytest.approx(4.7e-7, rel=1e-3)
    with pytest.raises(DisagreementError, match="cox_hr"):
        survival_statistics({**r, "cox_hr": r["cox_hr"] * (1 + 1e-4)}, r)
    with pytest.raises(DisagreementError, match="logrank_p"):
        survival_statistics({**r, "logrank_p": float("nan")}, r)
