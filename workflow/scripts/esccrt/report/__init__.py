"""The final report: one self-contained HTML page (results/report/report.html), rendering only.

Every table and figure it shows was written by a stage's rule (the join of sequencing with
survival by rule ``integrate``, see :mod:`esccrt.integrate`); building the page writes no file
(the stage writes the page, the checklists and, when identifiers are coded, the shared tables).
The rule script ``workflow/scripts/report.py`` gathers the paths and calls
:func:`esccrt.report.build.build_report`.

Modules:

- :mod:`esccrt.report.build`: the whole page, section by section;
- :mod:`esccrt.report.sections`: run summary, QC, DE, join and survival sections;
- :mod:`esccrt.report.methods`: the methods paragraph from the template workflow/report/methods.md;
- :mod:`esccrt.report.methods_survival`: its survival part; :mod:`esccrt.report.wording`: a list
  in words and the filled-in template block, shared by both;
- :mod:`esccrt.report.html`: page, tables, embedded figures, style, script and CSP;
- :mod:`esccrt.report.inputs`: the input paths (:class:`~esccrt.report.inputs.ReportInputs`),
  the provenance checksums table and the dated archive copy.
- :mod:`esccrt.report.checklists`: the TRIPOD+AI and REMARK items (workflow/report/checklists.tsv)
  and the part of the page answering each;
- :mod:`esccrt.report.pseudonyms`: patient identifiers coded for the page and the shared tables
  (config ``report.pseudonymise``).
"""
