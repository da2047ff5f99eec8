"""esccrt.paths: the results paths shared by rules and scripts, filled as Snakemake would."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from esccrt import paths


def test_fill_some_keeps_the_other_wildcards() -> None:
    bam = paths.fill_some(paths.MRNA_BAM, aligner="star")
    assert bam == "results/mrna/aligned/star/{sample}/{sample}.{unit}.bam"
    assert paths.fill(bam, sample="s1", unit="L1") == "results/mrna/aligned/star/s1/s1.L1.bam"


def test_unit_paths_follow_unit_order_and_extra_wildcards() -> None:
    units = [("b", "L2"), ("a", "L1")]
    summaries = paths.unit_paths(paths.MRNA_ALIGNER_SUMMARY["hisat2"], units, aligner="hisat2")
    assert summaries == [
        "results/mrna/aligned/hisat2/b/b.L2.hisat2.txt",
        "results/mrna/aligned/hisat2/a/a.L1.hisat2.txt",
    ]


def test_trimmed_fastqs_by_layout() -> None:
    assert paths.trimmed_fastqs("d", paired=False) == ["d/reads_1.fastq.gz"]
    assert paths.trimmed_fastqs("d", paired=True) == ["d/reads_1.fastq.gz", "d/reads_2.fastq.gz"]


def test_survival_plots_endpoint_major_then_forest_roc_cutoff_scan_decision_calibration() -> None:
    assert paths.survival_plots(["os", "pfs"], ["age"], []) == [
        "results/survival/km/os_age.png",
        "results/survival/km/pfs_age.png",
        "results/survival/forest.png",
        "results/survival/roc.png",
        "results/survival/cutoff_scan.png",
        "results/survival/decision_curves.png",
        "results/survival/calibration_curve.png",
    ]


@dataclass(frozen=True)
class _Inputs:
    """A stage's inputs: one every configuration has, one only some have (as
    esccrt.survival.stage.SurvivalInputs.sequencing_fold_changes)."""

    clinical: Path
    optional: Path = Path()


def test_from_named_treats_an_empty_list_as_an_absent_optional_input() -> None:
    """A rule names ``[]`` where the configuration has no such file (e.g. survival_analysis'
    sequencing_fold_changes without survival.sequencing_markers): the field keeps its default,
    as when the name is missing."""
    assert paths.from_named(_Inputs, {"clinical": "c.tsv", "optional": []}) == _Inputs(
        Path("c.tsv")
    )
    assert paths.from_named(_Inputs, {"clinical": "c.tsv"}).optional == Path()
    given = paths.from_named(_Inputs, {"clinical": "c.tsv", "optional": "o.tsv"})
    assert given.optional == Path("o.tsv")


def test_survival_plots_end_with_the_cumulative_incidence_of_competing_endpoints() -> None:
    plots = paths.survival_plots(["os", "pfs"], ["age"], ["pfs"])
    assert plots[-1] == "results/survival/cumulative_incidence_pfs.png" and len(plots) == 8
