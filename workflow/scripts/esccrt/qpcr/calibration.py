"""Inter-run (inter-plate) calibration of the long Ct table (rule ``qpcr_interrun_calibration``).

A cohort runs on many plates; a plate's quantities can sit higher or lower as a whole (reagent
lot, threshold, instrument). Two ways to put the plates on one scale, chosen by config key
``qpcr.interrun_calibration.method``:

- ``qbase`` (qBase+, Hellemans et al. 2007, Genome Biol 8:R19): inter-run calibrators (IRCs),
  the same samples on every plate. For plate p and target t the calibration factor is the
  geometric mean of the IRCs' relative quantities on p, CF(p, t) = geomean_c E_t^(Cq(c, t) -
  Cq(c, p, t)), with Cq(c, p, t) the mean Cq of calibrator c's wells on p and Cq(c, t) its mean
  over the plates; every quantity of p and t is divided by CF(p, t).
- ``ruijter`` (Ruijter et al. 2015, as rdmlpython's ``Experiment.interRunCorr`` computes it): per
  pair of plates (A, B) the geometric mean of the ratios q_A / q_B over every pair of wells of a
  sample both plates hold, pooled over all targets; pairs without shared samples are filled
  through the other plates; a plate's factor is the geometric mean of its column of that matrix,
  one factor for all targets; quantities are divided by it.

A quantity q divided by a factor f shifts the Cq by log(f) / log(E_t) (E_t from
``qpcr.efficiencies``, 2 for Livak), which is what the calibrated table carries. The factors are
written as a table; patients whose pre and post samples sit on different plates are listed
(a warning when nothing calibrates the plates).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.ct_table import read_ct_table

METHODS = ("none", "qbase", "ruijter")
#: How the methods are named in the tables and the methods text.
METHOD_NAMES = {
    "qbase": "qBase+ (Hellemans et al. 2007)",
    "ruijter": "Ruijter et al. 2015 (rdmlpython interRunCorr)",
}
FACTOR_COLUMNS = ["plate", "target", "factor", "cq_shift", "calibrators", "quantity", "method"]
SPLIT_COLUMNS = ["patient", "target", "pre_plates", "post_plates", "calibrated", "note"]
#: Amplification factor of a target without a configured efficiency (Livak's 2^-ddCt).
PERFECT_EFFICIENCY = 2.0
#: Plate of every well of a table without column ``plate`` (one run).
SINGLE_PLATE = "plate"


@dataclass(frozen=True)
class CalibrationSettings:
    """Config keys qpcr.interrun_calibration, qpcr.efficiencies, qpcr.pre and qpcr.post."""

    method: str
    calibrators: Sequence[str]
    efficiencies: Mapping[str, float]
    pre: str
    post: str
    undetermined_tokens: Sequence[str]

    @classmethod
    def from_config(cls, section: Mapping) -> CalibrationSettings:
        """Build from the validated ``config["qpcr"]`` (defaults from qpcr.schema.yaml)."""
        block = section["interrun_calibration"]
        settings = cls(
            block["method"],
            list(block["calibrators"]),
            dict(section["efficiencies"]),
            section["pre"],
            section["post"],
            list(section["undetermined_tokens"]),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`InputError` naming the config key of a bad value."""
        if self.method not in METHODS:
            raise InputError(
                f"config key qpcr.interrun_calibration.method: '{self.method}' is not one of "
                f"{list(METHODS)}."
            )
        if self.method == "qbase" and not self.calibrators:
            raise InputError(
                "config key qpcr.interrun_calibration.calibrators: qBase+ calibration needs the "
                "inter-run calibrator samples (the same samples on every plate); name them, or "
                "use method ruijter (overlapping samples) or none."
            )

    def efficiency(self, target: str) -> float:
        """Amplification factor E of ``target`` (copies per cycle)."""
        return float(self.efficiencies.get(target, PERFECT_EFFICIENCY))


@dataclass(frozen=True)
class Calibration:
    """The calibrated Ct table (calibrator wells removed), the factors and the split pairs."""

    table: pd.DataFrame
    factors: pd.DataFrame
    split_pairs: pd.DataFrame


def plates(table: pd.DataFrame) -> pd.Series:
    """The plate of each row (one plate when the table has no column ``plate``)."""
    if "plate" not in table:
        return pd.Series(SINGLE_PLATE, index=table.index)
    return table["plate"].where(table["plate"] != "", SINGLE_PLATE)


def sample_ids(table: pd.DataFrame) -> pd.Series:
    """The sample of each row: the instrument's name (column ``sample``) where given, else
    patient and timepoint."""
    own = table["patient"] + " (" + table["timepoint"] + ")"
    if "sample" not in table:
        return own
    return table["sample"].where(table["sample"] != "", own)


def is_calibrator(table: pd.DataFrame, calibrators: Sequence[str]) -> pd.Series:
    """Rows of the calibrator samples, named by sample or by patient."""
    named = table["patient"].isin(calibrators)
    if "sample" in table:
        named |= table["sample"].isin(calibrators)
    return named


def uses_file_quantities(table: pd.DataFrame) -> bool:
    """True when the table carries the file's starting quantities (column ``n0``, as LinRegPCR
    and RDML-Tools write N0 into RDML): the Ruijter factors are then computed from them."""
    return "n0" in table and bool((table["n0"] > 0).any())


def log_quantities(table: pd.DataFrame, settings: CalibrationSettings) -> pd.Series:
    """Natural log of each well's quantity: the file's N0 where the table carries them (a well
    whose N0 is missing or <= 0, LinRegPCR's "no value", has none, as in rdmlpython), else
    E^-Cq; NaN for wells without a quantity."""
    if uses_file_quantities(table):
        n0 = table["n0"].where(table["n0"] > 0)
        return np.log(n0.astype(float))
    log_e = table["target"].map(lambda t: math.log(settings.efficiency(t)))
    return -table["ct"] * log_e


def _missing_calibrators(cq: pd.DataFrame) -> list[str]:
    """'plate/target: calibrators' where a calibrator of the target is not on every plate."""
    lacking = []
    for target, block in cq.groupby("target"):
        grid = block.pivot_table(index="plate", columns="calibrator", values="ct")
        for plate, row in grid.iterrows():
            absent = sorted(row.index[row.isna()])
            if absent:
                lacking.append(f"plate '{plate}', target '{target}': {absent}")
    return lacking


def qbase_factors(table: pd.DataFrame, settings: CalibrationSettings) -> pd.DataFrame:
    """One factor per plate and target from the calibrators' Cq (qBase+; see module doc)."""
    calibrators = table[is_calibrator(table, settings.calibrators) & table["ct"].notna()]
    cq = (
        calibrators.assign(plate=plates(calibrators), calibrator=sample_ids(calibrators))
        .groupby(["target", "plate", "calibrator"], as_index=False)["ct"]
        .mean()
    )
    wanted = pd.DataFrame({"plate": plates(table), "target": table["target"]}).drop_duplicates()
    known = set(zip(cq["plate"], cq["target"], strict=True))
    lacking = [
        f"plate '{plate}', target '{target}': no calibrator"
        for plate, target in wanted.itertuples(index=False)
        if (plate, target) not in known
    ]
    lacking += _missing_calibrators(cq)
    if lacking:
        raise InputError(
            "qBase+ inter-run calibration (config key qpcr.interrun_calibration.calibrators "
            f"{list(settings.calibrators)}) needs every calibrator with a Cq on every plate for "
            f"every target; missing: {'; '.join(lacking[:10])}"
            + (f" (and {len(lacking) - 10} more)" if len(lacking) > 10 else "")
            + ". Add the calibrator wells, or use method ruijter."
        )
    cq["offset"] = cq["ct"] - cq.groupby(["target", "calibrator"])["ct"].transform("mean")
    grouped = cq.groupby(["plate", "target"], sort=False)
    out = grouped["offset"].mean().rename("cq_shift").reset_index()
    out["calibrators"] = grouped["calibrator"].agg(lambda c: ", ".join(sorted(c))).to_numpy()
    # log CF = mean_c (Cq(c, t) - Cq(c, p, t)) * ln E = -cq_shift * ln E
    log_e = out["target"].map(lambda t: math.log(settings.efficiency(t)))
    out["factor"] = np.exp(-out["cq_shift"] * log_e)
    out["cq_shift"] = -out["cq_shift"]  # the Cq is shifted by log(CF) / log(E)
    out["quantity"] = "E^-Cq"
    return out


def _plate_pair_ratio(sums: np.ndarray, counts: np.ndarray, a: int, b: int) -> float:
    """Geometric mean of q_A / q_B over every pair of wells of each (target, sample) both plates
    hold (rdmlpython's plateMean); NaN when they share none. ``sums``/``counts``: per plate and
    (target, sample), the sum of the wells' log quantities and their number."""
    both = (counts[a] > 0) & (counts[b] > 0)
    if not both.any():
        return math.nan
    n_a, n_b = counts[a][both], counts[b][both]
    # sum over pairs (a, b) of (log a - log b) = n_b * sum(log a) - n_a * sum(log b)
    total = (n_b * sums[a][both] - n_a * sums[b][both]).sum()
    return math.exp(total / (n_a * n_b).sum())


def _fill_gap(matrix: np.ndarray, row: int, col: int) -> None:
    """Estimate matrix[row, col] through the other plates (rdmlpython's _pco_fixPlateMatix):
    for every other column m, the geometric mean over rows r of M[r, m] / M[r, col] rescales
    M[row, m]; the estimate is the geometric mean of M[row, m] / that."""
    size = len(matrix)
    if max(matrix[row, :].max(), matrix[:, col].max()) <= 0.0:
        return
    logs = []
    for m in range(size):
        if m == col:
            continue
        rows = [r for r in range(size) if r != row and matrix[r, m] > 0 and matrix[r, col] > 0]
        if rows:
            geo = math.exp(np.mean([math.log(matrix[r, m] / matrix[r, col]) for r in rows]))
            logs.append(math.log(matrix[row, m] / geo))
    if logs:
        estimate = math.exp(float(np.mean(logs)))
        matrix[row, col] = estimate
        matrix[col, row] = 1.0 / estimate


def ruijter_matrix(logs: pd.Series, plate_order: Sequence[str]) -> np.ndarray:
    """The plate matrix of rdmlpython's interRunCorr: M[B, A] = geomean q_A / q_B (A after B),
    1 on the diagonal of connected plates, gaps filled through the other plates (two passes);
    ``logs`` holds log quantities indexed by (target, sample, plate)."""
    size = len(plate_order)
    matrix = np.full((size, size), -1.0)
    np.fill_diagonal(matrix, -2.0)
    grouped = logs.groupby(level=["plate", "target", "sample"]).agg(["sum", "count"])
    sums = grouped["sum"].unstack(["target", "sample"], fill_value=0.0).reindex(plate_order)
    counts = grouped["count"].unstack(["target", "sample"], fill_value=0).reindex(plate_order)
    sums, counts = sums.fillna(0.0).to_numpy(), counts.fillna(0).to_numpy()
    for a in range(size):
        for b in range(a):
            mean = _plate_pair_ratio(sums, counts, a, b)
            if math.isfinite(mean) and mean > 0:
                matrix[a, b], matrix[b, a] = 1.0 / mean, mean
    for p in range(size):
        if max(matrix[p, :].max(), matrix[:, p].max()) > 0 or size == 1:
            matrix[p, p] = 1.0
    for _ in range(2):
        for row in range(size):
            for col in range(size):
                if -9.0 < matrix[row, col] < 0.0:
                    _fill_gap(matrix, row, col)
    return matrix


def ruijter_factors(table: pd.DataFrame, settings: CalibrationSettings) -> pd.DataFrame:
    """One factor per plate, pooled over targets (Ruijter et al. 2015; see module doc), given
    for every target the plate holds."""
    order = list(dict.fromkeys(plates(table)))
    overlap = table
    if settings.calibrators:
        overlap = table[is_calibrator(table, settings.calibrators)]
    logs = pd.Series(
        log_quantities(overlap, settings).to_numpy(),
        index=pd.MultiIndex.from_arrays(
            [overlap["target"], sample_ids(overlap), plates(overlap)],
            names=["target", "sample", "plate"],
        ),
    ).dropna()
    matrix = ruijter_matrix(logs, order)
    unlinked = [order[i] for i in range(len(order)) if (matrix[:, i] <= 0).any()]
    if unlinked:
        raise InputError(
            f"inter-run calibration (Ruijter): plate(s) {unlinked} share no sample with the "
            f"others, directly or through other plates ({len(order)} plates: {order}). Run "
            "overlapping samples (or the calibrators of qpcr.interrun_calibration.calibrators) "
            "on every plate."
        )
    factors = dict(zip(order, np.exp(np.log(matrix).mean(axis=0)), strict=True))
    shared = sorted(set(logs.index.get_level_values("sample")))
    out = pd.DataFrame({"plate": plates(table), "target": table["target"]}).drop_duplicates()
    out["factor"] = out["plate"].map(factors)
    log_e = out["target"].map(lambda t: math.log(settings.efficiency(t)))
    out["cq_shift"] = np.log(out["factor"]) / log_e
    out["calibrators"] = ", ".join(settings.calibrators or shared)
    out["quantity"] = "N0 (file)" if uses_file_quantities(table) else "E^-Cq"
    return out.reset_index(drop=True)


def split_pairs(table: pd.DataFrame, settings: CalibrationSettings) -> pd.DataFrame:
    """Patients and targets whose pre and post wells sit on different plates."""
    frame = table.assign(plate=plates(table))[["patient", "target", "timepoint", "plate"]]
    frame = frame[frame["timepoint"].isin([settings.pre, settings.post])]
    frame = frame.drop_duplicates().sort_values("plate", kind="stable")
    keys = ["patient", "target", "timepoint"]
    # one plate per sample is the rule: join the names only where a sample has several
    several = frame.duplicated(subset=keys, keep=False)
    sets = pd.concat(
        [
            frame[~several].set_index(keys)["plate"],
            frame[several].groupby(keys)["plate"].agg(", ".join),
        ]
    )
    wide = sets.unstack("timepoint")
    if settings.pre not in wide or settings.post not in wide:
        return pd.DataFrame(columns=SPLIT_COLUMNS)
    wide = wide.dropna(subset=[settings.pre, settings.post])
    split = wide[wide[settings.pre] != wide[settings.post]].reset_index()
    calibrated = settings.method != "none"
    note = (
        f"calibrated ({METHOD_NAMES[settings.method]})"
        if calibrated
        else "WARNING: pre and post on different plates and no inter-run calibration "
        "(qpcr.interrun_calibration.method none): plate differences enter the fold change"
    )
    return pd.DataFrame(
        {
            "patient": split["patient"],
            "target": split["target"],
            "pre_plates": split[settings.pre],
            "post_plates": split[settings.post],
            "calibrated": calibrated,
            "note": note,
        },
        columns=SPLIT_COLUMNS,
    )


def calibrate(table: pd.DataFrame, settings: CalibrationSettings) -> Calibration:
    """The calibrated Ct table (Cq shifted by each plate's factor; calibrator wells removed),
    the factor table and the patients whose pre and post sit on different plates."""
    if settings.method == "none":
        none = pd.DataFrame(columns=FACTOR_COLUMNS)
        return Calibration(table, none, split_pairs(table, settings))
    compute = qbase_factors if settings.method == "qbase" else ruijter_factors
    factors = compute(table, settings)
    factors["method"] = METHOD_NAMES[settings.method]
    factors = factors[FACTOR_COLUMNS].sort_values(["plate", "target"], kind="stable")
    shift = pd.MultiIndex.from_arrays([plates(table), table["target"]]).map(
        factors.set_index(["plate", "target"])["cq_shift"]
    )
    shift = np.asarray(shift, dtype=float)
    # cq_shift goes with the table: the detection limit applies to the measured Cq
    calibrated = table.assign(ct=table["ct"] + shift, cq_shift=shift)
    if "n0" in calibrated:
        factor = pd.MultiIndex.from_arrays([plates(table), table["target"]]).map(
            factors.set_index(["plate", "target"])["factor"]
        )
        divided = calibrated["n0"] / np.asarray(factor, dtype=float)
        calibrated["n0"] = divided.where(calibrated["n0"] > 0, calibrated["n0"])
    keep = ~is_calibrator(table, settings.calibrators)
    return Calibration(
        calibrated[keep], factors.reset_index(drop=True), split_pairs(table[keep], settings)
    )


def calibrated_text(path: str | Path, calibration: Calibration) -> pd.DataFrame:
    """The long Ct table of ``path`` as written, with the calibrated Cq (and N0) of each row
    kept; words for "no Cq" and every other column stay as the user wrote them."""
    raw = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    table = calibration.table
    out = raw.loc[table.index].copy()
    measured = table["ct"].notna() & ~table["undetermined"]
    out.loc[measured, "ct"] = table.loc[measured, "ct"].map(repr)
    if "n0" in table:
        out["n0"] = table["n0"].map(lambda v: "" if pd.isna(v) else repr(float(v)))
    if "cq_shift" in table:
        out["cq_shift"] = table["cq_shift"].map(repr)
    return out


def log_lines(calibration: Calibration, settings: CalibrationSettings) -> list[str]:
    """What the calibration did, for the rule's log (warnings for uncalibrated split pairs)."""
    lines = []
    if settings.method == "none":
        lines.append("inter-run calibration: none (qpcr.interrun_calibration.method)")
    else:
        factors = calibration.factors
        lines.append(
            f"inter-run calibration: {METHOD_NAMES[settings.method]}, "
            f"{factors['plate'].nunique()} plates, factors "
            f"{factors['factor'].min():.4g}-{factors['factor'].max():.4g}"
        )
    for row in calibration.split_pairs.itertuples():
        if not row.calibrated:
            lines.append(
                f"WARNING: patient {row.patient}, {row.target}: pre on plate(s) {row.pre_plates},"
                f" post on {row.post_plates}, and no inter-run calibration"
            )
    return lines


def run(
    settings: CalibrationSettings,
    ct: str | Path,
    calibrated_out: str | Path,
    factors_out: str | Path,
    split_out: str | Path,
) -> list[str]:
    """The rule's step: read the long Ct table, calibrate, write the calibrated table, the
    factors and the split pairs. Returns the log lines."""
    table = read_ct_table(ct, settings.undetermined_tokens)
    calibration = calibrate(table, settings)
    write_tsv_atomic(calibration.factors, factors_out)
    write_tsv_atomic(calibration.split_pairs, split_out)
    write_tsv_atomic(calibrated_text(ct, calibration), calibrated_out)
    return log_lines(calibration, settings)
