"""Real instrument files (RDML from StepOne, CFX96/384, LightCycler 96, RDML-Tools 1.4; ABI SDS,
QuantStudio, Bio-Rad CFX and LightCycler 480 exports in /work/shared/data/qpcr_real) read into
the well and long Ct tables, against the numbers their sources state, and their published
dCq/ddCq/RQ reproduced end to end through the sample map and the fold-change step.

The reference numbers and conventions are those of qpcr_real/REFERENCE_RESULTS.md (section
named in each test); the tests read the files' own columns independently with pandas/zipfile.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.qpcr.ct_import import ImportSettings, import_ct
from esccrt.qpcr.formats import detect_format, read_wells
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.replicates import apply_undetermined_rule, summarise_replicates
from prerequisites import TEST_DATA, missing
from schema_sections import qpcr_settings

SDS_CALIBRATOR = "fp1 day3 v"
SDS_ENDOGENOUS = "18S-Hs99999901_s1"
SDS_CASES = ["fp5 day3 mia", "fp6 day3 mia", "fp 7 day 3 mia", "fp 8 day 3 mia"]
SDS_CONTROLS = ["fp1 day3 v", "fp2 day3 v", "fp 3 day 3 v", "fp 4 day 3 v"]
TIDYQPCR = Path("instrument_exports") / "roche_lc480_tidyqpcr"
TIDYQPCR_RAW = "Stuart_dAgr_glyS_spoVG_5S_individualWells_Cq.txt.gz"
TIDYQPCR_CLEANED = "Stuart_dAgr_glyS_spoVG_5S_individualWells_Cq_select.txt.gz"
TIDYQPCR_CALIBRATOR = "WT_OD0.5"
#: Largest |ours - R| / |R| of test_lightcycler480_fold_changes_match_livak_in_r.
TIDYQPCR_R_TOLERANCE = 1e-12  # measured max 2.7e-14 (ddct) on 2026-12-06; float noise floor

#: Livak 2^-ddCq in R from the authors' cleaned table (well, sample_info, cq; independent of the
#: project's importer and fold-change step), with the project's convention: mean of the
#: technical replicates, dCq = Cq(target) - Cq(5S), ddCq = dCq(sample) - dCq(calibrator).
#: Arguments: cleaned table, calibrator sample, output table.
LIVAK_R = r"""
args <- commandArgs(trailingOnly = TRUE)
wells <- read.delim(gzfile(args[1]), stringsAsFactors = FALSE)
parts <- do.call(rbind, strsplit(wells$sample_info, " "))
wells$sample <- paste(parts[, 1], parts[, 2], sep = "_")
wells$target <- parts[, 3]
means <- aggregate(cq ~ sample + target, wells, mean)
reference <- setNames(means[means$target == "5S", c("sample", "cq")], c("sample", "ref"))
means <- merge(means[means$target != "5S", ], reference)
means$dct <- means$cq - means$ref
calibrator <- setNames(means[means$sample == args[2], c("target", "dct")], c("target", "dct0"))
means <- merge(means, calibrator)
means$ddct <- means$dct - means$dct0
means$fold_change <- 2^-means$ddct
out <- means[means$sample != args[2], c("sample", "target", "dct", "ddct", "fold_change")]
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
"""


@pytest.fixture(scope="module")
def qpcr_real(shared_data: Path) -> Path:
    folder = shared_data / "qpcr_real"
    if not folder.is_dir():
        missing(str(folder), TEST_DATA)
    return folder


def _import(tmp_path: Path, files: list[Path], fmt: str, rows: list[dict]) -> pd.DataFrame:
    """Long Ct table of ``files`` through a sample map of ``rows``, as the rule makes it."""
    sheet = pd.DataFrame(rows).fillna("")
    sheet_path = tmp_path / "sample_map.tsv"
    sheet.to_csv(sheet_path, sep="\t", index=False)
    settings = ImportSettings([str(f) for f in files], fmt, str(sheet_path), ["Undetermined"])
    return import_ct(settings)[0]


def _fold_changes(
    tmp_path: Path, long: pd.DataFrame, targets, references, **keys
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fold changes, replicate QC) of the qPCR rule's step on ``long``, with a ``qpcr`` config
    section of these targets, references and keys (schema defaults for the rest)."""
    path = tmp_path / "ct_long.tsv"
    long.to_csv(path, sep="\t", index=False)
    results = run_qpcr(path, qpcr_settings(list(targets), list(references), **keys))
    return results.fold_changes, results.replicate_qc


def _sds_tables(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SDS export's well table and its Summary Data block, read with pandas."""
    lines = path.read_text().splitlines()
    wells = pd.read_csv(path, sep="\t", skiprows=12, nrows=768, dtype=str, keep_default_na=False)
    header = next(i for i, line in enumerate(lines) if line.startswith("PlateID\tSample\t"))
    summary = pd.read_csv(io.StringIO("\n".join(lines[header:])), sep="\t", dtype=str)
    return wells, summary.dropna(subset=["RQ"])


def test_abi_sds_summary_block_reproduced(qpcr_real: Path, tmp_path: Path) -> None:
    """2a: SDS 2.1's own dCt, ddCt and RQ per sample x detector (calibrator fp1 day3 v, 18S).

    SDS computed its summary from the ``Ct Avg`` column, which holds 40 for the 99 Undetermined
    wells (the fold-change step's ``set_to_limit`` at 40 does the same) and, in 25 other wells,
    another number than ``Ct`` (the calibrator's 1, 2, 10, 20, 30, 40 ...). Every summary row
    whose four wells (sample and calibrator, detector and 18S) are free of those 25 is compared:
    546 of the 694 rows with values. SDS prints small RQs with 3 digits (``2.34E-04``).
    """
    path = qpcr_real / "instrument_exports" / "abi_sds_normqpcr" / "example.txt"
    assert detect_format(path) == "abi_sds"
    raw, summary = _sds_tables(path)
    wells = read_wells(path, "abi_sds")
    assert len(wells) == 768 and wells["run"].nunique() == 2  # two cards, wells 1-384 each
    assert int(wells["no_cq"].sum()) == int((raw["Ct"] == "Undetermined").sum()) == 99
    others = [s for s in SDS_CONTROLS + SDS_CASES if s != SDS_CALIBRATOR]
    rows = [{"sample": SDS_CALIBRATOR, "patient": s, "timepoint": "pre"} for s in others]
    rows += [{"sample": s, "patient": s, "timepoint": "post"} for s in others]
    long = _import(tmp_path, [path], "abi_sds", rows)
    targets = sorted(set(long["target"]) - {SDS_ENDOGENOUS})
    fc, _ = _fold_changes(tmp_path, long, targets, [SDS_ENDOGENOUS], ct_limit=40)
    undetermined_as_40 = (raw["Ct"] == "Undetermined") & (raw["Ct Avg"] == "40")
    agree = ((raw["Ct"] == raw["Ct Avg"]) | undetermined_as_40).set_axis(
        pd.MultiIndex.from_frame(raw[["Sample", "Detector"]])
    )
    merged = summary.merge(fc, left_on=["Sample", "Detector"], right_on=["patient", "target"])
    clean = [
        all(agree[(s, d)] for s in (sample, SDS_CALIBRATOR) for d in (detector, SDS_ENDOGENOUS))
        for sample, detector in zip(merged["Sample"], merged["Detector"], strict=True)
    ]
    compared = merged[clean]
    assert len(summary) == 694 and len(compared) == 546
    # measured max 2.0e-6 (dCt) and 3.7e-6 (ddCt) on 2026-12-06; were 1e-5
    assert np.allclose(compared["Avg delta Ct"].astype(float), compared["dct_post"], atol=4e-6)
    assert np.allclose(compared["delta delta Ct"].astype(float), compared["ddct"], atol=7e-6)
    # measured max 1.77e-3 relative on 2026-12-06 (SDS prints RQ with 3 digits)
    assert np.allclose(compared["RQ"].astype(float), compared["fold_change"], rtol=2.5e-3)
    example = compared.set_index(["Sample", "Detector"]).loc[
        ("fp5 day3 mia", "Adipoq-Rn00595250_m1")
    ]
    # measured 2.4e-7 on 2026-12-06
    assert example["fold_change"] == pytest.approx(0.11930086, rel=4e-7)


def test_abi_sds_normqpcr_group_ddcq(qpcr_real: Path, tmp_path: Path) -> None:
    """2a: NormqPCR deltaDeltaCq(hkgs = Actb, B2m, Gapdh, arith/arith), mia vs v, reproduced
    with the four samples of each group as the replicates of one 'patient'."""
    path = qpcr_real / "instrument_exports" / "abi_sds_normqpcr" / "example.txt"
    rows = [{"sample": s, "patient": "mia", "timepoint": "post"} for s in SDS_CASES]
    rows += [{"sample": s, "patient": "mia", "timepoint": "pre"} for s in SDS_CONTROLS]
    long = _import(tmp_path, [path], "abi_sds", rows)
    genes = {t.split("-")[0]: t for t in set(long["target"])}
    references = [genes["Actb"], genes["B2m"], genes["Gapdh"]]
    fc, _ = _fold_changes(
        tmp_path,
        long,
        [genes["Adipoq"], genes["Agtrl1"], genes["Alpl"]],
        references,
        ct_limit=45,
        undetermined="exclude",
    )
    published = [0.150497255530234, 0.700597907024805, 0.909381199520663]
    # measured 5.7e-15 on 2026-12-06 (float noise floor; was 1e-9)
    assert fc["fold_change"].to_numpy() == pytest.approx(published, rel=1e-12)


def test_abi_sds_ddct_package_experiment1(qpcr_real: Path, tmp_path: Path) -> None:
    """2b: ddCt package (mean summary; calibrator Sample1; housekeepers Gene1 + Gene2)."""
    path = qpcr_real / "instrument_exports" / "abi_sds_ddct" / "Experiment1.txt"
    rows = [
        {"sample": "Sample1", "patient": "P", "timepoint": "pre"},
        {"sample": "Sample2", "patient": "P", "timepoint": "post"},
    ]
    long = _import(tmp_path, [path], "auto", rows)
    fc, qc = _fold_changes(tmp_path, long, ["Gene3"], ["Gene1", "Gene2"], ct_limit=40)
    row = fc.iloc[0]
    # measured 3.3e-7, 3.3e-8, 5.0e-7, 1.3e-10 (relative) on 2026-12-06; were 1e-6, 1e-8
    assert row["dct_pre"] == pytest.approx(-1.564486, abs=6e-7)
    assert row["dct_post"] == pytest.approx(0.1378928, abs=6e-8)
    assert row["ddct"] == pytest.approx(1.702378, abs=1e-6)
    assert row["fold_change"] == pytest.approx(0.3072790897, rel=2.5e-10)
    means = qc.set_index(["timepoint", "target"])
    # measured 1.0e-6 and 3.3e-7 on 2026-12-06; were 1e-5
    assert means.at[("pre", "Gene1"), "mean_ct"] == pytest.approx(38.57177, abs=2e-6)
    assert means.at[("post", "Gene2"), "mean_ct"] == pytest.approx(37.85585, abs=6e-7)
    # ddCt's Ct.error is the standard error of the 3 wells
    # measured 1.05e-8 on 2026-12-06; was 1e-6
    assert means.at[("post", "Gene3"), "sd_ct"] / np.sqrt(3) == pytest.approx(0.6452858, abs=2e-8)


def test_quantstudio_comparative_ct_reproduced(qpcr_real: Path, tmp_path: Path) -> None:
    """2c: QuantStudio 5's own Delta Ct Mean, Delta Delta Ct and RQ (ACTB + GAPDH, reference
    sample AiW002-2-D0), every row of the table. The instrument computes from unrounded Ct and
    prints 3 decimals: the same within 0.0015 cycles."""
    folder = qpcr_real / "instrument_exports" / "quantstudio_autoqpcr"
    path = folder / "RELATIVE_example.csv"
    assert detect_format(path) == "quantstudio"
    reference = "AiW002-2-D0"
    others = ["AiW002-2-D7", "KYOU-D0", "KYOU-D7"]
    rows = [{"sample": reference, "patient": s, "timepoint": "pre"} for s in others]
    rows += [{"sample": s, "patient": s, "timepoint": "post"} for s in others]
    long = _import(tmp_path, [path], "auto", rows)
    assert len(long) == 90  # 60 wells, the reference sample's 15 used by three comparisons
    fc, _ = _fold_changes(
        tmp_path, long, ["PAX6", "CAMK2A", "GRIN1"], ["ACTB", "GAPDH"], ct_limit=40
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    raw = pd.read_csv(io.StringIO("\n".join(lines[46:])), dtype=str).dropna(subset=["Well"])
    instrument = raw.groupby(["Target Name", "Sample Name"]).first()
    for row in fc.itertuples():
        published = instrument.loc[(row.target, row.patient)]
        # measured max 8.3e-4 (dCt, ddCt), 3.3e-4 (dCt pre; was 1.5e-3), RQ 1.35e-3 absolute /
        # 8.9e-3 relative on 2026-12-06 (the instrument prints 3 decimals)
        assert row.dct_post == pytest.approx(float(published["Delta Ct Mean"]), abs=1.5e-3)
        assert row.ddct == pytest.approx(float(published["Delta Delta Ct"]), abs=1.5e-3)
        assert row.fold_change == pytest.approx(float(published["RQ"]), rel=1.5e-3, abs=6e-4)
        assert row.dct_pre == pytest.approx(
            float(instrument.loc[(row.target, reference), "Delta Ct Mean"]), abs=6e-4
        )
    grin1 = fc.set_index(["patient", "target"]).loc[("KYOU-D0", "GRIN1")]
    # measured 8.3e-4 on 2026-12-06
    assert grin1["ddct"] == pytest.approx(5.892, abs=1.5e-3)


def test_quantstudio_standard_curve_wells(qpcr_real: Path) -> None:
    """2c: QuantStudio 3 standard-curve export: 22 standards, 72 unknowns, CT as written, and
    the instrument's slope -3.918 / efficiency 79.973 % from the standard wells' CT."""
    path = qpcr_real / "instrument_exports" / "quantstudio_autoqpcr" / "2019-04-25_124559-GAPDH.csv"
    wells = read_wells(path, "auto")
    raw = pd.read_csv(io.StringIO("\n".join(path.read_text().splitlines()[46:])), dtype=str)
    assert wells["task"].value_counts().to_dict() == {"UNKNOWN": 72, "STANDARD": 22}
    # measured: equal on 2026-12-06
    assert np.allclose(wells["cq"], raw["CT"].astype(float), rtol=1e-12, atol=0)
    standards = wells["task"] == "STANDARD"
    quantity = raw.loc[standards.to_numpy(), "Quantity"].astype(float)
    slope, _ = np.polyfit(np.log10(quantity), wells.loc[standards, "cq"], 1)
    # measured 5.0e-4 and 3.3e-3 on 2026-12-06; efficiency was 0.01
    assert slope == pytest.approx(-3.918, abs=1e-3)
    assert 100 * (10 ** (-1 / slope) - 1) == pytest.approx(79.973, abs=6e-3)


def test_cfx_replicate_means_match_the_instrument(qpcr_real: Path) -> None:
    """2d: CFX's Cq Mean / Cq Std. Dev per replicate group (Target, Content, Sample) from the
    project's replicate summary: 159 groups with a mean, 157 within 0.006 (CFX uses unrounded Cq
    for the other two, whose SD differs by <= 0.007)."""
    path = qpcr_real / "instrument_exports" / "htqpcr_cfx_lightcycler" / "CFX_sample.txt"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    wells = read_wells(path, "auto")
    assert len(wells) == 330 and int(wells["no_cq"].sum()) == int((raw["Cq"] == "N/A").sum()) == 10
    assert wells["task"].value_counts().to_dict() == {"UNKNOWN": 282, "STANDARD": 42, "NEGATIVE": 6}
    table = pd.DataFrame(
        {
            "patient": wells["sample"],
            "timepoint": wells["task_raw"],
            "target": wells["target"],
            "replicate": wells["well"],
            "ct": wells["cq"],
            "undetermined": wells["no_cq"],
        }
    )
    summary = summarise_replicates(apply_undetermined_rule(table, "exclude", 45), 0.5, False)
    instrument = raw.groupby(["Sample", "Content", "Target"])[["Cq Mean", "Cq Std. Dev"]].first()
    joined = summary.set_index(["patient", "timepoint", "target"]).join(
        instrument.astype(float).rename_axis(["patient", "timepoint", "target"])
    )
    joined = joined[joined["Cq Mean"] > 0]  # CFX writes 0.00 where a group has no mean
    mean_ok = (joined["mean_ct"] - joined["Cq Mean"]).abs() <= 0.006
    sd_diff = (joined["sd_ct"].fillna(0) - joined["Cq Std. Dev"]).abs()
    assert len(joined) == 159 and mean_ok.all()
    assert int((sd_diff <= 0.006).sum()) == 157 and sd_diff.max() <= 0.007


def test_lightcycler480_abs_quant_demo(qpcr_real: Path) -> None:
    """2d: LC480 export with CR line endings: 384 wells, 77 with Cp, standards 1 ... 1e6."""
    path = qpcr_real / "instrument_exports" / "htqpcr_cfx_lightcycler" / "LightCycler_sample.txt"
    wells = read_wells(path, "auto")
    assert len(wells) == 384 and int((~wells["no_cq"]).sum()) == 77
    standards = wells[wells["task"] == "STANDARD"]
    assert len(standards) == 35
    assert sorted(standards["task_raw"].astype(float).unique()) == [10.0**k for k in range(7)]
    first = wells.set_index("well").loc["A1"]
    assert (first["sample"], first["cq"]) == ("Sample 1", 16.13)


def _tidyqpcr_sample_map(path: Path, calibrator: str | None) -> list[dict]:
    """Sample-map rows of the tidyqpcr LC480 export ("WT OD1.5 glyS": sample WT_OD1.5, target
    glyS; the export names no target); the six unnamed wells are declared NTC. Without a
    calibrator, each sample is one patient at timepoint "t"; with one, every other sample is a
    patient whose "pre" is the calibrator's wells and "post" its own."""
    names = sorted(set(read_wells(path, "lightcycler480")["sample"]))
    named = [name.split() for name in names if len(name.split()) == 3]
    samples = sorted({f"{strain}_{od}" for strain, od, _ in named} - {calibrator})
    rows = [
        {"sample": name, "patient": "", "timepoint": "", "task": "NTC"}
        for name in names
        if len(name.split()) != 3
    ]
    for strain, od, target in named:
        sample = f"{strain}_{od}"
        row = {"sample": f"{strain} {od} {target}", "patient": sample, "target": target}
        if calibrator is None:
            rows.append({**row, "timepoint": "t"})
        elif sample != calibrator:
            rows.append({**row, "timepoint": "post"})
        else:
            rows += [{**row, "patient": other, "timepoint": "pre"} for other in samples]
    return rows


def test_lightcycler480_fold_changes_match_livak_in_r(qpcr_real: Path, tmp_path: Path) -> None:
    """2e: the project's import and fold-change step on the raw LC480 export (reference 5S,
    calibrator WT_OD0.5 as every sample's "pre") against 2^-ddCq computed by R, run here, from
    the authors' cleaned table: all 18 sample x target rows (the published tidyqpcr table uses
    medians of the wells, which the project does not; see the next test)."""
    path = qpcr_real / TIDYQPCR / TIDYQPCR_RAW
    long = _import(
        tmp_path, [path], "lightcycler480", _tidyqpcr_sample_map(path, TIDYQPCR_CALIBRATOR)
    )
    fc, _ = _fold_changes(tmp_path, long, ["glyS", "spoVG"], ["5S"], ct_limit=40)
    assert shutil.which("Rscript"), "Rscript is not installed: run `make test-tools`"
    script, out = tmp_path / "livak.R", tmp_path / "livak_r.tsv"
    script.write_text(LIVAK_R)
    cleaned = qpcr_real / TIDYQPCR / TIDYQPCR_CLEANED
    subprocess.run(
        ["Rscript", str(script), str(cleaned), TIDYQPCR_CALIBRATOR, str(out)],
        check=True,
        capture_output=True,
    )
    r = pd.read_csv(out, sep="\t").set_index(["sample", "target"])
    ours = fc.set_index(["patient", "target"]).reindex(r.index)
    assert len(r) == 18 and ours["fold_change"].notna().all()
    for column, r_column in (("dct_post", "dct"), ("ddct", "ddct"), ("fold_change", "fold_change")):
        relative = ((ours[column] - r[r_column]) / r[r_column]).abs().max()
        print(f"{column}: max |ours - R| / |R| {relative:.3g}")
        assert relative <= TIDYQPCR_R_TOLERANCE, column


def test_lightcycler480_tidyqpcr_delta_cq(qpcr_real: Path, tmp_path: Path) -> None:
    """2e: the project's import of the raw LC480 export reproduces tidyqpcr's published 30-row
    table (reference 5S; reference sample WT_OD0.5; ddcq = ref - sample). tidyqpcr summarises the
    wells by medians, which the project's fold-change step does not do (it takes means: up to
    0.43 cycles apart here, WT_OD1.5 glyS having one outlying well), so this test applies
    tidyqpcr's convention to the imported wells: it checks the import against the published
    numbers, and the test above checks the fold changes."""
    path = qpcr_real / TIDYQPCR / TIDYQPCR_RAW
    long = _import(tmp_path, [path], "lightcycler480", _tidyqpcr_sample_map(path, None))
    cleaned = pd.read_csv(qpcr_real / TIDYQPCR / TIDYQPCR_CLEANED, sep="\t")
    same = cleaned.merge(long, on="well")
    # measured: equal on 2026-12-06
    assert len(long) == len(same) == 90 and np.allclose(
        same["cq"], same["ct"].astype(float), rtol=1e-12, atol=0
    )
    long["cq"] = long["ct"].astype(float)
    reference = long[long["target"] == "5S"].groupby("patient")["cq"].median()
    long["delta"] = long["cq"] - long["patient"].map(reference)
    delta = long.groupby(["patient", "target"])["delta"].median()
    long["ddcq"] = long["target"].map(delta.loc["WT_OD0.5"]) - long["delta"]
    ddcq = long.groupby(["patient", "target"])["ddcq"].median()
    published = {
        ("WT_OD1.5", "glyS"): (9.71, -0.72, 0.6071),
        ("WT_OD1.5", "spoVG"): (7.98, 0.65, 1.5690),
        ("WT_OD3", "glyS"): (10.74, -1.75, 0.2973),
        ("WT_OD6", "spoVG"): (7.16, 1.47, 2.7700),
        ("WT_ODON", "glyS"): (14.32, -5.33, 0.02486),
        ("dAgr_OD0.5", "spoVG"): (8.46, 0.17, 1.1250),
        ("dAgr_OD3", "spoVG"): (7.93, 0.70, 1.6250),
        ("dAgr_ODON", "glyS"): (13.57, -4.58, 0.04181),
    }
    for key, (dcq, ddcq_published, fold) in published.items():
        # measured 1.8e-15, 3.6e-15 and 3.0e-4 (relative, fold) on 2026-12-06; were 0.005,
        # 0.005, 2e-3
        assert delta[key] == pytest.approx(dcq, abs=1e-12)
        assert ddcq[key] == pytest.approx(ddcq_published, abs=1e-12)
        assert 2 ** ddcq[key] == pytest.approx(fold, rel=6e-4)


def _rdml_cq_texts(path: Path) -> list[str]:
    """Every <cq> text of an RDML file, read with zipfile and a regular expression."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        text = archive.read("rdml_data.xml" if "rdml_data.xml" in names else names[0]).decode()
    return re.findall(r"<cq>([^<]*)</cq>", text)


@pytest.mark.parametrize(
    ("folder", "name", "reactions", "no_cq", "marker"),
    [
        ("pcruniversum_RDML", "stepone_std.rdml", 24, 3, lambda cq: cq == 40.0),  # 40 cycles
        ("pcruniversum_RDML", "BioRad_384.rdml", 48, 0, None),
        ("pcruniversum_RDML", "BioRad_qPCR_melt.rdml", 60, 34, None),  # no <cq> element
        ("pcruniversum_RDML", "lc96_bACTXY.rdml", 384, 64, lambda cq: cq >= 50),  # 58 x 100
        ("rdml-tools", "two_plate_correction.rdml", 576, 22, lambda cq: cq == -1.0),
        ("rdml-tools", "six_plate_correction.rdml", 245, 1, lambda cq: cq == 0.0),
        ("rdml-tools", "absolute.rdml", 96, 12, lambda cq: cq == -1.0),
        ("rdml-tools", "sample.rdml", 90, 8, lambda cq: cq == 40.0),  # 40 cycles
    ],
)
def test_rdml_files_their_no_cq_markers_and_long_tables(
    qpcr_real: Path, tmp_path: Path, folder: str, name: str, reactions: int, no_cq: int, marker
) -> None:
    """3: every RDML file: reaction count; each software's "no Cq" marker read as no Cq (and
    nothing else: the other <cq> values are kept as written); every unknown well that is not
    excluded reaches the long table, one patient per sample."""
    path = qpcr_real / "rdml" / folder / name
    assert detect_format(path) == "rdml"
    wells = read_wells(path, "auto")
    assert len(wells) == reactions
    assert int(wells["no_cq"].sum()) == no_cq
    written = [float(t) for t in _rdml_cq_texts(path)]
    markers = [cq for cq in written if marker and marker(cq)]
    missing = int((wells["flags"] == "no_cq_element").sum())
    assert len(markers) + missing == no_cq
    kept = sorted(wells.loc[~wells["no_cq"], "cq"])
    # measured: equal on 2026-12-06
    assert np.allclose(
        kept, sorted(cq for cq in written if not (marker and marker(cq))), rtol=1e-12, atol=0
    )
    unknown = wells[(wells["task"] == "UNKNOWN") & ~wells["omitted"]]
    rows = [{"sample": s, "patient": f"P-{s}", "timepoint": "t"} for s in set(unknown["sample"])]
    long = _import(tmp_path, [path], "rdml", rows)
    assert len(long) == len(unknown)
    assert (long["ct"] == "Undetermined").sum() == int(unknown["no_cq"].sum())
    numbers = pd.to_numeric(long["ct"], errors="coerce").dropna()
    assert np.allclose(numbers, unknown.loc[~unknown["no_cq"], "cq"], rtol=1e-12, atol=0)


def test_rdml_biorad_384_means_and_a_ddcq_through_the_fold_changes(
    qpcr_real: Path, tmp_path: Path
) -> None:
    """3a: CFX384 RDML 1.1: mean Cq per target x sample, then Compound A vs Placebo with the
    file's reference target Liver through the fold-change step."""
    path = qpcr_real / "rdml" / "pcruniversum_RDML" / "BioRad_384.rdml"
    wells = read_wells(path, "rdml")
    means = wells.groupby(["target", "sample"])["cq"].mean()
    stated = {
        ("Brain", "Placebo"): 17.5930, ("Brain", "Compound A"): 18.2750,
        ("Brain", "Compound A/B"): 19.3026, ("Liver", "Placebo"): 18.6102,
        ("Liver", "Compound A/B"): 20.3504, ("Kidney", "Compound A"): 20.2794,
        ("GAPDH", "dil-1"): 17.3121, ("GAPDH", "dil-3"): 23.8362,
    }  # fmt: skip
    for key, value in stated.items():
        # measured max 4.9e-5 on 2026-12-06; was 1e-4
        assert means[key] == pytest.approx(value, abs=9e-5)
    rows = [
        {"sample": "Placebo", "patient": "A", "timepoint": "pre"},
        {"sample": "Compound A", "patient": "A", "timepoint": "post"},
        {"sample": "Compound A/B", "patient": "AB", "timepoint": "post"},
        {"sample": "Placebo", "patient": "AB", "timepoint": "pre"},
    ]
    long = _import(tmp_path, [path], "rdml", rows)
    fc, _ = _fold_changes(tmp_path, long, ["Brain", "Kidney"], ["Liver"], ct_limit=40)
    brain = fc.set_index(["patient", "target"]).loc[("A", "Brain")]
    expected = (18.2750 - 19.3305) - (17.5930 - 18.6102)
    # measured 6.2e-6 on 2026-12-06; was 2e-4
    assert brain["ddct"] == pytest.approx(expected, abs=1.2e-5)


def test_rdml_stepone_and_rdml_tools_sample_stated_values(qpcr_real: Path) -> None:
    """3a/3b: StepOne RDML 1.0 (migrated): pop means, standard curve = the file's 93.91 %;
    RDML-Tools sample.rdml (v1.4): the stated means, its 9 excluded wells marked omitted."""
    stepone = read_wells(qpcr_real / "rdml" / "pcruniversum_RDML" / "stepone_std.rdml", "rdml")
    pops = stepone.groupby("sample")["cq"].agg(["mean", "std"])
    # measured 4.3e-6, 9.4e-6, 4.3e-5, 1.6e-3 (efficiency) on 2026-12-06; were 1e-4, 0.01
    assert pops.loc["pop1_RNase P", "mean"] == pytest.approx(28.9238, abs=8e-6)
    assert pops.loc["pop1_RNase P", "std"] == pytest.approx(0.0737, abs=1.8e-5)
    assert pops.loc["pop2_RNase P", "mean"] == pytest.approx(27.9589, abs=8e-5)
    standards = stepone[stepone["task"] == "STANDARD"]
    quantity = standards["sample"].str.rsplit("_", n=1).str[1].astype(float)
    slope, _ = np.polyfit(np.log10(quantity), standards["cq"], 1)
    assert 100 * (10 ** (-1 / slope) - 1) == pytest.approx(93.91181, abs=3e-3)
    assert set(stepone.loc[stepone["task"] == "NTC", "no_cq"]) == {True}
    sample = read_wells(qpcr_real / "rdml" / "rdml-tools" / "sample.rdml", "rdml")
    assert int(sample["omitted"].sum()) == 9
    means = sample.groupby(["target", "sample"])["cq"].mean()
    stated = {
        "Exon 1": (22.975, 23.600, 25.075, 28.100),
        "ZNF80": (21.650, 22.025, 22.100, 25.600),
        "GPR15": (21.800, 22.175, 22.175, 25.375),
    }
    for target, values in stated.items():
        got = [means[(target, s)] for s in ("gDNA", "1", "2", "SJ-NB-6")]
        # measured: equal (7.1e-15) on 2026-12-06; were 1e-3
        assert got == pytest.approx(list(values), abs=1e-12)
    assert means[("ZNF80", "NTC")] == pytest.approx(35.35, abs=1e-12)


def test_lightcycler480_calibration_plate_efficiencies(qpcr_real: Path) -> None:
    """2e: tidyqpcr's primer efficiencies (lm(cq ~ log2(dilution) + biol_rep) on the +RT
    wells, efficiency = -slope) from the 384-well LC480 export and the vignette's plate layout."""
    folder = qpcr_real / "instrument_exports" / "roche_lc480_tidyqpcr"
    wells = read_wells(folder / "Edward_qPCR_Nrd1_calibration_2019-02-02_Cq.txt.gz", "auto")
    assert len(wells) == 384 and int(wells["no_cq"].sum()) == 105
    published = {
        "ECM38_1": 0.923, "ECM38_2": 0.958, "ECM38_3": 1.15, "FET5_1": 1.05, "FET5_3": 1.09,
        "FET5_4": 1.09, "GPT2_1": 1.14, "GPT2_4": 1.08, "ILV5_1": 1.04, "ILV5_4": 1.09,
        "NRD1_1": 0.998, "NRD1_2": 1.08, "RDL1_4": 1.06, "RDL1_5": 1.03, "TFS1_1": 1.03,
        "TFS1_5": 1.18,
    }  # fmt: skip
    row_target = dict(zip("ABCDEFGHIJKLMNOP", published, strict=True))
    column = wells["well"].str[1:].astype(int)
    layout = pd.DataFrame(
        {
            "target": wells["well"].str[0].map(row_target),
            "dilution": ((column - 1) % 6).map({0: 1, 1: 0.2, 2: 0.04, 3: 0.008}),
            "biol_rep_b": (column > 12).astype(float),
            "cq": wells["cq"],
        }
    ).dropna()  # +RT wells with a Cq (-RT and NT have no dilution)
    for target, group in layout.groupby("target"):
        design = np.column_stack(
            [np.ones(len(group)), np.log2(group["dilution"]), group["biol_rep_b"]]
        )
        coefficients = np.linalg.lstsq(design, group["cq"].to_numpy(), rcond=None)[0]
        digits = 3 if published[target] < 1 else 2
        assert round(-coefficients[1], digits) == published[target], target
    assert len(layout[layout["target"] == "ECM38_1"]) == 15
