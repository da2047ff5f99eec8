"""Rule script of target_shift: the target-set shift tests (esccrt.targets_stage.run_shift)."""

from esccrt.errors import script_log
from esccrt.integrate_settings import ShiftSettings
from esccrt.targets_stage import run_shift

script_log(snakemake.log[0])
settings = snakemake.params.settings
run_shift(
    ShiftSettings(**settings["shift"]),
    {name: str(path) for name, path in snakemake.input.items()},
    dict(snakemake.output.items()),
    settings["pairing_column"],
)
