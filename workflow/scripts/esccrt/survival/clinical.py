"""The clinical table: reading it, checking times, events and factor values, matching patients.

:func:`read_clinical` and :func:`check_patients` read and check the clinical table (times,
events, patients matching the Ct table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError, located
from esccrt.survival.settings import Endpoint, Factor

#: Status codes of an endpoint naming a competing event (survival.endpoints[].competing).
CENSORED, EVENT, COMPETING = 0, 1, 2


def _patients(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    """Patient ids of the rows selected by ``mask``, for error messages."""
    return frame.loc[mask, "patient"].astype(str).tolist()


def _refuse_rows(path: str | Path, bad: pd.Series, column: str, message: str) -> None:
    """Raise an InputError at the first bad row (file line = row + 2: header, 1-based)."""
    if bad.any():
        raise InputError(located(path, message, line=int(bad.idxmax()) + 2, column=column))


def read_clinical(
    path: str | Path, endpoints: Sequence[Endpoint], factors: Sequence[Factor]
) -> pd.DataFrame:
    """Read and check the clinical table (``NA`` stays a level: keep_default_na=False).

    An endpoint with a competing event (``Endpoint.competing``) keeps its 0/1/2 status in the
    column ``Endpoint.status``; its event column becomes 0/1 with the competing event censored.

    Raises :class:`InputError` listing the patients for: missing or negative times, events other
    than 0/1 (0/1/2 with a competing event), non-numeric values of a numeric factor, values of
    a categorical factor that no configured level holds and configured levels that no patient
    has. An empty factor cell is a missing value (complete-case analysis of that factor).
    """
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    table = table.apply(lambda col: col.str.strip())
    _check_columns_and_patients(path, table, endpoints, factors)
    _read_endpoints(path, table, endpoints)
    _check_factor_values(path, table, factors)
    return table.set_index("patient", drop=False)


def _check_columns_and_patients(
    path: str | Path, table: pd.DataFrame, endpoints: Sequence[Endpoint], factors: Sequence[Factor]
) -> None:
    """Refuse a table lacking a configured column, or with repeated or empty patient ids."""
    needed = ["patient"]
    needed += [c for e in endpoints for c in (e.time, e.event)]
    needed += [f.column for f in factors if f.kind != "fold_change"]
    missing = [c for c in dict.fromkeys(needed) if c not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"missing column(s) {missing} named in config section survival "
                f"(endpoints/factors). Columns present: {list(table.columns)}.",
                line=1,
            )
        )
    duplicated = table["patient"].duplicated(keep=False)
    if duplicated.any() or (table["patient"] == "").any():
        raise InputError(
            located(
                path,
                "patient identifiers must be unique and non-empty; repeated or empty: "
                f"{sorted(set(_patients(table, duplicated | (table['patient'] == ''))))}.",
                column="patient",
            )
        )


def _read_endpoints(path: str | Path, table: pd.DataFrame, endpoints: Sequence[Endpoint]) -> None:
    """Check each endpoint's times and events and turn them into numbers (in place)."""
    for endpoint in endpoints:
        time = pd.to_numeric(table[endpoint.time], errors="coerce")
        bad = time.isna() | (time < 0)
        _refuse_rows(
            path,
            bad,
            endpoint.time,
            f"follow-up time missing, not a number or negative for patients "
            f"{_patients(table, bad)} (values {table.loc[bad, endpoint.time].tolist()}). "
            "Give the time from the start of radiotherapy to the event or last contact.",
        )
        status = _read_status(path, table, endpoint)
        table[endpoint.time] = time
        # cause-specific analyses (Kaplan-Meier, log-rank, Cox) censor the competing event
        table[endpoint.event] = (status == EVENT).astype(int)
        if endpoint.competing:
            table[endpoint.status] = status


def _read_status(path: str | Path, table: pd.DataFrame, endpoint: Endpoint) -> pd.Series:
    """The endpoint's event column as integers: 0/1, or 0/1/2 when the endpoint names a
    competing event (``survival.endpoints[].competing``)."""
    event = table[endpoint.event]
    if endpoint.competing:
        codes = [str(code) for code in (CENSORED, EVENT, COMPETING)]
        meaning = f"0 (censored), 1 (event) or 2 ({endpoint.competing}, the competing event)"
    else:
        codes = [str(code) for code in (CENSORED, EVENT)]
        meaning = (
            "0 (censored) or 1 (event) (2 codes a competing event only when "
            f"survival.endpoints ({endpoint.name}).competing names it)"
        )
    bad = ~event.isin(codes)
    _refuse_rows(
        path,
        bad,
        endpoint.event,
        f"event must be {meaning}; patients {_patients(table, bad)} have {event[bad].tolist()}.",
    )
    return event.astype(int)


def _check_factor_values(path: str | Path, table: pd.DataFrame, factors: Sequence[Factor]) -> None:
    """Refuse non-numeric values of a numeric factor and values no categorical level holds; an
    empty cell is a missing value (the patient is left out of that factor's analyses), unless
    a categorical level lists the empty value."""
    for factor in factors:
        if factor.kind == "fold_change":
            continue
        empty = table[factor.column] == ""  # a missing value: complete-case analysis
        if factor.kind == "numeric":
            values = pd.to_numeric(table[factor.column], errors="coerce")
            bad = values.isna() & ~empty
            _refuse_rows(
                path,
                bad,
                factor.column,
                f"factor '{factor.name}' needs numbers; patients {_patients(table, bad)} "
                f"have {table.loc[bad, factor.column].tolist()}.",
            )
        elif factor.kind == "categorical":
            known = {v for values in factor.levels.values() for v in values}
            bad = ~table[factor.column].isin(known) & ~empty
            _refuse_rows(
                path,
                bad,
                factor.column,
                f"value(s) {sorted(set(table.loc[bad, factor.column]))} of patients "
                f"{_patients(table, bad)} belong to no level of factor '{factor.name}' "
                f"(config survival.factors: {dict(factor.levels)}). Add them to a level "
                "or correct the table.",
            )


def clinical_patients(path: str | Path) -> list[str]:
    """The patient identifiers of the clinical table (spaces around them ignored, as
    :func:`read_clinical` does), for checking other tables against it before any job runs."""
    if not Path(path).is_file():
        raise InputError(f"{path}: clinical table not found (config key survival.clinical).")
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    if "patient" not in table.columns:
        raise InputError(located(path, "missing column 'patient'.", line=1))
    return table["patient"].str.strip().tolist()


def check_patients(clinical: Iterable[str], qpcr: Iterable[str], where: str = "") -> None:
    """Raise :class:`InputError` unless the clinical and qPCR patients are the same set."""
    clinical, qpcr = set(map(str, clinical)), set(map(str, qpcr))
    only_clinical, only_qpcr = sorted(clinical - qpcr), sorted(qpcr - clinical)
    if only_clinical or only_qpcr:
        raise InputError(
            f"{where}the clinical table and the qPCR Ct table do not hold the same patients: "
            f"only in the clinical table: {only_clinical}; only in the Ct table: {only_qpcr}. "
            "Every patient needs both (check the spelling of the identifiers)."
        )
