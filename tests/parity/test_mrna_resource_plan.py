"""What `snakemake -n` plans for the index build: a human-sized genome vs the yeast test genome.

The human size is faked with a ``.fai`` that gives the 40-kb chr22 slice a length of 3.1 Gb: the
requests are computed from that index and file sizes, never from reading the genome.
"""

from __future__ import annotations

import re
import shutil

import pytest
from mrna_parity_tools import needs_tools
from test_mrna_prebuilt_index import CHR22, chr22_workdir
from test_mrna_rules import snakemake

pytestmark = pytest.mark.slow


def planned(stdout: str, rule: str) -> dict[str, str]:
    """The resources of the first planned job of ``rule`` in a dry run's output."""
    block = stdout[stdout.index(f"rule {rule}:") :]
    line = re.search(r"resources: (.*)", block)[1]
    return dict(item.split("=", 1) for item in line.split(", "))


@needs_tools
def test_index_build_requests_follow_the_genome_size(shared_data, tmp_path):
    base = shared_data.joinpath(*CHR22)
    human = tmp_path / "human"
    human.mkdir()
    shutil.copy(base / "genome.fasta", human / "genome.fa")
    (human / "genome.fa.fai").write_text("chr22\t3100000000\t7\t60\t61\n")
    work = chr22_workdir(tmp_path / "h", base, hisat2={"splice_sites": False})
    config = (work / "config.yaml").read_text()
    (work / "config.yaml").write_text(
        config.replace(str(base / "genome.fasta"), str(human / "genome.fa"))
    )
    plan = snakemake(work, "-n")
    assert plan.returncode == 0, plan.stderr + plan.stdout
    index = planned(plan.stdout, "mrna_hisat2_index")
    assert int(index["mem_mb"]) >= 8000 and int(index["runtime"]) > 120
    align = planned(plan.stdout, "mrna_align_hisat2")  # index size estimated from the genome
    assert int(align["mem_mb"]) >= 5000

    yeast = shared_data / "mrnaseq" / "yeast_chrI"
    work = chr22_workdir(tmp_path / "y", base, hisat2={"splice_sites": False})
    config = (work / "config.yaml").read_text()
    for name, replacement in (("genome.fasta", "genome.fa"), ("genome.gtf", "genes.gtf")):
        config = config.replace(str(base / name), str(yeast / replacement))
    (work / "config.yaml").write_text(config)
    plan = snakemake(work, "-n")
    assert plan.returncode == 0, plan.stderr + plan.stdout
    assert int(planned(plan.stdout, "mrna_hisat2_index")["mem_mb"]) < 1000
