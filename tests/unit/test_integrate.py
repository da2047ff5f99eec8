"""The join of sequencing DE with qPCR survival, on small hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.integrate import (
    JoinSettings,
    candidate_mirnas,
    candidate_targets,
    marker_panel,
    marker_plot,
    marker_table,
    mirna_evidence,
    read_mirna_targets,
)
from esccrt.io import read_tsv

MIRNAS = ("hsa-miR-143-3p", "hsa-miR-181a-5p", "hsa-miR-223-3p")


def mrna_de() -> pd.DataFrame:
    """A small mRNA DE table: two M2 markers, two other genes, one without a name."""
    return pd.DataFrame(
        {
            "feature": ["G1", "G2", "G3", "G4", "G5"],
            "name": ["CD163", "MRC1", "PTEN", "KRAS", ""],
            "baseMean": [100.0, 200.0, 300.0, 400.0, 50.0],
            "log2FoldChange": [1.8, -0.2, -1.5, 2.0, 3.0],
            "padj": [0.001, 0.8, 0.01, 0.02, 0.001],
            "significant": [True, False, True, True, True],
        }
    )


def smallrna_de() -> pd.DataFrame:
    """Small-RNA DE: miR-143 and miR-223 up and significant, miR-181a up but not significant."""
    return pd.DataFrame(
        {
            "feature": ["hsa-miR-143-3p", "hsa-miR-181a-5p", "hsa-miR-223-3p", "hsa-miR-21-5p"],
            "baseMean": [500.0, 300.0, 400.0, 900.0],
            "log2FoldChange": [2.1, 1.4, 1.2, -0.3],
            "padj": [0.001, 0.2, 0.03, 0.9],
            "significant": [True, False, True, False],
        }
    )


def table1() -> pd.DataFrame:
    """Log-rank p per fold-change factor (labels hold the miRNA names) and endpoint."""
    return pd.DataFrame(
        {
            "factor": [
                "hsa-miR-143-3p fold change",
                "hsa-miR-181a-5p fold change",
                "hsa-miR-223-3p fold change",
                "hsa-miR-143-3p / hsa-miR-223-3p fold change",
                "Age (year)",
            ],
            "os_p": [0.04, 0.5, 0.3, 0.01, 0.7],
            "pfs_p": [0.2, 0.03, 0.4, 0.02, 0.6],
        }
    )


def cox() -> pd.DataFrame:
    """Univariate Cox rows of each miRNA and one multivariate pair factor, for pfs and os."""
    rows = [
        ("univariate", "pfs", "hsa-miR-143-3p fold change", 0.6, 0.3, 1.2, 0.15),
        ("univariate", "pfs", "hsa-miR-181a-5p fold change", 0.5, 0.25, 0.98, 0.04),
        ("univariate", "pfs", "hsa-miR-223-3p fold change", 0.8, 0.4, 1.6, 0.5),
        ("univariate", "os", "hsa-miR-143-3p fold change", 0.4, 0.2, 0.9, 0.03),
        ("multivariate", "pfs", "hsa-miR-143-3p / hsa-miR-223-3p fold change", 0.3, 0.1, 0.8, 0.01),
        ("multivariate", "pfs", "Age (year)", 1.1, 0.9, 1.3, 0.4),
    ]
    return pd.DataFrame(
        rows, columns=["model", "endpoint", "factor", "hr", "ci_low", "ci_high", "p"]
    )


def settings(**changed: object) -> JoinSettings:
    values = {
        "mirnas": MIRNAS,
        "endpoints": ("os", "pfs"),
        "prognostic_endpoint": "pfs",
        "padj_threshold": 0.05,
        "lfc_threshold": 1.0,
        "survival_p_threshold": 0.05,
    }
    return JoinSettings(**{**values, **changed})


# ------------------------------------------------------------------------------ M2 markers


def test_marker_panel_keeps_the_configured_order_and_names_missing_markers() -> None:
    panel = marker_panel(mrna_de(), ["MRC1", "IL10", "CD163"])
    assert panel["gene"].tolist() == ["MRC1", "IL10", "CD163"]
    assert panel.loc[0, "log2FoldChange"] == -0.2 and not panel.loc[0, "significant"]
    assert panel.loc[1, "note"] == "not in the DE table"
    assert panel.loc[2, "padj"] == 0.001 and panel.loc[2, "note"] == "up in irradiated"


def test_marker_table_holds_every_contrast_and_the_plot_is_a_png(tmp_path: Path) -> None:
    panels = {
        "a_vs_b": marker_panel(mrna_de(), ["MRC1", "CD163"]),
        "c_vs_d": marker_panel(mrna_de(), ["IL10"]),
    }
    markers = marker_table(panels)
    assert markers.columns[0] == "contrast"
    assert markers[["contrast", "gene"]].values.tolist() == [
        ["a_vs_b", "MRC1"],
        ["a_vs_b", "CD163"],
        ["c_vs_d", "IL10"],
    ]
    assert marker_table({}).empty
    png = tmp_path / "m2.png"
    marker_plot(panels["a_vs_b"], png, "M2 markers: a_vs_b")
    assert png.read_bytes().startswith(b"\x89PNG")


# ------------------------------------------------------------------------------ miRNA targets


def test_candidate_targets_from_a_hand_made_table(tmp_path: Path) -> None:
    targets_file = tmp_path / "targets.tsv"
    targets_file.write_text(
        "miRNA\tgene\tsource\n"
        "hsa-miR-143-3p\tKRAS\tmiRTarBase\n"  # significant: listed
        "hsa-miR-143-3p\tMRC1\tmiRTarBase\n"  # not significant: left out
        "hsa-miR-223-3p\tPTEN\tTargetScan\n"  # significant: listed
        "hsa-miR-223-3p\tG5\tby id\n"  # matched by feature id (gene without a name)
        "hsa-miR-181a-5p\tCD163\tTargetScan\n"  # not a candidate: left out
    )
    targets = read_mirna_targets(targets_file)
    joined = candidate_targets(targets, ["hsa-miR-143-3p", "hsa-miR-223-3p"], mrna_de())
    assert joined[["miRNA", "gene"]].values.tolist() == [
        ["hsa-miR-143-3p", "KRAS"],
        ["hsa-miR-223-3p", "G5"],
        ["hsa-miR-223-3p", "PTEN"],
    ]
    assert joined["log2FoldChange"].tolist() == [2.0, 3.0, -1.5]
    assert candidate_targets(targets, [], mrna_de()).empty


def test_a_bad_target_table_is_refused_with_file_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "targets.tsv"
    bad.write_text("mirna\tgene\nhsa-miR-143-3p\tKRAS\n")
    with pytest.raises(InputError, match=r"targets\.tsv.*miRNA.*header"):
        read_mirna_targets(bad)
    bad.write_text("miRNA\tgene\nhsa-miR-143-3p\t\n")
    with pytest.raises(InputError, match=r"targets\.tsv, line 2, column 'gene'"):
        read_mirna_targets(bad)


# ------------------------------------------------------------------------------ miRNA evidence


def test_mirna_evidence_calls_candidates() -> None:
    """Up in sequencing and prognostic (own log-rank or a multivariate factor holding it)."""
    evidence = mirna_evidence(smallrna_de(), table1(), cox(), settings())
    rows = evidence.set_index("miRNA")
    assert rows["up_in_sequencing"].tolist() == [True, False, True]
    # miR-143: multivariate pair p 0.01; miR-181a: own PFS log-rank 0.03; miR-223: the pair.
    assert rows["prognostic"].tolist() == [True, True, True]
    assert candidate_mirnas(evidence) == ["hsa-miR-143-3p", "hsa-miR-223-3p"]
    # Only the factor of the miRNA alone gives its log-rank p (0.04, not the pair's 0.01).
    assert rows.loc["hsa-miR-143-3p", "logrank_p_os"] == 0.04
    assert rows.loc["hsa-miR-181a-5p", "logrank_p_pfs"] == 0.03
    assert rows.loc["hsa-miR-143-3p", "univariate_pfs_ci"] == "0.30-1.20"
    assert rows.loc["hsa-miR-223-3p", "multivariate_pfs_factor"] == (
        "hsa-miR-143-3p / hsa-miR-223-3p fold change"
    )
    assert pd.isna(rows.loc["hsa-miR-181a-5p", "multivariate_pfs_hr"])  # no model holds it


def test_mirna_evidence_columns_follow_the_configured_endpoints() -> None:
    """The log-rank columns come from survival.endpoints, the Cox columns from the endpoint."""
    evidence = mirna_evidence(smallrna_de(), table1(), cox(), settings())
    assert evidence.columns.tolist() == [
        "miRNA",
        "seq_log2FoldChange",
        "seq_padj",
        "logrank_p_os",
        "logrank_p_pfs",
        "univariate_pfs_hr",
        "univariate_pfs_ci",
        "univariate_pfs_p",
        "multivariate_pfs_factor",
        "multivariate_pfs_hr",
        "multivariate_pfs_ci",
        "multivariate_pfs_p",
        "up_in_sequencing",
        "prognostic",
        "candidate",
    ]
    on_os = mirna_evidence(
        smallrna_de(), table1(), cox(), settings(endpoints=("os",), prognostic_endpoint="os")
    )
    assert "logrank_p_pfs" not in on_os and "univariate_os_hr" in on_os
    # On OS, miR-143 is prognostic by its own log-rank (0.04); miR-223 is not (0.3, no model).
    assert candidate_mirnas(on_os) == ["hsa-miR-143-3p"]


def test_evidence_settings_from_the_config(repo_root: Path) -> None:
    import yaml

    config = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    join = JoinSettings.from_config(config)
    assert join.mirnas == tuple(config["qpcr"]["targets"])
    assert join.endpoints == ("os", "pfs") and join.prognostic_endpoint == "pfs"


def test_tables_read_back_as_written(tmp_path: Path) -> None:
    """The evidence TSV reads back with the same values (the report renders the file)."""
    evidence = mirna_evidence(smallrna_de(), table1(), cox(), settings())
    path = tmp_path / "mirna_evidence.tsv"
    evidence.to_csv(path, sep="\t", index=False)
    pd.testing.assert_frame_equal(read_tsv(path), evidence.fillna(float("nan")))
