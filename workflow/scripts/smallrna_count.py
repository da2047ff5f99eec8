"""Count one sample's mature and hairpin alignments (copy-number weighted) and its read fate."""

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
from esccrt.smallrna.qc import sample_fate  # noqa: E402
from esccrt.smallrna.trim import read_trim_report  # noqa: E402

with open(snakemake.input.stats) as handle:
    collapsed = json.load(handle)
trims = [read_trim_report(path) for path in snakemake.input.trim_json]
rna_classes = {}
if snakemake.input.get("rna_classes"):
    with open(snakemake.input.rna_classes) as handle:
        rna_classes = {name: counts["reads"] for name, counts in json.load(handle).items()}
mature = count_alignments(snakemake.input.mature)
arm_settings = dict(snakemake.params.hairpin_to_mature)
arms = None
if arm_settings.pop("enabled"):
    arms = read_arms(snakemake.input.arms)
hairpin = count_alignments(snakemake.input.hairpin, arms, ArmRule(**arm_settings))
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
