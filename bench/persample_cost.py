"""Section persample_cost (issue 26, item 1): where each per-sample rule's time goes.

For the small-RNA sample's rules (trim, collapse, align, count; the screen runs only with RNA
classes configured, and the schema's default has none) and the mRNA counting rule, on the inputs
of sections smallrna and mrna (their bench folders, same sizes), each turn on 1 pinned core:

- **job**: the rule's benchmark file from a Snakemake run (as in the ratio sections);
- **no-op script job**: the benchmark file of a rule whose script does nothing: Snakemake's
  own job start-up, the Python interpreter's start-up and the script preamble (Snakemake's
  modules, the unpickled ``snakemake`` object);
- **imports**: a process importing, in load order, every module the rule's script process
  loaded (recorded by the hook bench/hook/sitecustomize.py), minus the same for the no-op
  script's modules;
- **tool**: the external tool run directly on the same input (bowtie | samtools view for the
  align rule, from the command lines in its bowtie logs); cutadapt and featureCounts, the
  alternatives of the ratio sections, are run on the same files too;
- **our work**: job - no-op job - imports - tool (the rule's own Python work).

A last, profiled run (cProfile of each rule's whole script process, by the same hook) names the
functions where the work goes. Tools' outputs are checked against the rules' before any row.
"""

from __future__ import annotations

import contextlib
import os
import pstats
import shlex
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import agreement
import harness
import rule_sections
import rules
from esccrt import paths
from harness import Row, fmt_seconds
from rules import SAMPLE, UNIT
from settings import Settings

HOOK = Path(__file__).resolve().parent / "hook"
#: The small-RNA sample's jobs: benchmark file -> rule (its script has the rule's name).
SMALLRNA_RULES = {
    f"smallrna/trim/{SAMPLE}_{UNIT}.tsv": "smallrna_trim",
    f"smallrna/collapse/{SAMPLE}.tsv": "smallrna_collapse",
    f"smallrna/align/{SAMPLE}.tsv": "smallrna_align",
    f"smallrna/count/{SAMPLE}.tsv": "smallrna_count",
}
MRNA_RULES = {rule_sections.MRNA_COUNT_JOB: "mrna_count"}
NOOP_SNAKEFILE = """\
rule noop:
    output:
        "noop.done",
    log:
        "noop.log",
    benchmark:
        "results/benchmarks/noop.tsv"
    threads: 1
    script:
        "noop.py"
"""
NOOP_SCRIPT = '"""Does nothing but touch its output."""\nopen(snakemake.output[0], "w").close()\n'
#: Imports, in order, the modules named in the file argv[1] (those that fail are skipped).
IMPORT_ONLY = (
    "import importlib, sys\n"
    "for name in open(sys.argv[1]).read().split():\n"
    "    try:\n"
    "        importlib.import_module(name)\n"
    "    except Exception:\n"
    "        pass\n"
)


@contextlib.contextmanager
def hooked(folder: Path, profile: bool = False) -> Iterator[Path]:
    """The runs inside record each rule script's modules (and profile) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    changes = {
        "BENCH_HOOK_DIR": str(folder),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOK), os.environ.get("PYTHONPATH")])),
        **({"BENCH_HOOK_PROFILE": "1"} if profile else {}),
    }
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def noop_folder(work: Path) -> tuple[Path, list[str]]:
    """A folder with a one-rule Snakefile whose script does nothing; its snakemake command."""
    folder = work / "noop"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Snakefile").write_text(NOOP_SNAKEFILE)
    (folder / "noop.py").write_text(NOOP_SCRIPT)
    command = [str(rules.BIN / "snakemake"), "-s", "Snakefile", "noop.done", "--cores", "1"]
    return folder, [*command, "--forcerun", "noop", "--quiet", "rules"]


def bowtie_steps(folder: Path, work: Path) -> list[tuple[str, list[str], Path]]:
    """(step, bowtie | samtools view command, its BAM) of each miRNA step as the align rule ran
    it (first line of its bowtie log), writing its own files; each step reads what the
    previous one left, as in the rule."""
    steps, reads = [], None
    for ref in ("mature", "hairpin"):
        log = folder / paths.fill(paths.SMALLRNA_BOWTIE_LOG, ref=ref, sample=SAMPLE)
        logged = log.read_text().splitlines()[0].split()
        unaligned, bam = work / f"bowtie_{ref}_un.fa", work / f"bowtie_{ref}.bam"
        command = rule_sections.with_option_values(logged[:-1], {"--un": str(unaligned)})
        command.append(str(reads) if reads else logged[-1])
        view = ["samtools", "view", "-b", "-o", str(bam), "-"]
        script = f"set -euo pipefail; {shlex.join(command)} 2>/dev/null | {shlex.join(view)}"
        steps.append((ref, ["bash", "-c", script], bam))
        reads = unaligned
    return steps


def alignments(bam: Path) -> int:
    """Number of SAM records of a BAM (samtools view -c)."""
    done = subprocess.run(["samtools", "view", "-c", str(bam)], capture_output=True, check=True)
    return int(done.stdout)


def profile_top(prof: Path, n: int = 4) -> list[tuple[str, float, float]]:
    """The ``n`` functions with the most own time in a cProfile dump: (name, own s, cum s)."""
    stats = pstats.Stats(str(prof)).stats
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:n]
    out = []
    for (filename, line, function), (_cc, _nc, own, cumulative, _callers) in ranked:
        where = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
        out.append((f"{where}:{line}({function})" if where else function, own, cumulative))
    return out


def measure_pinned(command: Sequence[str], cwd: Path, log: Path) -> harness.Measurement:
    """One run of ``command`` pinned to the first CPU (wall and CPU seconds)."""
    return harness.measure(harness.pinned(command, 1), cwd=cwd, env=rules.env(1), log=log)


class Turns:
    """The measurements of every turn: series name -> list of seconds."""

    def __init__(self) -> None:
        self.series: dict[str, list[float]] = {}

    def add(self, name: str, seconds: float) -> None:
        self.series.setdefault(name, []).append(seconds)

    def add_run(self, name: str, run: harness.Measurement) -> None:
        """A tool's run: its wall time under ``name``, its CPU time under ``cpu:name``."""
        self.add(name, run.seconds)
        self.add(f"cpu:{name}", run.cpu_seconds or 0.0)

    def median(self, name: str) -> float:
        return harness.median(self.series[name])


def persample_cost(s: Settings) -> tuple[list[Row], dict]:
    """Decomposition of the per-sample rules' times (see the module's docstring)."""
    load_before = os.getloadavg()
    small = rule_sections.smallrna_folder(s)
    mrna = rule_sections.mrna_folder(s)
    work = s.work / "persample_cost"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    modules = work / "modules"
    noop_dir, noop_command = noop_folder(work)
    cutadapt_out, cutadapt_json = work / "cutadapt.fa", work / "cutadapt.json"
    cutadapt = rule_sections.cutadapt_command(
        rule_sections.smallrna_cutadapt_args(small.folder),
        1,
        str(cutadapt_out),
        str(cutadapt_json),
        rule_sections.smallrna_window(),
    )
    bam = mrna.folder / paths.fill(paths.MRNA_BAM, aligner="hisat2", sample=SAMPLE, unit=UNIT)
    featurecounts_out = work / "featurecounts.txt"
    featurecounts = ["featureCounts", "-T", "1", *rule_sections.FEATURECOUNTS_OPTIONS]
    featurecounts += ["-a", str(mrna.gtf), "-o", str(featurecounts_out), str(bam)]
    scripts = [*SMALLRNA_RULES.values(), *MRNA_RULES.values(), "noop"]
    turns = Turns()
    for _ in range(max(1, s.reps)):
        with hooked(modules):
            _rule_turn(turns, small, SMALLRNA_RULES, "smallrna_trim", log)
            _rule_turn(turns, mrna, MRNA_RULES, "mrna_count", log)
            turns.add("noop", _noop_job(noop_dir, noop_command, log))
        for script in scripts:  # the script processes' CPU, from the hook
            turns.add(f"cpu:{script}", float((modules / f"{script}.cpu").read_text()))
        turns.add_run("tool:cutadapt", measure_pinned(cutadapt, small.folder, log))
        for ref, command, _bam in bowtie_steps(small.folder, work):
            turns.add_run(f"tool:bowtie {ref}", measure_pinned(command, small.folder, log))
        turns.add_run("tool:featureCounts", measure_pinned(featurecounts, work, log))
        python = measure_pinned([str(rules.BIN / "python"), "-c", "pass"], work, log)
        turns.add("python", python.seconds)
        for script in scripts:
            listed = str(modules / f"{script}.modules")
            command = [str(rules.BIN / "python"), "-c", IMPORT_ONLY, listed]
            turns.add_run(f"imports:{script}", measure_pinned(command, work, log))
    _check_tools(small, mrna, work, cutadapt_json, featurecounts_out)
    profiles = work / "profiles"
    with hooked(profiles, profile=True):  # one profiled run (cProfile slows Python down)
        rules.run_rules(small.folder, 1, small.targets, log=log, forcerun=["smallrna_trim"])
        rules.run_rules(mrna.folder, 1, mrna.targets, log=log, forcerun=["mrna_count"])
    tops = {rule: profile_top(profiles / f"{rule}.prof") for rule in scripts if rule != "noop"}
    counts = {
        script: len((modules / f"{script}.modules").read_text().split()) for script in scripts
    }
    rows, raw = decomposition_rows(turns, tops, counts, small, mrna)
    raw.update(load_before=load_before, load_after=os.getloadavg(), series=turns.series)
    return rows, raw


def _rule_turn(
    turns: Turns, bench: rule_sections.BenchFolder, jobs: dict[str, str], first: str, log: Path
) -> None:
    """One Snakemake run re-making the sample's ``jobs`` (from rule ``first``); their times."""
    run = rules.run_rules(bench.folder, 1, bench.targets, log=log, forcerun=[first])
    rules.check_jobs(run.rules, jobs)
    for job, rule in jobs.items():
        turns.add(f"job:{rule}", run.rules.jobs[job])


def _noop_job(folder: Path, command: list[str], log: Path) -> float:
    """The no-op script job's time (its benchmark file)."""
    harness.measure(harness.pinned(command, 1), cwd=folder, env=rules.env(1), log=log)
    return rules.read_benchmarks(folder).jobs["noop.tsv"]


def trimming_agrees(folder: Path, cutadapt_json: Path) -> None:
    """Raise unless cutadapt's run alone (its JSON report) trimmed as the sample's trimming rule
    did in the bench ``folder`` (its cutadapt report and collapse statistics)."""
    import json

    def rule_json(pattern: str, **wildcards: str) -> dict:
        return json.loads((folder / paths.fill(pattern, **wildcards)).read_text())

    agreement.smallrna_trimming(
        rule_json(paths.SMALLRNA_TRIM_REPORT, sample=SAMPLE, unit=UNIT),
        rule_json(paths.SMALLRNA_COLLAPSE_STATS, sample=SAMPLE),
        rule_json(paths.SMALLRNA_CUTADAPT_JSON, sample=SAMPLE, unit=UNIT),
        json.loads(cutadapt_json.read_text()),
    )


def _check_tools(small, mrna, work: Path, cutadapt_json: Path, featurecounts_out: Path) -> None:
    """The direct tool runs did the rules' work: the same trimming numbers as the trim rule's
    cutadapt report, as many alignments per step as the align rule's BAMs, and the same gene
    counts as the counting rule."""
    folder = small.folder
    trimming_agrees(folder, cutadapt_json)
    for ref, _command, bam in bowtie_steps(folder, work):
        ours = folder / paths.fill(paths.SMALLRNA_BOWTIE_BAM, ref=ref, sample=SAMPLE)
        agreement.require_equal(
            {f"{ref} alignments": (alignments(ours), alignments(bam))}, "bowtie alone vs rule"
        )
    counts = mrna.folder / mrna.targets[0]
    agreement.identical_counts(
        agreement.genes_only(rule_sections.read_htseq(counts)),
        rule_sections.read_featurecounts(featurecounts_out),
        "mrna_count vs featureCounts on the rule's BAM",
    )


def decomposition_rows(
    turns: Turns,
    tops: dict[str, list[tuple[str, float, float]]],
    modules: dict[str, int],
    small: rule_sections.BenchFolder,
    mrna: rule_sections.BenchFolder,
) -> tuple[list[Row], dict]:
    """One row per rule (job = no-op job + imports + tool + our work; the same in CPU time of
    the script process, children included), the sample's sums vs cutadapt, and the counting
    rule vs featureCounts; the decomposition as raw numbers."""
    tools = {"smallrna_align": ["tool:bowtie mature", "tool:bowtie hairpin"]}
    parts: dict[str, dict[str, float]] = {}
    for rule in [*SMALLRNA_RULES.values(), *MRNA_RULES.values()]:
        parts[rule] = {
            **_parts(turns, rule, tools.get(rule, []), ""),
            **{f"cpu_{k}": v for k, v in _parts(turns, rule, tools.get(rule, []), "cpu:").items()},
        }
    sizes = {
        "smallrna": f"{small.size:,} serum-like reads (section smallrna's input)",
        "mrna": f"{mrna.size:,} read pairs (section mrna's BAM)",
    }
    rows = [_rule_row(rule, p, tops[rule], modules[rule], sizes) for rule, p in parts.items()]
    rows += _gap_rows(turns, parts, sizes)
    return rows, {"parts": parts, "profiles": tops, "modules": modules}


def _parts(turns: Turns, rule: str, tools: Sequence[str], kind: str) -> dict[str, float]:
    """job = noop_job + imports + tool + own, in wall time (``kind`` "": the job's benchmark
    file) or CPU time ("cpu:": the script process's, children included)."""
    job = turns.median(f"{kind}job:{rule}" if not kind else f"cpu:{rule}")
    noop = turns.median("noop" if not kind else "cpu:noop")
    imports = turns.median(f"{kind}imports:{rule}") - turns.median(f"{kind}imports:noop")
    imports = max(imports, 0.0)
    tool = sum(turns.median(f"{kind}{name}") for name in tools)
    own = job - noop - imports - tool
    return {"job": job, "noop_job": noop, "imports": imports, "tool": tool, "own": own}


def _rule_row(rule: str, p: dict[str, float], top, n_modules: int, sizes) -> Row:
    tool = {"smallrna_align": "bowtie mature + hairpin | samtools view -b, run alone"}.get(rule)
    named = "; ".join(f"{name} {own:.2f} s own" for name, own, _cum in top[:3])

    def split(k: str) -> str:
        return (
            f"{fmt_seconds(p[k + 'job'])} = no-op script {fmt_seconds(p[k + 'noop_job'])} + "
            f"imports {fmt_seconds(p[k + 'imports'])} + tool "
            f"{fmt_seconds(p[k + 'tool']) if tool else '(none)'} + our Python work "
            f"{fmt_seconds(p[k + 'own'])}"
        )

    return Row(
        f"per-sample cost: rule {rule}, 1 core",
        sizes["mrna" if rule.startswith("mrna") else "smallrna"],
        f"wall: job {split('')}; CPU: script process {split('cpu_')}",
        f"{tool}: {fmt_seconds(p['tool'])} ({fmt_seconds(p['cpu_tool'])} CPU)" if tool else "",
        note=f"{n_modules} modules loaded; profile (cProfile of the whole script process, one "
        f"run), most own time: {named}",
    )


def _gap_rows(turns: Turns, parts: dict[str, dict[str, float]], sizes) -> list[Row]:
    """The sample's rules vs cutadapt and the counting rule vs featureCounts, decomposed."""
    small = {rule: p for rule, p in parts.items() if rule.startswith("smallrna")}
    total = sum(p["job"] for p in small.values())
    total_cpu = sum(p["cpu_job"] for p in small.values())
    cutadapt, cutadapt_cpu = turns.median("tool:cutadapt"), turns.median("cpu:tool:cutadapt")
    start = sum(p["noop_job"] + p["imports"] for p in small.values())
    trim = small["smallrna_trim"]
    others = ", ".join(
        f"{rule.removeprefix('smallrna_')} {fmt_seconds(p['job'])}"
        for rule, p in small.items()
        if rule != "smallrna_trim"
    )
    count = parts["mrna_count"]
    featurecounts = turns.median("tool:featureCounts")
    featurecounts_cpu = turns.median("cpu:tool:featureCounts")
    return [
        Row(
            "per-sample cost: the small-RNA sample's rules vs cutadapt -j 1, 1 core",
            sizes["smallrna"],
            f"wall {fmt_seconds(total)} (CPU of the script processes {fmt_seconds(total_cpu)}) = "
            f"{len(small)} jobs' start-up and imports {fmt_seconds(start)} + bowtie "
            f"{fmt_seconds(sum(p['tool'] for p in small.values()))} + our Python work "
            f"{fmt_seconds(sum(p['own'] for p in small.values()))}",
            f"cutadapt -j 1 (-m/-M window) on the same file: {fmt_seconds(cutadapt)} "
            f"({fmt_seconds(cutadapt_cpu)} CPU)",
            harness.ratio_text(total, cutadapt),
            note=f"project {total / cutadapt:.2f}x cutadapt's wall time, "
            f"{total_cpu / cutadapt_cpu:.2f}x its CPU time (goal 1.3x at 2 M reads); the trim "
            f"job alone {fmt_seconds(trim['job'])} ({trim['job'] / cutadapt:.2f}x cutadapt); "
            f"the other jobs add {others}",
        ),
        Row(
            "per-sample cost: rule mrna_count vs featureCounts -T 1, 1 core",
            sizes["mrna"],
            f"wall {fmt_seconds(count['job'])} = start-up and imports "
            f"{fmt_seconds(count['noop_job'] + count['imports'])} + counting "
            f"{fmt_seconds(count['own'])}; CPU of the script process "
            f"{fmt_seconds(count['cpu_job'])}",
            f"featureCounts -T 1 on the rule's BAM: {fmt_seconds(featurecounts)} "
            f"({fmt_seconds(featurecounts_cpu)} CPU)",
            harness.ratio_text(count["job"], featurecounts),
            note=f"project {count['job'] / featurecounts:.2f}x featureCounts' wall time, "
            f"{count['cpu_job'] / featurecounts_cpu:.2f}x its CPU time (goal 1.5x at 2.6 M "
            "records); gene counts identical (asserted)",
        ),
    ]
