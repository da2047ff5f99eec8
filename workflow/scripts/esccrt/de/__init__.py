"""Differential expression of each arm (small RNA, mRNA) with PyDESeq2, giving R DESeq2's numbers.

The modules, in pipeline order:

- :mod:`esccrt.de.settings`: config section ``diffexp`` as one typed object;
- :mod:`esccrt.de.design`: design formula, group or covariate per variable, the checks of the
  design and contrasts against the sample sheet, and the PyDESeq2 sample metadata;
- :mod:`esccrt.de.inputs`: the QC gate, the count matrix, the pre-filter (and ``prepare``: all
  of them with the design check);
- :mod:`esccrt.de.model`: the DESeq2 fit and the Wald test of one contrast;
- :mod:`esccrt.de.dispersion`: R DESeq2's gene-wise and MAP dispersion fits (the model's
  inference object);
- :mod:`esccrt.de.trend`: R DESeq2's parametric dispersion trend;
- :mod:`esccrt.de.transform`: normalised counts and the variance-stabilised matrix;
- :mod:`esccrt.de.tables`: the result and matrix tables written;
- :mod:`esccrt.de.plots`: volcano, MA, heatmaps, PCA and sample distances.
"""
