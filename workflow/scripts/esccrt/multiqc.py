"""Settings of the MultiQC report that depend on the study (rule multiqc, workflow/rules/qc.smk)."""

from __future__ import annotations

from collections.abc import Sequence

from esccrt.sheets import LIBRARY_TYPES

#: How each sequencing arm (a sample sheet's library_type) is named to a reader.
ARM_NAMES = {"smallrna": "small-RNA", "mrna": "mRNA"}


def multiqc_title(arms: Sequence[str]) -> str:
    """The MultiQC report's title, naming only the sequencing arms that ran (in sheet order), so
    that a small-RNA-only study is not titled as if it had mRNA libraries."""
    unknown = sorted(set(arms) - set(LIBRARY_TYPES))
    if unknown or not arms:
        raise ValueError(f"MultiQC title: arms must be some of {LIBRARY_TYPES}, got {list(arms)}")
    names = [ARM_NAMES[arm] for arm in LIBRARY_TYPES if arm in arms]
    noun = "arm" if len(names) == 1 else "arms"
    return f"Sequencing QC: {' and '.join(names)} {noun}"
