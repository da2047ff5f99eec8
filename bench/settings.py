"""Sizes, repetitions and cores of a benchmark run (run.py flags, environment ``BENCH_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
#: Fewest runs per side whose median a ratio may be printed from (quick mode excepted).
MIN_REPS = 3


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def _sizes(text: str) -> list[tuple[int, int]]:
    """``60000x48,20000x12`` -> [(60000, 48), (20000, 12)] (features x samples)."""
    return [tuple(int(v) for v in x.split("x")) for x in text.split(",") if x]


#: Environment variable -> (Settings field, parser): what a run may override.
OVERRIDES = {
    "BENCH_WORK": ("work", Path),
    "BENCH_REPS": ("reps", int),
    "BENCH_CORES": ("cores", _ints),
    "BENCH_THREADS": ("threads", int),
    "BENCH_SMALLRNA_READS": ("smallrna_reads", int),
    "BENCH_MRNA_PAIRS": ("mrna_pairs", int),
    "BENCH_DE_SIZES": ("de_sizes", _sizes),
    "BENCH_WORKFLOW_SAMPLES": ("workflow_samples", _ints),
    "BENCH_WORKFLOW_TOTAL_SAMPLES": ("workflow_total_samples", _ints),
    "BENCH_WORKFLOW_REPS": ("workflow_reps", int),
    "BENCH_WORKFLOW_READS": ("workflow_reads", int),
    "BENCH_QPCR_PATIENTS": ("qpcr_patients", int),
    "BENCH_QPCR_PLATES": ("qpcr_plates", int),
    "BENCH_PLANNING_SAMPLES": ("planning_samples", _ints),
    "BENCH_AGGREGATE_SAMPLES": ("aggregate_samples", _ints),
    "BENCH_SCALE_SAMPLES": ("scale_samples", int),
    "BENCH_SCALE_READS": ("scale_reads", int),
    "BENCH_SCALE_MRNA_PAIRS": ("scale_mrna_pairs", int),
    "BENCH_BATCH_STUDY": ("batch_study", int),
    "BENCH_BATCH_NEW": ("batch_new", int),
    "BENCH_PERSAMPLE_SMALLRNA_READS": ("persample_smallrna_reads", _ints),
    "BENCH_PERSAMPLE_MRNA_PAIRS": ("persample_mrna_pairs", _ints),
    "BENCH_DE_SCALE_MEMORY": ("de_scale_memory", lambda text: _sizes(text)[0]),
    "BENCH_DE_SCALE_VERSUS": ("de_scale_versus", lambda text: _sizes(text)[0]),
    "BENCH_DE_SCALE_REPS": ("de_scale_reps", int),
    "BENCH_DE_SCALE_PARTS": ("de_scale_parts", lambda text: [x for x in text.split(",") if x]),
}


@dataclass
class Settings:
    """What a benchmark run measures and how often. ``quick``: tiny sizes, 1 run, seconds."""

    work: Path = BENCH / "work"
    quick: bool = False
    reps: int = MIN_REPS
    #: Core counts of the like-for-like comparisons: both sides pinned to the same CPUs.
    cores: list[int] = field(default_factory=lambda: [1, 2])
    #: Cores of the whole-workflow sections (demo, workflow scaling).
    threads: int = 2
    smallrna_reads: int = 2_000_000
    mrna_pairs: int = 200_000
    de_sizes: list[tuple[int, int]] = field(default_factory=lambda: [(60_000, 48)])
    workflow_samples: list[int] = field(default_factory=lambda: [6, 24, 96])
    workflow_total_samples: list[int] = field(default_factory=lambda: [6])
    workflow_reps: int = 1
    workflow_reads: int = 2_000
    noop_jobs: int = 60
    #: The qPCR cohort of the qpcr_scale section (bench/qpcr_cohort.py): patients, plates.
    qpcr_patients: int = 1_000
    qpcr_plates: int = 30
    #: Small-RNA samples of the planning section (bench/planning.py), + 12 mRNA samples.
    planning_samples: list[int] = field(default_factory=lambda: [100, 1_000])
    #: Synthetic small-RNA samples of the aggregate_scale section (bench/aggregate_scale.py).
    aggregate_samples: list[int] = field(default_factory=lambda: [100, 300, 1_000])
    #: Section scale_run (bench/scale_run.py): small-RNA samples of their own, reads each, and
    #: read pairs of each of its 12 mRNA samples.
    scale_samples: int = 200
    scale_reads: int = 30_000
    scale_mrna_pairs: int = 20_000
    #: Section scale_plan (bench/scale_batches.py): samples of the finished study, samples added.
    batch_study: int = 1_000
    batch_new: int = 100
    #: Section de_scale (bench/de_scale.py): the DE rules' memory at genes x samples, and the
    #: size of their comparison with R DESeq2 and its glmGamPoi path (runs per side: minutes).
    de_scale_memory: tuple[int, int] = (60_000, 1_000)
    de_scale_versus: tuple[int, int] = (60_000, 200)
    de_scale_reps: int = 1
    #: Its parts: "versus" (vs R at de_scale_versus), "memory" (at de_scale_memory).
    de_scale_parts: list[str] = field(default_factory=lambda: ["versus", "memory"])
    #: Section persample_sizes (bench/persample_sizes.py): issue 26 item 1's sizes, small-RNA
    #: reads and mRNA read pairs (2.6 M and 15 M BAM records).
    persample_smallrna_reads: list[int] = field(default_factory=lambda: [2_000_000, 10_000_000])
    persample_mrna_pairs: list[int] = field(default_factory=lambda: [1_300_000, 7_500_000])
    #: Reads (pairs) of the companion sample that the contrast of the config needs.
    companion_reads: int = 2_000

    @classmethod
    def from_env(cls, quick: bool = False) -> Settings:
        """Defaults (or the quick sizes), overridden by ``BENCH_*`` variables; checked."""
        quick = quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
        s = cls(quick=quick)
        if quick:
            s.work = BENCH / "work" / "quick"
            s.reps = 1
            s.smallrna_reads = 20_000
            s.mrna_pairs = 20_000
            s.de_sizes = [(1_000, 6)]
            s.workflow_samples = [6, 12]
            s.workflow_total_samples = []  # a full workflow run is not tiny: DAG only
            s.workflow_reads = 1_000
            s.noop_jobs = 20
            s.companion_reads = 500
            s.qpcr_patients = 100
            s.qpcr_plates = 3
            s.planning_samples = [12, 24]
            s.aggregate_samples = [12, 24]
            s.scale_samples = 4
            s.scale_reads = 5_000
            s.scale_mrna_pairs = 5_000
            s.batch_study = 12
            s.batch_new = 4
            s.persample_smallrna_reads = [20_000]
            s.persample_mrna_pairs = [20_000]
            s.de_scale_memory = (1_000, 24)
            s.de_scale_versus = (2_000, 200)  # the tolerances hold from ~200 samples
        for variable, (name, parse) in OVERRIDES.items():
            if variable in os.environ:
                setattr(s, name, parse(os.environ[variable]))
        s.check()
        return s

    def check(self) -> None:
        """Refuse settings that would print ratios from too few runs or on missing cores."""
        if not self.quick and self.reps < MIN_REPS:
            raise ValueError(
                f"BENCH_REPS/--reps {self.reps}: ratios need the median of at least {MIN_REPS} "
                "runs per side (use --quick for a smoke run)"
            )
        available = os.cpu_count() or 1
        if not self.cores or min(self.cores) < 1 or max(self.cores) > available:
            raise ValueError(f"BENCH_CORES {self.cores}: this machine has {available} cores")
