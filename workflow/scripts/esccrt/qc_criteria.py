"""The criteria of the per-sample QC verdicts (results/qc/sample_qc.tsv) and how a value meets
its thresholds: pass, warn, fail, or na without a value. The values are computed by
:mod:`esccrt.smallrna.sample_qc`; the report reads these definitions to render the table (they
import nothing heavy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PASS, WARN, FAIL, NA = "pass", "warn", "fail", "na"
#: Verdicts from best to worst; the overall verdict is the worst criterion's (na counts as none).
SEVERITY = {NA: 0, PASS: 1, WARN: 2, FAIL: 3}
#: The overall verdicts each setting of config ``qc.exclude`` takes out of differential
#: expression.
EXCLUDED_VERDICTS = {"fail": (FAIL,), "fail_and_warn": (FAIL, WARN), "none": ()}


@dataclass(frozen=True)
class Criterion:
    """How a criterion's value meets its thresholds.

    ``higher_is_better``: a value below the threshold is flagged (else above it);
    ``threshold_passes``: a value equal to the threshold passes (miRTrace flags ``value <
    threshold``; exceRpt passes only ``value > threshold``; DraculR's "Caution" starts at its
    threshold).
    """

    name: str
    source: str
    higher_is_better: bool = True
    threshold_passes: bool = True

    def flagged(self, value: float, threshold: float | None) -> bool:
        """True when ``value`` is on the wrong side of ``threshold`` (None: never)."""
        if threshold is None:
            return False
        if self.higher_is_better:
            return value < threshold if self.threshold_passes else value <= threshold
        return value > threshold if self.threshold_passes else value >= threshold

    @property
    def flag_sign(self) -> str:
        """The comparison that flags a value, as written in a reason (``<``, ``<=``, ``>``...)."""
        sign = "<" if self.higher_is_better else ">"
        return sign if self.threshold_passes else f"{sign}="

    def verdict(self, value: float | None, warn: float | None, fail: float | None) -> str:
        """pass, warn or fail of ``value``; na when there is no value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NA
        if self.flagged(value, fail):
            return FAIL
        if self.flagged(value, warn):
            return WARN
        return PASS


#: The criteria, in the order of the table's columns (names = keys of config ``qc.criteria``).
CRITERIA = (
    Criterion("phred_q30_share", "miRTrace"),
    Criterion("length_share", "miRTrace"),
    Criterion("passing_filters_share", "miRTrace"),
    Criterion("mirna_share", "miRTrace"),
    Criterion("mirna_complexity", "miRTrace"),
    Criterion("transcriptome_reads", "exceRpt", threshold_passes=False),
    Criterion("transcriptome_genome_ratio", "exceRpt", threshold_passes=False),
    Criterion("outlier_robust_z", "robust z", higher_is_better=False),
    Criterion("haemolysis_draculr", "DraculR", higher_is_better=False, threshold_passes=False),
)
BY_NAME = {criterion.name: criterion for criterion in CRITERIA}
#: Why the transcriptome/genome ratio is NA in every sample of this workflow.
NO_GENOME = "no genome alignment in this workflow"
