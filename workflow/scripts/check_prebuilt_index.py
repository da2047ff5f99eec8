"""Check a prebuilt aligner index against the FASTA it must represent; write the marker file."""

import sys

from esccrt.errors import script_log
from esccrt.indexes import check_index
from esccrt.io import atomic_write

script_log(snakemake.log[0])

check = check_index(snakemake.params.kind, snakemake.params.location, snakemake.input.fasta)
print(check.summary(), file=sys.stderr)
with atomic_write(snakemake.output[0]) as handle:
    handle.write(check.summary() + "\n")
