"""Collapse the units of a sample (trimmed with the insert length window) into unique inserts."""

import sys

from esccrt.errors import InputError, script_log

script_log(snakemake.log[0])

from esccrt.io import write_json_atomic  # noqa: E402
from esccrt.smallrna.collapse import collapse_units  # noqa: E402
from esccrt.smallrna.trim import read_trim_report  # noqa: E402

stats = collapse_units(
    list(snakemake.input.fastas),
    [read_trim_report(path) for path in snakemake.input.reports],
    list(snakemake.params.umi_lengths),
    snakemake.output.fasta,
)
write_json_atomic(stats, snakemake.output.stats)
print(
    f"sample {snakemake.wildcards.sample}: {stats['reads']} trimmed reads, {stats['kept']} kept in "
    f"{snakemake.params.min_length}..{snakemake.params.max_length} nt as {stats['unique']} unique "
    "inserts",
    file=sys.stderr,
)
if any(snakemake.params.umi_lengths) and stats["kept"] == 0:
    raise InputError(
        f"sample {snakemake.wildcards.sample}: no read kept with a QIAseq adapter + 12-nt UMI "
        f"({stats['reads']} reads after trimming, {stats['no_umi']} without a readable UMI). Check "
        "the protocol in units.tsv and the cutadapt report in results/logs/smallrna/trim/."
    )
if stats["kept"] == 0:
    print(
        f"WARNING: sample {snakemake.wildcards.sample} has no read left for alignment; it will "
        "fail the QC gate.",
        file=sys.stderr,
    )
