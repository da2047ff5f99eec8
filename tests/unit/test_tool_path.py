"""Rules find the virtual environment's tools however Snakemake was started.

`.venv/bin/snakemake` with a PATH lacking the virtual environment (no multiqc, cutadapt or
umi_tools on it): a shell job calling cutadapt runs, given the workflow's tool_path.smk, which the
Snakefile includes first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from esccrt.tool_path import put_interpreter_bin_on_path, with_interpreter_bin

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL_PATH_SMK = REPO_ROOT / "workflow" / "rules" / "tool_path.smk"
#: The virtual environment's bin/ (snakemake, cutadapt, multiqc), as this Python was started.
BIN = Path(sys.executable).parent
#: A PATH with the system's tools only (bash, the Debian aligners), not the virtual environment.
SYSTEM_PATH = "/usr/bin:/bin"
SNAKEFILE = """{include}
rule cutadapt_version:
    output:
        "cutadapt_version.txt",
    shell:
        "cutadapt --version > {{output}}"
"""


def test_interpreter_folder_goes_first_unless_present() -> None:
    assert (
        with_interpreter_bin("/usr/bin:/bin", "/p/.venv/bin/python") == "/p/.venv/bin:/usr/bin:/bin"
    )
    assert with_interpreter_bin("/usr/bin:/p/.venv/bin", "/p/.venv/bin/python") == (
        "/usr/bin:/p/.venv/bin"
    )
    assert with_interpreter_bin("", "/p/.venv/bin/python") == "/p/.venv/bin"
    environ = {"PATH": "/usr/bin"}
    put_interpreter_bin_on_path(environ, "/p/.venv/bin/python")
    assert environ == {"PATH": "/p/.venv/bin:/usr/bin"}


def _run_snakemake(workdir: Path, include: str) -> subprocess.CompletedProcess[str]:
    (workdir / "Snakefile").write_text(SNAKEFILE.format(include=include))
    return subprocess.run(
        [str(BIN / "snakemake"), "--cores", "1", "--quiet"],
        cwd=workdir,
        env={**os.environ, "PATH": SYSTEM_PATH},
        capture_output=True,
        text=True,
        check=False,
    )


def test_shell_jobs_find_the_venv_tools_without_the_venv_on_path(tmp_path: Path) -> None:
    # Precondition: on this PATH a job finds neither cutadapt nor multiqc (the reported failure).
    assert shutil.which("cutadapt", path=SYSTEM_PATH) is None
    result = _run_snakemake(tmp_path, f'include: "{TOOL_PATH_SMK}"')
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cutadapt_version.txt").read_text().strip()[0].isdigit()


def test_the_workflow_includes_it_first() -> None:
    snakefile = (REPO_ROOT / "Snakefile").read_text()
    includes = [line for line in snakefile.splitlines() if line.startswith("include:")]
    assert includes[0] == 'include: "workflow/rules/tool_path.smk"'
