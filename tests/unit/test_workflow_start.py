"""Reading the workflow imports configuration code only.

Snakemake reads the Snakefile at every start: the submitting run, and twice inside every SLURM
job (the job's own Snakemake and its srun step). The statistics and plotting libraries belong in
the rule scripts; imported while the workflow is read they cost seconds per start (scipy.stats and
matplotlib.pyplot cost about 2.2 s of the 3.3 s a `snakemake --list-rules` took on 2026-12-07,
through the integration rules' settings).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Libraries only rule scripts may import: none of them is needed to read the workflow.
SCRIPT_ONLY_LIBRARIES = ("scipy", "matplotlib", "lifelines", "pydeseq2", "sklearn", "statsmodels")

# Snakemake's own imports (pandas through its SLURM plugin's efficiency report) are not ours to
# cut; the probe lists the modules loaded after the Snakefile was read, from this process.
PROBE = """
import sys
from snakemake.api import SnakemakeApi
from snakemake.settings.types import (
    ConfigSettings, ResourceSettings, StorageSettings, WorkflowSettings,
)
from pathlib import Path

before = set(sys.modules)
with SnakemakeApi() as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(cores=1),
        config_settings=ConfigSettings(),
        storage_settings=StorageSettings(),
        workflow_settings=WorkflowSettings(),
        snakefile=Path("Snakefile"),
        workdir=Path("."),
    )
    workflow.list_rules()
print("\\n".join(sorted(set(sys.modules) - before)))
"""


def test_reading_the_workflow_imports_no_statistics_or_plotting_library(repo_root: Path) -> None:
    """`snakemake --list-rules` on the demo config loads none of the rule scripts' libraries."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    loaded = run.stdout.split()
    assert any(name.startswith("esccrt.") for name in loaded), "the probe read no workflow"
    heavy = sorted(
        {name.split(".")[0] for name in loaded if name.split(".")[0] in SCRIPT_ONLY_LIBRARIES}
    )
    assert heavy == [], f"reading the workflow imports {heavy}: move that import into a rule script"
