"""End to end: the whole workflow on the simulated demo recovers what the simulator planted."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from esccrt.de import design as diffexp
from esccrt.de.settings import arm_section
from esccrt.survival.calibration import calibration_at, curve_grid
from esccrt.survival.competing import NONE_CODED
from esccrt.survival.locked_model import read_model_file
from esccrt.survival.time_accuracy import accuracy_table
from prerequisites import DEMO_DATA, missing
from schema_sections import validated
from workflow_runs import REPO_ROOT

DEMO = REPO_ROOT / "resources" / "demo"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["", "NA", "nan"])


@pytest.mark.parametrize(
    ("arm", "truth_file"),
    [("smallrna", "smallrna/truth_fold_changes.tsv"), ("mrna", "mrna/truth_de.tsv")],
)
def test_planted_de_features_are_recovered(demo_results: Path, arm: str, truth_file: str) -> None:
    """Recall >= 0.9 for planted |log2FC| >= 1 with adequate counts; false discoveries <= 0.1."""
    truth = _read(DEMO / truth_file).set_index("feature")["log2_fold_change"]
    results = _read(demo_results / "diffexp" / arm / "irradiated_vs_control.tsv")
    results = results.set_index("feature")
    planted = truth[truth.abs() >= 1].index
    adequate = [f for f in planted if f in results.index and results.loc[f, "baseMean"] >= 20]
    assert len(adequate) >= 5, f"too few planted features with counts in the {arm} demo"
    found = results.loc[adequate, "padj"] < 0.05
    assert found.mean() >= 0.9, (
        f"{arm}: recall {found.mean():.2f}; missed {list(found[~found].index)}"
    )
    called = results.index[results["significant"].astype(str) == "True"]
    false = [f for f in called if truth.get(f, 0) == 0]
    assert len(false) / max(len(called), 1) <= 0.1, f"{arm}: false discoveries {false}"
    # Directions agree with what was planted.
    for feature in results.loc[adequate][found].index:
        assert results.loc[feature, "log2FoldChange"] * truth[feature] > 0, feature


@pytest.mark.parametrize("arm", ["smallrna", "mrna"])
def test_demo_de_matches_r_deseq2_run_here(
    demo_results: Path, repo_root: Path, arm: str, run_r_deseq2
) -> None:
    """R DESeq2 on the demo's own count table, with the design, size factors and pre-filter the
    workflow used (the demo spans two batches: ``~batch + condition``): the same statistics."""
    config = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    sheet_path = repo_root / config["samples"]
    config = arm_section(validated("diffexp", config["diffexp"]), arm)
    sheet = pd.read_csv(sheet_path, sep="\t", index_col="sample")
    counts_path = demo_results / arm / "counts.tsv"
    samples = [c for c in _read(counts_path).columns if c in sheet.index]
    design = diffexp.resolve_design(sheet.loc[samples], config["design"])
    r_out = run_r_deseq2(
        counts_path,
        sheet_path,
        design,
        size_factors=config["size_factors"],
        min_total=config["min_total_count"],
    )
    r = _read(r_out).set_index("feature")
    ours = _read(demo_results / "diffexp" / arm / "irradiated_vs_control.tsv").set_index("feature")
    r = r.reindex(ours.index)
    high = r.index[r["baseMean"] >= 10]
    assert len(high) >= 50
    for column in ("baseMean", "log2FoldChange", "lfcSE", "stat"):
        relative = ((ours.loc[high, column] - r.loc[high, column]) / r.loc[high, column]).abs()
        assert relative.max() < 0.02, (column, relative.sort_values().tail())
    calls = (ours["padj"].fillna(1) < 0.05) == (r["padj"].fillna(1) < 0.05)
    assert calls.mean() >= 0.97


def test_table1_has_the_study_counts(demo_results: Path) -> None:
    table1 = _read(demo_results / "survival" / "table1.tsv")
    assert table1["n"].tolist() == [
        18, 22, 17, 23, 8, 32, 8, 32, 18, 22, 18, 22, 19, 7, 14, 20, 14, 1, 5,
        27, 13, 19, 21, 24, 16, 20, 20, 18, 22, 15, 25,
    ]  # fmt: skip
    pair = table1[table1["factor"] == "hsa-miR-143-3p and hsa-miR-223-3p"]
    assert (pair["pfs_p"] < 0.05).all(), "the planted PFS effect of the pair is not significant"
    therapy = table1[table1["factor"] == "Therapeutic approach"]
    assert (therapy["pfs_p"] > 0.1).all()


def test_planted_haemolysis_is_flagged_and_references_assessed(demo_results: Path) -> None:
    """The haemolysed serum samples the simulator planted are the flagged ones (flag only), and
    the stability table covers the configured candidates with the configured references used."""
    flags = _read(demo_results / "qpcr" / "haemolysis.tsv")
    truth = _read(REPO_ROOT / "config" / "demo_cohort_truth.tsv").set_index("patient")
    planted = {
        (p, tp) for tp in ("pre", "post") for p in truth.index[truth[f"haemolysed_{tp}"] == 1]
    }
    flagged = flags[flags["status"] == "haemolysed"]
    assert set(zip(flagged["patient"], flagged["timepoint"], strict=True)) == planted
    assert not flags["excluded_from_survival"].any()
    stability = _read(demo_results / "qpcr" / "reference_stability.tsv").set_index("candidate")
    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())["qpcr"]
    assert stability.index.tolist() == config["reference_candidates"]
    used = stability.index[stability["used_as_reference"]].tolist()
    assert used == config["reference_targets"]
    # the red-cell miRNA is the least stable candidate by both measures
    assert stability["genorm_rank"].idxmax() == stability["normfinder_rho"].idxmax()
    assert stability["genorm_rank"].idxmax() == "hsa-miR-16-5p"
    html = (demo_results / "report" / "report.html").read_text()
    assert '<section id="qpcr-quality">' in html and "samples flagged haemolysed" in html


def test_report_names_the_planted_candidates(demo_results: Path) -> None:
    html = (demo_results / "report" / "report.html").read_text()
    for section in (
        "run-summary",
        "quality-control",
        "smallrna-differential-expression",
        "mrna-differential-expression",
        "sequencing-meets-survival",
        "survival",
        "methods",
    ):
        assert f'<section id="{section}">' in html, section
    assert "SIMULATED DATA" in html
    candidates = re.search(r"Candidates</b>[^:]*: ([^<]*)</p>", html).group(1)
    assert candidates.split(", ") == ["hsa-miR-143-3p", "hsa-miR-223-3p"]
    # Self-contained: every image is inline, nothing is fetched.
    assert re.findall(r'<img [^>]*src="(?!data:image/png;base64,)', html) == []
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_planted_mrna_fold_changes_are_seen_in_normalised_counts(demo_results: Path) -> None:
    """Irradiated/control ratios of normalised counts match the planted fold changes (+-25 %).

    Replicates carry planted biological (negative binomial) variation, so a few genes may miss
    by chance; at least 90 % of the planted genes with adequate counts must be within 25 %.
    """
    truth = _read(DEMO / "mrna" / "truth_de.tsv").set_index("feature")["log2_fold_change"]
    normalised = _read(demo_results / "diffexp" / "mrna" / "normalized_counts.tsv")
    normalised = normalised.set_index("feature").drop(columns="name")
    samples = _read(REPO_ROOT / "config" / "samples.tsv")
    condition = samples.set_index("sample")["condition"]
    irradiated = [s for s in normalised.columns if condition[s] == "irradiated"]
    control = [s for s in normalised.columns if condition[s] == "control"]
    planted = truth[truth.abs() >= 1].index
    planted = [g for g in planted if normalised.loc[g].mean() >= 20]
    observed = normalised.loc[planted, irradiated].mean(1) / normalised.loc[planted, control].mean(
        1
    )
    relative = (observed / 2 ** truth[planted] - 1).abs()
    assert len(planted) >= 20
    assert (relative <= 0.25).mean() >= 0.9, relative.sort_values().tail()
    assert relative.median() <= 0.15


def test_planted_target_shift_is_found(demo_results: Path) -> None:
    """The two miRNAs whose targets were planted down in the macrophages (truth_target_shift.tsv)
    are found (tier 'all', q < 0.05, targets below the matched background); of the unshifted
    negative controls, at most one is called. The report shows the test with its source's
    release."""
    truth = _read(demo_results.parent / "resources" / "demo" / "targets" / "truth_target_shift.tsv")
    shift = _read(demo_results / "integrate" / "target_shift.tsv")
    shift = shift[shift["tier"] == "all"].set_index("miRNA")
    planted = truth.loc[truth["shifted"].astype(str) == "True", "miRNA"].tolist()
    assert planted == ["hsa-miR-143-3p", "hsa-miR-223-3p"]
    for mirna in planted:
        assert shift.loc[mirna, "q"] < 0.05, shift.loc[mirna]
        assert shift.loc[mirna, "ci_high"] < 0 or shift.loc[mirna, "median_difference"] < 0
        assert Path(demo_results.parent / shift.loc[mirna, "plot"]).is_file()
    # The demo pairs exo_<x> with mac_<x>: the planted targets fall as their miRNA rises.
    planted_rows = shift.loc[planted]
    assert (planted_rows["median_rho_targets"] < planted_rows["median_rho_background"]).all()
    controls = [m for m in shift.index if m not in planted]
    assert len(controls) >= 5
    assert (shift.loc[controls, "q"] < 0.05).sum() <= 1, shift.loc[controls, ["p", "q"]]
    candidates = _read(demo_results / "integrate" / "target_candidates.tsv").set_index("miRNA")
    assert set(planted) <= set(candidates.index)
    assert candidates.loc["hsa-miR-143-3p", "m2_markers"].startswith("CD163 +")
    html = (demo_results / "report" / "report.html").read_text()
    assert '<table id="target-shift">' in html and '<table id="target-sources">' in html
    sources = re.search(r'<table id="target-sources">.*?</table>', html, re.S).group(0)
    assert "<td>simulated</td>" in sources


def test_mirgff3_files_validate_and_hold_the_planted_tails(demo_results: Path) -> None:
    """Every mirGFF3 the workflow writes passes ``mirtop validate``; the merged file holds every
    sample; reads labelled ``iso_add3p`` match the planted A/U tails (truth_isomirs.tsv)."""
    from esccrt.smallrna.mirgff import read_mirgff, validation_errors

    folder = demo_results / "smallrna" / "mirgff"
    written = sorted(folder.glob("*.gff"))
    counts = _read(demo_results / "smallrna" / "counts.tsv")
    samples = list(counts.columns[1:])
    assert len(written) == len(samples) + 1
    assert {path.name: validation_errors(path) for path in written} == {
        path.name: 0 for path in written
    }
    header = (folder / "all_samples.gff").read_text().splitlines()[3]
    assert header == f"## COLDATA: {','.join(samples)}"
    stats = _read(folder / "mirtop_stats.tsv").set_index("category")
    assert list(stats.columns) == samples and stats.loc["iso_add3p_sum"].min() > 0
    truth_path = DEMO / "smallrna" / "truth_isomirs.tsv"
    if not truth_path.is_file():
        missing(f"{truth_path} (demo data from an older simulator: regenerate it)", DEMO_DATA)
    truth = _read(truth_path)
    for sample in samples:
        planted = truth[(truth["sample"] == sample) & (truth["added_3p"] > 0)]["reads"].sum()
        records = read_mirgff(folder / f"{sample}.gff")
        added = sum(r.expression for r in records if "iso_add3p" in r.variant)
        assert abs(added - planted) <= 0.1 * planted, (sample, added, planted)
        assert stats.loc["iso_add3p_sum", sample] == added


def test_rna_classes_recover_the_planted_fragments(demo_results: Path) -> None:
    """Each simulated RNA class's fragments land in its column, within 2 % (sequencing errors)."""
    classes = _read(demo_results / "smallrna" / "rna_classes.tsv").set_index("sample")
    planted = _read(DEMO / "smallrna" / "truth_read_classes.tsv").pivot(
        index="sample", columns="read_class", values="reads"
    )
    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    names = [entry["name"] for entry in config["smallrna"]["rna_classes"]]
    assert list(classes.columns) == ["screened", *names, "mature", "hairpin_only", "unassigned"]
    for sample in classes.index:
        for name in names:
            expected = planted.loc[sample, name]
            assert abs(classes.loc[sample, name] - expected) <= 0.02 * expected, (sample, name)
    fate = _read(demo_results / "smallrna" / "read_fate.tsv").set_index("sample")
    assert (fate[names] == classes[names]).all().all()
    mqc = (demo_results / "smallrna" / "rna_classes_mqc.tsv").read_text()
    assert "# plot_type: 'bargraph'" in mqc
    html = (demo_results / "report" / "report.html").read_text()
    assert "Small RNA: RNA classes" in html and 'id="rna-classes"' in html


def test_marker_model_is_judged_at_the_landmarks_and_reported(demo_results: Path) -> None:
    """The survival rule judged the marker Cox model at the schema's default landmarks: its
    accuracy table and apparent calibration are what the library computes from the predicted
    risks the rule wrote (the library is compared with riskRegression, dcurves and McLernon et
    al.'s R code in tests/parity), and the report shows the tables and the curves."""
    survival = demo_results / "survival"
    risks = _read(survival / "predicted_risks.tsv")
    assert set(risks["landmark"]) == {12.0, 24.0} and risks["risk"].between(0, 1).all()
    written = _read(survival / "time_dependent_accuracy.tsv")
    expected = accuracy_table(risks, {}, [12.0, 24.0])
    assert written[["endpoint", "landmark", "metric"]].equals(
        expected[["endpoint", "landmark", "metric"]]
    )
    assert np.allclose(written["estimate"], expected["estimate"], rtol=0, atol=1e-12)
    assert np.allclose(written["se"], expected["se"], rtol=0, atol=1e-12)
    curves = _read(survival / "decision_curves.tsv")
    assert set(curves["strategy"]) == {"model", "treat_all", "treat_none"}
    assert (curves.loc[curves["strategy"] == "treat_none", "net_benefit"] == 0).all()
    html = (demo_results / "report" / "report.html").read_text()
    assert '<table id="time_accuracy"' in html and '<table id="decision_curves"' in html
    assert "Decision curves: net benefit of the model, treat all and treat none" in html
    # a development run locks the model the risks came from (checksum verified on reading)
    locked = read_model_file(survival / "prognostic_model.json")
    assert sorted(m.endpoint for m in locked.models) == sorted(set(risks["endpoint"]))
    assert _read(survival / "external_validation.tsv").empty
    assert "Development run: the marker Cox model is locked in" in html
    calibration = _read(survival / "calibration.tsv")
    for (endpoint, landmark), group in risks.groupby(["endpoint", "landmark"]):
        grid = curve_grid(group["risk"])
        apparent = calibration_at(group["time"], group["event"], group["risk"], landmark, grid)
        rows = calibration[
            (calibration["endpoint"] == endpoint) & (calibration["landmark"] == landmark)
        ].set_index("metric")
        for metric, value in apparent.metrics.items():
            assert rows.loc[metric, "apparent"] == pytest.approx(value, abs=1e-9), metric
    assert (calibration["resamples_used"] > 0).all()
    assert np.allclose(calibration["corrected"], calibration["apparent"] - calibration["optimism"])
    assert '<table id="calibration"' in html
    assert "Smoothed calibration curves: apparent and optimism-corrected" in html


def test_demo_states_that_it_codes_no_competing_event(demo_results: Path) -> None:
    """The demo names no competing event: competing_risks.tsv says so for each endpoint, the
    cumulative incidence tables are empty, and the report shows the note."""
    survival = demo_results / "survival"
    models = _read(survival / "competing_risks.tsv")
    assert models[["endpoint", "note"]].values.tolist() == [["os", NONE_CODED], ["pfs", NONE_CODED]]
    assert _read(survival / "cumulative_incidence.tsv").empty
    assert _read(survival / "cumulative_incidence_curves.tsv").empty
    html = (demo_results / "report" / "report.html").read_text()
    assert '<table id="competing_risks"' in html and "no competing events coded" in html


def test_sample_qc_verdicts_pass_every_demo_library(demo_results: Path) -> None:
    """results/qc/sample_qc.tsv: one row per small-RNA library, every criterion computed (the
    genome ratio NA: no genome alignment), every demo library passing, so none excluded; in
    MultiQC and the report."""
    samples = _read(REPO_ROOT / "config" / "samples.tsv")
    smallrna = sorted(samples.loc[samples["library_type"] == "smallrna", "sample"])
    table = _read(demo_results / "qc" / "sample_qc.tsv").set_index("sample")
    assert sorted(table.index) == smallrna
    assert set(table["overall"]) == {"pass"}, table["reasons"].to_dict()
    assert set(table["transcriptome_genome_ratio_verdict"]) == {"na"}
    assert set(table["transcriptome_genome_ratio_note"]) == {"no genome alignment in this workflow"}
    for name in ("phred_q30_share", "length_share", "passing_filters_share", "mirna_share"):
        assert table[name].between(0.5, 1).all(), table[name].to_dict()
    # the planted miRNA reads (~140,000-175,000 per library) clear exceRpt's 100,000
    assert (table["transcriptome_reads"] > 100_000).all()
    assert table["outlier_robust_z"].notna().all()
    # DraculR's haemolysis metric needs more than 1,000,000 miRNA reads per library
    assert set(table["haemolysis_draculr_verdict"]) == {"na"}
    assert table["haemolysis_draculr_note"].str.contains("DraculR needs more than").all()
    # qc.exclude (default fail) keeps them all in differential expression
    gate = _read(demo_results / "smallrna" / "qc_gate.tsv").set_index("sample")
    assert gate["passed"].all() and (gate["overall"] == table["overall"]).all()
    assert _read(demo_results / "diffexp" / "smallrna" / "excluded_samples.tsv").empty
    assert "smallrna_sample_qc" in (demo_results / "qc" / "multiqc_report.html").read_text()
    html = (demo_results / "report" / "report.html").read_text()
    assert "Small RNA: sample QC verdicts" in html and 'id="sample-qc"' in html


def test_multiqc_shows_read_based_small_rna_rates_one_row_per_sample(demo_results: Path) -> None:
    """MultiQC (issue #28 item 4): the small-RNA rates are of reads (mature and hairpin-only
    reads of the screened ones, as rna_classes.tsv has them), each library's cutadapt report is
    read, and no bowtie log, so no mature_/hairpin_ row per library."""
    classes = _read(demo_results / "smallrna" / "rna_classes.tsv").set_index("sample")
    rates = pd.read_csv(
        demo_results / "smallrna" / "alignment_rates_mqc.tsv", sep="\t", comment="#"
    ).set_index("Sample")
    assert sorted(rates.index) == sorted(classes.index)
    expected = 100 * classes["mature"] / classes["screened"]
    assert np.allclose(rates["mature_percent"], expected.loc[rates.index], rtol=1e-12)
    assert (rates["mature_percent"] > 80).all()  # the demo's libraries are mostly miRNA
    read = (demo_results / "qc" / "multiqc_files.txt").read_text().split()
    for sample in classes.index:
        assert f"results/smallrna/trimmed/{sample}/lane1.cutadapt.json" in read
    assert not [path for path in read if "bowtie" in path]
    page = (demo_results / "qc" / "multiqc_report.html").read_text()
    assert "custom_content_small_rna_reads-mature_percent" in page
    assert "mature_exo_" not in page and "hairpin_exo_" not in page
