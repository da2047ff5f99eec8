"""Deterministic simulator of the project's demo data (reads, references, cohort).

Everything it writes is SIMULATED: synthetic miRNA and gene sequences (not miRBase or Ensembl),
reads drawn from planted abundances, and a 40-patient qPCR/clinical cohort planted to show the
study's pattern. A fixed seed gives byte-identical files (``numpy.random.Generator(PCG64)``
streams derived from the seed, gzip written with ``mtime=0`` and no file name).

Modules: :mod:`.seqs` (sequence, FASTQ and FASTA helpers), :mod:`.mirna_panel` (synthetic
miRNA panel), :mod:`.smallrna` (small-RNA reads), :mod:`.mrna` (genome, GTF and paired reads),
:mod:`.cohort` (qPCR Ct triplicates, clinical table, survival) and :mod:`.demo` (the whole demo).
"""
