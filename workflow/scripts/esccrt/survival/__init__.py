"""Survival analysis of the qPCR cohort: groups, Kaplan-Meier, log-rank, Cox, diagnostic model.

Modules, in pipeline order:

- :mod:`esccrt.survival.settings`: :class:`Endpoint`, :class:`Factor` (one configured grouping)
  and :class:`SurvivalSettings`, the typed ``survival`` config section.
- :mod:`esccrt.survival.clinical`: reading and checking the clinical table, patients matching
  the Ct table.
- :mod:`esccrt.survival.sequencing`: sequencing markers, a small-RNA miRNA's change post / pre
  per patient from the DE stage's normalised counts (targets ``seq:<miRNA>``, rule
  ``survival_sequencing_markers``), read by the stage beside the qPCR fold changes.
- :mod:`esccrt.survival.groups`: clinical columns and qPCR fold changes -> ordered groups.
- :mod:`esccrt.survival.logrank`: Kaplan-Meier estimates, medians and log-rank tests.
- :mod:`esccrt.survival.cox`: Cox proportional-hazards models, univariate and multivariate.
- :mod:`esccrt.survival.table1`: the study's Table 1 and ``format_p``.
- :mod:`esccrt.survival.diagnostic`: logistic model of "event within N months", ROC and AUC.
- :mod:`esccrt.survival.plots`: Kaplan-Meier, forest and ROC figures.
"""
