"""Rule script of smallrna_sample_qc: calls esccrt.smallrna.sample_qc.sample_qc."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.sample_qc import SampleQCInputs, SampleQCOutputs, sample_qc

script_log(snakemake.log[0])

sample_qc(
    dict(snakemake.params.criteria),
    list(snakemake.params.samples),
    from_named(SampleQCInputs, dict(snakemake.input.items())),
    from_named(SampleQCOutputs, dict(snakemake.output.items())),
)
