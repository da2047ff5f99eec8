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
- :mod:`esccrt.qpcr.fold_changes`: reference Ct, 2^-ddCt (Livak) or Pfaffl fold changes, and
  :func:`~esccrt.qpcr.fold_changes.run`, the whole step the rule script calls.
"""
