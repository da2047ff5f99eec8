"""Reading Snakemake's plans for section ``scale_plan``: jobs, groups, rule graph, new batches.

A dry run (``snakemake -n``, not ``--quiet``) prints each planned job as a block: ``rule NAME:``
(``localrule NAME:`` for a local rule), then indented ``input:``, ``output:``, ``wildcards:``
... lines; the jobs of a group job follow a ``Group job NAME (jobs in lexicogr. order):`` line,
indented once more. Snakemake forms group jobs in every dry run (with the profile's
``group-components``, as a cluster run would submit them), so one SLURM submission is made per
group job and per ungrouped job that is not local. ``snakemake --rulegraph`` prints the rules'
dependencies as Graphviz dot.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

_JOB = re.compile(r"^(\s*)(local)?(?:rule|checkpoint) (\S+):\s*$")
_GROUP = re.compile(r"Group job (\S+) \(jobs in lexicogr\. order\):")
_ITEM = re.compile(r"^\s+(input|output|wildcards|benchmark|reason): (.*)$")
_NODE = re.compile(r'^\s*(\d+)\[label = "([^"]+)"')
_EDGE = re.compile(r"^\s*(\d+) -> (\d+)")
#: File endings of alignments and reads: what an aggregate rule must not read.
HEAVY_ENDINGS = (".bam", ".sam", ".cram", ".fastq.gz", ".fq.gz", ".fastq", ".fq")


@dataclass
class PlannedJob:
    """One job of a dry run: its rule, wildcards, input files and group (None: ungrouped)."""

    rule: str
    local: bool = False
    group: str | None = None
    wildcards: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    benchmark: str = ""
    reason: str = ""

    @property
    def sample(self) -> str | None:
        """The job's sample (its ``sample`` wildcard), None for a cohort-wide job."""
        return self.wildcards.get("sample")


@dataclass
class Plan:
    """A dry run's jobs and the number of group jobs it formed."""

    jobs: list[PlannedJob]
    groups: int

    def rule_counts(self) -> Counter:
        """Jobs per rule."""
        return Counter(job.rule for job in self.jobs)

    def submissions(self) -> int:
        """Cluster submissions: one per group job, one per ungrouped job that runs something
        (has outputs: rule ``all`` runs nothing) and is not local."""
        return self.groups + sum(
            1 for j in self.jobs if j.group is None and j.outputs and not j.local
        )


def _wildcards(text: str) -> dict[str, str]:
    """``sample=a, unit=lane1`` -> {'sample': 'a', 'unit': 'lane1'}."""
    pairs = (part.split("=", 1) for part in text.split(", ") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


def parse_dry_run(text: str) -> Plan:
    """The jobs and group jobs of a dry run's output (see the module's docstring)."""
    jobs: list[PlannedJob] = []
    groups, group, group_indent = 0, None, 0
    for line in text.splitlines():
        header = _GROUP.search(line)
        if header:
            groups += 1
            group, group_indent = header.group(1), len(line) - len(line.lstrip())
            continue
        match = _JOB.match(line)
        if match:
            indent = len(match.group(1))
            if group is not None and indent <= group_indent:
                group = None  # a job at the group header's level: the group has ended
            jobs.append(PlannedJob(match.group(3), bool(match.group(2)), group))
            continue
        item = _ITEM.match(line)
        if item and jobs:
            key, value = item.groups()
            if key == "wildcards":
                jobs[-1].wildcards = _wildcards(value)
            elif key in ("input", "output"):
                setattr(jobs[-1], f"{key}s", [path for path in value.split(", ") if path])
            else:
                setattr(jobs[-1], key, value)
    return Plan(jobs, groups)


def parse_rule_graph(dot: str) -> dict[str, set[str]]:
    """Rule -> the rules that read its outputs, from ``snakemake --rulegraph``'s dot text."""
    names, edges = {}, defaultdict(set)
    for line in dot.splitlines():
        node = _NODE.match(line)
        if node:
            names[node.group(1)] = node.group(2)
            continue
        edge = _EDGE.match(line)
        if edge:
            edges[edge.group(1)].add(edge.group(2))
    return {names[a]: {names[b] for b in targets} for a, targets in edges.items()} | {
        name: set() for key, name in names.items() if key not in edges
    }


def downstream(graph: dict[str, set[str]], sources: set[str]) -> set[str]:
    """Every rule that reads, directly or through other rules, an output of ``sources``."""
    seen: set[str] = set()
    stack = [rule for source in sources for rule in graph.get(source, ())]
    while stack:
        rule = stack.pop()
        if rule not in seen:
            seen.add(rule)
            stack.extend(graph.get(rule, ()))
    return seen - sources


@dataclass
class BatchCheck:
    """What adding a batch planned: per-sample jobs of the new samples and aggregate jobs."""

    new_samples: int
    per_sample_jobs: int
    per_sample_rules: list[str]
    aggregate_jobs: int
    aggregate_rules: list[str]
    aggregate_inputs: dict[str, int]  # file kind -> inputs of the aggregate jobs
    #: Planned jobs that read the sample sheets but no sample's outputs (provenance): rule ->
    #: the reads or alignment files among their inputs.
    sheet_readers: dict[str, int] = field(default_factory=dict)


def _kind(path: str) -> str:
    """A file's kind for the report: its last suffix (``.tsv``, ``.json``, ``.gff3``, ...)."""
    name = path.rsplit("/", 1)[-1]
    for ending in HEAVY_ENDINGS:
        if name.endswith(ending):
            return ending
    return "." + name.rsplit(".", 1)[-1] if "." in name else name


def check_new_batch(
    plan: Plan,
    new_samples: set[str],
    full_plan: Plan,
    like: str,
    graph: dict[str, set[str]],
    sheets: set[str],
) -> BatchCheck:
    """Raise unless ``plan`` (a dry run after adding ``new_samples`` to a finished study) holds
    exactly the new samples' per-sample jobs plus aggregate jobs, and no aggregate job reads a
    BAM or reads file.

    Per-sample jobs are those with a ``sample`` wildcard; each new sample must get the same
    rules as sample ``like`` has in ``full_plan`` (the study planned from scratch,
    ``--forceall``) and no earlier sample any job. Every other planned job must be an
    aggregate, a rule downstream of the per-sample rules in the rule ``graph``, or read the
    ``sheets`` (or be downstream of such a rule), so no reference is rebuilt and no qPCR or
    survival job rerun. The aggregates' inputs must hold no BAM or reads file; those of the
    sheets' readers are counted (:attr:`BatchCheck.sheet_readers`).
    """
    per_sample_rules = {job.rule for job in full_plan.jobs if job.sample}
    rules_per_sample: dict[str, Counter] = defaultdict(Counter)
    aggregates: list[PlannedJob] = []
    for job in plan.jobs:
        if job.sample:
            rules_per_sample[job.sample][job.rule] += 1
        else:
            aggregates.append(job)
    old = sorted(set(rules_per_sample) - new_samples)
    if old:
        raise RuntimeError(f"{len(old)} finished samples planned again, e.g. {old[:3]}")
    missing = sorted(new_samples - set(rules_per_sample))
    if missing:
        raise RuntimeError(f"{len(missing)} new samples not planned, e.g. {missing[:3]}")
    template = Counter(job.rule for job in full_plan.jobs if job.sample == like)
    if not template:
        raise RuntimeError(f"sample {like} has no job in the plan from scratch")
    for sample, planned in rules_per_sample.items():
        if planned != template:
            raise RuntimeError(
                f"new sample {sample}: planned {dict(planned)}, a sample of the study from "
                f"scratch has {dict(template)}"
            )
    fed = downstream(graph, per_sample_rules)
    readers = {j.rule for j in full_plan.jobs if not j.sample and sheets & set(j.inputs)} - fed
    stray = sorted({job.rule for job in aggregates} - fed - readers - downstream(graph, readers))
    if stray:
        raise RuntimeError(f"jobs planned that no sample feeds (references, qPCR, ...): {stray}")
    sheet_jobs = [job for job in aggregates if job.rule not in fed]
    aggregates = [job for job in aggregates if job.rule in fed and job.outputs]  # not `all`
    heavy = sorted(
        {f"{job.rule}: {path}" for job in aggregates for path in job.inputs if _is_heavy(path)}
    )
    if heavy:
        raise RuntimeError(f"aggregate jobs read alignments or reads: {heavy[:5]}")
    kinds = Counter(_kind(path) for job in aggregates for path in job.inputs)
    return BatchCheck(
        new_samples=len(new_samples),
        per_sample_jobs=sum(sum(c.values()) for c in rules_per_sample.values()),
        per_sample_rules=sorted(template),
        aggregate_jobs=len(aggregates),
        aggregate_rules=sorted({job.rule for job in aggregates}),
        aggregate_inputs=dict(kinds.most_common()),
        sheet_readers={
            job.rule: sum(1 for path in job.inputs if _is_heavy(path)) for job in sheet_jobs
        },
    )


def _is_heavy(path: str) -> bool:
    return path.endswith(HEAVY_ENDINGS)
