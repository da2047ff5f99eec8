"""The scale harness's own logic (bench/scale_plan.py, scale_batches.py, scale_cohort.py): reading
Snakemake's dry runs and rule graph, counting SLURM submissions, and the new-batch assertion.
The runs and dry runs themselves are `make bench-scale`'s."""

from __future__ import annotations

import re

import pytest
import scale_batches
import scale_cohort
import scale_plan
from esccrt import paths
from esccrt.simulate import demo

#: A dry run as Snakemake 9 prints it: a group job of two jobs, an ungrouped job, `all`.
DRY_RUN = """\
Building DAG of jobs...
Job stats:
job              count
-------------  -------
smallrna_trim        1
total                4

[Mon Dec  7 14:13:33 2026] Group job smallrna_sample (jobs in lexicogr. order):

    [Mon Dec  7 14:13:33 2026]
    rule smallrna_count:
        input: results/smallrna/bowtie/mature/s3.bam, results/smallrna/collapsed/s3.json
        output: results/smallrna/counts/s3.json
        jobid: 2
        benchmark: results/benchmarks/smallrna/count/s3.tsv
        reason: Missing output files: results/smallrna/counts/s3.json
        wildcards: sample=s3
        resources: tmpdir=/tmp, mem_mb=1000
Shell command: None

    [Mon Dec  7 14:13:33 2026]
    rule smallrna_trim:
        input: reads/s3.fastq.gz
        output: results/smallrna/trimmed/s3/lane1.fa
        jobid: 1
        benchmark: results/benchmarks/smallrna/trim/s3_lane1.tsv
        reason: Missing output files: results/smallrna/trimmed/s3/lane1.fa
        wildcards: sample=s3, unit=lane1
Shell command: None

[Mon Dec  7 14:13:34 2026]
rule smallrna_summary:
    input: results/smallrna/counts/s1.json, results/smallrna/counts/s3.json, mirgff/s3.gff
    output: results/smallrna/counts.tsv
    jobid: 3
    benchmark: results/benchmarks/smallrna/summary.tsv
    reason: Input files updated by another job: results/smallrna/counts/s3.json
Shell command: None

[Mon Dec  7 14:13:34 2026]
localrule all:
    input: results/smallrna/counts.tsv
    jobid: 0
    reason: Input files updated by another job: results/smallrna/counts.tsv
"""

RULE_GRAPH = """\
digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
    0[label = "all", color = "0.0 0.6 0.85", style="rounded"];
    1[label = "smallrna_summary", color = "0.1 0.6 0.85", style="rounded"];
    2[label = "smallrna_count", color = "0.2 0.6 0.85", style="rounded"];
    3[label = "smallrna_trim", color = "0.3 0.6 0.85", style="rounded"];
    4[label = "smallrna_reference", color = "0.4 0.6 0.85", style="rounded"];
    5[label = "provenance", color = "0.5 0.6 0.85", style="rounded"];
    1 -> 0
    2 -> 1
    3 -> 2
    4 -> 2
    5 -> 0
}
"""


def _job(rule, sample=None, inputs=(), outputs=("out",), group=None):
    wildcards = {"sample": sample} if sample else {}
    return scale_plan.PlannedJob(
        rule, group=group, wildcards=wildcards, inputs=list(inputs), outputs=list(outputs)
    )


def _study(samples):
    """A plan from scratch: trim and count per sample, a reference, the summary, provenance."""
    jobs = [_job("smallrna_reference")]
    for sample in samples:
        jobs += [_job("smallrna_trim", sample), _job("smallrna_count", sample)]
    counts = [f"results/smallrna/counts/{s}.json" for s in samples]
    jobs += [
        _job("smallrna_summary", inputs=counts),
        _job("provenance", inputs=["config/samples.tsv", "reads/s1.fastq.gz"]),
        _job("all", outputs=()),
    ]
    return scale_plan.Plan(jobs, groups=0)


def test_dry_run_jobs_groups_and_submissions() -> None:
    plan = scale_plan.parse_dry_run(DRY_RUN)
    assert [job.rule for job in plan.jobs] == [
        "smallrna_count",
        "smallrna_trim",
        "smallrna_summary",
        "all",
    ]
    count, trim, summary, target = plan.jobs
    assert (count.group, trim.group, summary.group) == ("smallrna_sample", "smallrna_sample", None)
    assert trim.wildcards == {"sample": "s3", "unit": "lane1"} and summary.sample is None
    assert count.inputs == [
        "results/smallrna/bowtie/mature/s3.bam",
        "results/smallrna/collapsed/s3.json",
    ]
    assert summary.benchmark == "results/benchmarks/smallrna/summary.tsv"
    assert target.local and target.outputs == []
    # one group job + the summary; `all` runs nothing
    assert plan.submissions() == 2
    assert plan.rule_counts()["smallrna_trim"] == 1


def test_rule_graph_and_what_lies_downstream() -> None:
    graph = scale_plan.parse_rule_graph(RULE_GRAPH)
    assert graph["smallrna_trim"] == {"smallrna_count"} and graph["all"] == set()
    fed = scale_plan.downstream(graph, {"smallrna_trim", "smallrna_count"})
    assert fed == {"smallrna_summary", "all"}


def test_a_new_batch_plans_its_samples_and_the_aggregates_only() -> None:
    graph = scale_plan.parse_rule_graph(RULE_GRAPH)
    study = _study(["s1", "s2"])
    sheets = {"config/samples.tsv"}
    new = {"s3", "s4"}
    batch = [
        _job(rule, sample) for sample in sorted(new) for rule in ("smallrna_trim", "smallrna_count")
    ]
    counts = [f"results/smallrna/counts/s{k}.json" for k in range(1, 5)]
    aggregates = [
        _job("smallrna_summary", inputs=[*counts, "results/smallrna/mirgff/s1.gff"]),
        _job("provenance", inputs=["config/samples.tsv", "reads/s1.fastq.gz", "reads/s3.fastq.gz"]),
        _job("all", outputs=()),
    ]
    plan = scale_plan.Plan(batch + aggregates, groups=0)
    check = scale_plan.check_new_batch(plan, new, study, "s1", graph, sheets)
    assert check.per_sample_jobs == 4 and check.per_sample_rules == [
        "smallrna_count",
        "smallrna_trim",
    ]
    assert check.aggregate_rules == ["smallrna_summary"] and check.aggregate_jobs == 1
    assert check.aggregate_inputs == {".json": 4, ".gff": 1}
    assert check.sheet_readers == {"provenance": 2}

    def fails(jobs, match):
        with pytest.raises(RuntimeError, match=match):
            scale_plan.check_new_batch(scale_plan.Plan(jobs, 0), new, study, "s1", graph, sheets)

    fails([*batch, _job("smallrna_count", "s1"), *aggregates], "finished samples planned again")
    fails(batch[:2] + aggregates, "new samples not planned")
    fails([*batch[1:], _job("smallrna_count", "s3"), *aggregates], "new sample s3: planned")
    fails([*batch, _job("smallrna_reference"), *aggregates], "no sample feeds.*smallrna_reference")
    bam = _job("smallrna_summary", inputs=["results/smallrna/bowtie/mature/s1.bam"])
    fails([*batch, bam], "read alignments or reads")


def test_directory_outputs_are_recognised_with_their_wildcards() -> None:
    patterns = scale_batches.directory_patterns()
    trimmed = paths.MRNA_TRIMMED_READS.format(sample="m1", unit="lane1")
    assert any(p.search(trimmed) for p in patterns)
    assert not any(p.search(paths.fill(paths.ARM_COUNTS, arm="smallrna")) for p in patterns)
    assert all(isinstance(p, re.Pattern) for p in patterns)


def test_cohort_samples_alternate_conditions_and_each_draws_its_own_reads() -> None:
    designs = scale_cohort.sample_design(12)
    assert [d.condition for d in designs[:4]] == ["control", "irradiated"] * 2
    assert [d.batch for d in designs[:6]] == ["b1"] * 4 + ["b2"] * 2
    model = demo.smallrna_model(demo.DEFAULT_SEED)
    first, second = (demo.simulate_smallrna_sample(model, k, designs[k], 300) for k in (0, 2))
    # same condition and batch, different random streams: different libraries
    assert (first.reads.shape != second.reads.shape) or (first.reads != second.reads).any()
