"""Bad inputs a biologist really produces, and the message each one gets (tests/README.md table).

Fast, function-level checks on tiny files. Cases already proven elsewhere are only referenced
in tests/README.md (sheets: test_sheets.py / test_workflow.py; qPCR: test_qpcr_fold_changes.py;
clinical: test_survival_clinical.py; miRBase FASTA: test_smallrna_reference.py; GTF:
test_mrna_annotation.py; DE gate: test_de_inputs.py).
"""

from __future__ import annotations

import gzip
import os
import random
import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from esccrt import fastq, sheets
from esccrt.errors import InputError
from esccrt.indexes import fasta_lengths
from esccrt.mrna import annotation as gtf
from esccrt.mrna.align import hisat2_args
from esccrt.mrna.reference import genome_length
from esccrt.mrna.trim import cutadapt_args as mrna_cutadapt_args
from esccrt.resources import genome_bases
from esccrt.safety import check_tool_options, split_tool_options
from esccrt.smallrna.collapse import collapse_reads
from esccrt.smallrna.count import AlignmentCounts
from esccrt.smallrna.presets import ILLUMINA_ADAPTER, TrimSettings, trim_preset
from esccrt.smallrna.qc import read_fate_table, sample_fate
from esccrt.smallrna.sample_qc import qc_gate, sample_values, verdict_table
from esccrt.smallrna.trim import read_trim_report, trim_unit, write_trim_report
from schema_sections import annotation_options, mrna_section, qc_criteria, smallrna_section

ADAPTER = ILLUMINA_ADAPTER
INSERT = "TGAGATGAAGCACTGTAGCTC"  # miR-143-3p, DNA alphabet
SAMPLES_HEADER = "sample\tlibrary_type\tcondition\tbatch\n"
UNITS_HEADER = "sample\tunit\tfq1\tfq2\tprotocol\tadapter\tstrandedness\n"


# ---------------------------------------------------------------------------------------------
# tiny FASTQ files
# ---------------------------------------------------------------------------------------------


def _record(number: int, sequence: str, quality: str | None = None) -> str:
    return f"@r{number}\n{sequence}\n+\n{quality if quality is not None else 'I' * len(sequence)}\n"


def _write_fastq(path: Path, records: list[str]) -> Path:
    with gzip.open(path, "wt") as handle:
        handle.write("".join(records))
    return path


def _mirna_reads(n: int = 200) -> list[str]:
    return [_record(i, (INSERT + ADAPTER + "A" * 30)[:51]) for i in range(n)]


def _trim(fq: Path, tmp_path: Path, sample: str = "exo_ir_2") -> Path:
    """Trim one small-RNA unit as rule smallrna_trim does; return the read-level report."""
    preset = trim_preset("illumina")
    out, report = tmp_path / f"{fq.name}.trimmed.fa", tmp_path / f"{fq.name}.json"
    with open(tmp_path / f"{fq.name}.log", "w") as log:
        result = trim_unit(
            str(fq),
            preset,
            TrimSettings.from_config(smallrna_section()),
            out,
            tmp_path / f"{fq.name}.cutadapt.json",
            log,
            f"sample {sample}, unit lane1",
        )
    write_trim_report(result, report)
    return report


# ---------------------------------------------------------------------------------------------
# Sheets (beyond tests/test_sheets.py)
# ---------------------------------------------------------------------------------------------


def _sheets(tmp_path: Path, unit_rows: list[str], raw_units: bytes | None = None):
    samples_path = tmp_path / "samples.tsv"
    samples_path.write_text(SAMPLES_HEADER + "exo_a\tsmallrna\tcontrol\tb1\n")
    units_path = tmp_path / "units.tsv"
    if raw_units is not None:
        units_path.write_bytes(raw_units)
    else:
        units_path.write_text(UNITS_HEADER + "".join(f"{row}\n" for row in unit_rows))
    return sheets.load_units(units_path, sheets.load_samples(samples_path))


def test_units_sheet_from_a_spreadsheet_is_forgiven(tmp_path: Path) -> None:
    """BOM, CRLF, an empty line and trailing spaces in units.tsv (samples.tsv: test_sheets)."""
    reads = _write_fastq(tmp_path / "a.fastq.gz", _mirna_reads(2))
    text = "\ufeff" + UNITS_HEADER.replace("\n", "\r\n")
    text += f"exo_a \tlane1 \t{reads} \t\tillumina \t\t  \r\n\r\n"
    units = _sheets(tmp_path, [], raw_units=text.encode("utf-8"))
    assert units.loc[("exo_a", "lane1"), "fq1"] == str(reads)
    assert units.loc[("exo_a", "lane1"), "protocol"] == "illumina"


@pytest.mark.parametrize("unit", ["lane 1", "l;1", "$(id)", "`id`", "a/b", "..", "../up"])
def test_unsafe_unit_names_are_refused(tmp_path: Path, unit: str) -> None:
    reads = _write_fastq(tmp_path / "a.fastq.gz", _mirna_reads(2))
    with pytest.raises(InputError) as error:
        _sheets(tmp_path, [f"exo_a\t{unit}\t{reads}\t\tillumina\t\t"])
    message = str(error.value)
    assert "units.tsv, line 2, column 'unit'" in message and "not an allowed name" in message


def test_unit_pointing_to_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "reads").mkdir()
    with pytest.raises(
        InputError, match=r"line 2, column 'fq1': .*reads' is a folder, not a FASTQ"
    ):
        _sheets(tmp_path, [f"exo_a\tlane1\t{tmp_path / 'reads'}\t\tillumina\t\t"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file; see the next test")
def test_unreadable_fastq_is_refused(tmp_path: Path) -> None:
    reads = _write_fastq(tmp_path / "a.fastq.gz", _mirna_reads(2))
    reads.chmod(0)
    try:
        with pytest.raises(InputError, match=r"line 2, column 'fq1': .*is not readable"):
            _sheets(tmp_path, [f"exo_a\tlane1\t{reads}\t\tillumina\t\t"])
    finally:
        reads.chmod(0o644)


def test_unreadable_fastq_is_refused_even_when_tested_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same check with the permission answer of a normal user (tests run as root in CI)."""
    reads = _write_fastq(tmp_path / "a.fastq.gz", _mirna_reads(2))
    real_access = os.access
    monkeypatch.setattr(
        sheets.os, "access", lambda p, mode: False if Path(p) == reads else real_access(p, mode)
    )
    with pytest.raises(InputError, match=r"units.tsv, line 2, column 'fq1': .*is not readable"):
        _sheets(tmp_path, [f"exo_a\tlane1\t{reads}\t\tillumina\t\t"])


def test_fastq_path_with_shell_characters_is_data(tmp_path: Path) -> None:
    """A file really named '$(touch MARKER);x.fastq.gz' is read as a file, never run."""
    weird = tmp_path / "$(touch MARKER);`touch MARKER2` x.fastq.gz"
    _write_fastq(weird, _mirna_reads(20))
    units = _sheets(tmp_path, [f"exo_a\tlane1\t{weird}\t\tillumina\t\t"])
    report = _trim(Path(units.loc[("exo_a", "lane1"), "fq1"]), tmp_path)
    assert read_trim_report(report).input == 20
    assert not list(tmp_path.glob("MARKER*")) and not list(Path.cwd().glob("MARKER*"))


# ---------------------------------------------------------------------------------------------
# Config values that reach a command line
# ---------------------------------------------------------------------------------------------

EVIL_OPTIONS = [
    "--no-softclip $(touch MARKER)",
    "--no-softclip; touch MARKER",
    "--no-softclip `touch MARKER`",
    "--no-softclip | touch MARKER",
    "--no-softclip && touch MARKER",
    "--no-softclip > MARKER",
    "'--no-softclip touch MARKER'",
]


@pytest.mark.parametrize("value", EVIL_OPTIONS)
def test_shell_syntax_in_extra_options_is_refused(value: str) -> None:
    with pytest.raises(InputError) as error:
        check_tool_options({"mrna.hisat2.extra": "", "mrna.trimming.extra": value})
    message = str(error.value)
    assert message.startswith("config key mrna.trimming.extra:")
    assert "characters a shell would interpret" in message


def test_ordinary_extra_options_pass() -> None:
    assert split_tool_options("--score-min L,0,-0.2 --rna-strandness=RF", "k") == [
        "--score-min",
        "L,0,-0.2",
        "--rna-strandness=RF",
    ]
    assert split_tool_options("", "k") == []
    assert split_tool_options(["-n", 1, "--best"], "k") == ["-n", "1", "--best"]
    with pytest.raises(InputError, match="check the quotes"):
        split_tool_options('--x "unclosed', "k")


@pytest.mark.commands("hisat2")
def test_hisat2_wrapper_gets_no_shell_syntax(tmp_path: Path) -> None:
    """hisat2's Perl wrapper runs its arguments through a shell (system of one string): the raw
    value executes a command; the checked options never reach it, and safe ones still work."""
    rng = random.Random(3)
    genome = "".join(rng.choice("ACGT") for _ in range(3000))
    (tmp_path / "g.fa").write_text(f">c1\n{genome}\n")
    reads = tmp_path / "r.fq"
    reads.write_text("".join(_record(i, genome[i * 20 : i * 20 + 50]) for i in range(40)))
    subprocess.run(
        ["hisat2-build", "-q", "g.fa", "g"], cwd=tmp_path, check=True, capture_output=True
    )
    evil = "--no-softclip $(touch MARKER)"
    danger = hisat2_args("g", "r.fq", "s.txt", extra=evil.split())
    subprocess.run([*danger, "-S", "o.sam"], cwd=tmp_path, capture_output=True, check=False)
    assert (tmp_path / "MARKER").exists(), "the wrapper no longer uses a shell; update safety.py"
    (tmp_path / "MARKER").unlink()
    with pytest.raises(InputError):
        split_tool_options(evil, "mrna.hisat2.extra")
    safe = hisat2_args("g", "r.fq", "s.txt", extra=split_tool_options("--no-softclip", "k"))
    run = subprocess.run([*safe, "-S", "o.sam"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "MARKER").exists()


# ---------------------------------------------------------------------------------------------
# Reads: unreadable files are errors naming the sample; empty/useless ones meet the QC gate
# ---------------------------------------------------------------------------------------------


def _truncated(path: Path) -> Path:
    whole = _write_fastq(path.with_name("whole.fastq.gz"), _mirna_reads(2000)).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


@pytest.mark.parametrize(
    ("make", "explanation"),
    [
        (_truncated, "the gzip file is truncated"),
        (
            lambda p: _write_fastq(p, [*_mirna_reads(5), _record(9, "ACGTACGT", "III")]),
            "quality line of a different length",
        ),
        (
            lambda p: p.write_text("<html><body>404 Not Found</body></html>\n") and p,
            "not gzip-compressed",
        ),
    ],
    ids=["truncated-gzip", "sequence-quality-length", "html-page"],
)
def test_unreadable_reads_name_sample_file_and_fix(tmp_path: Path, make, explanation) -> None:
    bad = make(tmp_path / "exo_ir_2.fastq.gz")
    inputs = {path.name for path in tmp_path.iterdir()}
    with pytest.raises(InputError) as error:
        _trim(bad, tmp_path)
    message = str(error.value)
    assert message.startswith("sample exo_ir_2, unit lane1: the reads in ")
    assert str(bad) in message and explanation in message and "config/units.tsv" in message
    # Nothing half-written: the job's log is the only new file (no inserts FASTA, no cutadapt
    # report, no temporary file of either).
    assert {path.name for path in tmp_path.iterdir()} - inputs == {f"{bad.name}.log"}


def test_mates_with_different_read_counts_name_both_files(tmp_path: Path) -> None:
    r1 = _write_fastq(tmp_path / "m_R1.fastq.gz", _mirna_reads(50))
    r2 = _write_fastq(tmp_path / "m_R2.fastq.gz", _mirna_reads(40))
    args = mrna_cutadapt_args(
        fq1=str(r1),
        fq2=str(r2),
        out1=str(tmp_path / "o1.fq.gz"),
        out2=str(tmp_path / "o2.fq.gz"),
        adapter_r1="AGATCGGAAGAGC",
        adapter_r2="AGATCGGAAGAGC",
        min_length=20,
        quality_cutoff=mrna_section()["trimming"]["quality_cutoff"],
        json_report=str(tmp_path / "o.json"),
    )
    with open(tmp_path / "log", "w") as log, pytest.raises(InputError) as error:
        fastq.run_reading_reads(
            [sys.executable, "-m", "cutadapt", *args], "sample mac_ir_1, unit lane1", [r1, r2], log
        )
    message = str(error.value)
    assert message.startswith("sample mac_ir_1, unit lane1:")
    assert f"'{r1}' and '{r2}'" in message and "do not have the same reads" in message


def _fate_and_gate(tmp_path: Path, records: list[str], min_transcriptome_reads: int = 10):
    """Trim + collapse one sample as the workflow does; the sample has no aligned miRNA. Its
    QC verdicts and gate as rule smallrna_sample_qc makes them (default ``qc.exclude``)."""
    fq = _write_fastq(tmp_path / "s.fastq.gz", records)
    report = read_trim_report(_trim(fq, tmp_path))
    collapsed = collapse_reads([tmp_path / "s.fastq.gz.trimmed.fa"], 16, 40)
    nothing = AlignmentCounts(features={}, aligned_copies=0, antisense_only_copies=0)
    fate = sample_fate(
        "exo_ir_2",
        [report],
        {"too_short": collapsed.too_short, "too_long": collapsed.too_long},
        {},
        nothing,
        nothing,
        collapsed.kept,
    )
    table, warnings = read_fate_table([fate], min_adapter_fraction=0.5)
    criteria = qc_criteria(transcriptome_reads={"fail": min_transcriptome_reads})
    counts = {"fate": asdict(fate), "mature": {}, "hairpin": {}}
    values = sample_values("exo_ir_2", counts, report.phred, report.lengths, 1, {}, criteria)
    gate = qc_gate(verdict_table([values], criteria), "fail")
    return fate, table, warnings, gate


@pytest.mark.parametrize(
    ("records", "fate_column"),
    [
        ([], None),
        ([_record(i, (ADAPTER + "A" * 40)[:51]) for i in range(100)], "too_short"),
    ],
    ids=["empty-fastq", "only-adapter-dimers"],
)
def test_empty_or_dimer_only_library_fails_the_qc_gate(tmp_path, records, fate_column) -> None:
    fate, _, _, gate = _fate_and_gate(tmp_path, records)
    if fate_column:
        assert getattr(fate, fate_column) == fate.input == 100
    else:
        assert fate.input == 0
    row = gate.iloc[0]
    assert not row["passed"] and row["sample"] == "exo_ir_2"
    assert row["reason"].startswith("QC verdict fail (qc.exclude: fail): ")


def test_adapter_never_found_is_warned_and_gated(tmp_path: Path) -> None:
    rng = random.Random(5)
    records = [_record(i, "".join(rng.choice("ACGT") for _ in range(51))) for i in range(100)]
    fate, table, warnings, gate = _fate_and_gate(tmp_path, records)
    assert fate.too_long == 100 and table.loc[0, "adapter_warning"]
    assert warnings and re.search(r"sample exo_ir_2: adapter found in only \d", warnings[0])
    assert "Check the protocol/adapter in units.tsv" in warnings[0]
    assert not gate.iloc[0]["passed"]


def test_temporary_output_keeps_the_extension() -> None:
    assert fastq.temporary_output("a/b/x.fastq.gz") == "a/b/.tmp.x.fastq.gz"
    assert fastq.temporary_output("x.json") == ".tmp.x.json"


# ---------------------------------------------------------------------------------------------
# References (beyond test_smallrna_reference.py / test_mrna_annotation.py)
# ---------------------------------------------------------------------------------------------

GTF_LINE = 'chr1\tt\texon\t1\t40\t.\t+\t.\tgene_id "G1"; transcript_id "T1";'


def test_genome_with_duplicate_sequence_names_is_refused(tmp_path: Path) -> None:
    genome = tmp_path / "genome.fa"
    genome.write_text(">chr1\nACGT\n>chr2\nACGT\n>chr1 again\nACGT\n")
    annotation = tmp_path / "genes.gtf"
    annotation.write_text(GTF_LINE + "\n")
    with pytest.raises(InputError, match=r"genome\.fa: sequence name\(s\) \['chr1'\] occur more"):
        gtf.check_annotation(annotation, genome, **annotation_options())


def test_genome_that_is_an_html_page_is_refused(tmp_path: Path) -> None:
    genome = tmp_path / "genome.fa"
    genome.write_text("<!DOCTYPE html>\n<html><title>Access denied</title></html>\n")
    annotation = tmp_path / "genes.gtf"
    annotation.write_text(GTF_LINE + "\n")
    with pytest.raises(InputError, match=r"genome\.fa: .*not a FASTA file \(an HTML error page"):
        gtf.check_annotation(annotation, genome, **annotation_options())


# ---------------------------------------------------------------------------------------------
# Atomic outputs: no rule script writes a final output directly
# ---------------------------------------------------------------------------------------------

DIRECT_WRITE = re.compile(
    r"open\(\s*snakemake\.output[^)]*,\s*['\"][wa]|\.to_csv\(\s*snakemake\.output"
    r"|savefig\(\s*snakemake\.output|shutil\.copy\w*\([^)]*snakemake\.output"
    r"|--json['\"],\s*snakemake\.output"
)


def test_rule_scripts_never_write_final_outputs_directly(repo_root: Path) -> None:
    """Outputs go through esccrt.io.atomic_write / write_tsv_atomic or a temporary name and
    os.replace, so a crash never leaves a complete-looking partial file (audit of the scripts)."""
    offenders = []
    for script in sorted((repo_root / "workflow" / "scripts").glob("*.py")):
        for number, line in enumerate(script.read_text().splitlines(), start=1):
            if DIRECT_WRITE.search(line):
                offenders.append(f"{script.name}:{number}: {line.strip()}")
    assert not offenders, "direct writes of final outputs:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "read", [fasta_lengths, gtf.fasta_sequence_names, genome_length, genome_bases]
)
def test_malformed_fasta_index_names_file_and_line(tmp_path: Path, read) -> None:
    """Every reader of a genome's .fai (index check, annotation check, STAR's and the resource
    estimates' genome size) refuses a line that is not name, tab, length: file, line, the fix."""
    fasta = tmp_path / "genome.fa"
    fasta.write_text(">chr1\nACGTACGT\n>chr2\nACGT\n")
    fai = tmp_path / "genome.fa.fai"
    fai.write_text("chr1\t8\t6\t8\t9\nchr2 4 21 4 5\n")  # spaces: an editor's copy
    with pytest.raises(InputError) as error:
        read(fasta)
    message = str(error.value)
    assert message.startswith(f"{fai}, line 2: this is not a FASTA index line")
    assert "'chr2 4 21 4 5'" in message and "Delete the .fai" in message
    fai.write_text("chr1\t8\t6\t8\t9\nchr2\t4\t21\t4\t5\n")
    assert read(fasta) in ({"chr1": 8, "chr2": 4}, ["chr1", "chr2"], 12)  # a good one is read
