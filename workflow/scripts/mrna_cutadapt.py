"""Rule script of mrna_cutadapt: calls esccrt.mrna.stage.trim for one unit."""

from esccrt.errors import script_log
from esccrt.mrna.settings import TrimmingSettings
from esccrt.mrna.stage import TrimInputs, TrimOutputs, trim
from esccrt.paths import from_named

script_log(snakemake.log[0])

trim(
    TrimmingSettings.from_config(snakemake.params.trimming),
    snakemake.params.unit,
    bool(snakemake.params.paired),
    from_named(TrimInputs, dict(snakemake.input.items())),
    from_named(TrimOutputs, dict(snakemake.output.items())),
    threads=snakemake.threads,
    where=f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}",
)
