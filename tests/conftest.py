"""Shared pytest fixtures: import path of the workflow library, the real reference data, R.

The fixtures that run the workflow (``demo_results``, ``mini_demo``, ``finished_mini_demo``)
live in ``tests/workflow/conftest.py``: only the (slow) tests of that folder can use them.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# Child processes (rule scripts, Snakemake runs, scripts started by tests) import this checkout's
# library, as pytest does through its `pythonpath` setting (pyproject.toml), not another
# checkout's editable install.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(REPO_ROOT / "workflow" / "scripts"), os.environ.get("PYTHONPATH")])
)


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

    Skips, saying why, where Rscript or the DESeq2 package is absent (``make test`` and
    ``make bench`` install them as root).
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
