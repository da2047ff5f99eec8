"""Rule script of diffexp_arm, diffexp_contrast (esccrt.de.stage) and diffexp_isomirs
(esccrt.de.isomirs): calls the DE stage."""

from esccrt.de import isomirs, stage
from esccrt.de.settings import DESettings
from esccrt.errors import script_log
from esccrt.paths import from_named

script_log(snakemake.log[0])

settings = DESettings.from_config(snakemake.params.settings)
arm, threads = snakemake.params.arm, int(snakemake.threads)
given, made = dict(snakemake.input.items()), dict(snakemake.output.items())
if snakemake.rule == "diffexp_arm":
    inputs = from_named(stage.ArmInputs, given)
    stage.run_arm(settings, arm, inputs, from_named(stage.ArmOutputs, made), threads)
elif snakemake.rule == "diffexp_isomirs":
    inputs = from_named(isomirs.IsomirDEInputs, given)
    outputs = from_named(isomirs.IsomirDEOutputs, made)
    isomirs.run_isomirs(settings, snakemake.wildcards.contrast, inputs, outputs, threads)
else:
    inputs = from_named(stage.ContrastInputs, given)
    outputs = from_named(stage.ContrastOutputs, made)
    contrast = snakemake.wildcards.contrast
    stage.run_contrast(settings, arm, contrast, inputs, outputs, threads)
