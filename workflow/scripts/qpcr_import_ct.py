"""Rule script: instrument Ct files + sample map -> results/qpcr/ct_imported.tsv and
control_wells.tsv, excluded_samples.tsv (written only when every well was read and mapped)."""

import sys

from esccrt.errors import script_log
from esccrt.qpcr.ct_import import ImportSettings, run

script_log(snakemake.log[0])

settings = ImportSettings.from_config(snakemake.params.settings)
for line in run(
    settings, snakemake.output.ct, snakemake.output.control_wells, snakemake.output.excluded
):
    print(line, file=sys.stderr)
