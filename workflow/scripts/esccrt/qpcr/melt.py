"""Melt curves: peaks of -dF/dT per well from the RDML melting data, as RDML-Tools finds them.

RDML files may carry a melt curve per well and target (``<mdp>`` elements: ``tmp``,
``fluor``). :func:`melt_peaks` runs RDML-Tools' melting-curve analysis on every run that has
them, with rdmlpython (``Run.meltCurveAnalysis``, the code behind RDML-Tools' web tool) as the
engine: smoothing, exponential background normalisation, -dF/dT, and peaks kept when they are
narrower than ``peak_max_width``, inside ``[peak_low_temp, peak_high_temp]`` and carry at least
``peak_cutoff`` % of the well's peak area (deltaH). It returns one row per well and target with
the number of peaks and their temperatures; a well with more than one peak is flagged
``melt_multiple_peaks`` (two products: e.g. a primer dimer beside the amplicon).

rdmlpython 1.7.2 refuses RDML 1.4 (RDML-Tools writes it). The analysis reads only elements
that RDML 1.4 left as they were in 1.3 (react, data, mdp, sample type, target
``meltingTemperature``, dye chemistry), so the document is converted to 1.3 in memory by
:func:`esccrt.qpcr.formats.rdml_version.load_rdml_document`; nothing is written back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.formats.rdml import _well_label
from esccrt.qpcr.formats.rdml_version import load_rdml_document
from esccrt.qpcr.melt_table import MELT_COLUMNS, MULTIPLE_PEAKS

#: Config key (qpcr.qc.melt.*) -> keyword of rdmlpython's ``Run.meltCurveAnalysis``.
ENGINE_KEYWORDS = {
    "normalisation": "normMethod",
    "true_peak_width": "truePeakWidth",
    "artifact_peak_width": "artifactPeakWidth",
    "peak_low_temp": "peakLowTemp",
    "peak_high_temp": "peakHighTemp",
    "peak_max_width": "peakMaxWidth",
    "peak_cutoff": "peakCutoff",
}
#: Offsets in rdmlpython's result rows: the peak at the target's expected melting temperature,
#: then one block of ``_PEAK_BLOCK`` columns per peak of the target (the expected one among
#: them), in order of temperature: temperature first, deltaH (the peak's height above its
#: flanks) at ``_DELTA_H``.
_EXPECTED_PEAK_COLUMN = 8
_FIRST_PEAK_COLUMN = 17
_PEAK_BLOCK = 9
_DELTA_H = 4


def _has_melt_data(run) -> bool:
    return any(True for _ in run._node.iter("{*}mdp"))


def _is_temperature(cell: object) -> bool:
    """rdmlpython leaves the cell of a peak a well lacks empty ('') or at 0."""
    return isinstance(cell, (int, float)) and float(cell) > 0


def _peaks(row: list) -> tuple[list[float], float]:
    """(temperatures of the peaks rdmlpython kept for one well, in order, and the main one's):
    the main peak is the one at the expected melting temperature, else the largest (deltaH)."""
    starts = range(_FIRST_PEAK_COLUMN, len(row), _PEAK_BLOCK)
    found = [(float(row[c]), float(row[c + _DELTA_H])) for c in starts if _is_temperature(row[c])]
    if _is_temperature(row[_EXPECTED_PEAK_COLUMN]):
        return [t for t, _ in found], float(row[_EXPECTED_PEAK_COLUMN])
    main = max(found, key=lambda peak: peak[1])[0] if found else math.nan
    return [t for t, _ in found], main


def _run_rows(path: Path, experiment, run, options: Mapping[str, object]) -> list[dict]:
    """One record per well and target of a run with melt data."""
    from rdmlpython.rdml import RdmlError

    name = f"{experiment['id']}/{run['id']}"
    keywords = {ENGINE_KEYWORDS[key]: value for key, value in options.items()}
    try:
        result = run.meltCurveAnalysis(saveResultsList=True, **keywords)
    except RdmlError as error:
        raise InputError(
            f"{path}, run '{name}': melt curves cannot be analysed ({error})."
        ) from None
    if "noRawData" in result:
        raise InputError(f"{path}, run '{name}': {result['noRawData']}")
    records = []
    for row in result["resultsList"][1:]:
        if row[3] == "Average":  # rdmlpython's per-target summary row
            continue
        peaks, main = _peaks(row)
        message = ";".join(m for m in (row[5], row[6]) if m)
        records.append(
            {
                "file": str(path),
                "run": name,
                "well": _well_label(str(row[0]), run._node),
                "sample": row[2],
                "sample_type": row[3],
                "target": row[4],
                "expected_tm": float(row[7]) if row[7] not in ("", None) else math.nan,
                "n_peaks": len(peaks),
                "peak_tm": main,
                "peak_temperatures": ",".join(f"{t:.2f}" for t in peaks),
                "flags": MULTIPLE_PEAKS if len(peaks) > 1 else "",
                "rdml_tools_message": message,
            }
        )
    return records


def melt_peaks(paths: list[str | Path], options: Mapping[str, object]) -> pd.DataFrame:
    """Melt peaks of every well with melt data in the RDML files ``paths``.

    ``options`` are the config keys of ``qpcr.qc.melt`` named in :data:`ENGINE_KEYWORDS`.
    Runs without melt data are skipped; the table is empty when no run has any.
    """
    records: list[dict] = []
    for path in map(Path, paths):
        document = load_rdml_document(path)
        for experiment in document.experiments():
            for run in experiment.runs():
                if _has_melt_data(run):
                    records += _run_rows(path, experiment, run, options)
    return pd.DataFrame.from_records(records, columns=list(MELT_COLUMNS))


def rdml_files(files: str | list[str], fmt: str) -> list[str]:
    """The configured Ct files that are RDML: all of them for format rdml, those whose header
    says RDML for format auto."""
    from esccrt.qpcr.formats import detect_format

    listed = [files] if isinstance(files, str) else list(files)
    return [f for f in listed if fmt == "rdml" or detect_format(f) == "rdml"]
