"""Normalised counts and the variance-stabilised matrix of one arm, for plots and clustering.

:func:`normalise_and_vst` gives the normalised counts and the (blind) variance-stabilised
matrix (R's ``vst(dds, blind=TRUE)``); the DE tests themselves use the raw counts
(:mod:`esccrt.de.model`).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from esccrt.de.model import deseq_dataset


def normalise_and_vst(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    *,
    size_factors: str,
    n_cpus: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Normalised counts and blind VST (R's ``vst(dds, blind=TRUE)``), features x samples.

    The dispersion trend of the VST is parametric, as in R; should that fit fail (tiny
    matrices), the mean dispersion is used instead and a warning goes to stderr.
    Returns ``(normalised counts, vst, size factors)``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        dds = deseq_dataset(counts, metadata, design, size_factors=size_factors, n_cpus=n_cpus)
        try:
            dds.vst(use_design=False, fit_type="parametric")
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as error:
            print(
                f"warning: parametric VST fit failed ({error}); using fit_type 'mean'.",
                file=sys.stderr,
            )
            dds = deseq_dataset(counts, metadata, design, size_factors=size_factors, n_cpus=n_cpus)
            dds.vst(use_design=False, fit_type="mean")
    normalised = pd.DataFrame(
        np.asarray(dds.layers["normed_counts"]).T, index=counts.index, columns=metadata.index
    )
    vst = pd.DataFrame(
        np.asarray(dds.layers["vst_counts"]).T, index=counts.index, columns=metadata.index
    )
    size = pd.Series(np.asarray(dds.obs["size_factors"]), index=metadata.index, name="size_factor")
    return normalised, vst, size
