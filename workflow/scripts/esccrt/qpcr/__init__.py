"""qPCR relative quantification: Ct triplicates -> per-patient fold changes (post vs pre).

Modules, in pipeline order:

- :mod:`esccrt.qpcr.formats`: Cq values from instrument files (RDML, ABI SDS, QuantStudio,
  Bio-Rad CFX, LightCycler 480) as one well table; :mod:`esccrt.qpcr.sample_map` maps
  instrument sample names to patients and timepoints; :mod:`esccrt.qpcr.ct_import` turns the
  configured files into the long Ct table (rule ``qpcr_import_ct``).
- :mod:`esccrt.qpcr.settings`: :class:`QpcrSettings`, the checked ``qpcr`` config section.
- :mod:`esccrt.qpcr.ct_table`: reading the long Ct table, the design checks (timepoints,
  targets, references per patient) and reshaping published wide tables.
- :mod:`esccrt.qpcr.replicates`: the undetermined / above-limit rule and the replicate summary
  (mean, SD, QC flags, optional outlier removal).
- :mod:`esccrt.qpcr.genorm`, :mod:`esccrt.qpcr.normfinder`: the stability measures of
  candidate references (geNorm M and pairwise V; NormFinder rho), on log2 quantities.
- :mod:`esccrt.qpcr.stability`: the candidates in the study's samples (-Ct * log2 E), the
  stability table and the automatic choice of the references.
- :mod:`esccrt.qpcr.haemolysis`: the serum haemolysis check (dCt of a configured pair).
- :mod:`esccrt.qpcr.fold_changes`: reference Ct, 2^-ddCt (Livak) or Pfaffl fold changes.
- :mod:`esccrt.qpcr.outliers` (Grubbs' test), :mod:`esccrt.qpcr.melt` (melt-curve peaks by
  RDML-Tools' analysis), :mod:`esccrt.qpcr.detection_limit` (MIQE limit of detection) and
  :mod:`esccrt.qpcr.qc_tables`: the QC tables per well and per sample.
- :mod:`esccrt.qpcr.pipeline`: :func:`~esccrt.qpcr.pipeline.run_qpcr`, the whole step the
  rule script calls; :mod:`esccrt.qpcr.plots`: the stability figure.
"""
