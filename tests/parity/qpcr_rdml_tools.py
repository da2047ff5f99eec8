"""Helpers of the qPCR parity tests on RDML-Tools' example files (qpcr_real/rdml/rdml-tools):
what the files state, read independently of rdmlpython and lxml.

Not a test module: the ``tests/parity/test_qpcr_*.py`` files import it (the folder is in
pytest's ``pythonpath`` setting, pyproject.toml); the folder's fixture is ``rdml_tools`` in
tests/parity/conftest.py.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

#: absolute.rdml (Vermeulen dilution series): the copies of each standard sample.
ABSOLUTE_STANDARDS = {
    "STD_150000": 18750.0,
    "STD_15000": 1875.0,
    "STD_1500": 187.5,
    "STD_150": 18.75,
    "STD_15": 1.875,
}


def lowest_standard_max_cq(rdml: Path) -> dict[str, float]:
    """Highest Cq of STD_15 (the lowest standard) per target, read from the XML with regular
    expressions."""
    with zipfile.ZipFile(rdml) as archive:
        text = next(archive.read(n) for n in archive.namelist() if n.endswith(".xml")).decode()
    limits: dict[str, float] = {}
    for body in re.findall(r'<react id="\d+">(.*?)</react>', text, re.S):
        if not re.search(r'<sample id="STD_15"\s*/?>', body):
            continue
        for target, cq in re.findall(r'<tar id="([^"]+)"\s*/>.*?<cq>([^<]+)</cq>', body, re.S):
            limits[target] = max(limits.get(target, -1.0), float(cq))
    return limits
