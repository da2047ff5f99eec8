"""Copy or download the mRNA genome/annotation into the cache, checking its sha256."""

import sys

from esccrt.mrna.reference import fetch_reference

sys.stderr = open(snakemake.log[0], "w")

fetch_reference(
    snakemake.params.source, snakemake.params.sha256, snakemake.output[0], snakemake.params.key
)
