"""The real annotations of /work/shared/data pass the GTF checks against their genomes."""

from __future__ import annotations

from esccrt.mrna.annotation import check_annotation
from schema_sections import annotation_options


def test_real_annotations_pass_the_checks(shared_data):
    for folder, genome_name in (("human_chr22_slice", "genome.fasta"), ("yeast_chrI", "genome.fa")):
        base = shared_data / "mrnaseq" / folder
        summary = check_annotation(
            base / "genes.gtf" if folder == "yeast_chrI" else base / "genome.gtf",
            base / genome_name,
            **annotation_options(),
        )
        assert summary.genes
