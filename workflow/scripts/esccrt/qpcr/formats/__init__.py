"""Cq input from qPCR instruments: one reader per file format, all returning the well table of
:mod:`esccrt.qpcr.formats.wells`.

- :mod:`~esccrt.qpcr.formats.rdml`: RDML (rdmlpython), every vendor's MIQE exchange format;
- :mod:`~esccrt.qpcr.formats.applied_biosystems`: ABI SDS 2.x and QuantStudio/7500/StepOne;
- :mod:`~esccrt.qpcr.formats.biorad_roche`: Bio-Rad CFX Manager and Roche LightCycler 480;
- :mod:`~esccrt.qpcr.formats.text_tables`: finding the results table inside an export.

:func:`read_wells` reads one file in the configured format; with ``auto`` the format is taken
from the file's own header, and a file that shows no known header is refused.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.formats.applied_biosystems import read_abi_sds, read_quantstudio
from esccrt.qpcr.formats.biorad_roche import read_cfx, read_lightcycler480
from esccrt.qpcr.formats.rdml import read_rdml
from esccrt.qpcr.formats.text_tables import read_rows, read_text

READERS: dict[str, Callable[..., pd.DataFrame]] = {
    "rdml": read_rdml,
    "abi_sds": read_abi_sds,
    "quantstudio": read_quantstudio,
    "cfx": read_cfx,
    "lightcycler480": read_lightcycler480,
}
#: Values of config key qpcr.format: ``long`` is the workflow's own long Ct table.
FORMATS = ("long", *READERS, "auto")

#: (format, words that a line of its header holds together), checked in this order.
SIGNATURES = (
    ("abi_sds", ("Well", "Detector", "Task")),
    ("abi_sds", ("Well", "Detector Name", "Task")),
    ("quantstudio", ("Well", "Sample Name", "Target Name", "Task")),
    ("cfx", ("Well", "Fluor", "Target", "Content", "Sample")),
    ("lightcycler480", ("Include", "Pos", "Name")),
)


def detect_format(path: str | Path) -> str:
    """The format of ``path`` from its content (RDML root, or the results header's words)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: Ct file not found. Check qpcr.ct_table in config/config.yaml.")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if not any(n.startswith("xl/") for n in names):  # a zip that is not a spreadsheet
            return "rdml"
    elif "<rdml" in read_text(path)[:4000]:
        return "rdml"
    for _, row in read_rows(path)[:200]:
        cells = {c.strip() for c in row}
        for name, words in SIGNATURES:
            if all(w in cells for w in words):
                return name
    known = ", ".join(dict.fromkeys(name for name, _ in SIGNATURES))
    raise InputError(
        f"{path}: qpcr.format is 'auto' but the file shows none of the known results headers "
        f"(RDML, {known}); set qpcr.format to the instrument that wrote it."
    )


def read_wells(path: str | Path, fmt: str, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """The well table of one instrument file in format ``fmt`` (or ``auto``)."""
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen not in READERS:
        raise InputError(
            f"config key qpcr.format: '{fmt}' is not an instrument format; use one of "
            f"{list(FORMATS)}."
        )
    return READERS[chosen](path, no_cq_words)
