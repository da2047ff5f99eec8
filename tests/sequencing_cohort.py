"""The synthetic cohort of the sequencing-marker tests (test_survival_sequencing_markers.py and
test_survival_sequencing_r.py): a small-RNA sample sheet with patients and timepoints, its
normalised counts, a clinical table, qPCR fold changes and the haemolysis table; and rule
survival_sequencing_markers' table of it, written by the rule's entry point
(:func:`esccrt.survival.sequencing.run`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from esccrt.survival.sequencing import run as sequencing_run
from schema_sections import section_defaults

MIRNA, OTHER, QPCR_TARGET = "hsa-miR-143-3p", "hsa-let-7a-5p", "hsa-miR-223-3p"
MARKER = f"seq:{MIRNA}"
N = 24
PATIENTS = [f"P{i:02d}" for i in range(1, N + 1)]
#: P01-P03 by hand; P03 has a zero count; P22's post library was left out by the QC gate; P23
#: has no post library; P24 no small-RNA library at all.
BY_HAND = {"P01": (100.0, 250.0), "P02": (80.0, 20.0), "P03": (0.0, 40.0)}
LEFT_OUT, ONLY_PRE, NO_LIBRARY = "P22", "P23", "P24"


def qpcr_timepoints() -> tuple[str, str]:
    """The qPCR's timepoints, as the validated config has them (schema defaults)."""
    qpcr = section_defaults("qpcr")
    return qpcr["pre"], qpcr["post"]


def write_cohort(tmp_path: Path) -> dict[str, Path]:
    """The synthetic cohort's files: sample sheet, normalised counts, clinical table, qPCR fold
    changes and haemolysis table."""
    pre, post = qpcr_timepoints()
    rng = np.random.default_rng(7)
    rows, counts, times = [], {}, rng.uniform(2, 40, N).round(1)
    for number, patient in enumerate(PATIENTS):
        if patient == NO_LIBRARY:
            continue
        timepoints = (pre,) if patient == ONLY_PRE else (pre, post)
        values = BY_HAND.get(patient, tuple(rng.uniform(20, 400, 2).round(3)))
        # a rise of the miRNA shortens the time to the event: the marker carries a signal
        times[number] = (times[number] * min(2.0, values[0] / max(values[1], 1.0))).round(1)
        for timepoint, value in zip(timepoints, values, strict=False):
            sample = f"exo_{patient}_{timepoint}"
            rows.append(f"{sample}\tsmallrna\t{timepoint}\tb{number % 2}\t{patient}\t{timepoint}")
            if not (patient == LEFT_OUT and timepoint == post):
                counts[sample] = [value, rng.uniform(1000, 2000)]
    rows.append(f"mac_P01\tmrna\t{pre}\tb0\tP01\t{pre}")  # another library type: not used
    rows.append("exo_cells\tsmallrna\tcontrol\tb0\t\t")  # a library of no patient
    counts["exo_cells"] = [500.0, 1500.0]
    files = {name: tmp_path / f"{name}.tsv" for name in ("samples", "normalized", "clinical")}
    header = "sample\tlibrary_type\tcondition\tbatch\tpatient\ttimepoint\n"
    files["samples"].write_text(header + "\n".join(rows) + "\n")
    normalized = pd.DataFrame(counts, index=pd.Index([MIRNA, OTHER], name="feature"))
    normalized.reset_index().to_csv(files["normalized"], sep="\t", index=False)
    pd.DataFrame(
        {
            "patient": PATIENTS,
            "time": times,
            "event": rng.permutation([1] * 14 + [0] * (N - 14)),
        }
    ).to_csv(files["clinical"], sep="\t", index=False)
    files["fold_changes"] = tmp_path / "qpcr_fold_changes.tsv"
    pd.DataFrame(
        {"patient": PATIENTS, "target": QPCR_TARGET, "fold_change": rng.uniform(0.3, 4, N)}
    ).to_csv(files["fold_changes"], sep="\t", index=False)
    files["haemolysis"] = tmp_path / "haemolysis.tsv"
    pd.DataFrame({"patient": PATIENTS[:1], "excluded_from_survival": ["false"]}).to_csv(
        files["haemolysis"], sep="\t", index=False
    )
    files["sequencing"] = tmp_path / "sequencing_fold_changes.tsv"
    return files


def sequencing_table(cohort: dict[str, Path]) -> pd.DataFrame:
    """Rule survival_sequencing_markers' table, written by the rule's entry point."""
    pre, post = qpcr_timepoints()
    markers = section_defaults("survival", sequencing_markers=[MIRNA])["sequencing_markers"]
    sequencing_run(
        cohort["samples"],
        cohort["normalized"],
        cohort["sequencing"],
        markers=markers,
        pre=pre,
        post=post,
    )
    return pd.read_csv(cohort["sequencing"], sep="\t", keep_default_na=False, na_values=[""])
