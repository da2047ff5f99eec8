"""mRNA trimming with the real cutadapt: the built arguments remove the adapters of both mates."""

from __future__ import annotations

import gzip

from mrna_parity_tools import TRUSEQ, trim_as_rule


def test_cutadapt_runs_and_trims_paired(tmp_path):
    """Rule mrna_cutadapt's entry point (the schema's settings) removes the TruSeq adapters of
    both mates."""
    insert = "ACGTTGCAGGCTAGCTAGGATCCGATCGATCGTAGCTAGCTAGGCTAGCAT"  # 50 nt
    rc = insert[::-1].translate(str.maketrans("ACGT", "TGCA"))
    r1 = insert + TRUSEQ["r1"][:25]
    r2 = rc + TRUSEQ["r2"][:25]
    for name, seq in (("r1", r1), ("r2", r2)):
        with gzip.open(tmp_path / f"{name}.fq.gz", "wt") as handle:
            for i in range(3):
                handle.write(f"@read{i}\n{seq}\n+\n{'I' * len(seq)}\n")
    out = tmp_path / "trimmed"
    t1, t2 = trim_as_rule(tmp_path / "r1.fq.gz", tmp_path / "r2.fq.gz", out)
    with gzip.open(t1, "rt") as handle:
        assert handle.read().splitlines()[1] == insert
    with gzip.open(t2, "rt") as handle:
        assert handle.read().splitlines()[1] == rc
    assert "This is cutadapt" in (out / "cutadapt.txt").read_text()
    assert '"read_counts"' in (out / "cutadapt.json").read_text()
