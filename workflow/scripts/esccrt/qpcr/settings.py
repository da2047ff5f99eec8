"""The ``qpcr`` config section as a typed, checked settings object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from esccrt.errors import InputError

UNDETERMINED_RULES = ("set_to_limit", "exclude")


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
        if self.efficiencies:
            missing = [
                t for t in [*self.targets, *self.reference_targets] if t not in self.efficiencies
            ]
            if missing:
                raise InputError(
                    f"config key qpcr.efficiencies: no amplification factor for {missing}. The "
                    "Pfaffl ratio needs one for every target and reference (2.0 = 100 %), or "
                    "leave qpcr.efficiencies empty for 2^-ddCt."
                )
