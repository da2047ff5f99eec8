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
the report reads, and every identifier holding a letter wherever else it stands in those tables
and on the page (a sample name such as P01_pre, a file path, a note); the coded tables are the
shared ones and the page is rendered from them, so that the report renders and recomputes
nothing. Figures cannot be coded: those that print patients are left out, and those that print
sample names too when a sample name holds a patient identifier. Finally the page and the shared
tables are searched for every identifier: one left stops the run (a part of the page that
bypassed the coding must not leak quietly).
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
    """Whether ``identifier`` can be found in text: one holding a letter (a plain number such
    as 7 is in every table; such identifiers are coded in their columns only)."""
    return any(c.isalpha() for c in identifier)


#: Embedded images (data URIs): never searched nor changed.
_DATA_URI = re.compile(r"(data:[\w/+.-]+;base64,[A-Za-z0-9+/=]*)")


class Pseudonymiser:
    """Codes identifiers under one key and remembers every identifier it coded."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self.codes: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def code(self, identifier: str) -> str:
        """The code of one identifier (an empty cell stays empty)."""
        if not identifier:
            return identifier
        if identifier not in self.codes:
            code = pseudonym(identifier, self._key)
            if code in self.codes.values():
                raise ValueError(f"two identifiers share the code {code}: use another key")
            self.codes[identifier] = code
            self._pattern = None
        return self.codes[identifier]

    def _cells(self, column: pd.Series, separator: str) -> pd.Series:
        """An identifier column's cells coded (each of a list's items)."""
        if not separator:
            return column.map(self.code)
        return column.map(lambda cell: separator.join(self.code(i) for i in cell.split(separator)))

    def register(self, table: pd.DataFrame) -> None:
        """Give a code to every identifier of ``table``'s identifier columns (before any text is
        coded, so that a sample name anywhere finds its patient)."""
        for column, separator in IDENTIFIER_COLUMNS.items():
            if column in table.columns:
                self._cells(table[column], separator)

    def _found(self) -> re.Pattern[str] | None:
        """The identifiers that can be found in text, as one pattern (longest first)."""
        if self._pattern is None:
            names = sorted(filter(_checkable, self.codes), key=len, reverse=True)
            alternatives = "|".join(map(re.escape, names))
            self._pattern = (
                re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])") if names else None
            )
        return self._pattern

    def text(self, text: str) -> str:
        """``text`` with every identifier holding a letter replaced by its code where it stands
        between characters that are no letter or digit, also inside a name such as
        ``P01_pre`` or a file path (embedded images are left as they are)."""
        pattern = self._found()
        if pattern is None:
            return text
        parts = _DATA_URI.split(text)  # odd items: the images
        return "".join(
            part if index % 2 else pattern.sub(lambda m: self.codes[m.group(0)], part)
            for index, part in enumerate(parts)
        )

    def frame(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` (read as text) with its identifier columns coded and the identifiers in
        its other cells (sample names, notes, paths) replaced (:meth:`text`)."""
        coded = table.copy()
        for column in coded.columns:
            separator = IDENTIFIER_COLUMNS.get(column)
            coded[column] = (
                self._cells(coded[column], separator)
                if separator is not None
                else coded[column].map(self.text)
            )
        return coded

    def file(self, source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        """The TSV ``source`` written to ``target`` coded (:meth:`frame`); everything else is
        copied as written (read as text, nothing parsed)."""
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.frame(read_text_table(source)).to_csv(target, sep="\t", index=False)

    def mapping(self) -> pd.DataFrame:
        """Every identifier coded and its code, sorted by identifier."""
        rows = sorted(self.codes.items())
        return pd.DataFrame(rows, columns=["identifier", "code"])

    def leaks(self, text: str) -> list[str]:
        """The identifiers coded so far, holding a letter, that still occur in ``text`` between
        characters that are no letter or digit (embedded images are not searched)."""
        text = "".join(_DATA_URI.split(text)[::2])
        return [
            identifier
            for identifier in sorted(filter(_checkable, self.codes))
            if re.search(rf"(?<![A-Za-z0-9]){re.escape(identifier)}(?![A-Za-z0-9])", text)
        ]


def read_text_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A TSV with every cell as the text written (nothing parsed, nothing missing)."""
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def register_files(pseudonymiser: Pseudonymiser, tables: Iterable[str]) -> None:
    """Give a code to every identifier of the identifier columns of the TSV files ``tables``
    (empty paths skipped), before any text is coded, so that a sample name anywhere finds its
    patient."""
    for path in tables:
        if path:
            pseudonymiser.register(read_text_table(path))


def check_no_leak(pseudonymiser: Pseudonymiser, texts: Iterable[tuple[str, str]]) -> None:
    """Stop when an identifier is left in any of ``texts`` ((where, text) pairs): a part of the
    page that was not coded. A programming error: every part must go through the coding."""
    for where, text in texts:
        if found := pseudonymiser.leaks(text):
            raise ValueError(
                f"report.pseudonymise: patient identifier(s) {', '.join(found[:5])} still in "
                f"{where} after coding; the report and the shared tables are not kept"
            )


def shared_name(path: str | os.PathLike[str]) -> Path:
    """Where a table goes in the shared folder: its path within the results folder (a table
    from elsewhere, e.g. the sample sheet, under ``inputs/``)."""
    parts = Path(path).parts
    if paths.RESULTS in parts[:-1]:
        last = len(parts) - 1 - parts[::-1].index(paths.RESULTS)
        return Path(*parts[last + 1 :])
    return Path("inputs") / Path(path).name


#: Report inputs that are figures printing sample names: left out when a sample name holds a
#: patient identifier (the figures' text cannot be coded). DE figures: by their stem.
SAMPLE_FIGURES = ("qc_plots", "insert_sizes_plot")
SAMPLE_DE_FIGURES = ("pca", "sample_distances", "top_features")


def _names_identify(inputs: ReportInputs, pseudonymiser: Pseudonymiser) -> bool:
    """Whether a sequencing sample's name holds a patient identifier."""
    if not inputs.samples:
        return False
    names = read_text_table(inputs.samples)["sample"]
    return any(pseudonymiser.leaks(name) for name in names)


def _left_out(inputs: ReportInputs, samples_named: bool) -> tuple[dict[str, object], list[str]]:
    """(the figure inputs to leave out, what they show in words): those printing patients, and
    those printing sample names when ``samples_named`` (a sample name holds an identifier)."""
    left: dict[str, object] = dict.fromkeys(PATIENT_FIGURES, "")
    said = ["the fold changes per patient"] if inputs.qpcr_fold_change_plot else []
    if samples_named:
        left |= {name: [] if name == "qc_plots" else "" for name in SAMPLE_FIGURES}
        left["de_plots"] = [
            p for p in inputs.de_plots if Path(p).stem.rpartition(".")[2] not in SAMPLE_DE_FIGURES
        ]
        said.append("the sequencing QC and sample figures (sample names hold identifiers)")
    return left, said


def shared_inputs(
    inputs: ReportInputs,
    pseudonymiser: Pseudonymiser,
    share: str | os.PathLike[str],
) -> tuple[ReportInputs, list[str]]:
    """(the report's inputs with every table replaced by its coded copy in ``share``, written
    there at its path within the results folder (:func:`shared_name`), and the figures that
    would print identifiers left out; what was left out, in words). Other files are read as
    they are."""
    values = vars(inputs)
    tables = [
        path
        for value in values.values()
        for path in (value if isinstance(value, list) else [value])
        if path.endswith(".tsv")
    ]
    register_files(pseudonymiser, tables)  # every identifier first
    samples_named = _names_identify(inputs, pseudonymiser)

    def coded(path: str) -> str:
        if not path.endswith(".tsv"):
            return path
        target = Path(share) / shared_name(path)
        pseudonymiser.file(path, target)
        return str(target)

    changed: dict[str, object] = {
        name: [coded(p) for p in value] if isinstance(value, list) else coded(value)
        for name, value in values.items()
    }
    left, left_out = _left_out(inputs, samples_named)
    return dataclasses.replace(inputs, **(changed | left)), left_out


def coded_sections(
    pseudonymiser: Pseudonymiser, sections: Iterable[tuple[str, str]], left_out: Iterable[str]
) -> list[tuple[str, str]]:
    """A page's (anchor, HTML) sections with every identifier coded, free text too (methods,
    paths, configuration), and the note saying so (:func:`coded_note`) first."""
    (anchor, first), *rest = [(a, pseudonymiser.text(content)) for a, content in sections]
    return [(anchor, coded_note(paths.SHARE, left_out) + first), *rest]


def coded_note(share: str | os.PathLike[str], left_out: Iterable[str]) -> str:
    """HTML: the page's identifiers are codes, where the coded tables are, what was left out."""
    left_out = list(left_out)
    figures = (
        f"Figures that would print identifiers are left out: {html.escape(', '.join(left_out))}."
        if left_out
        else "No figure prints identifiers."
    )
    return (
        '<p class="caveat">Patient identifiers are replaced by codes (report.pseudonymise; '
        f"{CODE_PREFIX} and a keyed hash of the identifier, the same in every run with the same "
        f"key). The tables meant for sharing, coded alike, are in {html.escape(str(share))}. "
        f"{figures} The MultiQC report is not coded.</p>"
    )
