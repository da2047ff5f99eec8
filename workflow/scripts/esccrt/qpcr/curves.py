"""From amplification curves to Cq: LinRegPCR (Ruijter et al. 2009, Nucleic Acids Res
37:e45; Untergasser et al. 2021, BMC Bioinformatics 22:398) with rdmlpython as the engine.

Where an RDML file carries amplification curves (``adp`` points), config key
``qpcr.cq_source: linregpcr`` replaces the instrument's Cq by LinRegPCR's, and
``qpcr.efficiency_source: linregpcr`` takes each target's amplification factor from the curves.
Every number comes from rdmlpython 1.7.2's ``Run.linRegPCR`` (the code behind RDML-Tools'
LinRegPCR page), called per run with RDML-Tools' defaults (:data:`LINREGPCR_OPTIONS`): baseline
per reaction, window of linearity per target, individual efficiencies, mean efficiency per
target without no-plateau reactions and efficiency outliers, and the Cq at the common threshold
with that mean efficiency (result column :data:`CQ_COLUMN`, what RDML-Tools writes as ``cq``).

Two things stand between the files and rdmlpython 1.7.2, both bridged without touching its
computation:

- RDML 1.4 (what RDML-Tools writes) is refused by 1.7.2, the newest on PyPI (2.x, in its
  repository, reads 1.4 but no longer computes a Cq). The document is converted to 1.3 in memory
  (:func:`esccrt.qpcr.formats.rdml_version.load_rdml_document`, the loader of every RDML
  reader: the elements 1.4 added are dropped; curves, samples and targets are untouched).
- rdmlpython 1.7.2 writes ``np.NaN``, which NumPy 2 removed; the alias is restored (the same
  value, ``np.nan``) before the call (:func:`_restore_numpy_nan`).

Agreement (tests/parity/test_qpcr_linregpcr_published.py, the five Vermeulen dilution files):
the Cq equal, to their 3 decimals, what RDML-Tools' LinRegPCR call writes into the file; they
do not equal the LinRegPCR block published by Ruijter et al. 2013 for the same curves (2880
curves, max difference 4.84 cycles, 8 within 0.0005): that analysis set the window of linearity
over other reactions with an older LinRegPCR, and the window, hence each Cq, depends on which
reactions of the target a file holds.

Tables: :func:`linregpcr_reactions` (one row per reaction: Cq, individual efficiency, whether
it entered the target's mean, LinRegPCR's notes) and :func:`target_efficiencies` (per target:
mean amplification factor, its standard error, reactions used), written by the import rule to
``results/qpcr/linregpcr_reactions.tsv`` and ``results/qpcr/efficiencies.tsv``.
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
from esccrt.qpcr.ct_import import ImportSettings, import_ct, write_imported
from esccrt.qpcr.formats import detect_format, read_wells
from esccrt.qpcr.formats.rdml import wells_from_root
from esccrt.qpcr.formats.rdml_version import RDML_NAMESPACE, load_rdml_document

#: rdmlpython's ``Run.linRegPCR`` options: RDML-Tools' defaults (efficiency outliers beyond 0.05
#: of the median, no-plateau reactions and instable baselines kept out of the mean efficiency).
LINREGPCR_OPTIONS = {
    "pcrEfficiencyExl": 0.05,
    "excludeNoPlateau": True,
    "excludeEfficiency": "outlier",
    "excludeInstableBaseline": True,
}
#: The result columns those options select (rdmlpython writes this Cq into the RDML file).
CQ_COLUMN = "Cq (mean eff) - no plateau - stat efficiency"
MEAN_EFFICIENCY_COLUMN = "mean PCR eff - no plateau - stat efficiency"
OUTLIER_COLUMN = "PCR efficiency outlier - no plateau"

REACTION_COLUMNS = (
    "file",
    "run",
    "react",
    "well",
    "sample",
    "target",
    "cq",
    "efficiency",
    "r2",
    "n_log_phase",
    "target_mean_efficiency",
    "used_for_mean_efficiency",
    "linregpcr_excluded",
    "linregpcr_note",
)
EFFICIENCY_COLUMNS = ("target", "efficiency", "efficiency_se", "n_reactions", "source")


def _restore_numpy_nan() -> None:
    """rdmlpython 1.7.2 writes ``np.NaN`` (removed in NumPy 2.0); give it the same value back."""
    if "NaN" not in np.__dict__:
        np.NaN = np.nan  # type: ignore[attr-defined]


def _run_rows(path: Path, experiment_id: str, run) -> list[dict]:
    """LinRegPCR on one run: one record per reaction and target."""
    from rdmlpython.rdml import RdmlError

    run_name = f"{experiment_id}/{run['id']}"
    _restore_numpy_nan()
    try:
        result = run.linRegPCR(**LINREGPCR_OPTIONS, saveResultsList=True)
    except RdmlError as error:  # "LinRegPCR requires raw data. No raw data were found ..."
        result = {"noRawData": str(error)}
    if "noRawData" in result:
        # no curves, or curves already baseline-corrected (negative values: Bio-Rad CFX
        # exports); RDML-Tools shows the message and goes on, here nothing is silent
        raise InputError(
            f"{path}: run '{run_name}': LinRegPCR cannot use its curves (config key "
            f"qpcr.cq_source or qpcr.efficiency_source is 'linregpcr'). rdmlpython: "
            f"{result['noRawData'].strip()} Export raw (not baseline-corrected) curves, or use "
            "'instrument' / 'config'."
        )
    header, *rows = result["resultsList"]
    at = {name: i for i, name in enumerate(header)}
    return [
        {
            "file": str(path),
            "run": run_name,
            "react": str(row[at["id"]]),
            "well": str(row[at["well"]]),
            "sample": row[at["sample"]],
            "target": row[at["target"]],
            "cq": float(row[at[CQ_COLUMN]]),
            "efficiency": float(row[at["indiv PCR eff"]]),
            "r2": float(row[at["R2"]]),
            "n_log_phase": int(row[at["n in log phase"]]),
            "target_mean_efficiency": float(row[at[MEAN_EFFICIENCY_COLUMN]]),
            "used_for_mean_efficiency": _used_for_mean(row, at),
            "linregpcr_excluded": row[at["excluded"]],
            "linregpcr_note": row[at["note"]],
        }
        for row in rows
    ]


#: Sample types LinRegPCR keeps out of the mean efficiency (negative and optical controls).
CONTROL_TYPES = ("ntc", "nac", "ntp", "nrt", "opt")


def _used_for_mean(row: list, at: dict[str, int]) -> bool:
    """Whether the reaction's efficiency entered its target's mean under
    :data:`LINREGPCR_OPTIONS` (rdmlpython's ``pcreff_Skip_Plat_Out``): amplified, plateau
    reached, no baseline error, stable baseline, not noisy, not a negative control, not
    excluded in the file by the user, efficiency at least 1.001, Cq not too low for it, and not
    an outlier. Checked against rdmlpython's own mean in :func:`_check_means`."""
    from rdmlpython.rdml import _cleanErrorString  # the engine's own reading of <excl>

    efficiency = float(row[at["indiv PCR eff"]])
    user_excluded = _cleanErrorString(row[at["excluded"]], "amp").strip(";") != ""
    return bool(
        math.isfinite(efficiency)
        and efficiency >= 1.001
        and row[at["amplification"]]
        and row[at["plateau"]]
        and not row[at["baseline error"]]
        and not row[at["instable baseline"]]
        and not row[at["noisy sample"]]
        and not row[at["too low Cq eff"]]
        and not row[at[OUTLIER_COLUMN]]
        and row[at["sample type"]] not in CONTROL_TYPES
        and not user_excluded
    )


def _check_means(reactions: pd.DataFrame) -> None:
    """The reactions marked used reproduce rdmlpython's mean efficiency per run and target."""
    for (run, target), group in reactions.groupby(["run", "target"], sort=False):
        used = group.loc[group["used_for_mean_efficiency"], "efficiency"]
        expected = float(group["target_mean_efficiency"].iloc[0])
        mean = float(used.mean()) if len(used) else math.nan
        if not (math.isnan(mean) and math.isnan(expected)) and not math.isclose(
            mean, expected, rel_tol=1e-12
        ):
            raise RuntimeError(
                f"run '{run}', target '{target}': the reactions marked as used give a mean "
                f"efficiency {mean!r}, rdmlpython {expected!r}; rdmlpython's exclusion rules "
                "changed (update esccrt.qpcr.curves._used_for_mean)."
            )


def linregpcr_reactions(path: str | Path, document=None) -> pd.DataFrame:
    """LinRegPCR's result for every reaction of every run of ``path`` (:data:`REACTION_COLUMNS`).

    ``document`` is :func:`~esccrt.qpcr.formats.rdml_version.load_rdml_document`'s
    result when the caller already has it.
    """
    path = Path(path)
    document = document if document is not None else load_rdml_document(path)
    rows = []
    for experiment in document.experiments():
        for run in experiment.runs():
            rows += _run_rows(path, experiment["id"], run)
    reactions = pd.DataFrame(rows, columns=list(REACTION_COLUMNS))
    _check_means(reactions)
    return reactions


def _write_cq(root, reactions: pd.DataFrame) -> None:
    """Put LinRegPCR's Cq (full precision; -1 = none, as LinRegPCR writes) into every data
    element of the tree, in place of the instrument's."""
    from lxml import etree

    cq = {(r.run, r.react, r.target): r.cq for r in reactions.itertuples()}
    tag = f"{{{RDML_NAMESPACE}}}"
    for experiment in root.iterchildren(tag + "experiment"):
        for run in experiment.iterchildren(tag + "run"):
            run_name = f"{experiment.get('id', '')}/{run.get('id', '')}"
            for react in run.iterchildren(tag + "react"):
                for data in react.iterchildren(tag + "data"):
                    target = data.find(tag + "tar")
                    key = (
                        run_name,
                        react.get("id", ""),
                        target.get("id", "") if target is not None else "",
                    )
                    value = cq.get(key, math.nan)
                    node = data.find(tag + "cq")
                    if node is None:
                        node = etree.SubElement(data, tag + "cq")
                    node.text = repr(value) if math.isfinite(value) else "-1"


def read_rdml_linregpcr(path: str | Path, no_cq_words=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(well table with LinRegPCR's Cq, reactions table) of one RDML file with curves."""
    path = Path(path)
    document = load_rdml_document(path)
    reactions = linregpcr_reactions(path, document)
    root = document._node  # rdmlpython keeps the parsed lxml tree here
    _write_cq(root, reactions)
    return wells_from_root(root, path, no_cq_words), reactions


def target_efficiencies(reactions: pd.DataFrame) -> pd.DataFrame:
    """Per target: mean amplification factor of the reactions LinRegPCR used for its mean
    (pooled over runs and files), its standard error (SD / sqrt(n)) and n."""
    used = reactions[reactions["used_for_mean_efficiency"]]
    rows = []
    for target in dict.fromkeys(reactions["target"]):
        values = used.loc[used["target"] == target, "efficiency"].astype(float)
        n = len(values)
        rows.append(
            {
                "target": target,
                "efficiency": float(values.mean()) if n else math.nan,
                "efficiency_se": float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
                "n_reactions": n,
                "source": "linregpcr",
            }
        )
    return pd.DataFrame(rows, columns=list(EFFICIENCY_COLUMNS))


def config_efficiencies(efficiencies: dict[str, float]) -> pd.DataFrame:
    """The efficiency table of config key qpcr.efficiencies (no SE, no reactions)."""
    rows = [
        {
            "target": t,
            "efficiency": float(e),
            "efficiency_se": math.nan,
            "n_reactions": 0,
            "source": "config",
        }
        for t, e in efficiencies.items()
    ]
    return pd.DataFrame(rows, columns=list(EFFICIENCY_COLUMNS))


#: The keys of config section ``qpcr`` the import rule reads: :class:`ImportSettings`' (the Cq
#: files, their format, the sample map, the no-Cq words) and :class:`CurveSettings`'.
IMPORT_RULE_KEYS = (
    "ct_table",
    "format",
    "sample_map",
    "undetermined_tokens",
    "cq_source",
    "efficiency_source",
    "efficiencies",
)


def import_rule_settings(section: Mapping) -> dict:
    """The import rule's params: the :data:`IMPORT_RULE_KEYS` of the validated
    ``config["qpcr"]``, so that a change of any other qPCR key (design, calibration, QC,
    references) does not rerun the import."""
    return {key: section[key] for key in IMPORT_RULE_KEYS}


@dataclass(frozen=True)
class CurveSettings:
    """Where Cq and amplification factors come from (config keys qpcr.cq_source,
    efficiency_source, efficiencies)."""

    cq_source: str
    efficiency_source: str
    efficiencies: Mapping[str, float]

    @classmethod
    def from_config(cls, section: Mapping) -> CurveSettings:
        """Build from the validated ``config["qpcr"]`` (defaults from qpcr.schema.yaml); curves
        are read by the import step, so format ``long`` cannot have them."""
        settings = cls(section["cq_source"], section["efficiency_source"], section["efficiencies"])
        if settings.needs_curves and section["format"] == "long":
            raise InputError(
                "config keys qpcr.cq_source / qpcr.efficiency_source: 'linregpcr' reads the "
                "amplification curves of RDML files; qpcr.format 'long' has none. Set "
                "qpcr.format to rdml (with qpcr.sample_map), or use 'instrument' / 'config'."
            )
        return settings

    @property
    def needs_curves(self) -> bool:
        """True when LinRegPCR runs (for the Cq, the efficiencies or both)."""
        return "linregpcr" in (self.cq_source, self.efficiency_source)

    def check(self, files: Sequence[str], fmt: str) -> None:
        """Refuse LinRegPCR on a file that is not RDML, naming the config keys."""
        if not self.needs_curves:
            return
        for path in files:
            chosen = detect_format(path) if fmt == "auto" else fmt
            if chosen != "rdml":
                keys = (
                    "qpcr.cq_source" if self.cq_source == "linregpcr" else "qpcr.efficiency_source"
                )
                raise InputError(
                    f"{path}: config key {keys} is 'linregpcr', which reads amplification curves "
                    f"from RDML files; this file is format '{chosen}' (qpcr.format). Export RDML "
                    "from the instrument, or use the Cq and efficiencies as configured."
                )


@dataclass(frozen=True)
class CurveOutputs:
    """The tables the import rule writes besides the Ct table and the control wells."""

    efficiencies: str | Path
    linregpcr_reactions: str | Path


def import_with_curves(
    settings: ImportSettings, curves: CurveSettings
) -> tuple[tuple[pd.DataFrame, ...], pd.DataFrame, pd.DataFrame]:
    """(:func:`~esccrt.qpcr.ct_import.import_ct`'s tables, LinRegPCR's reactions, the
    efficiency table) of the configured files."""
    curves.check(settings.files, settings.format)
    words = [w for w in settings.undetermined_tokens if w]
    per_file: list[pd.DataFrame] = []

    def read(path: str) -> pd.DataFrame:
        if not curves.needs_curves:
            return read_wells(path, settings.format, words)
        linregpcr_wells, reactions = read_rdml_linregpcr(path, words)
        per_file.append(reactions)
        if curves.cq_source == "linregpcr":
            return linregpcr_wells
        return read_wells(path, settings.format, words)

    tables = import_ct(settings, read)
    reactions = (
        pd.concat(per_file, ignore_index=True)
        if per_file
        else pd.DataFrame(columns=list(REACTION_COLUMNS))
    )
    if curves.efficiency_source == "linregpcr":
        efficiencies = target_efficiencies(reactions)
    else:
        efficiencies = config_efficiencies(curves.efficiencies)
    return tables, reactions, efficiencies


def run(
    settings: ImportSettings,
    curves: CurveSettings,
    ct_out: str | Path,
    controls_out: str | Path,
    outputs: CurveOutputs,
    excluded_out: str | Path | None = None,
) -> list[str]:
    """The import rule: every table written only when everything was read and mapped.
    Returns the log lines."""
    imported, reactions, efficiencies = import_with_curves(settings, curves)
    write_tsv_atomic(reactions, outputs.linregpcr_reactions)
    write_tsv_atomic(efficiencies, outputs.efficiencies)
    lines = write_imported(imported, ct_out, controls_out, excluded_out)
    if curves.needs_curves:
        lines.append(
            f"LinRegPCR (rdmlpython {_rdmlpython_version()}): {len(reactions)} reactions, "
            f"{int(reactions['cq'].notna().sum())} with a Cq; Cq from {curves.cq_source}, "
            f"efficiencies from {curves.efficiency_source}"
        )
    return lines


def _rdmlpython_version() -> str:
    from rdmlpython.rdml import get_rdml_lib_version

    return str(get_rdml_lib_version())
