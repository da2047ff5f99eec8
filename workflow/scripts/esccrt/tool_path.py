"""The PATH a workflow's jobs get: the folder of the Python running Snakemake comes first.

A virtual environment installs its command-line tools (multiqc, cutadapt, umi_tools) beside its
python. Started as `.venv/bin/snakemake` without the environment activated, Snakemake runs, but
its shell jobs would not find those tools ("multiqc: command not found"). A bottom module:
standard library only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping


def with_interpreter_bin(path: str, executable: str) -> str:
    """``path`` (a PATH value) with the folder of ``executable`` first, unless it is on it already.

    The folder is taken as given, not with symlinks resolved: a virtual environment's python is
    a link to the system's, and its tools are beside the link. An order the user chose (the
    folder present, but later) is kept.
    """
    folder = os.path.dirname(os.path.abspath(executable))
    entries = [entry for entry in path.split(os.pathsep) if entry]
    if folder in entries:
        return path
    return os.pathsep.join([folder, *entries])


def put_interpreter_bin_on_path(
    environ: MutableMapping[str, str] = os.environ, executable: str = sys.executable
) -> None:
    """Give this process (and so every job it starts) the PATH of :func:`with_interpreter_bin`."""
    environ["PATH"] = with_interpreter_bin(environ.get("PATH", ""), executable)
