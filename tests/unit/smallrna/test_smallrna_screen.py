"""RNA class screening: classes in order, config checks, per-class columns and MultiQC content."""

from __future__ import annotations

import pytest
from esccrt.errors import InputError
from esccrt.smallrna.count import AlignmentCounts
from esccrt.smallrna.layout import (
    READ_FATE_COLUMNS,
    RESERVED_NAMES,
    align_input,
    check_legacy_keys,
    class_index_files,
    count_inputs,
    reference_config_key,
    reference_name_prefix,
    reference_source,
    reference_species,
    rna_class_names,
)
from esccrt.smallrna.qc import (
    plot_rna_classes,
    read_fate_table,
    rna_class_table,
    sample_fate,
    write_multiqc_rna_classes,
)
from esccrt.smallrna.reference import prepare_reference, read_fasta
from esccrt.smallrna.screen import fasta_tally, screen_classes
from esccrt.smallrna.trim import TrimReport
from smallrna_helpers import build_index, needs_tools

RRNA = "GTCTACGGCCATACCACCCTGAACGCGCCCGATCTCGTCTGATCTCGGAAGC"  # human 5S rRNA, first 52 nt
TRNA = "GCATTGGTGGTTCAGTGGTAGAATTCTCGCCTGCCACGCGGGAGGCCCGGG"  # tRNA-Gly-GCC, 5' half
MIR21 = "TAGCTTATCAGACTGATGTTGA"


def _classes(*names: str) -> dict:
    return {
        "species": "mmu",
        "mature": "m.fa",
        "hairpin": "h.fa",
        "rna_classes": [{"name": n, "fasta": f"{n}.fa", "sha256": ""} for n in names],
    }


@needs_tools
def test_screen_takes_reads_class_by_class_in_order(tmp_path):
    (tmp_path / "rRNA.fa").write_text(f">5S\n{RRNA}\n")
    # The second class also holds the rRNA fragment: the first class in order keeps its reads.
    (tmp_path / "tRNA.fa").write_text(f">Gly\n{TRNA}\n>5S_copy\n{RRNA}\n")
    reads = tmp_path / "collapsed.fa"
    reads.write_text(
        f">seq1_x10\n{RRNA[3:25]}\n"  # rRNA, sense
        f">seq2_x4\n{TRNA[10:30].translate(str.maketrans('ACGT', 'TGCA'))[::-1]}\n"  # antisense
        f">seq3_x7\n{MIR21}\n>seq4_x1\n{TRNA[:18]}\n"
    )
    indexes = [(n, build_index(tmp_path / f"{n}.fa", tmp_path / n)) for n in ("rRNA", "tRNA")]
    args = ["-n", "1", "-l", "15", "-e", "99999", "-k", "1", "--best"]
    left = tmp_path / "out" / "unscreened.fa"
    counts = screen_classes(reads, indexes, left, args, log=tmp_path / "screen.log")
    assert list(counts) == ["rRNA", "tRNA"]
    assert (counts["rRNA"].reads, counts["rRNA"].sequences) == (10, 1)
    assert (counts["tRNA"].reads, counts["tRNA"].sequences) == (5, 2)
    assert left.read_text() == f">seq3_x7\n{MIR21}\n"
    assert fasta_tally(left).reads == 7 and fasta_tally(tmp_path / "missing.fa").reads == 0
    assert [p.name for p in left.parent.iterdir()] == ["unscreened.fa"]  # no temporary left
    # Everything taken: the leftover file is still written, empty.
    everything = screen_classes(tmp_path / "tRNA.fa", indexes[1:], left, args)
    assert everything["tRNA"].sequences == 2 and left.read_text() == ""


def test_class_names_and_old_config_keys_are_checked():
    section = _classes("rRNA", "tRNA")
    assert rna_class_names(section) == ["rRNA", "tRNA"]
    assert reference_source(section, "tRNA") == ("tRNA.fa", "")
    assert reference_source(section, "mature") == ("m.fa", "")
    assert (reference_species(section, "hairpin"), reference_species(section, "rRNA")) == (
        "mmu",
        "",
    )
    assert reference_config_key(section, "tRNA") == "smallrna.rna_classes (entry 2, tRNA)"
    with pytest.raises(InputError, match="entry 2: name 'RRNA' is already used by class 'rRNA'"):
        rna_class_names(_classes("rRNA", "RRNA"))
    with pytest.raises(InputError, match="entry 1: name 'too_short' is taken"):
        rna_class_names(_classes("too_short"))
    with pytest.raises(InputError, match=r"smallrna.contaminants.*replaced by\s+smallrna.rna"):
        check_legacy_keys({"contaminants": "c.fa", "mature": "m.fa"})
    with pytest.raises(InputError, match=r"smallrna\.bowtie\.contaminants"):
        check_legacy_keys({"bowtie": {"contaminants": ["-k", "1"]}})
    check_legacy_keys(section)


def test_class_entries_can_be_kept_by_name_prefix(tmp_path):
    section = _classes("tRNA")
    section["rna_classes"][0]["names_starting_with"] = "Mus_musculus_"
    assert reference_name_prefix(section, "tRNA") == "Mus_musculus_"
    assert reference_name_prefix(section, "mature") == ""
    source = tmp_path / "trna.fa"
    # tRNAdb exports keep alignment gaps ('_', '.'): removed from the sequence.
    source.write_text(">Homo_sapiens_tRNA_1 x\nGCATTGGTGG\n>Mus_musculus_tRNA_1 y\nGCAT_TGG.TGGA\n")
    assert prepare_reference(str(source), tmp_path / "t.fa", None, name_prefix="Mus_musculus_") == 1
    assert [(r.name, r.sequence) for r in read_fasta(tmp_path / "t.fa")] == [
        ("Mus_musculus_tRNA_1", "GCATTGGTGGA")
    ]
    with pytest.raises(InputError, match=r"no entry to keep \(names must start with 'Rattus_'"):
        prepare_reference(str(source), tmp_path / "t.fa", None, name_prefix="Rattus_")


def test_schema_restricts_class_names(repo_root):
    from snakemake.utils import validate

    schema = str(repo_root / "workflow" / "schemas" / "smallrna.schema.yaml")
    config = {"mature": "m", "hairpin": "h", "rna_classes": [{"name": "Y_RNA", "fasta": "y.fa"}]}
    validate(config, schema)
    assert config["rna_classes"][0]["sha256"] == "" and "-k" in config["bowtie"]["rna_classes"]
    for bad in ("r;rm", "$(x)", "1rRNA", "mature", "a b", "../x"):
        with pytest.raises(Exception, match=r"rna_classes|does not match|should not be valid"):
            validate(
                {"mature": "m", "hairpin": "h", "rna_classes": [{"name": bad, "fasta": "f"}]},
                schema,
            )


def test_steps_read_the_screened_reads():
    assert align_input("mature", "s1", screened=True) == "results/smallrna/screen/s1.unscreened.fa"
    assert align_input("mature", "s1", screened=False) == "results/smallrna/collapsed/s1.fa"
    assert align_input("hairpin", "s1", True) == "results/smallrna/bowtie/mature/s1.unaligned.fa"
    inputs = count_inputs("s1", ["u1"], screened=True)
    assert inputs["rna_classes"] == "results/smallrna/screen/s1.json"
    assert "rna_classes" not in count_inputs("s1", ["u1"], screened=False)
    assert class_index_files(["rRNA", "tRNA"], [".1.ebwt"]) == [
        "results/smallrna/reference/bowtie/rRNA.1.ebwt",
        "results/smallrna/reference/bowtie/tRNA.1.ebwt",
    ]


def test_class_columns_composition_and_multiqc(tmp_path):
    trim = TrimReport(input=100, adapter_found=95, no_adapter_discarded=0, output=100)
    mature = AlignmentCounts({"m": 40.0}, 40, 0)
    hairpin = AlignmentCounts({"h": 10.0}, 10, 2, {"m": 4.0}, 4)
    collapsed = {"too_short": 20, "too_long": 5}
    classes = {"tRNA": 8, "rRNA": 12}  # as read back from JSON: not in screening order
    fate = sample_fate("s1", [trim], collapsed, classes, mature, hairpin, unaligned_copies=3)
    with pytest.raises(RuntimeError, match="does not add up"):
        sample_fate("s1", [trim], collapsed, {"rRNA": 11}, mature, hairpin, 3)
    table, _ = read_fate_table([fate], 0.5, ["rRNA", "tRNA"])
    assert list(table.columns[6:12]) == [
        "umi_duplicate",
        "rRNA",
        "tRNA",
        "mature",
        "hairpin_only",
        "unassigned",
    ]
    composition = rna_class_table(table, ["rRNA", "tRNA"])
    assert composition.iloc[0].tolist() == ["s1", 75, 12, 8, 44, 6, 5]
    mqc = tmp_path / "rna_classes_mqc.tsv"
    write_multiqc_rna_classes(composition, mqc)
    lines = mqc.read_text().splitlines()
    assert "# plot_type: 'bargraph'" in lines
    assert lines[-2:] == [
        "Sample\trRNA\ttRNA\tmature\thairpin_only\tunassigned",
        "s1\t12\t8\t44\t6\t5",
    ]
    plot_rna_classes(composition, tmp_path / "rna_classes.png")
    assert (tmp_path / "rna_classes.png").stat().st_size > 1000


def test_reserved_class_names_are_the_read_fate_columns_and_mirna_steps(repo_root):
    """RNA-class names are refused where they would clash, from one list: the columns
    read_fate_table really writes (without classes) and the miRNA steps; the schema's list of
    refused names is the same one."""
    import yaml
    from schema_sections import smallrna_section

    trim = TrimReport(input=10, adapter_found=10, no_adapter_discarded=0, output=10)
    fate = sample_fate(
        "s1",
        [trim],
        {"too_short": 0, "too_long": 0},
        {},
        AlignmentCounts({"m": 10.0}, 10, 0),
        AlignmentCounts({}, 0, 0),
        unaligned_copies=0,
    )
    table, _ = read_fate_table([fate], 0.5, [])
    assert tuple(table.columns) == READ_FATE_COLUMNS
    assert set(RESERVED_NAMES) == {*READ_FATE_COLUMNS, "mature", "hairpin"}
    schema = yaml.safe_load((repo_root / "workflow/schemas/smallrna.schema.yaml").read_text())
    name = schema["properties"]["rna_classes"]["items"]["properties"]["name"]
    assert name["not"]["enum"] == list(RESERVED_NAMES)
    for reserved in ("hairpin", "adapter_warning", "sample"):
        with pytest.raises(Exception, match=r"rna_classes\[0\]\.name|should not be valid"):
            smallrna_section(rna_classes=[{"name": reserved, "fasta": "x.fa"}])
        section = {"rna_classes": [{"name": reserved, "fasta": "x.fa"}]}
        with pytest.raises(InputError, match=f"name '{reserved}' is taken by a column"):
            rna_class_names(section)
