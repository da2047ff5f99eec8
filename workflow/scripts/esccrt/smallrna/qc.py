"""Quality control: where every read went (read fate), insert lengths, RNA classes and plots
(the per-sample QC verdicts and the QC gate: :mod:`esccrt.smallrna.sample_qc`)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from esccrt.io import save_figure
from esccrt.smallrna.count import AlignmentCounts
from esccrt.smallrna.trim import TrimReport

if TYPE_CHECKING:  # pandas and matplotlib are imported where used
    import pandas as pd


#: Read-fate columns before the RNA classes that, with the classes and :data:`AFTER_CLASSES`,
#: partition the input reads (they sum to ``input``).
BEFORE_CLASSES = ("no_adapter_discarded", "too_short", "too_long", "umi_duplicate")
#: The read-fate columns of the miRNA steps, after the RNA classes.
AFTER_CLASSES = ("mature", "hairpin_only", "unassigned")


def fate_partition(rna_classes: Sequence[str]) -> list[str]:
    """Read-fate columns that partition the input reads, the RNA classes in screening order."""
    return [*BEFORE_CLASSES, *rna_classes, *AFTER_CLASSES]


@dataclass
class SampleFate:
    """Every input read of one sample, accounted for (see :func:`fate_partition`).

    ``rna_classes``: reads taken by each RNA class, in screening order (empty without screening).
    """

    sample: str
    input: int
    adapter_found: int
    no_adapter_discarded: int
    too_short: int
    too_long: int
    umi_duplicate: int
    mature: int
    hairpin_only: int
    unassigned: int
    rna_classes: dict[str, int] = field(default_factory=dict)

    def check(self) -> None:
        """Raise if the partition columns do not add up to the input (a bug, not user error)."""
        total = sum(self.rna_classes.values()) + sum(
            getattr(self, column) for column in (*BEFORE_CLASSES, *AFTER_CLASSES)
        )
        if total != self.input:
            raise RuntimeError(
                f"read fate of sample {self.sample} does not add up: {total} != {self.input} "
                f"({asdict(self)})"
            )


def sample_fate(
    sample: str,
    trims: Sequence[TrimReport],
    collapsed: Mapping[str, int],
    rna_classes: Mapping[str, int],
    mature: AlignmentCounts,
    hairpin: AlignmentCounts,
    unaligned_copies: int,
) -> SampleFate:
    """Account for every input read of a sample from the reports of each step.

    ``collapsed`` holds the collapse step's numbers (too_short, too_long, umi_duplicate, no_umi).
    ``rna_classes`` holds the reads each RNA class took (:mod:`esccrt.smallrna.screen`, a hit on
    either strand), in screening order; reads of the hairpin step
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
        mature=mature.aligned_copies + hairpin.arm_copies,
        hairpin_only=hairpin.aligned_copies - hairpin.arm_copies,
        unassigned=unaligned_copies + mature.antisense_only_copies + hairpin.antisense_only_copies,
        rna_classes={name: int(reads) for name, reads in rna_classes.items()},
    )
    fate.check()
    return fate


def read_fate_table(
    fates: Sequence[SampleFate], min_adapter_fraction: float, rna_classes: Sequence[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """Read fate table with ``adapter_fraction`` and ``adapter_warning``; and warning messages.

    Each RNA class is a column between ``umi_duplicate`` and ``mature``, in the screening order
    ``rna_classes`` (default: as the fates hold them).
    """
    import pandas as pd

    rows = []
    for fate in fates:
        row = asdict(fate)
        classes = row.pop("rna_classes")
        classes = {name: classes[name] for name in rna_classes or classes}
        before = {key: value for key, value in row.items() if key not in AFTER_CLASSES}
        rows.append({**before, **classes, **{key: row[key] for key in AFTER_CLASSES}})
    frame = pd.DataFrame(rows)
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


def insert_length_table(lengths: Mapping[str, Mapping[int, int]]) -> pd.DataFrame:
    """Long table sample, length, reads (all trimmed inserts, before the length window)."""
    import pandas as pd

    rows = [
        {"sample": sample, "length": int(length), "reads": int(reads)}
        for sample in sorted(lengths)
        for length, reads in sorted(lengths[sample].items())
    ]
    return pd.DataFrame(rows, columns=["sample", "length", "reads"])


#: Every small-RNA QC figure is saved at 120 dpi.
_save_figure = functools.partial(save_figure, dpi=120)


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


def _plot_shares(
    table: pd.DataFrame, path: str | os.PathLike[str], title: str, xlabel: str
) -> None:
    """Stacked horizontal bars: each row's shares of its total, one colour per column."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = table.sum(axis=1)
    fractions = table.div(totals.where(totals > 0), axis=0).fillna(0.0)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * len(fractions)))
    left = pd.Series(0.0, index=fractions.index)
    colours = plt.get_cmap("tab20").colors
    for number, column in enumerate(table.columns):
        colour = colours[(2 * number) % 20 + (2 * number) // 20 % 2]  # dark tones first
        ax.barh(fractions.index, fractions[column], left=left, color=colour, label=column)
        left += fractions[column]
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.invert_yaxis()
    ax.legend(
        fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25 - 0.3 / len(fractions))
    )
    ax.set_title(title)
    fig.tight_layout()
    _save_figure(fig, path, bbox_inches="tight")


def plot_read_fate(
    fate: pd.DataFrame, path: str | os.PathLike[str], rna_classes: Sequence[str] = ()
) -> None:
    """Stacked bars: fraction of each sample's input reads per fate (:func:`fate_partition`)."""
    table = fate.set_index("sample")[fate_partition(rna_classes)]
    _plot_shares(table, path, "Small-RNA read fate", "fraction of input reads")


def rna_class_table(fate: pd.DataFrame, rna_classes: Sequence[str]) -> pd.DataFrame:
    """RNA class composition per sample (miRTrace's "RNA type" view) from the read fate table.

    Columns: sample, ``screened`` (reads that reached the class screening: in the length
    window, UMI duplicates removed), the reads of each class in screening order, then mature,
    hairpin_only and unassigned (no class, no miRNA), which add up to ``screened``.
    """
    columns = [*rna_classes, *AFTER_CLASSES]
    table = fate[["sample", *columns]].copy()
    table.insert(1, "screened", table[columns].sum(axis=1))
    return table


def plot_rna_classes(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Stacked bars: each sample's screened reads per RNA class and miRNA step."""
    shares = table.set_index("sample").drop(columns="screened")
    _plot_shares(
        shares, path, "Small-RNA classes", "fraction of reads in the length window (deduplicated)"
    )


def write_multiqc_rna_classes(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """MultiQC custom content (a ``_mqc.tsv`` bar graph) of :func:`rna_class_table`."""
    from esccrt.io import atomic_write

    header = (
        "# id: 'smallrna_rna_classes'\n"
        "# section_name: 'Small RNA: RNA classes'\n"
        "# description: 'Reads in the insert length window (UMI duplicates removed) per RNA class,"
        " screened in the configured order before miRNA alignment (results/smallrna/"
        "rna_classes.tsv).'\n"
        "# plot_type: 'bargraph'\n"
        "# pconfig:\n"
        "#     id: 'smallrna_rna_classes_plot'\n"
        "#     title: 'Small RNA: RNA class composition'\n"
        "#     ylab: 'Reads'\n"
    )
    body = table.drop(columns="screened").rename(columns={"sample": "Sample"})
    with atomic_write(path) as handle:
        handle.write(header)
        body.to_csv(handle, sep="\t", index=False)


#: Columns of :func:`alignment_rates`, MultiQC's general statistics headers of each (``title``,
#: ``description``, ``suffix``, ``format``, ``max``).
ALIGNMENT_RATE_COLUMNS = {
    "mirna_reads": {
        "title": "miRNA reads",
        "description": "Reads aligned to a mature miRNA or, failing that, to a hairpin "
        "(read copies counted, UMI duplicates removed)",
        "format": "{:,.0f}",
    },
    "mature_percent": {
        "title": "% mature",
        "description": "Share of the reads in the insert length window (UMI duplicates "
        "removed) aligned to a mature miRNA",
        "suffix": "%",
        "max": 100,
        "format": "{:,.1f}",
    },
    "mirna_percent": {
        "title": "% miRNA",
        "description": "Share of the reads in the insert length window (UMI duplicates "
        "removed) aligned to a mature miRNA or a hairpin",
        "suffix": "%",
        "max": 100,
        "format": "{:,.1f}",
    },
}


def alignment_rates(class_table: pd.DataFrame) -> pd.DataFrame:
    """Per sample (:func:`rna_class_table`), the miRNA reads and their shares of the screened
    reads: rates of reads, where bowtie's logs count each distinct collapsed sequence once."""
    import pandas as pd

    screened = class_table["screened"].where(class_table["screened"] > 0)
    mirna = class_table["mature"] + class_table["hairpin_only"]
    return pd.DataFrame(
        {
            "sample": class_table["sample"],
            "mirna_reads": mirna,
            "mature_percent": 100 * class_table["mature"] / screened,
            "mirna_percent": 100 * mirna / screened,
        }
    )


def write_multiqc_alignment_rates(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """MultiQC custom content (``_mqc.tsv``, general statistics columns) of
    :func:`alignment_rates`."""
    from esccrt.io import atomic_write

    header = [
        "# id: 'smallrna_alignment_rates'",
        "# namespace: 'Small RNA (reads)'",
        "# plot_type: 'generalstats'",
        "# headers:",
    ]
    for column, settings in ALIGNMENT_RATE_COLUMNS.items():
        header.append(f"#     {column}:")
        header.extend(f"#         {key}: {value!r}" for key, value in settings.items())
    with atomic_write(path) as handle:
        handle.write("\n".join(header) + "\n")
        table.rename(columns={"sample": "Sample"}).to_csv(
            handle, sep="\t", index=False, na_rep="NA"
        )
