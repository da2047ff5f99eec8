"""Demo data (simulated: paired-end, TruSeq stranded = reverse) against htseq-count and truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt.mrna.annotation import stranded_regions
from esccrt.mrna.htseq_table import read_htseq_table
from esccrt.mrna.strandedness import call_strandedness, resolve_strandedness, strand_evidence
from mrna_parity_tools import (
    DEMO,
    align,
    assert_same_as_htseq,
    build_hisat2_index,
    feature_counts,
    log_pearson,
    needs_featurecounts,
    trim_as_rule,
)
from prerequisites import DEMO_DATA, missing, require_commands
from schema_sections import feature_options, strandedness_options

#: The study's strandedness settings and counted feature type: the schema's defaults.
EVIDENCE, CALL = strandedness_options()
FEATURE_TYPE = feature_options()["feature_type"]

#: Trimming, a HISAT2 index and an alignment before any comparison (half a minute on 2 cores):
#: in `make test`, not in the fast tier.
pytestmark = pytest.mark.slow

DEMO_SAMPLE = "mac_ctrl_2"  # the smallest demo library (~158k pairs)


@pytest.fixture(scope="session")
def demo_bam(tmp_path_factory) -> Path:
    """The smallest demo library, trimmed and aligned as the workflow does."""
    fq1 = DEMO / "reads" / f"{DEMO_SAMPLE}_R1.fastq.gz"
    if not fq1.exists() or not (DEMO / "genes.gtf").exists():
        missing(f"the simulated demo ({DEMO})", DEMO_DATA)
    require_commands("hisat2-build")
    tmp = tmp_path_factory.mktemp("demo")
    fq2 = DEMO / "reads" / f"{DEMO_SAMPLE}_R2.fastq.gz"
    t1, t2 = trim_as_rule(fq1, fq2, tmp / "trimmed", threads=2)
    prefix = build_hisat2_index(DEMO / "genome.fa", DEMO / "genes.gtf", tmp / "index")
    return align(prefix, t1, tmp / f"{DEMO_SAMPLE}.bam", t2)


@pytest.fixture(scope="session")
def demo_counters(demo_bam) -> dict[str, int]:
    return assert_same_as_htseq(demo_bam, DEMO / "genes.gtf", "reverse", demo_bam.parent)


def test_counts_identical_to_htseq_count_demo(demo_bam, demo_counters):
    """Identical to htseq-count (fixture), and equal to the simulator's truth but lost reads."""
    genes = read_htseq_table(demo_bam.parent / f"{demo_bam.stem}.reverse.ours.tsv")[0]
    ours_counts = genes.set_index("feature")["count"]
    truth = pd.read_csv(DEMO / "truth_counts.tsv", sep="\t").set_index("feature")[DEMO_SAMPLE]
    truth = truth.reindex(ours_counts.index)
    assert (ours_counts <= truth).all()  # nothing counted to a gene it was not drawn from
    deficit = int((truth - ours_counts).sum())
    lost = ("__too_low_aQual", "__not_aligned", "__alignment_not_unique", "__ambiguous")
    print(f"demo {DEMO_SAMPLE}: {deficit} of {truth.sum()} fragments not counted; {demo_counters}")
    assert deficit <= sum(demo_counters[k] for k in lost)
    assert deficit / truth.sum() < 1e-3  # measured 5.1e-4 (78 of 153423) on 2026-12-06; was 2e-3
    classes = pd.read_csv(DEMO / "truth_read_classes.tsv", sep="\t")
    intergenic = classes.query("sample == @DEMO_SAMPLE and read_class == 'intronic_or_intergenic'")[
        "reads"
    ]
    # measured: equal (4875) on 2026-12-06; 1 % was allowed
    assert demo_counters["__no_feature"] == intergenic.iloc[0]


@needs_featurecounts
def test_correlation_with_featurecounts_demo(demo_bam, demo_counters):
    table = demo_bam.parent / f"{demo_bam.stem}.reverse.ours.tsv"
    genes = read_htseq_table(table)[0].set_index("feature")["count"]
    fc = feature_counts(demo_bam, DEMO / "genes.gtf", 2, paired=True, tmp=demo_bam.parent)
    r = log_pearson(genes, fc)
    print(f"demo: Pearson(log counts) vs featureCounts = 1 - {1 - r:.3g}")
    assert r >= 1 - 1.8e-7  # measured 1 - 9.0e-8 on 2026-12-06; was 0.99


def test_strandedness_demo_is_reverse(demo_bam):
    ev = strand_evidence(
        demo_bam, stranded_regions(DEMO / "genes.gtf", feature_type=FEATURE_TYPE), **EVIDENCE
    )
    print(f"demo: forward {ev.fraction_forward:.3f}, reverse {ev.fraction_reverse:.3f}")
    assert call_strandedness(ev, **CALL) == "reverse"
    warned = resolve_strandedness("forward", call_strandedness(ev, **CALL), "warn", "demo")
    assert warned.agreement == "no" and warned.message
