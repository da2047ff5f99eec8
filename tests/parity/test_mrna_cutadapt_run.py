"""mRNA trimming with the real cutadapt: the built arguments remove the adapters of both mates."""

from __future__ import annotations

import gzip

from esccrt.mrna.trim import cutadapt_args, run_cutadapt
from mrna_parity_tools import (
    TRUSEQ,
)
from schema_sections import mrna_section

TRIMMING = mrna_section()["trimming"]  # the schema's defaults


def test_cutadapt_runs_and_trims_paired(tmp_path):
    """A real cutadapt run with the built arguments removes the TruSeq adapters of both mates."""
    insert = "ACGTTGCAGGCTAGCTAGGATCCGATCGATCGTAGCTAGCTAGGCTAGCAT"  # 50 nt
    rc = insert[::-1].translate(str.maketrans("ACGT", "TGCA"))
    r1 = insert + TRUSEQ["r1"][:25]
    r2 = rc + TRUSEQ["r2"][:25]
    for name, seq in (("r1", r1), ("r2", r2)):
        with gzip.open(tmp_path / f"{name}.fq.gz", "wt") as handle:
            for i in range(3):
                handle.write(f"@read{i}\n{seq}\n+\n{'I' * len(seq)}\n")
    args = cutadapt_args(
        fq1=str(tmp_path / "r1.fq.gz"),
        fq2=str(tmp_path / "r2.fq.gz"),
        out1=str(tmp_path / "t1.fq.gz"),
        out2=str(tmp_path / "t2.fq.gz"),
        adapter_r1=TRUSEQ["r1"],
        adapter_r2=TRUSEQ["r2"],
        min_length=TRIMMING["min_length"],
        quality_cutoff=TRIMMING["quality_cutoff"],
        json_report=str(tmp_path / "report.json"),
    )
    run_cutadapt(args, tmp_path / "report.txt")
    with gzip.open(tmp_path / "t1.fq.gz", "rt") as handle:
        assert handle.read().splitlines()[1] == insert
    with gzip.open(tmp_path / "t2.fq.gz", "rt") as handle:
        assert handle.read().splitlines()[1] == rc
    assert "This is cutadapt" in (tmp_path / "report.txt").read_text()
    assert '"read_counts"' in (tmp_path / "report.json").read_text()
