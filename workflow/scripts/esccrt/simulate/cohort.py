"""Simulated qPCR and clinical cohort (40 patients) with the study's Table 1 margins.

Every clinical factor has exactly the level counts of the study's Table 1. The miRNA fold
changes (2^-ddCt, post vs pre radiotherapy, two reference miRNAs) are planted per patient so
that the numbers of patients above the 1.5 cut-off, alone, in pairs and all three together,
are exactly the published ones when recomputed from the written Ct triplicates. Survival
(PFS <= OS, months) is drawn from a Weibull model with planted hazard ratios; draws are
repeated (deterministically) until the log-rank tests show the study's pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import chi2

#: Mean Ct of the two references used by the study-like fold changes (sample load aside).
REFERENCE_BASE_CT = {"hsa-miR-484": 27.2, "hsa-miR-191-5p": 25.1}


@dataclass(frozen=True)
class CohortDesign:
    """Planted cohort: level counts, miRNA groups, Ct model and hazard ratios."""

    n_patients: int = 40
    targets: tuple[str, ...] = ("hsa-miR-143-3p", "hsa-miR-181a-5p", "hsa-miR-223-3p")
    references: tuple[str, ...] = ("hsa-miR-484", "hsa-miR-191-5p")
    timepoints: tuple[str, str] = ("pre", "post")
    cutoff: float = 1.5
    #: Patients with fold change > cutoff, per target (targets order).
    high: tuple[int, ...] = (13, 21, 16)
    #: Patients with both fold changes <= cutoff, per pair of targets (combinations order).
    both_low: tuple[int, ...] = (18, 20, 15)
    all_high: int = 8
    #: Pair whose "any above the cut-off" group carries the planted survival effect.
    survival_pair: tuple[str, str] = ("hsa-miR-143-3p", "hsa-miR-223-3p")
    #: Minimum distance (log2) of every true fold change from log2(cutoff).
    margin: float = 0.45
    replicate_sd: tuple[float, float] = (0.12, 0.3)
    outlier_fraction: float = 0.03
    n_undetermined: int = 2
    # clinical level counts (Table 1)
    age_65_or_more: int = 18
    kps_90_or_more: int = 17
    stages: tuple[tuple[str, int], ...] = (("I", 2), ("II", 6), ("III", 19), ("IV", 13))
    locations: tuple[tuple[str, int], ...] = (
        ("cervical", 3),
        ("upper", 5),
        ("middle", 18),
        ("lower", 14),
    )
    length_over_5: int = 22
    volume_over_50: int = 22
    #: Patients with length > 5 cm among those with volume > 50 cm3 (sizes go together).
    length_and_volume_large: int = 19
    therapies: tuple[tuple[str, int], ...] = (("RT", 19), ("CRT_single", 7), ("CRT_doublet", 14))
    responses: tuple[tuple[str, int], ...] = (("ORR", 20), ("SD", 14), ("PD", 1), ("NA", 5))
    # log hazard ratios on progression (PFS)
    hr_length: float = 3.0
    hr_volume: float = 2.5
    hr_kps_below_90: float = 2.5
    hr_mirna_pair: float = 3.5
    hr_age_65: float = 1.6
    hr_stage_3_4: float = 1.6
    weibull_shape: float = 1.2
    median_pfs: float = 16.0
    median_post_progression: float = 9.0
    follow_up: tuple[float, float] = (30.0, 62.0)
    first_assessment: tuple[float, float] = (1.5, 3.0)
    dropout_mean: float = 200.0
    # survival acceptance (log-rank on PFS)
    significant: float = 0.05
    null_above: float = 0.1
    max_survival_draws: int = 5000
    # serum quality miRNAs, drawn from their own seed stream after everything above
    #: Further candidate references: name, base Ct, SD of the sample-to-sample noise.
    extra_candidates: tuple[tuple[str, float, float], ...] = (
        ("hsa-miR-93-5p", 26.4, 0.2),
        ("hsa-miR-103a-3p", 27.8, 0.3),
        ("hsa-miR-16-5p", 24.3, 0.25),
    )
    #: Haemolysis pair: serum miRNA (not in red cells) and red-cell miRNA, with base Cts.
    haemolysis_reference: tuple[str, float] = ("hsa-miR-23a-3p", 28.3)
    haemolysis_marker: tuple[str, float] = ("hsa-miR-451a", 24.3)
    #: SD of the non-haemolysed dCt (reference - marker) around its mean (base difference 4).
    haemolysis_sd: float = 0.5
    n_haemolysed: int = 3
    #: dCt of a haemolysed sample (uniform), well above the usual flag of 7.
    haemolysed_delta: tuple[float, float] = (8.5, 10.0)
    #: Red-cell miRNAs besides the marker, with the Ct drop they show in a haemolysed sample.
    red_cell_shift: tuple[tuple[str, float], ...] = (("hsa-miR-16-5p", 2.0),)


def venn_regions(design: CohortDesign) -> dict[tuple[bool, ...], int]:
    """Patients per high/low pattern over the three targets, from the design's margins."""
    a, b, c = design.high
    n = design.n_patients
    union = {
        pair: n - low for pair, low in zip(combinations(range(3), 2), design.both_low, strict=True)
    }
    both = {pair: design.high[pair[0]] + design.high[pair[1]] - union[pair] for pair in union}
    abc = design.all_high
    regions = {
        (True, True, True): abc,
        (True, True, False): both[(0, 1)] - abc,
        (True, False, True): both[(0, 2)] - abc,
        (False, True, True): both[(1, 2)] - abc,
    }
    regions[(True, False, False)] = (
        a - abc - regions[(True, True, False)] - regions[(True, False, True)]
    )
    regions[(False, True, False)] = (
        b - abc - regions[(True, True, False)] - regions[(False, True, True)]
    )
    regions[(False, False, True)] = (
        c - abc - regions[(True, False, True)] - regions[(False, True, True)]
    )
    regions[(False, False, False)] = n - sum(regions.values())
    if any(v < 0 for v in regions.values()):
        raise ValueError(f"inconsistent fold-change group counts: {regions}")
    return regions


def _levels(rng: np.random.Generator, counts: tuple[tuple[str, int], ...]) -> np.ndarray:
    """Exactly ``count`` patients per level, in random order."""
    values = np.concatenate([[level] * k for level, k in counts])
    return values[rng.permutation(len(values))]


def clinical_factors(rng: np.random.Generator, design: CohortDesign) -> pd.DataFrame:
    """Age, KPS, stage, location, length, volume, therapy and response with exact counts."""
    n = design.n_patients
    old = _levels(rng, (("y", design.age_65_or_more), ("n", n - design.age_65_or_more))) == "y"
    age = np.where(old, rng.integers(65, 80, size=n), rng.integers(45, 65, size=n))
    good = _levels(rng, (("y", design.kps_90_or_more), ("n", n - design.kps_90_or_more))) == "y"
    kps = np.where(good, rng.choice([90, 100], size=n), rng.choice([70, 80], size=n, p=[0.3, 0.7]))
    k = design.length_and_volume_large
    size_pattern = _levels(
        rng,
        (
            ("LV", k),
            ("lV", design.volume_over_50 - k),
            ("Lv", design.length_over_5 - k),
            ("lv", n - design.volume_over_50 - design.length_over_5 + k),
        ),
    )
    long = np.char.find(size_pattern.astype(str), "L") >= 0
    large = np.char.find(size_pattern.astype(str), "V") >= 0
    length = np.where(long, rng.uniform(5.2, 10.5, size=n), rng.uniform(2.0, 4.9, size=n))
    volume = np.where(large, rng.uniform(52.0, 160.0, size=n), rng.uniform(12.0, 48.0, size=n))
    return pd.DataFrame(
        {
            "patient": [f"P{k + 1:02d}" for k in range(n)],
            "age": age,
            "kps": kps,
            "stage": _levels(rng, design.stages),
            "location": _levels(rng, design.locations),
            "length_cm": np.round(length, 1),
            "volume_cm3": np.round(volume, 1),
            "therapy": _levels(rng, design.therapies),
            "response": _levels(rng, design.responses),
        }
    )


def planted_groups(rng: np.random.Generator, design: CohortDesign) -> np.ndarray:
    """Boolean matrix (patients x targets): planted fold change above the cut-off."""
    regions = venn_regions(design)
    rows = np.concatenate(
        [np.repeat(np.array([pattern]), count, axis=0) for pattern, count in regions.items()]
    )
    return rows[rng.permutation(len(rows))]


def true_log2_fold_changes(
    rng: np.random.Generator, groups: np.ndarray, design: CohortDesign
) -> np.ndarray:
    """True log2 fold changes at least ``margin`` away from log2(cutoff), on the group's side."""
    distance = rng.uniform(design.margin, 1.8, size=groups.shape)
    return np.log2(design.cutoff) + np.where(groups, distance, -distance)


def fold_changes_from_ct(
    ct: pd.DataFrame, targets: tuple[str, ...], references: tuple[str, ...]
) -> pd.DataFrame:
    """2^-ddCt per patient and target from a long Ct table (``Undetermined`` dropped).

    dCt = mean Ct(target) - mean over references of their mean Ct; ddCt = dCt(post) - dCt(pre).
    """
    values = pd.to_numeric(ct["ct"], errors="coerce")
    means = (
        ct.assign(ct=values)
        .groupby(["patient", "timepoint", "target"], sort=True)["ct"]
        .mean()
        .unstack("target")
    )
    reference = means[list(references)].mean(axis=1)
    dct = means[list(targets)].sub(reference, axis=0)
    ddct = dct.xs("post", level="timepoint") - dct.xs("pre", level="timepoint")
    return np.exp2(-ddct)


def _ct_table(
    rng: np.random.Generator, patients: list[str], log2fc: np.ndarray, design: CohortDesign
) -> dict[tuple[str, str, str], np.ndarray]:
    """Ct triplicates per (patient, timepoint, miRNA) with the planted ddCt."""
    ref_base = REFERENCE_BASE_CT
    target_base = dict(zip(design.targets, (29.8, 30.6, 28.4), strict=True))
    cts: dict[tuple[str, str, str], np.ndarray] = {}
    for p, patient in enumerate(patients):
        serum = rng.normal(0.0, 0.8)
        for t, timepoint in enumerate(design.timepoints):
            load = serum + rng.normal(0.0, 0.3)
            true_ref = {
                r: ref_base.get(r, 26.0) + load + rng.normal(0.0, 0.15) for r in design.references
            }
            ref_mean = float(np.mean(list(true_ref.values())))
            truth = dict(true_ref)
            for k, target in enumerate(design.targets):
                if t == 0:
                    truth[target] = target_base[target] + load + rng.normal(0.0, 0.7)
                    cts[(patient, "dct_pre", target)] = np.array([truth[target] - ref_mean])
                else:
                    dct = cts[(patient, "dct_pre", target)][0] - log2fc[p, k]
                    truth[target] = ref_mean + dct
            for mirna in (*design.references, *design.targets):
                sd = rng.uniform(*design.replicate_sd)
                reps = truth[mirna] + rng.normal(0.0, sd, size=3)
                if rng.random() < design.outlier_fraction:
                    reps[rng.integers(0, 3)] += rng.choice([-1.0, 1.0]) * rng.uniform(0.9, 1.4)
                cts[(patient, timepoint, mirna)] = np.round(reps, 2)
    return {key: v for key, v in cts.items() if not key[1].startswith("dct")}


def _long_ct(
    cts: dict[tuple[str, str, str], np.ndarray], undetermined: set[tuple[str, str, str, int]]
) -> pd.DataFrame:
    rows = []
    for (patient, timepoint, mirna), reps in cts.items():
        for r, value in enumerate(reps, start=1):
            shown = (
                "Undetermined" if (patient, timepoint, mirna, r) in undetermined else f"{value:.2f}"
            )
            rows.append((patient, timepoint, mirna, r, shown))
    return pd.DataFrame(rows, columns=["patient", "timepoint", "target", "replicate", "ct"])


def simulate_ct(
    rng: np.random.Generator,
    patients: list[str],
    groups: np.ndarray,
    log2fc: np.ndarray,
    design: CohortDesign,
) -> pd.DataFrame:
    """Ct triplicates whose 2^-ddCt groups equal the planted ones.

    ``Undetermined`` replicates go on targets only, at ``pre`` of a patient above the cut-off
    or ``post`` of one below it, so the group holds whether an analysis drops them or sets
    them to a high Ct. Draws are repeated until the written Cts reproduce every group.
    """
    for _ in range(1000):
        cts = _ct_table(rng, patients, log2fc, design)
        undetermined: set[tuple[str, str, str, int]] = set()
        for k in range(design.n_undetermined):
            target_index = k % len(design.targets)
            high = k % 2 == 0
            candidates = np.flatnonzero(groups[:, target_index] == high)
            patient = patients[int(rng.choice(candidates))]
            timepoint = design.timepoints[0] if high else design.timepoints[1]
            undetermined.add(
                (patient, timepoint, design.targets[target_index], int(rng.integers(1, 4)))
            )
        table = _long_ct(cts, undetermined)
        observed = fold_changes_from_ct(table, design.targets, design.references)
        observed = observed.loc[patients, list(design.targets)].to_numpy() > design.cutoff
        capped = table.assign(ct=table["ct"].replace("Undetermined", "40"))
        observed40 = fold_changes_from_ct(capped, design.targets, design.references)
        observed40 = observed40.loc[patients, list(design.targets)].to_numpy() > design.cutoff
        if (observed == groups).all() and (observed40 == groups).all():
            return table
    raise RuntimeError("could not draw Ct values reproducing the planted groups")


def _replicates(rng: np.random.Generator, truth: float, design: CohortDesign) -> np.ndarray:
    """Three replicate Cts around ``truth`` (rounded to 2 decimals)."""
    sd = rng.uniform(*design.replicate_sd)
    return np.round(truth + rng.normal(0.0, sd, size=3), 2)


def serum_quality_ct(
    rng: np.random.Generator, ct: pd.DataFrame, design: CohortDesign
) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Ct triplicates of the extra candidate references and of the haemolysis pair.

    Each sample's load (the shift shared by all its miRNAs) is read back from the written
    references' mean Cts, so the new candidates follow the same samples. ``n_haemolysed``
    samples get a red-cell marker Ct making dCt (reference - marker) fall in
    ``haemolysed_delta``, and the other red-cell miRNAs a lower Ct. Returns the long rows
    (appended after the study's rows) and the haemolysed (patient, timepoint) samples.
    """
    values = pd.to_numeric(ct["ct"], errors="coerce")
    means = ct.assign(ct=values).groupby(["patient", "timepoint", "target"], sort=False)["ct"]
    per_ref = means.mean().unstack("target")[list(REFERENCE_BASE_CT)]
    load = (per_ref - pd.Series(REFERENCE_BASE_CT)).mean(axis=1)
    samples = list(load.index)
    picked = rng.choice(len(samples), size=design.n_haemolysed, replace=False)
    haemolysed = {samples[int(k)] for k in picked}
    shifts = dict(design.red_cell_shift)
    cts: dict[tuple[str, str, str], np.ndarray] = {}
    for patient, timepoint in samples:
        base = float(load[(patient, timepoint)])
        bad = (patient, timepoint) in haemolysed
        for name, ct_base, sd in design.extra_candidates:
            truth = ct_base + base + rng.normal(0.0, sd) - (shifts.get(name, 0.0) if bad else 0.0)
            cts[(patient, timepoint, name)] = _replicates(rng, truth, design)
        reference, reference_ct = design.haemolysis_reference
        marker, marker_ct = design.haemolysis_marker
        serum = reference_ct + base + rng.normal(0.0, 0.2)
        delta = (
            rng.uniform(*design.haemolysed_delta)
            if bad
            else reference_ct - marker_ct + rng.normal(0.0, design.haemolysis_sd)
        )
        cts[(patient, timepoint, reference)] = _replicates(rng, serum, design)
        cts[(patient, timepoint, marker)] = _replicates(rng, serum - delta, design)
    return _long_ct(cts, set()), haemolysed


def logrank_p(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> float:
    """Log-rank test p-value for two or more groups (chi-square, groups - 1 df)."""
    levels, g = np.unique(group, return_inverse=True)
    k = len(levels)
    event_times = np.unique(time[event == 1])
    at_risk = time[None, :] >= event_times[:, None]
    deaths = (time[None, :] == event_times[:, None]) & (event[None, :] == 1)
    onehot = np.eye(k)[g]
    n_j = at_risk @ onehot  # (times, groups)
    d_j = deaths @ onehot
    n = n_j.sum(axis=1)
    d = d_j.sum(axis=1)
    expected = n_j * (d / n)[:, None]
    o_minus_e = (d_j - expected).sum(axis=0)
    factor = np.where(n > 1, d * (n - d) / np.maximum(n - 1, 1) / n**2, 0.0)
    var = np.zeros((k, k))
    for t in range(len(n)):
        var += factor[t] * (np.diag(n_j[t]) * n[t] - np.outer(n_j[t], n_j[t]))
    stat = float(o_minus_e[:-1] @ np.linalg.solve(var[:-1, :-1], o_minus_e[:-1]))
    return float(chi2.sf(stat, k - 1))


def linear_predictor(
    clinical: pd.DataFrame, pair_high: np.ndarray, design: CohortDesign
) -> np.ndarray:
    """Planted log hazard of progression per patient."""
    return (
        np.log(design.hr_length) * (clinical["length_cm"].to_numpy() > 5.0)
        + np.log(design.hr_volume) * (clinical["volume_cm3"].to_numpy() > 50.0)
        + np.log(design.hr_kps_below_90) * (clinical["kps"].to_numpy() < 90)
        + np.log(design.hr_mirna_pair) * pair_high
        + np.log(design.hr_age_65) * (clinical["age"].to_numpy() >= 65)
        + np.log(design.hr_stage_3_4) * clinical["stage"].isin(["III", "IV"]).to_numpy()
    )


def draw_survival(rng: np.random.Generator, lp: np.ndarray, design: CohortDesign) -> pd.DataFrame:
    """PFS and OS (months, one decimal) with administrative and random censoring; PFS <= OS."""
    n = len(lp)
    centred = lp - lp.mean()
    shape = design.weibull_shape
    scale = design.median_pfs / np.log(2) ** (1 / shape)
    progression = scale * (-np.log(rng.random(n)) / np.exp(centred)) ** (1 / shape)
    # progression is seen at the earliest at the first assessment after radiotherapy
    progression = np.maximum(progression, rng.uniform(*design.first_assessment, size=n))
    post = rng.exponential(design.median_post_progression / np.log(2), size=n) / np.exp(
        0.5 * centred
    )
    death = progression + post
    censor = np.minimum(
        rng.uniform(*design.follow_up, size=n), rng.exponential(design.dropout_mean, size=n)
    )
    pfs_event = progression <= censor
    os_event = death <= censor
    pfs = np.round(np.maximum(np.where(pfs_event, progression, censor), 0.5), 1)
    os_ = np.round(np.maximum(np.where(os_event, death, censor), 0.5), 1)
    return pd.DataFrame(
        {
            "os_months": os_,
            "os_event": os_event.astype(int),
            "pfs_months": pfs,
            "pfs_event": pfs_event.astype(int),
        }
    )


def survival_pattern_holds(
    clinical: pd.DataFrame, survival: pd.DataFrame, pair_high: np.ndarray, design: CohortDesign
) -> bool:
    """PFS log-rank: pair, length, volume and KPS significant; therapy, response, location not."""
    t = survival["pfs_months"].to_numpy()
    e = survival["pfs_event"].to_numpy()
    significant = [
        pair_high,
        clinical["length_cm"].to_numpy() > 5.0,
        clinical["volume_cm3"].to_numpy() > 50.0,
        clinical["kps"].to_numpy() < 90,
    ]
    null = [
        clinical["therapy"].to_numpy(),
        clinical["response"].to_numpy(),
        clinical["location"].isin(["cervical", "upper"]).to_numpy(),
    ]
    return all(logrank_p(t, e, g) < design.significant for g in significant) and all(
        logrank_p(t, e, g) > design.null_above for g in null
    )


@dataclass(frozen=True)
class Cohort:
    """The three cohort tables as written."""

    ct: pd.DataFrame
    clinical: pd.DataFrame
    truth: pd.DataFrame


def simulate_cohort(seed_sequence: np.random.SeedSequence, design: CohortDesign) -> Cohort:
    """Simulate the whole cohort from its own seed stream (independent of the reads)."""
    # a fourth stream for the serum quality miRNAs leaves the first three (and their draws) as
    # they were: SeedSequence children depend only on their index
    factors_seq, ct_seq, survival_seq, quality_seq = seed_sequence.spawn(4)
    rng = np.random.Generator(np.random.PCG64(factors_seq))
    clinical = clinical_factors(rng, design)
    groups = planted_groups(rng, design)
    log2fc = true_log2_fold_changes(rng, groups, design)
    patients = clinical["patient"].tolist()
    ct = simulate_ct(np.random.Generator(np.random.PCG64(ct_seq)), patients, groups, log2fc, design)
    pair_columns = [design.targets.index(t) for t in design.survival_pair]
    pair_high = groups[:, pair_columns].any(axis=1)
    lp = linear_predictor(clinical, pair_high, design)
    rng = np.random.Generator(np.random.PCG64(survival_seq))
    for _ in range(design.max_survival_draws):
        survival = draw_survival(rng, lp, design)
        if survival_pattern_holds(clinical, survival, pair_high, design):
            break
    else:
        raise RuntimeError("no survival draw showed the planted pattern; change the design")
    clinical = pd.concat([clinical, survival], axis=1)
    observed = fold_changes_from_ct(ct, design.targets, design.references).loc[patients]
    truth = pd.DataFrame({"patient": patients})
    for k, target in enumerate(design.targets):
        truth[f"true_fold_change_{target}"] = np.round(np.exp2(log2fc[:, k]), 4)
    for target in design.targets:
        truth[f"observed_fold_change_{target}"] = np.round(observed[target].to_numpy(), 4)
    for k, target in enumerate(design.targets):
        truth[f"high_{target}"] = groups[:, k].astype(int)
    truth[f"any_high_{'+'.join(design.survival_pair)}"] = pair_high.astype(int)
    truth["pfs_linear_predictor"] = np.round(lp, 4)
    quality, haemolysed = serum_quality_ct(
        np.random.Generator(np.random.PCG64(quality_seq)), ct, design
    )
    for timepoint in design.timepoints:
        truth[f"haemolysed_{timepoint}"] = [int((p, timepoint) in haemolysed) for p in patients]
    return Cohort(pd.concat([ct, quality], ignore_index=True), clinical, truth)
