"""Fixtures of the report's unit tests: the demo configuration and fixed tool versions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.fixture()
def config(repo_root: Path) -> dict:
    """The demo's configuration, as Snakemake loads it."""
    return yaml.safe_load((repo_root / "config" / "config.yaml").read_text())


@pytest.fixture()
def versions() -> dict[str, str]:
    """Versions of the tools and packages, as a run records them."""
    return {
        "cutadapt": "5.2",
        "bowtie": "1.3.1",
        "hisat2": "2.2.1",
        "STAR": "2.7.11b",
        "samtools": "1.16.1",
        "HTSeq": "2.1.2",
        "pysam": "0.24.1",
        "pydeseq2": "0.5.4",
        "lifelines": "0.30.3",
        "snakemake": "9.27.1",
        "multiqc": "1.35",
    }
