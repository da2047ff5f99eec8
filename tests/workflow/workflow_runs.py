"""Running the workflow in temporary folders: the small demo, the full demo, copies of runs.

Helpers of the tests in ``tests/workflow/`` (their ``conftest.py`` builds the fixtures from them).
Every run happens in a folder of its own with the repository's Snakefile given by ``-s``, never
in the repository's own ``results/``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = REPO_ROOT / "workflow" / "scripts"
SNAKEFILE = REPO_ROOT / "Snakefile"
#: The virtual environment's bin/ (snakemake, cutadapt, multiqc), put first on the PATH of runs.
BIN = Path(sys.executable).parent

#: Overrides that let the small demo pass the QC gates (its libraries are 10 times smaller),
#: and less work where the small demo's runs test the workflow's plumbing (SLURM, faults,
#: batches) and the full demo the results: 20 calibration resamples (the schema's 200 per
#: landmark are a fifth of the survival rule's time) and no isomiR level (two jobs, one a SLURM
#: job of its own, rerun at every batch; the full demo runs them).
MINI_DEMO_CONFIG = """
qc:
  criteria:
    transcriptome_reads: {fail: 1000}
mrna:
  qc:
    min_assigned_reads: 5000
smallrna:
  isomirs:
    enabled: false
survival:
  calibration:
    bootstrap: 20
"""


def snakemake_env() -> dict[str, str]:
    """This process's environment with the virtual environment's bin/ first on the PATH."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def snakemake_command(workdir: Path) -> list[str]:
    """``snakemake -s <repository's Snakefile>``, with the mini config when ``workdir`` has it."""
    command = [str(BIN / "snakemake"), "-s", str(SNAKEFILE)]
    if (workdir / "config" / "mini.yaml").exists():
        command += ["--configfile", "config/config.yaml", "config/mini.yaml"]
    return command


def make_mini_demo(workdir: Path, smallrna_reads: int = 20000, mrna_pairs: int = 20000) -> Path:
    """A self-contained run folder: the demo's config and sheets, a 10x smaller simulated demo.

    Tests that run the workflow several times (SLURM, new batches, kill and resume) use it so
    that the suite stays within its time budget. Run Snakemake in it with :func:`run_workflow`.
    """
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


def make_demo_run(workdir: Path) -> Path:
    """A run folder for the full simulated demo: config/ copied, resources/demo linked.

    Only the demo's reads and references are linked (read, never written): what the workflow
    writes under resources/ (the reference cache) stays in ``workdir``.
    """
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    (workdir / "resources").mkdir()
    os.symlink((REPO_ROOT / "resources" / "demo").resolve(), workdir / "resources" / "demo")
    return workdir


def make_qpcr_only_run(workdir: Path, sheets: str) -> Path:
    """A qPCR-only study (the demo's Ct table and clinical sheet, no sequencing section): the
    demo's config with header-only sheets (``sheets='header'``) or none (``'absent'``). It runs
    from nothing in about a minute, so tests of whole runs use it."""
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    for name in ("smallrna", "mrna", "diffexp"):
        config.pop(name)
    # fewer resamples of the diagnostic model's validation: these runs test the arms' plumbing,
    # the diagnostic's numbers are proven against R elsewhere (tests/parity)
    config["survival"]["diagnostic"].update(bootstrap=20, cv_repeats=1)
    if sheets == "absent":
        config.pop("samples"), config.pop("units")
    else:
        (workdir / "config" / "samples.tsv").write_text("sample\tlibrary_type\tcondition\tbatch\n")
        (workdir / "config" / "units.tsv").write_text("sample\tunit\tfq1\tfq2\n")
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def drop_config_section(workdir: Path, name: str) -> None:
    """Remove the section ``name`` from the run folder's config/config.yaml."""
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config.pop(name)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


def drop_ct_sample(workdir: Path, patient: str, timepoint: str) -> None:
    """Remove one sample's wells (``patient`` at ``timepoint``) from the run's config/qpcr_ct.tsv:
    a patient missing a timepoint, as cohorts have."""
    ct_file = workdir / "config" / "qpcr_ct.tsv"
    ct = pd.read_csv(ct_file, sep="\t", dtype=str, keep_default_na=False)
    kept = ~((ct["patient"] == patient) & (ct["timepoint"] == timepoint))
    assert not kept.all(), f"{ct_file} has no sample {patient} ({timepoint})"
    ct[kept].to_csv(ct_file, sep="\t", index=False)


def copy_run(source: Path, target: Path) -> Path:
    """A copy of a run folder that Snakemake sees as equally finished.

    ``copytree`` copies with ``copy2``, which keeps every file's modification time, so no output
    looks older than its inputs; links (resources/demo of the full demo) stay links.
    """
    shutil.copytree(source, target, symlinks=True)
    return target


#: The longest the whole demo may take (s); measured 218 s on 2 cores. Below the suite's
#: per-test limit (pyproject.toml, `timeout`), so that a slow run fails with Snakemake's output.
DEMO_RUN_TIMEOUT = 2400


def run_workflow(
    workdir: Path, *args: str, timeout: int = 1200, **kwargs
) -> subprocess.CompletedProcess[str]:
    """Run the repository's Snakefile in ``workdir`` (with the mini config if present)."""
    return subprocess.run(
        [*snakemake_command(workdir), *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=snakemake_env(),
        timeout=timeout,
        check=False,
        **kwargs,
    )


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock`` (a file) for the block: one process at a time."""
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def shared_run(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name``, built by ``build(folder)`` once per test session.

    With pytest-xdist every worker has its own session: the folder then lives in the temporary
    folder all workers share, and a lock makes the first worker build it while the others wait
    and reuse it.
    """
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder, finished = root / name, root / f"{name}.finished"
    with _exclusive(root / f"{name}.lock"):
        if not finished.exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            finished.touch()
    return folder
