"""Quality control: where every read went (read fate), insert lengths, the QC gate and plots."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from esccrt.smallrna.count import AlignmentCounts
from esccrt.smallrna.trim import TrimReport

if TYPE_CHECKING:  # pandas and matplotlib are imported where used
    import pandas as pd
    from matplotlib.figure import Figure


#: Read-fate columns that partition the input reads (they sum to ``input``).
FATE_PARTITION = (
    "no_adapter_discarded",
    "too_short",
    "too_long",
    "umi_duplicate",
    "contaminant",
    "mature",
    "hairpin_only",
    "unassigned",
)


@dataclass
class SampleFate:
    """Every input read of one sample, accounted for (see :data:`FATE_PARTITION`)."""

    sample: str
    input: int
    adapter_found: int
    no_adapter_discarded: int
    too_short: int
    too_long: int
    umi_duplicate: int
    contaminant: int
    mature: int
    hairpin_only: int
    unassigned: int

    def check(self) -> None:
        """Raise if the partition columns do not add up to the input (a bug, not user error)."""
        total = sum(getattr(self, column) for column in FATE_PARTITION)
        if total != self.input:
            raise RuntimeError(
                f"read fate of sample {self.sample} does not add up: {total} != {self.input} "
                f"({asdict(self)})"
            )


def sample_fate(
    sample: str,
    trims: Sequence[TrimReport],
    collapsed: Mapping[str, int],
    contaminant: AlignmentCounts | None,
    mature: AlignmentCounts,
    hairpin: AlignmentCounts,
    unaligned_copies: int,
) -> SampleFate:
    """Account for every input read of a sample from the reports of each step.

    ``collapsed`` holds the collapse step's numbers (too_short, too_long, umi_duplicate, no_umi).
    A contaminant hit on either strand makes a read a contaminant; reads of the hairpin step
    credited to a mature arm count as ``mature``; reads that bowtie aligned to mature or hairpin
    sequences only antisense are ``unassigned`` (bowtie does not pass them on).
    """
    fate = SampleFate(
        sample=sample,
        input=sum(t.input for t in trims),
        adapter_found=sum(t.adapter_found for t in trims),
        no_adapter_discarded=sum(t.no_adapter_discarded for t in trims)
        + int(collapsed.get("no_umi", 0)),
        too_short=int(collapsed["too_short"]),
        too_long=int(collapsed["too_long"]),
        umi_duplicate=int(collapsed.get("umi_duplicate", 0)),
        contaminant=(
            contaminant.aligned_copies + contaminant.antisense_only_copies if contaminant else 0
        ),
        mature=mature.aligned_copies + hairpin.arm_copies,
        hairpin_only=hairpin.aligned_copies - hairpin.arm_copies,
        unassigned=unaligned_copies + mature.antisense_only_copies + hairpin.antisense_only_copies,
    )
    fate.check()
    return fate


def read_fate_table(
    fates: Sequence[SampleFate], min_adapter_fraction: float
) -> tuple[pd.DataFrame, list[str]]:
    """Read fate table with ``adapter_fraction`` and ``adapter_warning``; and warning messages."""
    import pandas as pd

    frame = pd.DataFrame([asdict(f) for f in fates])
    frame["adapter_fraction"] = frame["adapter_found"] / frame["input"].where(frame["input"] > 0)
    frame["adapter_fraction"] = frame["adapter_fraction"].fillna(0.0).round(4)
    frame["adapter_warning"] = frame["adapter_fraction"] < min_adapter_fraction
    warnings = [
        f"sample {row.sample}: adapter found in only {row.adapter_fraction:.1%} of reads "
        f"(threshold {min_adapter_fraction:.0%}). Check the protocol/adapter in units.tsv."
        for row in frame.itertuples()
        if row.adapter_warning
    ]
    return frame.sort_values("sample").reset_index(drop=True), warnings


def qc_gate(mature_reads: Mapping[str, float], min_mirna_reads: int) -> pd.DataFrame:
    """exceRpt-like gate: a sample passes with at least ``min_mirna_reads`` mature miRNA reads.

    Returns columns sample, passed (bool), mirna_reads, reason (empty when passed).
    """
    import pandas as pd

    rows = []
    for sample in sorted(mature_reads):
        reads = math.floor(mature_reads[sample] + 0.5)
        passed = reads >= min_mirna_reads
        reason = (
            ""
            if passed
            else f"only {reads} reads assigned to mature miRNAs (< min_mirna_reads = "
            f"{min_mirna_reads}); sample excluded from differential expression"
        )
        rows.append({"sample": sample, "passed": passed, "mirna_reads": reads, "reason": reason})
    return pd.DataFrame(rows, columns=["sample", "passed", "mirna_reads", "reason"])


def insert_length_table(lengths: Mapping[str, Mapping[int, int]]) -> pd.DataFrame:
    """Long table sample, length, reads (all trimmed inserts, before the length window)."""
    import pandas as pd

    rows = [
        {"sample": sample, "length": int(length), "reads": int(reads)}
        for sample in sorted(lengths)
        for length, reads in sorted(lengths[sample].items())
    ]
    return pd.DataFrame(rows, columns=["sample", "length", "reads"])


def _save_figure(fig: Figure, path: str | os.PathLike[str], **savefig_args: object) -> None:
    """Save ``fig`` at 120 dpi under a temporary name beside ``path``, close it, then rename.

    The temporary name keeps the suffix, so matplotlib still picks the format from it.
    """
    import matplotlib.pyplot as plt

    target = Path(path)
    tmp = target.with_name(f".{target.stem}.tmp{target.suffix}")
    fig.savefig(tmp, dpi=120, **savefig_args)
    plt.close(fig)
    os.replace(tmp, target)


def plot_insert_lengths(
    table: pd.DataFrame, path: str | os.PathLike[str], window: tuple[int, int]
) -> None:
    """Line plot of the insert length distribution (fraction of reads) per sample."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    lengths = range(0, int(table["length"].max()) + 1) if len(table) else range(0)
    for sample, group in table.groupby("sample"):
        reads = group.set_index("length")["reads"].reindex(lengths, fill_value=0)
        if reads.sum():
            ax.plot(reads.index, reads / reads.sum(), label=sample, linewidth=1.2)
    ax.axvspan(window[0], window[1], color="grey", alpha=0.15, label="kept window")
    ax.set_xlabel("insert length after adapter trimming (nt)")
    ax.set_ylabel("fraction of reads")
    ax.set_title("Small-RNA insert lengths")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    _save_figure(fig, path)


def plot_read_fate(fate: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Stacked bars: fraction of each sample's input reads per fate (:data:`FATE_PARTITION`)."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = fate.set_index("sample")[list(FATE_PARTITION)]
    fractions = table.div(table.sum(axis=1).where(table.sum(axis=1) > 0), axis=0).fillna(0.0)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * len(fractions)))
    left = pd.Series(0.0, index=fractions.index)
    colours = plt.get_cmap("tab10").colors
    for column, colour in zip(FATE_PARTITION, colours, strict=False):
        ax.barh(fractions.index, fractions[column], left=left, color=colour, label=column)
        left += fractions[column]
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of input reads")
    ax.invert_yaxis()
    ax.legend(
        fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25 - 0.3 / len(fractions))
    )
    ax.set_title("Small-RNA read fate")
    fig.tight_layout()
    _save_figure(fig, path, bbox_inches="tight")
