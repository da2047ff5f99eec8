"""Count one sample's mature and hairpin alignments (copy-number weighted), write its read fate
and its isomiRs in mirGFF3 (checked with mirtop's validator)."""

import json
import sys
from dataclasses import asdict

from esccrt.errors import script_log

script_log(snakemake.log[0])

from esccrt.io import write_json_atomic  # noqa: E402
from esccrt.smallrna.arms import ArmRule, read_arms  # noqa: E402
from esccrt.smallrna.collapse import fasta_copies  # noqa: E402
from esccrt.smallrna.count import add_counts, count_alignments  # noqa: E402
from esccrt.smallrna.isomirs import merge_isomirs  # noqa: E402
from esccrt.smallrna.mirgff import sample_records, write_mirgff  # noqa: E402
from esccrt.smallrna.qc import sample_fate  # noqa: E402
from esccrt.smallrna.reference import read_fasta  # noqa: E402
from esccrt.smallrna.trim import read_trim_report  # noqa: E402

with open(snakemake.input.stats) as handle:
    collapsed = json.load(handle)
trims = [read_trim_report(path) for path in snakemake.input.trim_json]
rna_classes = {}
if snakemake.input.get("rna_classes"):
    with open(snakemake.input.rna_classes) as handle:
        rna_classes = {name: counts["reads"] for name, counts in json.load(handle).items()}
max_non_templated = snakemake.params.max_non_templated
mature = count_alignments(snakemake.input.mature, max_non_templated=max_non_templated)
arm_settings = dict(snakemake.params.hairpin_to_mature)
all_arms = read_arms(snakemake.input.arms)
arms = all_arms if arm_settings.pop("enabled") else None
hairpin = count_alignments(
    snakemake.input.hairpin,
    arms,
    ArmRule(**arm_settings),
    max_non_templated=max_non_templated,
)
fate = sample_fate(
    snakemake.wildcards.sample,
    trims,
    collapsed,
    rna_classes,
    mature,
    hairpin,
    fasta_copies(snakemake.input.unaligned),
)
write_json_atomic(
    {
        "fate": asdict(fate),
        "mature": add_counts(mature.features, hairpin.arm_features),
        "hairpin": hairpin.features,
        "isomirs": merge_isomirs(mature.isomirs, hairpin.isomirs),
        "lengths": collapsed["lengths"],
    },
    snakemake.output.counts,
)
print(json.dumps(asdict(fate), indent=1), file=sys.stderr)

hairpins = {r.name: r.sequence for r in read_fasta(snakemake.input.hairpin_fasta)}
records, skipped = sample_records([mature, hairpin], all_arms, hairpins)
print(
    f"mirGFF3: {len(records)} lines; {skipped} counted (read, miRNA) pairs left out (N, outside"
    " mirtop's windows, or a mature sequence in no hairpin)",
    file=sys.stderr,
)
# Not validated here (mirtop's validator takes seconds per 10^5 lines, per sample): the
# merged file, from these lines, is (rule smallrna_summary); the tests validate every file.
write_mirgff(
    ((record, [record.expression]) for record in records),
    [snakemake.wildcards.sample],
    snakemake.output.mirgff,
    snakemake.params.mirgff3_source,
)
for spilled in (records, mature.placements, hairpin.placements):
    spilled.close()
