"""Rule script of survival_sequencing_markers: calls esccrt.survival.sequencing.run."""

from pathlib import Path

from esccrt.errors import script_log
from esccrt.survival.sequencing import run

script_log(snakemake.log[0])

run(
    Path(snakemake.input.samples),
    Path(snakemake.input.normalized),
    Path(snakemake.output[0]),
    markers=list(snakemake.params.markers),
    pre=snakemake.params.pre,
    post=snakemake.params.post,
)
