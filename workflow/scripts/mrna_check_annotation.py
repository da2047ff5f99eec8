"""Check the GTF against the genome before indexing; write the gene table (id, name, span)."""

import sys

import pandas as pd
from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.mrna.annotation import check_annotation, gene_names, gene_spans, stranded_regions

script_log(snakemake.log[0])

counting = snakemake.params.counting
summary = check_annotation(
    snakemake.input.gtf,
    snakemake.input.genome,
    feature_type=counting["feature_type"],
    id_attribute=counting["id_attribute"],
)
spans = gene_spans(
    snakemake.input.gtf,
    feature_type=counting["feature_type"],
    id_attribute=counting["id_attribute"],
)
names = gene_names(
    snakemake.input.gtf,
    feature_type=counting["feature_type"],
    id_attribute=counting["id_attribute"],
    name_attribute=counting["name_attribute"],
)
genes = pd.DataFrame(
    {
        "gene_id": [s.gene_id for s in spans],
        "name": [names.get(s.gene_id, "") for s in spans],
        "chrom": [s.chrom for s in spans],
        "start": [s.start for s in spans],
        "end": [s.end for s in spans],
        "strand": [s.strand for s in spans],
    }
).sort_values(["chrom", "start", "gene_id"])
print(
    f"{snakemake.input.gtf}: {len(summary.genes)} genes on {len(summary.chromosomes)} "
    f"chromosome(s), {len(summary.genes_with_name)} with a name; all chromosomes in the genome.",
    file=sys.stderr,
)
write_tsv_atomic(genes, snakemake.output.genes)
regions = pd.DataFrame(
    stranded_regions(snakemake.input.gtf, feature_type=counting["feature_type"]),
    columns=["chrom", "start", "end", "strand"],
)
write_tsv_atomic(regions, snakemake.output.regions)
