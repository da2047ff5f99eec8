"""Rule script of smallrna_reference: calls esccrt.smallrna.stage.reference."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.settings import ReferenceSettings
from esccrt.smallrna.stage import ReferenceOutputs, reference

script_log(snakemake.log[0])

reference(
    ReferenceSettings(**snakemake.params.reference),
    from_named(ReferenceOutputs, dict(snakemake.output.items())),
)
