"""MultiQC tells the truth (issue #28 item 4): the multiqc command Snakemake plans (dry run,
shell commands printed) for the demo and for its small-RNA libraries alone has a title naming
only the arms that run, and reads every small-RNA library's cutadapt report and the read-based
alignment rates, never bowtie's logs of collapsed sequences (a row per miRNA step)."""

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


def _planned_multiqc(workdir: Path) -> tuple[str, list[str]]:
    """The title and the input files of the planned multiqc command."""
    run = run_workflow(workdir, "--dry-run", "--printshellcmds")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    command = re.search(
        r"printf '%s\\n' (.*?) > \S*multiqc_files.txt.*?--title '([^']+)'", run.stdout
    )
    return command.group(2), command.group(1).split()


@pytest.mark.parametrize(
    ("small_rna_only", "title"),
    [(False, "Sequencing QC: small-RNA and mRNA arms"), (True, "Sequencing QC: small-RNA arm")],
    ids=["demo", "small-RNA only"],
)
def test_the_planned_multiqc_names_the_arms_that_run_and_reads_what_is_true(
    tmp_path: Path, small_rna_only: bool, title: str
) -> None:
    workdir = make_demo_run(tmp_path / "run")
    if small_rna_only:
        _keep_small_rna(workdir / "config")
    planned_title, inputs = _planned_multiqc(workdir)
    assert planned_title == title
    samples = (workdir / "config" / "samples.tsv").read_text().splitlines()[1:]
    small_rna = [line.split("\t", 1)[0] for line in samples if "\tsmallrna\t" in line]
    assert small_rna
    trimmed = sorted(p for p in inputs if p.startswith("results/smallrna/trimmed/"))
    assert trimmed == sorted(f"results/smallrna/trimmed/{s}/lane1.cutadapt.json" for s in small_rna)
    assert "results/smallrna/alignment_rates_mqc.tsv" in inputs
    assert not [p for p in inputs if "bowtie" in p]
