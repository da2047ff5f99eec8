"""Small-RNA stage: adapter trimming presets, collapsing, copy-number aware counting and QC.

Flow per sample: per unit, one pass trims each read as cutadapt does and counts its inserts ->
all units collapsed into unique inserts (``>seqN_xCOUNT``, miRDeep2 style; QIAseq: one copy per
molecule, UMI errors corrected) -> bowtie 1 to each configured RNA class in order (rRNA, tRNA,
...), then mature, then hairpin, each step taking the reads the previous one left -> pysam
counting weighted by the copy number carried in the read name.

Modules, in pipeline order (import from them directly):

- ``presets``: protocol presets (adapter, random bases, UMI) and the shared trimming settings.
- ``trim``: cutadapt arguments, trimming and counting in one pass, trimming reports.
- ``collapse``: unique inserts with copy numbers, UMI deduplication, copy numbers of read names.
- ``umis``: UMI error correction (UMI-tools' directional method).
- ``reference``: miRBase-style reference FASTA files, fetched, checked and prepared for bowtie.
- ``arms``: mature regions of the hairpins and the rule crediting hairpin reads to them.
- ``align``: bowtie 1 commands and runs (mature, hairpin).
- ``screen``: RNA class screening (one bowtie ``--un`` chain over the classes, reads per class).
- ``isomirs``: isomiR classes of mature miRNA reads, non-templated 3' tails, their tables.
- ``mirgff``: isomiRs in mirGFF3 with mirtop's labels; merging, validation, mirtop stats.
- ``count``: copy-number weighted counting of alignments (multi-mapper rule), count matrices.
- ``qc``: read fate of every input read, insert lengths, the QC gate and their plots.
- ``sample_qc``: per-sample verdicts on miRTrace's and exceRpt's criteria and outliers.
- ``layout``: paths and inputs of the rule file that depend on the configuration.
"""
