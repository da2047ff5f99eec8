"""Stability of the candidate references in the study's samples, and the automatic choice.

Every (patient, timepoint) is a sample. A candidate's log2 relative quantity in a sample is
``-Ct * log2(E)`` (E = 2 unless efficiencies are configured), so geNorm
(:mod:`esccrt.qpcr.genorm`) and NormFinder (:mod:`esccrt.qpcr.normfinder`, groups = the
timepoints) see the same numbers as with linear quantities. :func:`reference_stability` gives
one table row per candidate and the geNorm steps; :func:`choose_references` the references the
fold changes use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.cohort import ordered_samples, samples
from esccrt.qpcr.genorm import genorm, optimal_number
from esccrt.qpcr.normfinder import normfinder, normfinder_stepwise

STABILITY_COLUMNS = (
    "candidate",
    "configured_reference",
    "used_as_reference",
    "genorm_rank",
    "genorm_m",
    "genorm_m_at_exclusion",
    "normfinder_rank",
    "normfinder_rho",
    "normfinder_stepwise_order",
    "n_samples",
    "note",
)
STEP_COLUMNS = (
    "step",
    "n_candidates",
    "candidate",
    "m",
    "average_m",
    "excluded",
    "pairwise_v",
)


def check_candidates(
    table: pd.DataFrame, candidates: Sequence[str], timepoints: Sequence[str] | None
):
    """Every candidate has wells in every sample of the table, else :class:`InputError`.

    A sample is a (patient, timepoint) with wells; a patient missing a timepoint has no sample
    there and is not asked for one (:mod:`esccrt.qpcr.cohort`).
    """
    present = set(zip(table["patient"], table["timepoint"], table["target"], strict=True))
    # a sample at an unknown timepoint is check_design's error (it names the timepoint)
    existing = [
        s for s in ordered_samples(table, timepoints) if not timepoints or s[1] in timepoints
    ]
    for candidate in candidates:
        lacking = [f"{p} ({tp})" for p, tp in existing if (p, tp, candidate) not in present]
        if lacking:
            more = f" and {len(lacking) - 10} more" if len(lacking) > 10 else ""
            raise InputError(
                f"candidate reference '{candidate}' (config key qpcr.reference_candidates) has no "
                f"Ct for: {', '.join(lacking[:10])}{more}. Its stability needs every sample: add "
                "the wells or remove it from qpcr.reference_candidates."
            )


def log2_quantities(
    summary: pd.DataFrame, candidates: Sequence[str], efficiencies: Mapping[str, float]
) -> tuple[pd.DataFrame, list[str]]:
    """Samples (patient, timepoint) x candidates of -Ct * log2(E); incomplete samples dropped.

    Returns the table and the samples left out because a candidate had no usable Ct there
    (every replicate undetermined and excluded), as ``"patient (timepoint)"``.
    """
    rows = summary[summary["target"].isin(candidates)]
    cts = rows.pivot_table(
        index=["patient", "timepoint"], columns="target", values="mean_ct", dropna=False
    ).reindex(columns=list(candidates))
    # dropna=False keeps a candidate without usable Ct, but also invents every patient x
    # timepoint: keep the samples that exist (a patient missing a timepoint is not a gap).
    cts = cts.reindex(pd.MultiIndex.from_tuples(sorted(samples(rows)), names=cts.index.names))
    factors = pd.Series({c: math.log2(float(efficiencies.get(c, 2.0))) for c in candidates})
    quantities = -cts * factors
    incomplete = quantities.isna().any(axis=1)
    dropped = [f"{p} ({tp})" for p, tp in quantities.index[incomplete]]
    return quantities[~incomplete], dropped


@dataclass(frozen=True)
class StabilityResult:
    """Per-candidate stability table, geNorm steps and the analysis' own notes."""

    table: pd.DataFrame
    steps: pd.DataFrame
    genorm_ranking: tuple[str, ...] = ()
    normfinder_order: tuple[str, ...] = ()
    #: geNorm's suggested number of references (smallest n with V_n/(n+1) < 0.15), 0 if none.
    genorm_optimal_n: int = 0
    notes: list[str] = field(default_factory=list)


def _per_candidate(
    candidates: Sequence[str], references: Sequence[str], n_samples: int
) -> pd.DataFrame:
    """The stability table before any measure: one row per candidate."""
    table = pd.DataFrame({"candidate": list(candidates)})
    table["configured_reference"] = table["candidate"].isin(references)
    table["used_as_reference"] = table["configured_reference"]
    for column in STABILITY_COLUMNS[3:-2]:
        table[column] = math.nan
    table["n_samples"] = n_samples
    table["note"] = ""
    return table.set_index("candidate", drop=False)


def reference_stability(
    summary: pd.DataFrame,
    candidates: Sequence[str],
    references: Sequence[str],
    timepoints: Sequence[str] | None,
    efficiencies: Mapping[str, float],
) -> StabilityResult:
    """geNorm (M per step, V, ranking) and NormFinder (rho, groups = timepoints) of candidates."""
    quantities, dropped = log2_quantities(summary, candidates, efficiencies)
    table = _per_candidate(candidates, references, len(quantities))
    notes = [f"samples left out (a candidate without usable Ct): {dropped}"] if dropped else []
    steps = pd.DataFrame(columns=list(STEP_COLUMNS))
    if len(candidates) < 2 or len(quantities) < 3:
        notes.append("fewer than 2 candidates or 3 complete samples: stability not assessed")
        table["note"] = notes[-1]
        return StabilityResult(table.reset_index(drop=True), steps, notes=notes)
    genorm_result = genorm(quantities)
    first = genorm_result.m[genorm_result.m["step"] == 1].set_index("candidate")["m"]
    table["genorm_m"] = first
    table["genorm_rank"] = genorm_result.ranks()
    last_m = genorm_result.m.drop_duplicates("candidate", keep="last").set_index("candidate")
    table["genorm_m_at_exclusion"] = last_m["m"]
    steps = genorm_result.m.merge(genorm_result.steps, on=["step", "n_candidates"])
    order: tuple[str, ...] = ()
    groups = quantities.index.get_level_values("timepoint")
    if len(candidates) >= 3 and groups.nunique() >= 2:
        result = normfinder(quantities, groups)
        table["normfinder_rho"] = result.rho
        table["normfinder_rank"] = result.rho.rank(method="first").astype(int)
        stepwise = normfinder_stepwise(result, len(candidates) - 1)
        order = tuple(stepwise["candidate"])
        order += tuple(c for c in candidates if c not in order)
        table["normfinder_stepwise_order"] = pd.Series(range(1, len(order) + 1), index=order)
    else:
        notes.append("NormFinder needs 3 candidates or more and samples of 2 timepoints")
    return StabilityResult(
        table=table.reset_index(drop=True)[list(STABILITY_COLUMNS)],
        steps=steps[list(STEP_COLUMNS)],
        genorm_ranking=genorm_result.ranking,
        normfinder_order=order,
        genorm_optimal_n=optimal_number(genorm_result) if len(candidates) > 2 else 0,
        notes=notes,
    )


def choose_references(
    result: StabilityResult, selection: Mapping, configured: Sequence[str]
) -> list[str]:
    """The references the fold changes use: ``configured`` unless ``selection["auto"]``.

    Automatic: the first ``n`` of geNorm's ranking or of NormFinder's stepwise order. The
    stability table's ``used_as_reference`` column is updated in place.
    """
    if selection["auto"]:
        order = (
            result.genorm_ranking if selection["method"] == "genorm" else result.normfinder_order
        )
        if len(order) <= int(selection["n"]):
            raise InputError(
                f"config key qpcr.reference_selection: {selection['method']} could not rank the "
                f"candidates ({'; '.join(result.notes)}); set auto: false or add candidates."
            )
        chosen = list(order[: int(selection["n"])])
    else:
        chosen = list(configured)
    result.table["used_as_reference"] = result.table["candidate"].isin(chosen)
    return chosen
