"""Verdict tables for tests of the QC gate: every criterion passing but exceRpt's read count."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from esccrt.qc_criteria import BY_NAME
from esccrt.smallrna.sample_qc import SampleValues, verdict_table
from schema_sections import qc_criteria


def passing_values(**changes: float) -> dict[str, float]:
    """Values passing every default threshold; the genome ratio NA (no genome alignment)."""
    values = dict.fromkeys(BY_NAME, 0.9)
    values.update(transcriptome_reads=150000.0, transcriptome_genome_ratio=math.nan)
    values["outlier_robust_z"] = 1.0
    return {**values, **changes}


def transcriptome_verdicts(reads: Mapping[str, float], fail: float) -> pd.DataFrame:
    """The verdict table of samples whose transcriptome ``reads`` meet exceRpt's criterion with
    the threshold ``fail``, every other criterion passing."""
    samples = [SampleValues(s, passing_values(transcriptome_reads=n), {}) for s, n in reads.items()]
    return verdict_table(samples, qc_criteria(transcriptome_reads={"fail": fail}))
