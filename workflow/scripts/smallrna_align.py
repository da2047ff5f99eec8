"""Rule script of smallrna_align: calls esccrt.smallrna.stage.align_mirna_steps (mature, then
hairpin, in one job)."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.layout import MIRNA_STEPS
from esccrt.smallrna.settings import BowtieSettings
from esccrt.smallrna.stage import AlignInputs, MirnaStepsOutputs, align_mirna_steps

script_log(snakemake.log.script)

align_mirna_steps(
    [
        (BowtieSettings.from_config(snakemake.params.settings[ref], ref), index)
        for ref, index in zip(MIRNA_STEPS, snakemake.params.indexes, strict=True)
    ],
    from_named(AlignInputs, dict(snakemake.input.items())),
    from_named(MirnaStepsOutputs, dict(snakemake.output.items())),
    threads=snakemake.threads,
    log_files=list(snakemake.log.steps),
)
