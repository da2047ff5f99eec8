"""Locate each mature miRNA in the hairpins (exact match), for crediting hairpin reads."""

import sys

from esccrt.errors import script_log

script_log(snakemake.log[0])

from esccrt.io import write_tsv_atomic  # noqa: E402
from esccrt.smallrna.arms import mature_positions  # noqa: E402
from esccrt.smallrna.reference import read_fasta  # noqa: E402

mature = {r.name: r.sequence for r in read_fasta(snakemake.input.mature)}
hairpins = {r.name: r.sequence for r in read_fasta(snakemake.input.hairpin)}
table = mature_positions(mature, hairpins)
write_tsv_atomic(table, snakemake.output.arms)
placed = table["mature"].nunique()
print(
    f"{placed} of {len(mature)} mature miRNAs found in {table['hairpin'].nunique()} of "
    f"{len(hairpins)} hairpins",
    file=sys.stderr,
)
missing = sorted(set(mature) - set(table["mature"]))
if missing:
    print(
        f"not found in any hairpin (counted by direct alignment only): {missing[:20]}",
        file=sys.stderr,
    )
