"""Rule script of mrna_strandedness: calls esccrt.mrna.stage.strandedness for one unit."""

from pathlib import Path

from esccrt.errors import script_log
from esccrt.mrna.settings import StrandednessSettings
from esccrt.mrna.stage import StrandednessInputs, strandedness
from esccrt.paths import from_named

script_log(snakemake.log[0])

strandedness(
    StrandednessSettings.from_config(snakemake.params.settings),
    snakemake.params.sheet,
    from_named(StrandednessInputs, dict(snakemake.input.items())),
    Path(snakemake.output[0]),
    sample=snakemake.wildcards.sample,
    unit=snakemake.wildcards.unit,
)
