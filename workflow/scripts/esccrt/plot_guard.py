"""A figure never takes a stage's tables down: each plot is drawn through :func:`guarded_plot`.

Stages write their statistical tables first and their figures after. When drawing a figure fails
(e.g. numpy's ``LinAlgError: SVD did not converge`` in a PCA of near-identical replicates), the
failure is logged as a note naming the figure and the cause, and a placeholder PNG saying why
takes the figure's place, so that the rule's declared outputs exist and the job succeeds.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from esccrt.io import save_figure


def placeholder_figure(path: str | os.PathLike[str], what: str, cause: str) -> None:
    """Save a PNG at ``path`` that says ``what`` could not be drawn and why."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.axis("off")
    text = f"{what} could not be drawn\n\n" + textwrap.fill(cause, 70)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, wrap=True)
    save_figure(fig, path, dpi=100)


def guarded_plot(what: str, path: str | os.PathLike[str], draw: Callable[[], None]) -> str:
    """Run ``draw`` (which saves the figure ``what`` at ``path``); on failure write a placeholder
    there instead and return the note that was logged ("" when the figure was drawn)."""
    try:
        draw()
    except Exception as error:  # any plotting failure: the tables are already written
        plt.close("all")  # a half-drawn figure would leak into the next one
        cause = f"{type(error).__name__}: {error}"
        note = f"{what} not drawn ({path}): {cause}; a placeholder figure says so"
        print(f"note: {note}", file=sys.stderr)
        placeholder_figure(path, what, cause)
        return note
    return ""
