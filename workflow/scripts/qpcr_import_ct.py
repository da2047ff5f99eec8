"""Rule script: instrument Ct files + sample map -> results/qpcr/ct_imported.tsv,
control_wells.tsv, excluded_samples.tsv, efficiencies.tsv and linregpcr_reactions.tsv (written
only when every well was read and mapped; Cq and efficiencies from LinRegPCR where the config
says so)."""

import sys

from esccrt.errors import script_log
from esccrt.qpcr.ct_import import ImportSettings
from esccrt.qpcr.curves import CurveOutputs, CurveSettings, run

script_log(snakemake.log[0])

settings = ImportSettings.from_config(snakemake.params.settings)
curves = CurveSettings.from_config(snakemake.params.settings)
outputs = CurveOutputs(snakemake.output.efficiencies, snakemake.output.linregpcr_reactions)
for line in run(
    settings,
    curves,
    snakemake.output.ct,
    snakemake.output.control_wells,
    outputs,
    snakemake.output.excluded,
):
    print(line, file=sys.stderr)
