"""The ``qpcr`` config section as a typed, checked settings object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from esccrt.errors import InputError

UNDETERMINED_RULES = ("set_to_limit", "exclude")
#: How references are picked from ``reference_candidates`` when ``reference_selection.auto``.
SELECTION_METHODS = ("genorm", "normfinder")
#: Study designs of ``qpcr.design`` (see :mod:`esccrt.qpcr.designs`).
DESIGNS = ("paired", "unpaired", "timecourse")


@dataclass(frozen=True)
class QpcrSettings:
    """The ``qpcr`` config section, checked (see workflow/schemas/qpcr.schema.yaml)."""

    targets: Sequence[str]
    reference_targets: Sequence[str]
    pre: str
    post: str
    undetermined_tokens: Sequence[str]
    ct_limit: float
    undetermined: str
    sd_threshold: float
    remove_outliers: bool
    efficiencies: Mapping[str, float]
    #: Where the fold changes' amplification factors come from: ``efficiencies`` (config) or
    #: the curve analysis' efficiency table (linregpcr; esccrt.qpcr.pipeline.run_qpcr).
    efficiency_source: str
    reference_candidates: Sequence[str]
    reference_selection: Mapping
    haemolysis: Mapping
    #: SE of the amplification factor per assay (qpcr.efficiency_se; propagated, uncertainty.py).
    efficiency_se: Mapping[str, float]
    #: Confidence level of the intervals of relative quantities and fold changes.
    ci_level: float
    design: str
    groups: Mapping
    comparisons: Sequence[Mapping]
    qc: Mapping

    @property
    def candidates(self) -> list[str]:
        """Candidate references for the stability measures (the references when none given)."""
        return list(self.reference_candidates or self.reference_targets)

    @property
    def timepoints(self) -> list[str] | None:
        """The timepoints the Ct table may hold, in order (None: any, the unpaired design)."""
        if self.design == "unpaired":
            return None
        named = [self.pre, self.post]
        for comparison in self.comparisons:
            named += [comparison["from"], comparison["to"]]
        return list(dict.fromkeys(named))

    @property
    def grubbs_alpha(self) -> float | None:
        """Grubbs' level for removing outliers, or None (the farthest-from-median rule)."""
        return self.qc["outlier_alpha"] if self.qc["outlier_method"] == "grubbs" else None

    @classmethod
    def from_config(cls, section: Mapping) -> QpcrSettings:
        """Build from the validated ``config["qpcr"]`` and check the values.

        Every field is read from ``section``: the defaults live only in qpcr.schema.yaml, and
        Snakemake's validation fills them in.
        """
        settings = cls(**{k: section[k] for k in cls.__dataclass_fields__})
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`InputError` naming the config key of a bad value."""
        if self.undetermined not in UNDETERMINED_RULES:
            raise InputError(
                f"config key qpcr.undetermined: '{self.undetermined}' is not a rule; use one of "
                f"{list(UNDETERMINED_RULES)}."
            )
        if not self.reference_targets:
            raise InputError("config key qpcr.reference_targets: name at least one reference.")
        if not self.targets:
            raise InputError("config key qpcr.targets: name at least one miRNA to quantify.")
        both = sorted(set(self.targets) & set(self.reference_targets))
        if both:
            raise InputError(
                f"config keys qpcr.targets and qpcr.reference_targets both list {both}; a "
                "reference cannot also be a target."
            )
        if self.pre == self.post:
            raise InputError("config keys qpcr.pre and qpcr.post must name different timepoints.")
        for target, factor in self.efficiencies.items():
            if not 1.0 < float(factor) <= 2.5:
                raise InputError(
                    f"config key qpcr.efficiencies.{target}: {factor} is not an amplification "
                    "factor; write E as copies per cycle (2.0 = 100 % efficiency, 1.9 = 90 %)."
                )
        self._check_candidates()
        self.check_haemolysis()
        self._check_efficiency_se()
        self._check_design()
        if self.efficiencies:
            missing = [
                t
                for t in dict.fromkeys([*self.targets, *self.reference_targets, *self.candidates])
                if t not in self.efficiencies
            ]
            if missing:
                raise InputError(
                    f"config key qpcr.efficiencies: no amplification factor for {missing}. The "
                    "Pfaffl ratio needs one for every target, reference and candidate reference "
                    "(2.0 = 100 %), or "
                    "leave qpcr.efficiencies empty for 2^-ddCt."
                )

    def _check_candidates(self) -> None:
        """Candidates are not targets; automatic selection has enough of them to rank."""
        targets = sorted(set(self.targets) & set(self.candidates))
        if targets:
            raise InputError(
                f"config keys qpcr.targets and qpcr.reference_candidates both list {targets}; a "
                "candidate reference cannot also be a target."
            )
        selection = self.reference_selection
        if not selection["auto"]:
            return
        method, n = selection["method"], int(selection["n"])
        if method not in SELECTION_METHODS:
            raise InputError(
                f"config key qpcr.reference_selection.method: '{method}' is not one of "
                f"{list(SELECTION_METHODS)}."
            )
        smallest = 2 if method == "genorm" else 1
        if not smallest <= n < len(self.candidates) or len(self.candidates) < 3:
            raise InputError(
                f"config key qpcr.reference_selection.n: {n} reference(s) cannot be picked by "
                f"{method} from the {len(self.candidates)} candidate(s) {self.candidates} "
                "(qpcr.reference_candidates). Automatic selection needs at least 3 candidates "
                f"and {smallest} <= n < the number of candidates (geNorm cannot order its final "
                "pair, so it picks 2 or more)."
            )

    def _check_efficiency_se(self) -> None:
        """An efficiency SE is a non-negative number for an assay the run measures."""
        assays = {*self.targets, *self.reference_targets, *self.candidates}
        for assay, se in self.efficiency_se.items():
            if assay not in assays:
                raise InputError(
                    f"config key qpcr.efficiency_se.{assay}: '{assay}' is not a target, reference "
                    "or candidate reference (qpcr.targets, qpcr.reference_targets, "
                    "qpcr.reference_candidates)."
                )
            if not float(se) >= 0.0:
                raise InputError(
                    f"config key qpcr.efficiency_se.{assay}: {se} is not a standard error (>= 0)."
                )
        if not 0.0 < float(self.ci_level) < 1.0:
            raise InputError(f"config key qpcr.ci_level: {self.ci_level} is not between 0 and 1.")

    def _check_design(self) -> None:
        """The keys the design needs: two distinct groups, or comparisons of two timepoints."""
        if self.design not in DESIGNS:
            raise InputError(
                f"config key qpcr.design: '{self.design}' is not one of {list(DESIGNS)}."
            )
        if self.design == "unpaired" and self.groups["case"] == self.groups["control"]:
            raise InputError(
                "config keys qpcr.groups.case and qpcr.groups.control name the same group "
                f"'{self.groups['case']}'; the unpaired design compares two groups."
            )
        for k, comparison in enumerate(self.comparisons):
            if comparison["from"] == comparison["to"]:
                raise InputError(
                    f"config key qpcr.comparisons[{k}]: from and to are both "
                    f"'{comparison['to']}'; a change needs two timepoints."
                )
        if self.comparisons and self.design != "timecourse":
            raise InputError(
                f"config key qpcr.comparisons is set but qpcr.design is '{self.design}'; "
                "comparisons between timepoints need design: timecourse."
            )

    def check_haemolysis(self) -> None:
        """The haemolysis pair names two different miRNAs."""
        pair = self.haemolysis
        if pair["reference"] == pair["marker"]:
            raise InputError(
                "config keys qpcr.haemolysis.reference and qpcr.haemolysis.marker name the same "
                f"miRNA '{pair['marker']}'; the check compares a red-cell miRNA (marker, e.g. "
                "hsa-miR-451a) with one that red cells do not carry (e.g. hsa-miR-23a-3p)."
            )
