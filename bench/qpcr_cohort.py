"""A seeded qPCR cohort as a lab would hand it over: QuantStudio 12K Flex OpenArray exports.

The cohort: ``patients`` patients, each with a serum sample before (pre) and after (post)
radiotherapy; 10 miRNA assays (the repository config's targets, references, reference
candidates and haemolysis pair) in ``replicates`` technical replicates; spread over ``plates``
OpenArray plates (3,072 through-holes each) with one no-template control per assay and plate,
and ``calibrators`` inter-run calibrator samples (IRC1, IRC2: pooled serum, every assay in
``replicates`` wells) on every plate. A patient's two samples share a plate as a lab plans it,
except every ``split_every``-th patient, whose post sample came later and runs on the next
plate: for them the plates' differences enter the fold change unless the plates are
calibrated. Every plate reads each assay later or earlier by its own offset (uniform within
+-``plate_effect`` cycles: reagent lot, threshold), the same for all its wells of that assay,
calibrators included. Written as one QuantStudio "Results" export per plate (CSV,
run-information header, ``Crt`` column, ``Amp Status``, ``HIGHSD``), the sample map from the
instrument's sample names (``ESCC-0001-T0``, ``IRC1``) to patient and timepoint (calibrators:
patient ``IRC1``, timepoint ``irc``), and ``truth.tsv``: every well's Cq as written, its plate's
offset and its plate-effect-free Cq (``true_cq``).

The Cq model (cycles): assay baseline + the sample's input amount (shared by its assays) +
the sample's biological variation per assay + the change after radiotherapy (the three markers
only, differing between patients) + technical noise per well. Haemolysed samples (about 2 %)
carry much more of the red-cell miRNAs miR-451a and miR-16-5p. Wells that do not amplify:
Cq beyond the run's last cycles (written ``Undetermined``) and rare drop-outs; a few outlier
wells (+1.5 to +3 cycles), one no-template control with a primer-dimer Cq. Calibrator wells
carry technical noise but no outliers or drop-outs (a lab repeats a plate whose calibrator
failed). Plate offsets are multiples of 0.001 cycles, so a written Cq (3 decimals) is exactly
its plate-effect-free Cq plus the offset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261207
#: Assay -> (baseline Cq, biological SD, mean change post vs pre in cycles). Names as in the
#: repository's config/config.yaml (qpcr targets, references, candidates, haemolysis pair).
ASSAYS: dict[str, tuple[float, float, float]] = {
    "hsa-miR-143-3p": (29.5, 0.8, -0.8),
    "hsa-miR-181a-5p": (30.5, 0.8, 0.5),
    "hsa-miR-223-3p": (27.0, 0.8, 0.0),
    "hsa-miR-484": (27.5, 0.25, 0.0),
    "hsa-miR-191-5p": (26.5, 0.25, 0.0),
    "hsa-miR-93-5p": (27.8, 0.35, 0.0),
    "hsa-miR-103a-3p": (28.2, 0.4, 0.0),
    "hsa-miR-16-5p": (24.0, 0.5, 0.0),
    "hsa-miR-23a-3p": (28.0, 0.4, 0.0),
    "hsa-miR-451a": (23.0, 0.6, 0.0),
}
#: Red-cell miRNAs: a haemolysed sample has this many cycles less of them (Blondal et al. 2013).
HAEMOLYSIS_SHIFT = {"hsa-miR-451a": 4.0, "hsa-miR-16-5p": 2.5}
TIMEPOINTS = (("pre", "T0"), ("post", "T1"))
#: Timepoint of the inter-run calibrators in the sample map (not a patient's visit).
CALIBRATOR_TIMEPOINT = "irc"
WELLS_PER_PLATE = 3072  # OpenArray: 48 subarrays x 64 through-holes
LAST_CYCLE = 40.0  # Cq beyond it: the instrument writes Undetermined
HEADER = (
    "Well",
    "Well Position",
    "Omit",
    "Sample Name",
    "Target Name",
    "Task",
    "Reporter",
    "Quencher",
    "Crt",
    "Crt Mean",
    "Crt SD",
    "Amp Score",
    "Cq Conf",
    "Amp Status",
    "HIGHSD",
)


@dataclass(frozen=True)
class CohortDesign:
    """Size and noise of the simulated cohort (the defaults: item 7 of issue 30)."""

    patients: int = 1000
    plates: int = 30
    replicates: int = 3
    seed: int = SEED
    technical_sd: float = 0.12
    sample_input_sd: float = 0.8
    response_sd: float = 0.7
    haemolysed_share: float = 0.02
    outlier_share: float = 0.003
    dropout_share: float = 0.001
    calibrators: int = 2
    plate_effect: float = 0.5
    split_every: int = 10

    def check(self) -> None:
        """Refuse a design whose plates cannot hold the wells."""
        if self.patients < 2 or self.plates < 1 or self.replicates < 1:
            raise ValueError(f"design {self}: needs 2 patients, 1 plate, 1 replicate or more")
        if self.calibrators < 0 or self.plate_effect < 0 or self.split_every < 0:
            raise ValueError(f"design {self}: calibrators, plate_effect, split_every >= 0")
        pre, post = sample_plates(self)
        samples = np.bincount(np.concatenate([pre, post]))[1:].max() + self.calibrators
        per_plate = int(samples) * len(ASSAYS) * self.replicates
        if per_plate + len(ASSAYS) > WELLS_PER_PLATE:
            raise ValueError(
                f"{per_plate} wells per plate (+ controls) exceed an OpenArray plate's "
                f"{WELLS_PER_PLATE}: use more plates"
            )


@dataclass(frozen=True)
class Cohort:
    """Where the generated files are: plate exports, sample map, every well's Cq."""

    folder: Path
    plates: list[Path]
    sample_map: Path
    truth: Path


def patient_ids(n: int) -> list[str]:
    """P0001, P0002, ... (patient ids as in a clinical table)."""
    return [f"P{k:04d}" for k in range(1, n + 1)]


def sample_name(patient: str, code: str) -> str:
    """The instrument's sample name of a patient's sample (lab id and visit code)."""
    return f"ESCC-{patient[1:]}-{code}"


def calibrator_ids(design: CohortDesign) -> list[str]:
    """IRC1, IRC2, ...: the inter-run calibrators' sample names (and patient ids)."""
    return [f"IRC{k}" for k in range(1, design.calibrators + 1)]


def plate_of_patients(design: CohortDesign) -> np.ndarray:
    """Plate number (1-based) of every patient: contiguous blocks, as samples are plated."""
    return np.arange(design.patients) * design.plates // design.patients + 1


def sample_plates(design: CohortDesign) -> tuple[np.ndarray, np.ndarray]:
    """Plate of every patient's pre and post sample: the patient's block, except every
    ``split_every``-th patient's post sample, run on the next plate (with one plate: the same)."""
    pre = plate_of_patients(design)
    post = pre.copy()
    if design.split_every and design.plates > 1:
        split = np.arange(1, design.patients + 1) % design.split_every == 0
        post[split] = pre[split] % design.plates + 1
    return pre, post


def true_cq(design: CohortDesign, rng: np.random.Generator) -> pd.DataFrame:
    """The sample-level Cq (patient, timepoint, target, cq, haemolysed) before the wells."""
    patients = patient_ids(design.patients)
    names = list(ASSAYS)
    base = np.array([ASSAYS[a][0] for a in names])
    bio_sd = np.array([ASSAYS[a][1] for a in names])
    change = np.array([ASSAYS[a][2] for a in names])
    responder = change != 0
    response = rng.normal(0.0, design.response_sd, (design.patients, len(names))) * responder
    frames = []
    for index, (timepoint, _) in enumerate(TIMEPOINTS):
        sample_input = rng.normal(0.0, design.sample_input_sd, (design.patients, 1))
        bio = rng.normal(0.0, 1.0, (design.patients, len(names))) * bio_sd
        cq = base + sample_input + bio + index * (change + response)
        haemolysed = rng.random(design.patients) < design.haemolysed_share
        for assay, shift in HAEMOLYSIS_SHIFT.items():
            cq[haemolysed, names.index(assay)] -= shift
        frame = pd.DataFrame(cq, columns=names).assign(
            patient=patients, timepoint=timepoint, haemolysed=haemolysed
        )
        frames.append(frame.melt(["patient", "timepoint", "haemolysed"], names, "target", "cq"))
    return pd.concat(frames, ignore_index=True)


def calibrator_cq(design: CohortDesign, rng: np.random.Generator) -> pd.DataFrame:
    """The calibrators' sample-level Cq (one pooled serum each, the same on every plate), in
    the columns of :func:`true_cq`."""
    names = list(ASSAYS)
    base = np.array([ASSAYS[a][0] for a in names])
    bio_sd = np.array([ASSAYS[a][1] for a in names])
    ids = calibrator_ids(design)
    cq = base + rng.normal(0.0, 1.0, (len(ids), len(names))) * bio_sd
    frame = pd.DataFrame(cq, columns=names).assign(
        patient=ids, timepoint=CALIBRATOR_TIMEPOINT, haemolysed=False
    )
    return frame.melt(["patient", "timepoint", "haemolysed"], names, "target", "cq")


def plate_offsets(design: CohortDesign, rng: np.random.Generator) -> pd.DataFrame:
    """Each plate's Cq offset per assay (plate, target, plate_offset): uniform within
    +-``plate_effect``, in steps of 0.001 cycles (the exports' precision)."""
    offsets = rng.uniform(-design.plate_effect, design.plate_effect, (design.plates, len(ASSAYS)))
    frame = pd.DataFrame(np.round(offsets, 3), columns=list(ASSAYS))
    frame["plate"] = np.arange(1, design.plates + 1)
    return frame.melt("plate", list(ASSAYS), "target", "plate_offset")


def well_cq(design: CohortDesign, samples: pd.DataFrame, rng: np.random.Generator):
    """Every replicate well of every sample: Cq as written (3 decimals; NaN = Undetermined).

    With columns ``plate_offset`` and ``calibrator`` in ``samples``: the plate's offset is
    added (``true_cq`` keeps the Cq without it) and calibrator wells get no outliers or
    drop-outs."""
    wells = samples.loc[samples.index.repeat(design.replicates)].reset_index(drop=True)
    wells["replicate"] = np.tile(np.arange(1, design.replicates + 1), len(samples))
    cq = wells["cq"].to_numpy() + rng.normal(0.0, design.technical_sd, len(wells))
    patient_well = ~wells.get("calibrator", pd.Series(False, wells.index)).to_numpy(bool)
    outlier = (rng.random(len(wells)) < design.outlier_share) & patient_well
    cq[outlier] += rng.uniform(1.5, 3.0, int(outlier.sum()))
    dropout = (rng.random(len(wells)) < design.dropout_share) & patient_well
    if "plate_offset" in wells:
        true = np.round(cq, 3)
        cq = true + wells["plate_offset"].to_numpy()
        wells["true_cq"] = true
    cq = np.round(cq, 3)
    missing = (cq >= LAST_CYCLE) | dropout
    cq[missing] = np.nan
    if "true_cq" in wells:
        wells.loc[missing, "true_cq"] = np.nan
    return wells.assign(cq=cq, outlier=outlier)


def _well_position(number: int) -> str:
    """OpenArray position of through-hole ``number`` (1-based): subarray A1..L4, hole a1..h8."""
    subarray, hole = divmod(number - 1, 64)
    return f"{'ABCDEFGHIJKL'[subarray // 4]}{subarray % 4 + 1}{'abcdefgh'[hole // 8]}{hole % 8 + 1}"


def _header_lines(plate: int, design: CohortDesign) -> list[str]:
    """The run information block QuantStudio writes above the results."""
    day = 1 + (plate - 1) % 28
    return [
        "* Block Type,OpenArray",
        "* Chemistry,TAQMAN",
        f"* Experiment Barcode,OA{design.seed % 100000:05d}{plate:03d}",
        f"* Experiment File Name,D:\\Applied Biosystems\\ESCC serum plate {plate:02d}.eds",
        f"* Experiment Run End Time,2026-{1 + (plate - 1) // 28:02d}-{day:02d} 15:42:10 PM CET",
        "* Instrument Type,QuantStudio 12K Flex",
        "* Passive Reference,ROX",
        "* Quantification Cycle Method,Crt",
        "",
        "[Results]",
        ",".join(HEADER),
    ]


def _rows(plate_wells: pd.DataFrame, ntc_cq: dict[str, float]) -> Iterator[str]:
    """Result lines of one plate: unknowns, then one NTC per assay."""
    cq = plate_wells["cq"].to_numpy()
    group = plate_wells.groupby(["sample", "target"], sort=False)["cq"]
    mean, sd = group.transform("mean").to_numpy(), group.transform("std").to_numpy()
    number = 0
    for k, row in enumerate(plate_wells[["sample", "target"]].itertuples(index=False)):
        number += 1
        yield _line(number, row.sample, row.target, "UNKNOWN", cq[k], mean[k], sd[k])
    for target, value in ntc_cq.items():
        number += 1
        yield _line(number, "NTC", target, "NTC", value, value, np.nan)


def _line(number: int, sample: str, target: str, task: str, cq, mean, sd) -> str:
    amplified = not np.isnan(cq)
    cells = [
        str(number),
        _well_position(number),
        "false",
        sample,
        target,
        task,
        "FAM",
        "NFQ-MGB",
        f"{cq:.3f}" if amplified else "Undetermined",
        f"{mean:.3f}" if not np.isnan(mean) else "",
        f"{sd:.3f}" if not np.isnan(sd) else "",
        "1.210" if amplified else "0.000",
        "0.950" if amplified else "0.000",
        "Amp" if amplified else "No Amp",
        "Y" if not np.isnan(sd) and sd > 0.5 else "N",
    ]
    return ",".join(cells)


def laid_out_samples(design: CohortDesign, rng: np.random.Generator) -> pd.DataFrame:
    """Every sample on its plate(s) with the plate's offsets: patients' samples (one row per
    sample and assay) and the calibrators once per plate, in plate order (by patient, then
    timepoint, then assay; the calibrators last)."""
    samples = true_cq(design, rng)
    samples["sample"] = [
        sample_name(p, dict(TIMEPOINTS)[t])
        for p, t in zip(samples["patient"], samples["timepoint"], strict=True)
    ]
    pre, post = sample_plates(design)
    ids = patient_ids(design.patients)
    on_plate = {
        (patient, timepoint): plate
        for timepoint, column in ((TIMEPOINTS[0][0], pre), (TIMEPOINTS[1][0], post))
        for patient, plate in zip(ids, column, strict=True)
    }
    samples["plate"] = [
        on_plate[key] for key in zip(samples["patient"], samples["timepoint"], strict=True)
    ]
    calibrators = calibrator_cq(design, rng)
    calibrators = pd.concat(
        [calibrators.assign(plate=p) for p in range(1, design.plates + 1)], ignore_index=True
    ).assign(sample=lambda f: f["patient"], calibrator=True)
    samples = pd.concat([samples.assign(calibrator=False), calibrators], ignore_index=True)
    samples = samples.merge(plate_offsets(design, rng), on=["plate", "target"], how="left")
    order = {t: k for k, (t, _) in enumerate(TIMEPOINTS)} | {CALIBRATOR_TIMEPOINT: len(TIMEPOINTS)}
    return (
        samples.assign(
            _timepoint=samples["timepoint"].map(order),
            _assay=samples["target"].map({a: k for k, a in enumerate(ASSAYS)}),
        )
        .sort_values(["plate", "calibrator", "patient", "_timepoint", "_assay"], kind="stable")
        .drop(columns=["_timepoint", "_assay"])
        .reset_index(drop=True)
    )


def generate(folder: Path, design: CohortDesign = CohortDesign()) -> Cohort:
    """Write the cohort's plate exports, sample map and truth table into ``folder`` (cached:
    an existing cohort of the same design is reused)."""
    design.check()
    folder.mkdir(parents=True, exist_ok=True)
    plates = [folder / f"plate_{p:02d}.csv" for p in range(1, design.plates + 1)]
    cohort = Cohort(folder, plates, folder / "sample_map.tsv", folder / "truth.tsv")
    stamp = folder / "design.json"
    if stamp.exists() and json.loads(stamp.read_text()) == asdict(design):
        return cohort
    stamp.unlink(missing_ok=True)
    rng = np.random.default_rng(design.seed)
    samples = laid_out_samples(design, rng)
    wells = well_cq(design, samples, rng)
    ntc_plate = int(rng.integers(1, design.plates + 1))
    ntc_target = str(rng.choice(list(ASSAYS)))
    truth = []
    for number, path in enumerate(plates, start=1):
        on_plate = wells[wells["plate"] == number]
        ntc = {a: 36.412 if (number, a) == (ntc_plate, ntc_target) else np.nan for a in ASSAYS}
        path.write_text("\n".join([*_header_lines(number, design), *_rows(on_plate, ntc)]) + "\n")
        truth.append(on_plate.assign(file=path.name, well=np.arange(1, len(on_plate) + 1)))
    table = pd.concat(truth, ignore_index=True)
    columns = ["patient", "timepoint", "target", "replicate", "cq", "sample", "file", "well"]
    extra = ["plate", "plate_offset", "true_cq", "calibrator", "haemolysed", "outlier"]
    table[[*columns, *extra]].to_csv(cohort.truth, sep="\t", index=False)
    sheet = samples[["sample", "patient", "timepoint"]].drop_duplicates()
    controls = pd.DataFrame({"sample": ["NTC"], "patient": [""], "timepoint": [""]})
    pd.concat([sheet, controls]).assign(task=[""] * len(sheet) + ["NTC"]).to_csv(
        cohort.sample_map, sep="\t", index=False
    )
    stamp.write_text(json.dumps(asdict(design)))
    return cohort


def read_truth(cohort: Cohort) -> pd.DataFrame:
    """The generated wells (one row per unknown well, calibrators included; ``cq`` NaN where
    not amplified)."""
    return pd.read_csv(cohort.truth, sep="\t", dtype={"patient": str})
