"""Rule script of smallrna_summary: calls esccrt.smallrna.summary.summary."""

import logging
import sys

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.settings import SummarySettings
from esccrt.smallrna.summary import SummaryInputs, SummaryOutputs, summary

script_log(snakemake.log[0])
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s: %(message)s")

summary(
    SummarySettings.from_config(snakemake.params.settings),
    list(snakemake.params.samples),
    list(snakemake.params.rna_classes),
    from_named(SummaryInputs, dict(snakemake.input.items())),
    from_named(SummaryOutputs, dict(snakemake.output.items())),
)
