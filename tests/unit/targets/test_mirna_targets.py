"""Target sources and name mapping (esccrt.mirna_targets) on slices of miRTarBase and TargetScan
(tests/unit/targets/data, origin and licence in ORIGIN.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt import mirna_targets as mt
from esccrt.config_check import check_config
from esccrt.errors import InputError

DATA = Path(__file__).parent / "data"
MIRTARBASE = mt.TargetSource("mirtarbase", "mirtarbase", str(DATA / "mirtarbase_slice.tsv"))
TARGETSCAN = mt.TargetSource(
    "targetscan", "targetscan", str(DATA / "targetscan_layout.tsv"), taxon=9606
)


def test_mirtarbase_tiers_keep_the_strongest_evidence_per_pair() -> None:
    table = mt.read_source(MIRTARBASE).set_index(["miRNA", "gene"])["tier"]
    # HIF1A has strong and weak records: strong wins; CXCR4 likewise; one row per pair.
    assert table[("hsa-miR-20a-5p", "HIF1A")] == "strong"
    assert table[("hsa-miR-146a-5p", "CXCR4")] == "strong"
    assert table.index.is_unique and len(table) == 6


def test_targetscan_sites_are_summed_per_pair() -> None:
    raw = pd.read_csv(TARGETSCAN.path, sep="\t", dtype=str)
    raw = raw[raw["Species ID"] == "9606"]  # the source's taxon; the mouse row is left out
    table = mt.read_source(TARGETSCAN).set_index(["miRNA", "gene"])
    expected = (
        raw.assign(score=raw["context++ score"].astype(float))
        .groupby(["Mirbase ID", "Gene ID"])["score"]
        .sum()
    )
    assert len(table) == len(expected)
    for (mirna, gene), score in expected.items():
        assert table.loc[(mirna, gene), "score"] == pytest.approx(score)
        assert table.loc[(mirna, gene), "tier"] == ("strong" if score <= -0.3 else "weak")


def _direct_join(table: pd.DataFrame, mirnas: pd.DataFrame, genes: pd.DataFrame) -> int:
    """Interactions whose names join directly onto ``mirnas``/``genes`` after the one rewrite
    each source needs, written independently of the library."""
    joined = table.merge(mirnas, left_on="source_name", right_on="form").merge(
        genes, left_on="gene", right_on="symbol"
    )
    return len(joined.drop_duplicates(["name", "gene_id"]))


def test_mapping_counts_equal_a_direct_join_of_the_slices() -> None:
    """The mapped counts equal a plain pandas join of each slice onto the run's names."""
    run_mirnas = [
        "hsa-miR-20a-5p",
        "hsa-miR-146a-5p",
        "hsa-miR-101-3p",
        "hsa-let-7a-5p",
        "hsa-miR-1-3p",
        "hsa-miR-18a-5p",
    ]
    annotation = {"ENSG01": "HIF1A", "ENSG02": "CXCR4", "ENSG03.4": "LIN28B", "ENSG04": "FNDC3A"}
    mirnas, genes = mt.MirnaIndex.of(run_mirnas), mt.GeneIndex.of(annotation)
    gene_frame = pd.DataFrame({"gene_id": list(annotation), "symbol": list(annotation.values())})
    for source, rewrite in ((MIRTARBASE, lambda n: n), (TARGETSCAN, lambda n: n.split(".")[0])):
        table = mt.read_source(source)
        mapped, unmapped = mt.map_interactions(source.name, table, mirnas, genes)
        forms = pd.DataFrame({"form": run_mirnas, "name": run_mirnas})
        direct = _direct_join(
            table.assign(source_name=table["miRNA"].map(rewrite)), forms, gene_frame
        )
        assert len(mapped) == direct, source.name
        # every interaction is mapped or counted among the unmapped names' interactions
        lost = table[
            ~table["miRNA"].isin(mapped["source_miRNA"])
            | ~table["gene"].isin(mapped["source_gene"])
        ]
        names = unmapped.loc[unmapped["kind"] != "species", "name"]
        assert set(names) <= set(table["miRNA"]) | set(table["gene"])
        assert len(lost) >= 1 and not unmapped.empty


def test_other_species_are_left_out_as_one_row_each() -> None:
    table = mt.read_source(MIRTARBASE)
    mirnas = mt.MirnaIndex.of(["hsa-miR-20a-5p"])
    _, unmapped = mt.map_interactions("m", table, mirnas, mt.GeneIndex.of({"E1": "HIF1A"}))
    species = unmapped[unmapped["kind"] == "species"].set_index("name")["interactions"]
    assert species.to_dict() == {"dme-*": 1, "mmu-*": 1}
    assert "Itgb1" not in set(unmapped["name"])  # a mouse gene is not looked up


@pytest.mark.parametrize(
    ("name", "expected", "rule"),
    [
        ("hsa-miR-143-3p", "hsa-miR-143-3p", "exact"),
        ("hsa-mir-143-3p", "hsa-miR-143-3p", "case"),
        ("miR-143-3p", "hsa-miR-143-3p", "species"),
        ("hsa-miR-101-3p.1", "hsa-miR-101-3p", "isoform"),
        ("hsa-miR-101", "hsa-miR-101-3p", "arm"),  # pre-v18 name, one arm in the run
    ],
)
def test_mirna_names_map_across_mirbase_versions(name: str, expected: str, rule: str) -> None:
    index = mt.MirnaIndex.of(["hsa-miR-143-3p", "hsa-miR-143-5p", "hsa-miR-101-3p"])
    assert mt.map_mirna(name, index) == (expected, rule)


def test_an_armless_name_with_both_arms_does_not_map() -> None:
    index = mt.MirnaIndex.of(["hsa-miR-143-3p", "hsa-miR-143-5p"])
    hit, reason = mt.map_mirna("hsa-miR-143", index)
    assert hit == "" and "both arms" in reason


def test_genes_map_by_id_unversioned_id_and_symbol() -> None:
    index = mt.GeneIndex.of({"ENSG00000121410.11": "A1BG", "ENSG2": "DUP", "ENSG3": "DUP"})
    assert mt.map_gene("ENSG00000121410", index) == ("ENSG00000121410.11", "unversioned_id")
    assert mt.map_gene("a1bg", index) == ("ENSG00000121410.11", "symbol_case")
    assert mt.map_gene("DUP", index)[0] == ""
    assert mt.map_gene("NOPE", index) == ("", "not in the annotation")


def test_a_source_without_its_columns_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.tsv"
    bad.write_text("mirna\tgene\nhsa-miR-1-3p\tA\n")
    with pytest.raises(InputError, match=r"t.tsv: a tsv file needs a column 'miRNA'"):
        mt.read_source(mt.TargetSource("x", "tsv", str(bad)))
    bad.write_text("miRNA\tgene\nhsa-miR-1-3p\t\n")
    with pytest.raises(InputError, match=r"line 2, column 'gene'"):
        mt.read_source(mt.TargetSource("x", "tsv", str(bad)))


def test_the_old_report_key_says_where_it_went() -> None:
    with pytest.raises(InputError, match=r"report.mirna_targets was renamed: write integrate"):
        check_config({"report": {"mirna_targets": "t.tsv"}})


def test_targetscan_database_layout_and_taxon(tmp_path: Path) -> None:
    """The columns of TargetScan's published Predicted_Targets_Context_Scores files (Gene
    Symbol, Gene Tax ID, miRNA); rows of another taxon are left out. Values made up here."""
    path = tmp_path / "ts.txt"
    header = (
        "Gene ID\tGene Symbol\tTranscript ID\tGene Tax ID\tmiRNA\tSite Type\tUTR_start\t"
        "UTR end\tcontext++ score\tcontext++ score percentile\tweighted context++ score\n"
    )
    rows = [
        "ENSG01.1\tKRAS\tENST01.1\t9606\thsa-miR-143-3p\t8mer\t10\t17\t-0.40\t95\t-0.38",
        "ENSG01.1\tKRAS\tENST01.1\t9606\thsa-miR-143-3p\t7mer-m8\t90\t96\t-0.10\t60\t-0.09",
        "ENSG02.1\tHK2\tENST02.1\t9606\thsa-miR-143-3p\t7mer-1a\t40\t46\t-0.05\t30\t-0.04",
        "ENSMUSG1\tKras\tENSMUST1\t10090\tmmu-miR-143-3p\t8mer\t10\t17\t-0.41\t96\t-0.39",
    ]
    path.write_text(header + "\n".join(rows) + "\n")
    source = mt.TargetSource("ts", "targetscan", str(path), taxon=9606)
    table = mt.read_source(source).set_index("gene")
    assert list(table.index) == ["KRAS", "HK2"]
    assert table.loc["KRAS", "score"] == pytest.approx(-0.50)
    assert table["tier"].tolist() == ["strong", "weak"]


def test_a_spreadsheet_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "miRTarBase_MTI.xlsx"
    path.write_bytes(b"PK\x03\x04rest of a zip")
    with pytest.raises(InputError, match=r"MTI.xlsx: this is a spreadsheet .* save it as CSV"):
        mt.read_source(mt.TargetSource("m", "mirtarbase", str(path)))
