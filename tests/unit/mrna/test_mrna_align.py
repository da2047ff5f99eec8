"""mRNA alignment: HISAT2/STAR/samtools command lines and the index memory they declare."""

from __future__ import annotations

from esccrt.mrna.align import hisat2_args, hisat2_build_args, star_args, star_sa_index_nbases
from esccrt.resources import index_build


def test_alignment_commands():
    assert hisat2_args("idx/g", "a.fq", "s.txt", threads=3) == [
        "hisat2", "-p", "3", "-x", "idx/g", "--new-summary", "-U", "a.fq",
        "--summary-file", "s.txt",
    ]  # fmt: skip
    pe = hisat2_args("g", "a.fq", "s.txt", "b.fq", read_group=("s1.L1", "s1"))
    assert pe[6:] == ["-1", "a.fq", "-2", "b.fq", "--summary-file", "s.txt",
                      "--rg-id", "s1.L1", "--rg", "SM:s1"]  # fmt: skip
    assert hisat2_build_args("g.fa", "p", 2, "ss.tsv", "ex.tsv") == [
        "hisat2-build", "-p", "2", "--ss", "ss.tsv", "--exon", "ex.tsv", "g.fa", "p",
    ]  # fmt: skip
    star = star_args("idx", "r1.fq.gz", "out/", "r2.fq.gz", threads=4)
    assert star[star.index("--readFilesIn") + 1 : star.index("--readFilesIn") + 3] == [
        "r1.fq.gz",
        "r2.fq.gz",
    ]
    assert "zcat" in star and "Within" in star and "SortedByCoordinate" in star
    assert "--readFilesCommand" not in star_args("idx", "r1.fq", "out/")
    # STAR manual: min(14, log2(GenomeLength)/2 - 1); 14 for human, smaller for small genomes
    assert star_sa_index_nbases(3_100_000_000) == 14
    assert star_sa_index_nbases(230_000) == 7
    assert index_build("star", 3_100_000_000, 2).mem_mb == 34100
    assert index_build("hisat2", 3_100_000_000, 2).mem_mb == 9300
    assert index_build("hisat2", 1_000, 2).mem_mb == 500


# The stall watchdog of the alignment pipe (HISAT2 2.2.1's rare hang after its last read):
# producers written in Python stand in for hisat2, `cat` for samtools sort.
def _producer(code: str) -> list[str]:
    import sys

    return [sys.executable, "-c", "import os, sys, time\n" + code]


def test_a_producer_that_stops_writing_without_exiting_is_killed(tmp_path):
    import time

    import pytest
    from esccrt.mrna import align

    out = tmp_path / "out.txt"
    hangs = _producer("sys.stdout.write('x' * 100); sys.stdout.flush(); time.sleep(120)")
    started = time.monotonic()
    with pytest.raises(align.PipeStalledError, match="wrote nothing for 1 s"):
        align.run_pipe(hangs, ["sh", "-c", f"cat > {out}"], None, 1.0, poll_seconds=0.1)
    assert time.monotonic() - started < 20  # not the producer's 120 s


def test_a_slow_start_or_a_steady_writer_is_not_a_stall(tmp_path):
    from esccrt.mrna import align

    out = tmp_path / "out.txt"
    # silent for 1.5 s before its first byte (an index loading), then steady
    code = "time.sleep(1.5)\nfor _ in range(8):\n    print('x', flush=True); time.sleep(0.2)"
    align.run_pipe(_producer(code), ["sh", "-c", f"cat > {out}"], None, 0.6, poll_seconds=0.05)
    assert out.read_text() == "x\n" * 8


def test_a_hung_run_is_run_once_more_then_the_job_fails(tmp_path):
    import pytest
    from esccrt.mrna import align

    marker, out = tmp_path / "ran_once", tmp_path / "out.txt"
    # hangs on its first run only, as the HISAT2 hang does not repeat on the same input
    code = (
        f"first = not os.path.exists({str(marker)!r}); open({str(marker)!r}, 'w').close()\n"
        "print('alignments', flush=True); time.sleep(120 if first else 0)"
    )
    consumer = ["sh", "-c", f"cat > {out}"]
    with open(tmp_path / "job.log", "w") as err:  # the job's log: a real file, as in the rule
        align.run_pipe_retrying(_producer(code), consumer, err, 0.5, poll_seconds=0.05)
    assert out.read_text() == "alignments\n"
    assert "running it again (run 2)" in (tmp_path / "job.log").read_text()
    always = _producer("print('x', flush=True); time.sleep(120)")
    with pytest.raises(align.PipeStalledError, match="in each of 2 runs"):
        align.run_pipe_retrying(always, consumer, None, 0.5, poll_seconds=0.05)
