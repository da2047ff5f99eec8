"""Fetch, check and prepare one small-RNA reference (mature, hairpin or an RNA class)."""

import sys

from esccrt.errors import InputError, script_log

script_log(snakemake.log[0])

from esccrt.smallrna.reference import prepare_reference  # noqa: E402

try:
    kept = prepare_reference(
        snakemake.params.source,
        snakemake.output.fasta,
        species=snakemake.params.species or None,
        sha256=snakemake.params.sha256 or "",
        key=snakemake.params.key,
        name_prefix=snakemake.params.name_prefix,
    )
except InputError as error:
    print(f"Input error (config {snakemake.params.key}): {error}", file=sys.stderr)
    raise
print(
    f"{snakemake.wildcards.ref}: {kept} sequences from {snakemake.params.source} "
    f"written to {snakemake.output.fasta}",
    file=sys.stderr,
)
