"""Shared pytest fixtures: import path of the workflow library and the real reference data."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS_DIR = REPO_ROOT / "workflow" / "scripts"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top-level folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real reads and reference results beside the project (never copied into it).

    Tests that need them skip, saying why, on a checkout without ``../shared/data``.
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (it lives beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_results() -> Path:
    """Run the whole workflow on the simulated demo (as `make demo` does) and return results/.

    Finished outputs are reused, so after `make demo` this costs only Snakemake's check.
    """
    import os
    import subprocess

    if not (REPO_ROOT / "resources" / "demo" / ".complete").exists():
        pytest.skip("the simulated demo data is absent: run `make demo-data` (make test does)")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [str(bin_dir / "snakemake"), "--cores", str(os.cpu_count() or 2)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, (
        f"the demo workflow failed:\n{run.stdout[-5000:]}{run.stderr[-5000:]}"
    )
    return REPO_ROOT / "results"


#: Overrides that let the small demo pass the QC gates (its libraries are 10 times smaller).
MINI_DEMO_CONFIG = """
smallrna:
  min_mirna_reads: 1000
mrna:
  qc:
    min_assigned_reads: 5000
"""


def make_mini_demo(workdir: Path, smallrna_reads: int = 20000, mrna_pairs: int = 20000) -> Path:
    """A self-contained run folder: the demo's config and sheets, a 10x smaller simulated demo.

    Tests that run the workflow several times (SLURM, new batches, kill and resume) use it so
    that the suite stays within its time budget. Run Snakemake in it with :func:`run_workflow`.
    """
    import shutil
    import subprocess

    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    (workdir / "config" / "mini.yaml").write_text(MINI_DEMO_CONFIG)
    subprocess.run(
        [
            sys.executable,
            str(SCRIPTS_DIR / "simulate_demo.py"),
            "--outdir",
            str(workdir / "resources" / "demo"),
            "--cohort-dir",
            str(workdir / "config"),
            "--smallrna-reads",
            str(smallrna_reads),
            "--mrna-pairs",
            str(mrna_pairs),
        ],
        check=True,
        capture_output=True,
    )
    return workdir


def run_workflow(workdir: Path, *args: str, timeout: int = 1200, **kwargs):
    """Run the repository's Snakefile in ``workdir`` (with the mini config if present)."""
    import os
    import subprocess

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    command = [str(bin_dir / "snakemake"), "-s", str(REPO_ROOT / "Snakefile")]
    if (workdir / "config" / "mini.yaml").exists():
        command += ["--configfile", "config/config.yaml", "config/mini.yaml"]
    return subprocess.run(
        [*command, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        **kwargs,
    )


@pytest.fixture()
def mini_demo(tmp_path: Path) -> Path:
    """A fresh run folder with the small simulated demo (see :func:`make_mini_demo`)."""
    return make_mini_demo(tmp_path / "run")


#: R DESeq2 on a count table (``feature``, optional ``name``, one column per sample) and a
#: sample table (``sample`` + design columns, ``condition`` with level ``control``): features
#: with at least ``min_total`` reads, size factors of ``type``, ``DESeq()``, ``results()`` of
#: irradiated vs control; writes results, final dispersions and which genes had outliers replaced.
_DESEQ2_R = r"""
suppressMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
table <- read.delim(args[1], row.names = 1, check.names = FALSE)
counts <- as.matrix(table[, setdiff(colnames(table), "name"), drop = FALSE])
counts <- counts[rowSums(counts) >= as.numeric(args[6]), , drop = FALSE]
samples <- read.delim(args[2], row.names = 1, stringsAsFactors = TRUE)
samples <- samples[colnames(counts), , drop = FALSE]
samples$condition <- relevel(samples$condition, "control")
dds <- DESeqDataSetFromMatrix(counts, samples, as.formula(args[3]))
dds <- DESeq(estimateSizeFactors(dds, type = args[5]), quiet = TRUE)
res <- results(dds, contrast = c("condition", "irradiated", "control"))
replaced <- if (is.null(mcols(dds)$replace)) FALSE else mcols(dds)$replace
out <- data.frame(feature = rownames(res), as.data.frame(res), dispersion = dispersions(dds),
                  replaced = replaced)
write.table(out, args[4], sep = "\t", quote = FALSE, row.names = FALSE)
"""


@pytest.fixture(scope="session")
def run_r_deseq2(tmp_path_factory) -> Callable[..., Path]:
    """A function running R DESeq2 here (see ``_DESEQ2_R``) and returning its table's path.

    Skips, saying why, where Rscript or the DESeq2 package is absent (``make bench`` installs
    them as root; ``make test`` does not need them).
    """
    probe = ["Rscript", "-e", "quit(status = !requireNamespace('DESeq2', quietly = TRUE))"]
    if shutil.which("Rscript") is None or subprocess.run(probe, capture_output=True).returncode:
        pytest.skip("Rscript with the DESeq2 package is not installed (Debian: r-bioc-deseq2)")
    folder = tmp_path_factory.mktemp("r_deseq2")
    script = folder / "deseq2.R"
    script.write_text(_DESEQ2_R)
    numbers = itertools.count()

    def run(
        counts: Path, samples: Path, design: str, size_factors: str = "ratio", min_total: int = 0
    ) -> Path:
        out = folder / f"results_{next(numbers)}.tsv"
        command = ["Rscript", str(script), str(counts), str(samples), design, str(out)]
        subprocess.run([*command, size_factors, str(min_total)], check=True, capture_output=True)
        return out

    return run
