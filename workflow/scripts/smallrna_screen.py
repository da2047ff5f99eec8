"""Rule script of smallrna_screen: calls esccrt.smallrna.stage.screen (classes in order)."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.settings import BowtieSettings
from esccrt.smallrna.stage import ScreenInputs, ScreenOutputs, screen

script_log(snakemake.log[0])

screen(
    BowtieSettings.from_config(snakemake.params.settings, "rna_classes"),
    list(zip(snakemake.params.classes, snakemake.params.indexes, strict=True)),
    from_named(ScreenInputs, dict(snakemake.input.items())),
    from_named(ScreenOutputs, dict(snakemake.output.items())),
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
