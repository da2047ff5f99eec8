"""Figure paths of the survival rule, shared by workflow/rules/survival.smk and the rule script."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def km_plot_path(folder: str | Path, endpoint: str, factor: str) -> str:
    """Path of the Kaplan-Meier figure of one endpoint and factor."""
    return f"{folder}/km/{endpoint}_{factor}.png"


def plot_files(section: Mapping, folder: str = "results/survival") -> list[str]:
    """Every figure the survival rule writes: KM per endpoint x factor, forest.png, roc.png."""
    km = [
        km_plot_path(folder, endpoint["name"], factor["name"])
        for endpoint in section["endpoints"]
        for factor in section["factors"]
    ]
    return [*km, f"{folder}/forest.png", f"{folder}/roc.png"]
