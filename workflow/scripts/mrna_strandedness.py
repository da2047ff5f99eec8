"""Infer the strandedness of one unit and reconcile it with the units sheet."""

import sys

import pandas as pd
from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.mrna.strandedness import call_strandedness, resolve_strandedness, strand_evidence

script_log(snakemake.log[0])

settings = snakemake.params.settings
sample, unit = snakemake.wildcards.sample, snakemake.wildcards.unit
regions = pd.read_csv(snakemake.input.regions, sep="\t", dtype={"chrom": str})
evidence = strand_evidence(
    snakemake.input.bam,
    regions.itertuples(index=False, name=None),
    n_reads=settings["sample_reads"],
    min_mapq=settings["min_mapq"],
)
inferred = call_strandedness(
    evidence, threshold=settings["threshold"], min_reads=settings["min_reads"]
)
sheet = snakemake.params.sheet or "auto"
decision = resolve_strandedness(
    sheet, inferred, settings["mismatch"], where=f"sample {sample}, unit {unit}"
)
if decision.message:
    print(f"WARNING: {decision.message}", file=sys.stderr)
    print(f"WARNING: {decision.message}", file=sys.__stderr__)
row = {
    "sample": sample,
    "unit": unit,
    "sheet": sheet,
    "inferred": inferred,
    "fraction_forward": round(evidence.fraction_forward, 4),
    "fraction_reverse": round(evidence.fraction_reverse, 4),
    "fraction_undetermined": round(evidence.fraction_undetermined, 4),
    "reads_used": evidence.reads_used,
    "reads_informative": evidence.informative,
    "used": decision.used,
    "agreement": decision.agreement,
}
print(row, file=sys.stderr)
write_tsv_atomic(pd.DataFrame([row]), snakemake.output[0])
