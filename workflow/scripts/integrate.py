"""Rule script of integrate: calls the join stage (esccrt.integrate.run).

Each output is declared only when its inputs exist (see workflow/rules/integrate.smk): the
evidence table with the small-RNA and qPCR arms, the candidates' targets when a miRNA-target
table is configured as well, the M2 marker table and plots with the mRNA arm.
"""

from esccrt import integrate as join
from esccrt.errors import script_log

script_log(snakemake.log[0])

params = snakemake.params
inputs, outputs = join.stage_paths(dict(snakemake.input.items()), dict(snakemake.output.items()))
join.run(join.IntegrateSettings.from_params(params.settings, params.contrasts), inputs, outputs)
