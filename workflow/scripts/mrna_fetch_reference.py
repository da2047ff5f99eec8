"""Copy or download the mRNA genome/annotation into the cache, checking its sha256."""

from esccrt.errors import script_log
from esccrt.mrna.reference import fetch_reference

script_log(snakemake.log[0])

fetch_reference(
    snakemake.params.source, snakemake.params.sha256, snakemake.output[0], snakemake.params.key
)
