"""Rule script of report: calls the report stage (esccrt.report.stage.run)."""

from pathlib import Path

from esccrt.errors import script_log
from esccrt.report.inputs import ReportInputs
from esccrt.report.stage import ReportOutputs, run

script_log(snakemake.log[0])

# share and pseudonyms are outputs only when report.pseudonymise is on
outputs = {name: Path(path) for name, path in snakemake.output.items()}
run(
    snakemake.params.config,
    ReportInputs.from_named(dict(snakemake.input.items())),
    ReportOutputs(**outputs),
    repo=Path(snakemake.scriptdir).parents[1],
)
