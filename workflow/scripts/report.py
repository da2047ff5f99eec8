"""Rule script of report: calls the report stage (esccrt.report.stage.run)."""

from pathlib import Path

from esccrt.errors import script_log
from esccrt.report.inputs import ReportInputs
from esccrt.report.stage import ReportOutputs, run

script_log(snakemake.log[0])

run(
    snakemake.params.config,
    ReportInputs.from_named(dict(snakemake.input.items())),
    ReportOutputs(Path(snakemake.output.html)),
    repo=Path(snakemake.scriptdir).parents[1],
)
