"""The target rules' entry points (esccrt.targets_stage) on small hand-made inputs: the fetch
with its checksum and record, mapping with the unmapped table, and the shift stage with paired
samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt import integrate_settings, targets_stage
from esccrt.errors import InputError
from esccrt.integrate_settings import ShiftSettings
from esccrt.references import sha256sum

SETTINGS = ShiftSettings(
    min_base_mean=10,
    utr_bins=2,
    expression_bins=2,
    background_per_target=3,
    min_targets=3,
    bootstrap=200,
    seed=1,
    q_threshold=0.05,
    top_targets=2,
    padj_threshold=0.05,
    lfc_threshold=0.58,
)
N_GENES = 60


def _inputs(root: Path) -> dict[str, str]:
    """A GTF of 60 genes, both arms' DE and normalised counts, a TSV source, 3'UTR lengths and
    a sample sheet pairing exo_k with mac_k (k = 1..4)."""
    rng = np.random.default_rng(5)
    ids = [f"G{k:03d}" for k in range(N_GENES)]
    gtf = "".join(
        f'chr1\tsim\tgene\t{100 * k + 1}\t{100 * k + 50}\t.\t+\t.\tgene_id "{g}"; '
        f'gene_name "S{g}";\n'
        for k, g in enumerate(ids)
    )
    (root / "genes.gtf").write_text(gtf)
    lfc = rng.normal(0, 0.3, N_GENES)
    lfc[:10] -= 1.0  # the first ten genes: targets of miR-1, shifted down
    pd.DataFrame(
        {
            "feature": ids,
            "name": [f"S{g}" for g in ids],
            "baseMean": rng.uniform(50, 500, N_GENES),
            "log2FoldChange": lfc,
            "padj": 0.5,
        }
    ).to_csv(root / "mrna_de.tsv", sep="\t", index=False)
    pd.DataFrame(
        {
            "feature": ["hsa-miR-1-3p", "hsa-miR-2-5p"],
            "baseMean": [900, 800],
            "log2FoldChange": [2.0, 0.1],
            "padj": [1e-4, 0.9],
        }
    ).to_csv(root / "smallrna_de.tsv", sep="\t", index=False)
    source = ["miRNA\tgene"] + [f"hsa-miR-1\tS{g}" for g in ids[:10]]  # pre-v18 name, symbols
    source += ["hsa-miR-1\tNOTAGENE", "hsa-miR-99-5p\tSG001"]
    (root / "source.tsv").write_text("\n".join(source) + "\n")
    pd.DataFrame({"gene": ids, "utr3_length": rng.integers(100, 3000, N_GENES)}).to_csv(
        root / "utr.tsv", sep="\t", index=False
    )
    level = np.array([1.0, 2.0, 3.0, 4.0])  # miR-1 rises over the pairs; its targets fall
    small = pd.DataFrame([100 * level, [50, 60, 55, 52]], columns=[f"exo_{k}" for k in range(1, 5)])
    small.insert(0, "feature", ["hsa-miR-1-3p", "hsa-miR-2-5p"])
    small.to_csv(root / "small_counts.tsv", sep="\t", index=False)
    large = pd.DataFrame(
        [1000 / level if k < 10 else rng.uniform(100, 200, 4) for k in range(N_GENES)],
        columns=[f"mac_{k}" for k in range(1, 5)],
    )
    large.insert(0, "feature", ids)
    large.to_csv(root / "mrna_counts.tsv", sep="\t", index=False)
    sheet = [("exo", "smallrna"), ("mac", "mrna")]
    rows = [f"{p}_{k}\t{kind}\tpair{k}" for p, kind in sheet for k in range(1, 5)]
    (root / "samples.tsv").write_text("sample\tlibrary_type\tdonor\n" + "\n".join(rows) + "\n")
    return {
        name: str(root / file)
        for name, file in (
            ("gtf", "genes.gtf"),
            ("mrna_de", "mrna_de.tsv"),
            ("smallrna_de", "smallrna_de.tsv"),
            ("utr_lengths", "utr.tsv"),
            ("smallrna_counts", "small_counts.tsv"),
            ("mrna_counts", "mrna_counts.tsv"),
            ("samples", "samples.tsv"),
        )
    }


def test_fetch_map_and_shift_with_paired_samples(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    section = {
        "sources": [
            {
                "name": "mine",
                "kind": "tsv",
                "source": str(tmp_path / "source.tsv"),
                "sha256": sha256sum(tmp_path / "source.tsv"),
                "release": "v1",
            }
        ],
        "targetscan_strong_score": -0.3,
        "taxon": 9606,
    }
    source = integrate_settings.source_settings(section)[0]
    cached, record = tmp_path / "cache" / "mine.tsv.txt", tmp_path / "cache" / "mine.json"
    targets_stage.fetch_source(source, cached, record)
    assert json.loads(record.read_text())["sha256"] == sha256sum(cached)
    out = {name: str(tmp_path / f"{name}.tsv") for name in ("targets", "unmapped", "sources")}
    targets_stage.map_sources(
        [source], [str(cached)], [str(record)], inputs["smallrna_de"], inputs["gtf"], out
    )
    mapped = pd.read_csv(out["targets"], sep="\t")
    assert len(mapped) == 10 and set(mapped["mirna_rule"]) == {"arm"}
    assert set(mapped["gene_rule"]) == {"symbol"} and set(mapped["miRNA"]) == {"hsa-miR-1-3p"}
    unmapped = pd.read_csv(out["unmapped"], sep="\t").set_index("name")
    assert set(unmapped.index) == {"NOTAGENE", "hsa-miR-99-5p"}
    sources = pd.read_csv(out["sources"], sep="\t")
    assert sources.loc[0, ["release", "interactions_read", "interactions_mapped"]].tolist() == [
        "v1",
        12,
        10,
    ]
    made = {name: str(tmp_path / f"shift_{name}.tsv") for name in ("table", "genes", "candidates")}
    made["plots"] = str(tmp_path / "plots")
    targets_stage.run_shift(SETTINGS, {**inputs, "targets": out["targets"]}, made, "donor")
    shift = pd.read_csv(made["table"], sep="\t")
    assert shift["miRNA"].tolist() == ["hsa-miR-1-3p"] and shift.loc[0, "q"] < 0.05
    assert shift.loc[0, "median_rho_targets"] == pytest.approx(-1.0)
    assert Path(shift.loc[0, "plot"]).is_file()
    candidates = pd.read_csv(made["candidates"], sep="\t")
    assert candidates.loc[0, "top_down_targets"].count("(") == 2


def test_a_pairing_column_missing_from_the_sheet_is_named(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path)
    with pytest.raises(InputError, match=r"samples.tsv: no column 'pair'"):
        targets_stage.sample_pairs(inputs["samples"], "pair")


def test_a_wrong_checksum_keeps_nothing(tmp_path: Path) -> None:
    (tmp_path / "s.tsv").write_text("miRNA\tgene\n")
    source = {
        "name": "s",
        "kind": "tsv",
        "source": str(tmp_path / "s.tsv"),
        "sha256": "0" * 64,
        "release": "",
    }
    with pytest.raises(InputError, match=r"integrate.mirna_targets.sources \(s\).*SHA-256"):
        targets_stage.fetch_source(source, tmp_path / "c" / "s.txt", tmp_path / "c" / "s.json")
    assert not (tmp_path / "c" / "s.txt").exists()
