"""Ask a conda solver whether every environment of the workflow can be created (`make conda-check`).

A dry-run solve (nothing is downloaded or installed) of environment.yml and of each per-rule
environment in workflow/envs/, with the first client found of micromamba, mamba and conda (or the
one named by $CONDA_CHECK_CLIENT). Prints one line per environment, "solved" or "not solved"
followed by the solver's message, and exits 1 when any is not solved, 2 when there is no client.
Needs a machine that reaches the conda-forge and bioconda channels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ("micromamba", "mamba", "conda")
NO_CLIENT = (
    "make conda-check: no conda client found (looked for {clients} on PATH). Install one, e.g.\n"
    "  micromamba: https://mamba.readthedocs.io/en/latest/installation/micromamba-installation.html\n"
    "  Miniforge (conda and mamba): https://conda-forge.org/download/\n"
    "or name yours with CONDA_CHECK_CLIENT=/path/to/conda, then run make conda-check again."
)
#: Lines of the solver's output shown for an environment that is not solved.
MESSAGE_LINES = 25


def environment_files(root: Path = REPO_ROOT) -> list[Path]:
    """environment.yml, then the per-rule environments."""
    return [root / "environment.yml", *sorted((root / "workflow" / "envs").glob("*.yaml"))]


def find_client(environ: dict[str, str]) -> str | None:
    """The conda client to use: $CONDA_CHECK_CLIENT, else the first of CLIENTS on PATH."""
    named = environ.get("CONDA_CHECK_CLIENT")
    if named:
        return shutil.which(named, path=environ.get("PATH"))
    for client in CLIENTS:
        found = shutil.which(client, path=environ.get("PATH"))
        if found:
            return found
    return None


def dry_run_command(client: str, env_file: Path) -> list[str]:
    """The client's dry-run solve of ``env_file`` into a throw-away environment name.

    micromamba creates from a file with `create -f`; conda and mamba with `env create -f`.
    """
    name = f"esccrt-conda-check-{env_file.stem}"
    if Path(client).name.startswith("micromamba"):
        return [client, "create", "--yes", "--dry-run", "-n", name, "-f", str(env_file)]
    return [client, "env", "create", "--dry-run", "-n", name, "-f", str(env_file)]


def solve(client: str, env_file: Path) -> tuple[bool, str]:
    """Whether the client solves ``env_file``, and the tail of what it said when it did not."""
    result = subprocess.run(
        dry_run_command(client, env_file), capture_output=True, text=True, check=False
    )
    if result.returncode == 0:
        return True, ""
    said = (result.stdout + result.stderr).strip().splitlines()
    return False, "\n".join(f"    {line}" for line in said[-MESSAGE_LINES:])


def main(root: Path = REPO_ROOT) -> int:
    """Solve every environment; 0 when all are solved, 1 when one is not, 2 without a client."""
    client = find_client(dict(os.environ))
    if client is None:
        print(NO_CLIENT.format(clients=", ".join(CLIENTS)), file=sys.stderr)
        return 2
    print(f"dry-run solves with {client}")
    failed = 0
    for env_file in environment_files(root):
        solved, message = solve(client, env_file)
        label = env_file.relative_to(root)
        print(f"{label}: solved" if solved else f"{label}: not solved\n{message}")
        failed += not solved
    print(f"{failed} of {len(environment_files(root))} environments not solved")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
