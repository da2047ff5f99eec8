"""Rule script of smallrna_isomirs: calls esccrt.smallrna.isomir_matrix.run."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.isomir_matrix import IsomirInputs, IsomirOutputs, run
from esccrt.smallrna.settings import IsomirSettings

script_log(snakemake.log[0])

run(
    IsomirSettings.from_config(snakemake.params.settings),
    from_named(IsomirInputs, dict(snakemake.input.items())),
    from_named(IsomirOutputs, dict(snakemake.output.items())),
)
