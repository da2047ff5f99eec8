"""mRNA arm: reads -> trimmed -> aligned BAM -> strandedness -> htseq-count-exact counts -> QC.

Modules, in pipeline order (import from the module, e.g.
``from esccrt.mrna.counting import count_bam``):

- ``reference``: where the genome and annotation are read from, fetching them, genome length.
- ``annotation``: GTF checks against the genome and the small tables derived from the GTF.
- ``layout``: Snakefile path helpers (trimmed reads, per-unit paths).
- ``resources``: memory and size helpers the rules declare their resources with.
- ``trim``: a unit's adapters, cutadapt's arguments, its run and its JSON report.
- ``align``: HISAT2/STAR/samtools command lines, a two-command pipe, the aligners' logs.
- ``strandedness``: strandedness inferred from the reads and reconciled with the units sheet.
- ``features``: the annotation as htseq-count holds it (GenomicArrayOfSets of gene ids).
- ``counting``: :func:`~esccrt.mrna.counting.count_bam`, htseq-count on a BAM (default
  mode: one pass in a compiled loop; other modes by reference in forked processes).
- ``htseq_count``: htseq-count's loop on HTSeq's own objects (every mode).
- ``union_count``: htseq-count's default mode on pysam reads (the step index, the pair keys).
- ``union_kernel``: the same decisions compiled (numba), on raw BAM records.
- ``bam_stream``: a BAM as chunks of inflated records, counted by ``union_kernel``.
- ``htseq_table``: a count result and its table (htseq-count's output format).
- ``matrix``: the gene count matrix and count summary over units.
- ``qc``: read fate and rates per sample, the QC gate for DE, the rates plot.
"""
