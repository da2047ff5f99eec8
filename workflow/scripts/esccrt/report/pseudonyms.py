"""Patient identifiers replaced by stable codes in the report and the tables meant for sharing
(config ``report.pseudonymise``).

A patient's code is ``PT-`` and the first 10 hex digits of HMAC-SHA256 of the identifier under a
secret key (the file named by ``report.pseudonym_key``). Why a keyed hash and not numbers given
in order (P001, P002, ...): the code depends on the identifier and the key only, so it is the
same in every rerun, in a run with a new batch of patients and in another project sharing the
key, and needs no register kept between runs; numbers given in order change when a patient is
added before another or left out. Why keyed: identifiers such as P01..P99 or hospital numbers
are few enough to hash every candidate, so an unkeyed hash would be reversed by anyone; without
the key the codes reveal nothing. The key never enters the report (only its file's path, in the
configuration). The mapping (identifier, code) goes to a private file for the study team.

What is coded: the cells of the identifier columns (:data:`IDENTIFIER_COLUMNS`) of every table
the report reads, which are written as the shared tables; the page is then rendered from those,
so that the report renders and recomputes nothing. Figures that print identifiers are left out.
Finally the page and the shared tables are searched for every identifier seen: one found stops
the run (an identifier in another column, such as a sample name made from it, must not leak
quietly).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import html
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from esccrt import paths
from esccrt.errors import InputError
from esccrt.report.inputs import ReportInputs

#: The columns holding patient identifiers, with the separator of a list of them ("": one).
IDENTIFIER_COLUMNS: Mapping[str, str] = {"patient": "", "left_out": ","}
#: Codes: this prefix and so many hex digits of the keyed hash (2^40: no collision in practice;
#: one is checked for anyway).
CODE_PREFIX = "PT-"
CODE_DIGITS = 10
#: The shortest key accepted, in characters (e.g. ``openssl rand -hex 32`` gives 64).
MIN_KEY_LENGTH = 16
#: Inputs of the report that are figures printing patient identifiers: left out when coding.
PATIENT_FIGURES = ("qpcr_fold_change_plot",)
#: The config key naming the key file (for messages).
KEY_SETTING = "report.pseudonym_key"


def read_key(path: str | os.PathLike[str]) -> bytes:
    """The secret key in the file ``path`` (surrounding white space removed)."""
    if not str(path):
        raise InputError(
            f"config key report.pseudonymise is true but {KEY_SETTING} names no key file; "
            "write a secret (e.g. `openssl rand -hex 32 > ~/.esccrt_pseudonym_key`) to a file "
            "kept outside the results and name it there"
        )
    try:
        key = Path(path).read_text().strip()
    except OSError as error:
        raise InputError(f"{KEY_SETTING}: cannot read the key file {path}: {error}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise InputError(
            f"{KEY_SETTING}: the key in {path} has {len(key)} characters; give at least "
            f"{MIN_KEY_LENGTH} (e.g. `openssl rand -hex 32`)"
        )
    return key.encode()


def pseudonym(identifier: str, key: bytes) -> str:
    """The code of ``identifier`` under ``key``."""
    digest = hmac.new(key, identifier.encode(), hashlib.sha256).hexdigest()
    return CODE_PREFIX + digest[:CODE_DIGITS].upper()


def _checkable(identifier: str) -> bool:
    """Whether ``identifier`` can be searched for in text: one holding a letter (a plain number
    such as 7 is in every table; such identifiers are coded in their columns all the same)."""
    return any(c.isalpha() for c in identifier)


class Pseudonymiser:
    """Codes identifiers under one key and remembers every identifier it coded."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self.codes: dict[str, str] = {}

    def code(self, identifier: str) -> str:
        """The code of one identifier (an empty cell stays empty)."""
        if not identifier:
            return identifier
        if identifier not in self.codes:
            code = pseudonym(identifier, self._key)
            if code in self.codes.values():
                raise ValueError(f"two identifiers share the code {code}: use another key")
            self.codes[identifier] = code
        return self.codes[identifier]

    def frame(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` (read as text) with its identifier columns coded."""
        coded = table.copy()
        for column, separator in IDENTIFIER_COLUMNS.items():
            if column in coded.columns:
                coded[column] = coded[column].map(
                    (lambda cell, sep=separator: sep.join(self.code(i) for i in cell.split(sep)))
                    if separator
                    else self.code
                )
        return coded

    def file(self, source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        """The TSV ``source`` written to ``target`` with its identifier columns coded; every
        other cell is copied as written (read as text, nothing parsed)."""
        table = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.frame(table).to_csv(target, sep="\t", index=False)

    def mapping(self) -> pd.DataFrame:
        """Every identifier coded and its code, sorted by identifier."""
        rows = sorted(self.codes.items())
        return pd.DataFrame(rows, columns=["identifier", "code"])

    def leaks(self, text: str) -> list[str]:
        """The identifiers coded so far that still occur in ``text`` between characters that
        are no letter or digit, so also inside a name such as ``P01_pre`` (embedded data: images
        are not searched)."""
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]*", "", text)
        return [
            identifier
            for identifier in sorted(self.codes)
            if _checkable(identifier)
            and re.search(rf"(?<![A-Za-z0-9]){re.escape(identifier)}(?![A-Za-z0-9])", text)
        ]


def check_no_leak(pseudonymiser: Pseudonymiser, texts: Iterable[tuple[str, str]]) -> None:
    """Stop when an identifier is left in any of ``texts`` ((where, text) pairs): in a column
    other than the identifier columns, e.g. a sample name made from it."""
    for where, text in texts:
        if found := pseudonymiser.leaks(text):
            raise InputError(
                f"report.pseudonymise: patient identifier(s) {', '.join(found[:5])} still in "
                f"{where} after coding, outside a column named "
                f"{' or '.join(IDENTIFIER_COLUMNS)} (e.g. in a sample name made from it); the "
                "report and the shared tables are not kept. Name such samples without the "
                "patient identifier (sample sheet, qPCR sample map) and rerun."
            )


def shared_name(path: str | os.PathLike[str]) -> Path:
    """Where a table goes in the shared folder: its path within the results folder (a table
    from elsewhere, e.g. the sample sheet, under ``inputs/``)."""
    parts = Path(path).parts
    if paths.RESULTS in parts[:-1]:
        last = len(parts) - 1 - parts[::-1].index(paths.RESULTS)
        return Path(*parts[last + 1 :])
    return Path("inputs") / Path(path).name


def shared_inputs(
    inputs: ReportInputs,
    pseudonymiser: Pseudonymiser,
    share: str | os.PathLike[str],
) -> ReportInputs:
    """The report's inputs with every table replaced by its coded copy in ``share`` (written
    there, at its path within the results folder: :func:`shared_name`) and the figures that
    print identifiers (:data:`PATIENT_FIGURES`) left out; other files are read as they are."""

    def coded(path: str) -> str:
        if not path.endswith(".tsv"):
            return path
        target = Path(share) / shared_name(path)
        pseudonymiser.file(path, target)
        return str(target)

    changed: dict[str, object] = {}
    for name, value in vars(inputs).items():
        if name in PATIENT_FIGURES:
            changed[name] = ""
        elif isinstance(value, list):
            changed[name] = [coded(p) for p in value]
        elif value:
            changed[name] = coded(value)
    return dataclasses.replace(inputs, **changed)


def coded_note(share: str | os.PathLike[str]) -> str:
    """HTML: the page's identifiers are codes, where the coded tables are, what was left out."""
    return (
        '<p class="caveat">Patient identifiers are replaced by codes (report.pseudonymise; '
        f"{CODE_PREFIX} and a keyed hash of the identifier, the same in every run with the same "
        f"key). The tables meant for sharing, coded alike, are in {html.escape(str(share))}; "
        "figures that print identifiers (fold changes per patient) are left out.</p>"
    )
