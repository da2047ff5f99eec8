"""Rule script of qpcr_interrun_calibration: the long Ct table -> the calibrated table, the
factor per plate and target, and the patients whose pre and post sit on different plates
(esccrt.qpcr.calibration.run)."""

import sys

from esccrt.errors import script_log
from esccrt.qpcr.calibration import CalibrationSettings, run

script_log(snakemake.log[0])

settings = CalibrationSettings.from_config(snakemake.params.settings)
output = snakemake.output
for line in run(settings, snakemake.input.ct, output.ct, output.factors, output.split_pairs):
    print(line, file=sys.stderr)
