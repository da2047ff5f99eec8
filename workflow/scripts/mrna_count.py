"""Count one unit's BAM in genes exactly like htseq-count (-r pos, -s from the strandedness)."""

import sys

import pandas as pd
from esccrt.errors import script_log
from esccrt.mrna.counting import count_bam
from esccrt.mrna.features import load_features
from esccrt.mrna.htseq_table import write_htseq_table
from esccrt.mrna.strandedness import HTSEQ_STRANDED

script_log(snakemake.log[0])

counting = snakemake.params.counting
used = pd.read_csv(snakemake.input.strandedness, sep="\t", dtype=str)["used"].iloc[0]
stranded = HTSEQ_STRANDED[used]
features = load_features(
    snakemake.input.gtf,
    stranded=stranded != "no",
    feature_type=counting["feature_type"],
    id_attribute=counting["id_attribute"],
    name_attribute=counting["name_attribute"],
)
result = count_bam(
    snakemake.input.bam,
    features,
    stranded,
    minaqual=counting["minaqual"],
    mode=counting["mode"],
    nonunique=counting["nonunique"],
    threads=snakemake.threads,
)
print(
    f"strandedness {used} (htseq -s {stranded}); assigned {result.assigned}; {result.special}",
    file=sys.stderr,
)
write_htseq_table(result, features.names, snakemake.output[0])
