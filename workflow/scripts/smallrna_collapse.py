"""Collapse the trimmed reads of all units of a sample into unique inserts with copy numbers."""

import sys

from esccrt.errors import InputError, script_log

script_log(snakemake.log[0])

from esccrt.io import write_json_atomic  # noqa: E402
from esccrt.smallrna.collapse import collapse_reads, write_collapsed_fasta  # noqa: E402

result = collapse_reads(
    list(snakemake.input.fastas),
    min_length=snakemake.params.min_length,
    max_length=snakemake.params.max_length,
    umi_length=list(snakemake.params.umi_lengths),
)
unique = write_collapsed_fasta(result.counts, snakemake.output.fasta)
stats = {
    "reads": result.reads,
    "too_short": result.too_short,
    "too_long": result.too_long,
    "umi_duplicate": result.umi_duplicate,
    "no_umi": result.no_umi,
    "kept": result.kept,
    "unique": unique,
    "lengths": {str(k): v for k, v in sorted(result.lengths.items())},
}
write_json_atomic(stats, snakemake.output.stats)
print(
    f"sample {snakemake.wildcards.sample}: {result.reads} trimmed reads, {result.kept} kept in "
    f"{snakemake.params.min_length}..{snakemake.params.max_length} nt as {unique} unique inserts",
    file=sys.stderr,
)
if any(snakemake.params.umi_lengths) and result.kept == 0:
    raise InputError(
        f"sample {snakemake.wildcards.sample}: no read kept with a QIAseq adapter + 12-nt UMI "
        f"({result.reads} reads after trimming, {result.no_umi} without a readable UMI). Check "
        "the protocol in units.tsv and the cutadapt report in results/logs/smallrna/trim/."
    )
if result.kept == 0:
    print(
        f"WARNING: sample {snakemake.wildcards.sample} has no read left for alignment; it will "
        "fail the QC gate.",
        file=sys.stderr,
    )
