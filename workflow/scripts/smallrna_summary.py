"""Count matrices, read fate, insert lengths and the QC gate of the small-RNA arm."""

import json
import logging
import sys

from esccrt.errors import script_log

script_log(snakemake.log[0])
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s: %(message)s")

from esccrt.io import write_tsv_atomic  # noqa: E402
from esccrt.smallrna.count import count_matrix  # noqa: E402
from esccrt.smallrna.isomirs import isomir_table  # noqa: E402
from esccrt.smallrna.mirgff import (  # noqa: E402
    merge_mirgff,
    mirtop_stats,
    read_mirgff,
    write_checked_mirgff,
)
from esccrt.smallrna.qc import (  # noqa: E402
    SampleFate,
    insert_length_table,
    plot_insert_lengths,
    plot_read_fate,
    plot_rna_classes,
    qc_gate,
    read_fate_table,
    rna_class_table,
    write_multiqc_rna_classes,
)
from esccrt.smallrna.reference import read_fasta  # noqa: E402

per_sample = {}
for sample, path in zip(snakemake.params.samples, snakemake.input.counts, strict=True):
    with open(path) as handle:
        per_sample[sample] = json.load(handle)

mature_names = [r.name for r in read_fasta(snakemake.input.mature)]
hairpin_names = [r.name for r in read_fasta(snakemake.input.hairpin)]
mature = count_matrix({s: d["mature"] for s, d in per_sample.items()}, mature_names)
hairpin = count_matrix({s: d["hairpin"] for s, d in per_sample.items()}, hairpin_names)
write_tsv_atomic(mature, snakemake.output.counts)
write_tsv_atomic(hairpin, snakemake.output.hairpin_counts)

write_tsv_atomic(
    isomir_table({s: d["isomirs"] for s, d in per_sample.items()}), snakemake.output.isomirs
)

samples = list(snakemake.params.samples)
per_sample_gff = {
    sample: read_mirgff(path) for sample, path in zip(samples, snakemake.input.mirgff, strict=True)
}
write_checked_mirgff(
    merge_mirgff(per_sample_gff),
    samples,
    snakemake.output.mirgff,
    snakemake.params.mirgff3_source,
)
write_tsv_atomic(mirtop_stats(snakemake.output.mirgff), snakemake.output.mirtop_stats)

fates = [SampleFate(**d["fate"]) for d in per_sample.values()]
rna_classes = list(snakemake.params.rna_classes)
fate_table, warnings = read_fate_table(fates, snakemake.params.min_adapter_fraction, rna_classes)
for warning in warnings:
    logging.warning(warning)
write_tsv_atomic(fate_table, snakemake.output.read_fate)
plot_read_fate(fate_table, snakemake.output.read_fate_plot, rna_classes)
classes = rna_class_table(fate_table, rna_classes)
write_tsv_atomic(classes, snakemake.output.rna_classes)
plot_rna_classes(classes, snakemake.output.rna_classes_plot)
write_multiqc_rna_classes(classes, snakemake.output.rna_classes_mqc)

lengths = insert_length_table(
    {s: {int(k): v for k, v in d["lengths"].items()} for s, d in per_sample.items()}
)
write_tsv_atomic(lengths, snakemake.output.insert_lengths)
plot_insert_lengths(lengths, snakemake.output.insert_plot, tuple(snakemake.params.window))

gate = qc_gate(
    {s: d["fate"]["mature"] for s, d in per_sample.items()}, snakemake.params.min_mirna_reads
)
for row in gate.itertuples():
    if row.passed:
        logging.info(
            "QC gate: sample %s passed (%d mature miRNA reads)", row.sample, row.mirna_reads
        )
    else:
        logging.warning("QC gate: sample %s FAILED: %s", row.sample, row.reason)
write_tsv_atomic(gate, snakemake.output.qc_gate)
