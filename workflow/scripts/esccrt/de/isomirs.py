"""isomiR-level differential expression of the small-RNA arm: rule ``diffexp_isomirs``, one
contrast of the arm's (see workflow/rules/diffexp.smk).

The isomiR count matrix (:mod:`esccrt.smallrna.isomir_matrix`) goes through the arm's own steps
as the mature miRNAs do (:func:`esccrt.de.stage.prepare_arm`: QC gate, design check,
``diffexp.min_total_count``; :func:`esccrt.de.stage.fit_table`: pydeseq2 and the caveats), with
the arm's settings. The table is the mature miRNAs' (``feature`` = the isomiR, ``name`` = its
mature miRNA), most significant first, with each isomiR's labels beside it: its mirtop
``Variant``, whether its seed region (mirtop's, nt 3-8; and nt 2-8, the 7mer-m8 site) differs
from the mature miRNA's, both seeds (nt 3-8), and the variant types as columns; the report
shows the seed-changed isomiRs from it, computing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from esccrt.de.caveats import CAVEAT_COLUMNS
from esccrt.de.settings import DESettings
from esccrt.de.stage import ArmInputs, fit_table, prepare_arm
from esccrt.de.tables import RESULT_COLUMNS
from esccrt.io import write_tsv_atomic
from esccrt.smallrna.isomir_labels import VARIANT_TYPES

#: The labels placed after ``name``: what the isomiR is, then its seed against the mature's.
LEADING_LABELS = ("variant", "seed_changed", "seed_changed_2_8", "seed", "mature_seed")
#: The caveat of a contrast without any isomiR to test (the filter kept none).
NO_ISOMIRS = "no_isomirs"


@dataclass(frozen=True)
class IsomirDEInputs(ArmInputs):
    """The isomiR count matrix (as ``counts``), the arm's QC gate, the sample sheet, and the
    isomiRs' labels."""

    labels: Path


@dataclass(frozen=True)
class IsomirDEOutputs:
    """One contrast's isomiR table and its caveats."""

    table: Path
    caveats: Path


def with_labels(results: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """``results`` (:func:`esccrt.de.tables.results_table`) with each isomiR's labels: the
    :data:`LEADING_LABELS` after ``name``, the variant types at the end; row order kept."""
    labelled = labels.set_index("feature")
    table = results.copy()
    at = list(table.columns).index("name") + 1
    for offset, column in enumerate(LEADING_LABELS):
        table.insert(at + offset, column, labelled[column].reindex(table["feature"]).to_numpy())
    for column in VARIANT_TYPES:
        table[column] = labelled[column].reindex(table["feature"]).to_numpy()
    return table


def empty_result(contrast: str, filter_note: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table (header only) and the caveat of a contrast with no isomiR to test."""
    columns = [*RESULT_COLUMNS[:2], *LEADING_LABELS, *RESULT_COLUMNS[2:], *VARIANT_TYPES]
    caveat = [[contrast, NO_ISOMIRS, f"no isomiR passed the filter ({filter_note})"]]
    return pd.DataFrame(columns=columns), pd.DataFrame(caveat, columns=CAVEAT_COLUMNS)


def run_isomirs(
    settings: DESettings,
    contrast: str,
    inputs: IsomirDEInputs,
    outputs: IsomirDEOutputs,
    threads: int,
) -> None:
    """Rule ``diffexp_isomirs``: ``contrast``'s isomiR table with the labels, and its caveats."""
    import sys

    # as written: the canonical sequence's Variant is mirtop's "NA", not a missing value
    text = dict.fromkeys(
        ("feature", "mature", "variant", "uid", "read", "seed", "mature_seed"), str
    )
    labels = pd.read_csv(inputs.labels, sep="\t", dtype=text, keep_default_na=False)
    if labels.empty:
        table, caveats = empty_result(contrast, "config smallrna.isomirs.min_reads, min_samples")
    else:
        data = prepare_arm(settings, "smallrna", inputs)
        results, caveats = fit_table(settings, data, contrast, threads)
        table = with_labels(results, labels)
    write_tsv_atomic(table, outputs.table)
    write_tsv_atomic(caveats, outputs.caveats)
    changed = table[table["significant"] & table["seed_changed"]]
    print(
        f"{contrast}: {int(table['significant'].sum())} significant of "
        f"{len(table)} isomiRs, {len(changed)} of them with a seed other than the mature's",
        file=sys.stderr,
    )
