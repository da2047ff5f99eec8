"""RDML files (Real-time PCR Data Markup Language, versions 1.0-1.3 and later), read with
``rdmlpython``, the RDML consortium's library.

An ``.rdml`` file is a zip archive holding ``rdml_data.xml`` (or, from older software, another
single ``.xml`` member) or plain XML. ``rdmlpython`` parses it (version 1.4 converted to 1.3 in
memory, 1.0 migrated to 1.1: :func:`~esccrt.qpcr.formats.rdml_version.load_rdml_document`); the
reactions are then read from its tree: experiment/run, well (``react``), sample and its type
(per target from RDML 1.3 on), target, ``cq`` and ``excl`` (excluded, RDML 1.2+).

Software marks "no Cq" in different ways, all read as no Cq: no ``<cq>`` element (Bio-Rad CFX),
-1 (LinRegPCR, RDML-Tools), 0, or a value at or beyond the last cycle of the run's amplification
data (StepOne writes 40.0 after 40 cycles, the LightCycler 96 100 after 50).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.formats.rdml_version import load_rdml_document
from esccrt.qpcr.formats.wells import parse_cq, wells_frame

#: RDML sample types -> well task.
RDML_TYPES = {
    "unkn": "UNKNOWN",
    "std": "STANDARD",
    "ntc": "NTC",
    "nac": "NAC",
    "ntp": "NTP",
    "nrt": "NRT",
    "pos": "POSITIVE",
    "opt": "OPTICAL",
}


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child(element, name: str):
    return next((c for c in element if _local(c) == name), None)


def _child_text(element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _sample_types(root) -> dict[str, dict[str, str]]:
    """sample id -> {target id or '' (any target): RDML type}."""
    types: dict[str, dict[str, str]] = {}
    for sample in (c for c in root if _local(c) == "sample"):
        per_target = types.setdefault(sample.get("id", ""), {})
        for node in (c for c in sample if _local(c) == "type"):
            per_target[node.get("targetId", "")] = (node.text or "unkn").strip()
    return types


def _well_label(react_id: str, run) -> str:
    """``A1``-style label of a react number on a plate with lettered rows, else the number."""
    fmt = _child(run, "pcrFormat")
    rows = _child_text(fmt, "rows") if fmt is not None else ""
    columns = _child_text(fmt, "columns") if fmt is not None else ""
    label = _child_text(fmt, "rowLabel") if fmt is not None else ""
    if not (react_id.isdigit() and rows.isdigit() and columns.isdigit()):
        return react_id
    if int(rows) <= 1 or int(columns) <= 1 or label not in ("ABC", ""):
        return react_id
    index = int(react_id) - 1
    return f"{chr(ord('A') + index // int(columns))}{index % int(columns) + 1}"


def _last_cycle(run) -> float:
    """Highest cycle of the run's amplification data (NaN when it has none)."""
    cycles = [float(c.text) for c in run.iter() if _local(c) == "cyc" and c.text]
    return max(cycles) if cycles else math.nan


def _n0(data) -> float:
    """The reaction's starting quantity as RDML defines the corrected one: ``N0 * corrF``
    (NaN without a numeric ``N0``; LinRegPCR and RDML-Tools write it next to the Cq)."""
    try:
        n0 = float(_child_text(data, "N0"))
    except ValueError:
        return math.nan
    try:
        return n0 * float(_child_text(data, "corrF") or 1.0)
    except ValueError:
        return n0


def _run_records(path: Path, experiment, run, types, no_cq_words: Iterable[str]) -> list[dict]:
    run_name = f"{experiment.get('id', '')}/{run.get('id', '')}"
    last_cycle = _last_cycle(run)
    records = []
    for react in (c for c in run if _local(c) == "react"):
        well = _well_label(react.get("id", ""), run)
        sample_node = _child(react, "sample")
        sample = sample_node.get("id", "") if sample_node is not None else ""
        for data in (c for c in react if _local(c) == "data"):
            target_node = _child(data, "tar")
            target = target_node.get("id", "") if target_node is not None else ""
            place = f"run '{run_name}', well {well}, target '{target}'"
            cq, no_cq = parse_cq(_child_text(data, "cq"), f"{path}, {place}", no_cq_words)
            if cq >= last_cycle:  # False when the run has no curves (NaN)
                cq, no_cq = math.nan, True
            kind = types.get(sample, {})
            rdml_type = kind.get(target, kind.get("", "unkn"))
            records.append(
                {
                    "file": str(path),
                    "run": run_name,
                    "well": well,
                    "place": place,
                    "sample": sample,
                    "target": target,
                    "task": RDML_TYPES.get(rdml_type, "UNKNOWN"),
                    "task_raw": rdml_type,
                    "cq": cq,
                    "no_cq": no_cq,
                    "omitted": bool(_child_text(data, "excl")),
                    "flags": "" if _child(data, "cq") is not None else "no_cq_element",
                    "n0": _n0(data),
                }
            )
    return records


def read_rdml(path: str | Path, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """Wells of every run of every experiment in an RDML file.

    Raises :class:`InputError` when the file holds no reaction or no Cq at all (raw curves only:
    compute the Cq values first, e.g. with LinRegPCR or RDML-Tools).
    """
    path = Path(path)
    root = load_rdml_document(path)._node  # rdmlpython keeps the parsed lxml tree here
    return wells_from_root(root, path, no_cq_words)


def wells_from_root(root, path: Path, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """Wells of a parsed RDML tree (the one :func:`read_rdml` loads, or a tree whose Cq values
    LinRegPCR wrote, :mod:`esccrt.qpcr.curves`); errors name ``path``."""
    types = _sample_types(root)
    records = []
    for experiment in (c for c in root if _local(c) == "experiment"):
        for run in (c for c in experiment if _local(c) == "run"):
            records += _run_records(path, experiment, run, types, no_cq_words)
    if not records:
        raise InputError(f"{path}: the RDML file holds no reactions (no experiment/run/react).")
    if all(r["flags"] == "no_cq_element" for r in records):
        raise InputError(
            f"{path}: the RDML file holds {len(records)} reactions but no Cq value (no <cq> "
            "element): it carries raw curves only. Compute the Cq values first (LinRegPCR or "
            "RDML-Tools) and export the RDML again."
        )
    return wells_frame(records, path)
