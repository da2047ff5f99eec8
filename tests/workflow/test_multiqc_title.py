"""The MultiQC report's title names only the arms that run (issue #28 item 4): the multiqc
command Snakemake plans (dry run, shell commands printed) for the demo and for its small-RNA
libraries alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from workflow_runs import make_demo_run, run_workflow

pytestmark = pytest.mark.slow


def _keep_small_rna(config: Path) -> None:
    """The sample and unit sheets without their mRNA libraries."""
    samples = (config / "samples.tsv").read_text().splitlines(keepends=True)
    kept = [samples[0]] + [line for line in samples[1:] if "\tsmallrna\t" in line]
    (config / "samples.tsv").write_text("".join(kept))
    names = {line.split("\t", 1)[0] for line in kept[1:]}
    units = (config / "units.tsv").read_text().splitlines(keepends=True)
    (config / "units.tsv").write_text(
        "".join([units[0]] + [line for line in units[1:] if line.split("\t", 1)[0] in names])
    )


def _planned_title(workdir: Path) -> str:
    run = run_workflow(workdir, "--dry-run", "--printshellcmds")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return re.search(r"multiqc .*?--title '([^']+)'", run.stdout).group(1)


@pytest.mark.parametrize(
    ("small_rna_only", "title"),
    [(False, "Sequencing QC: small-RNA and mRNA arms"), (True, "Sequencing QC: small-RNA arm")],
    ids=["demo", "small-RNA only"],
)
def test_the_planned_multiqc_title_names_the_arms_that_run(
    tmp_path: Path, small_rna_only: bool, title: str
) -> None:
    workdir = make_demo_run(tmp_path / "run")
    if small_rna_only:
        _keep_small_rna(workdir / "config")
    assert _planned_title(workdir) == title
