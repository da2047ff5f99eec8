"""Sequencing QC across both arms (rules in workflow/rules/qc.smk).

Modules:

- :mod:`esccrt.qc.insert_sizes`: insert sizes of the mRNA read pairs from ``samtools stats``
  (per-unit summary table and distribution plot).
"""
