"""The report's part on the sequencing markers: each patient's small-RNA miRNA change post / pre
(results/survival/sequencing_fold_changes.tsv, as rule survival_sequencing_markers wrote it),
which the survival tables above analyse as ``seq:<miRNA>`` beside the qPCR targets."""

from __future__ import annotations

from esccrt.io import read_tsv
from esccrt.report.html import table

#: Columns the report shows (the normalised counts stay in the table).
SHOWN = [
    "patient",
    "target",
    "fold_change",
    "log2_fold_change",
    "sample_pre",
    "sample_post",
    "note",
]


def sequencing_markers_part(path: str) -> str:
    """The sequencing markers' fold changes per patient, and how many patients have none."""
    if not path:
        return ""
    changes = read_tsv(path, ["patient", "target", "sample_pre", "sample_post", "note"])
    missing = changes[changes["fold_change"].isna()]
    without = (
        f" {missing['patient'].nunique()} patient(s) have no value for at least one marker "
        "(a library missing or left out by the QC gate, or a zero count; see the note) and "
        "are left out of that marker's analyses only."
        if len(missing)
        else ""
    )
    return (
        "<h3>Sequencing markers</h3>"
        "<p>Per patient, the change of each small-RNA miRNA between its two libraries (post / "
        "pre of the DESeq2-normalised counts of the small-RNA arm), analysed above as "
        f"<code>seq:&lt;miRNA&gt;</code> beside the qPCR fold changes.{without}</p>"
        + table(changes[SHOWN], "sequencing_fold_changes", digits=4)
    )
