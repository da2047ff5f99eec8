"""Rule script of smallrna_align: calls esccrt.smallrna.stage.align (mature or hairpin)."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.settings import BowtieSettings
from esccrt.smallrna.stage import AlignInputs, AlignOutputs, align

script_log(snakemake.log[0])

align(
    BowtieSettings.from_config(snakemake.params.settings, snakemake.wildcards.ref),
    snakemake.params.index,
    from_named(AlignInputs, dict(snakemake.input.items())),
    from_named(AlignOutputs, dict(snakemake.output.items())),
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
