"""Rule script of smallrna_sample_qc: calls esccrt.smallrna.sample_qc.sample_qc."""

import logging
import sys

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.sample_qc import SampleQCInputs, SampleQCOutputs, sample_qc

script_log(snakemake.log[0])
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s: %(message)s")

sample_qc(
    dict(snakemake.params.settings),
    list(snakemake.params.samples),
    from_named(SampleQCInputs, dict(snakemake.input.items())),
    from_named(SampleQCOutputs, dict(snakemake.output.items())),
)
