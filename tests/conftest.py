"""Shared pytest fixtures: import path of the workflow library, the real reference data, R;
and the session's rule that no test passes without its proof.

A test that skips for a reason outside :data:`prerequisites.ALLOWED_SKIPS` is reported as
failed, its message naming the command that brings what is missing (``make test-data``,
``make test-tools``, ...): see ``tests/prerequisites.py``.

The fixtures that run the workflow (``demo_results``, ``mini_demo``, ``finished_mini_demo``)
live in ``tests/workflow/conftest.py``: only the (slow) tests of that folder can use them.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from prerequisites import TEST_DATA, missing, require_r_packages

# The session's check (no skip outside the allow-list, the `commands` marker): hooks of the
# plugin module `prerequisites`, imported here so that pytest registers them for every test.
from prerequisites import pytest_configure as pytest_configure
from prerequisites import pytest_make_collect_report as pytest_make_collect_report
from prerequisites import pytest_runtest_makereport as pytest_runtest_makereport
from prerequisites import pytest_runtest_setup as pytest_runtest_setup
from tools.reference_data import DATA_ENV, data_folder, missing_files

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The one place tests find the reference data: $ESCCRT_TEST_DATA, else ../shared/data.
SHARED_DATA = data_folder()

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
    """Real reads and reference results beside the project (never copied into it): the folder
    ``../shared/data``, or ``$ESCCRT_TEST_DATA``.

    Tests that need them fail, naming ``make test-data``, where a file of its MANIFEST is absent
    or has another size (``make test-data`` also checks the checksums).
    """
    absent = missing_files(SHARED_DATA)
    if absent:
        shown = "all files" if absent == ["*"] else f"{len(absent)} file(s), e.g. {absent[:3]}"
        missing(
            f"reference data in {SHARED_DATA} ({DATA_ENV} or ../shared/data): {shown}", TEST_DATA
        )
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

    Fails, naming ``make test-tools``, where Rscript or the DESeq2 package is absent.
    """
    require_r_packages("DESeq2")
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
