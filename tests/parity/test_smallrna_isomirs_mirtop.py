"""isomiR level vs mirtop 0.4.30 (issue 28, item 7): rule smallrna_isomirs's entry point
(:func:`esccrt.smallrna.isomir_matrix.run`) on the same mirGFF3 files as ``mirtop counts``.

Files: a merged mirGFF3 built by the summary stage's own merge
(:func:`esccrt.smallrna.summary.merged_mirgff`) from six synthetic samples' per-sample files
(bench/aggregate_inputs.py: 5'/3' isomiRs, A/U additions and private substitutions at any seed
position), run through the ``mirtop counts`` command; and mirtop's own test files (its
``correct_file.gff`` and ``2samples.gff``, and the sim_isomir file, md5 equal to nf-core/smrnaseq's
snapshot, and the two-sample merge file that mirtop 0.4.30 wrote), through the function the
command calls (``mirtop.gff.convert.convert_gff_counts``).

Measured: every isomiR and every sample equal (max abs difference 0 reads; 1,778 isomiRs x 6
samples in the synthetic merge, 2 to 23 isomiRs in mirtop's files); the filtered matrix equal to
mirtop's table filtered alike (2, 40 and 5 isomiRs kept with >= 10 reads in >= 2 samples, the
schema's filter, >= 2 in >= 2 and >= 1 in >= 3); every isomiR's variant types equal to mirtop's
parser (``mirtop.gff.body.read_variant``); every seed flag equal to what mirtop's parsing of the
Variant implies (a 5' shift, or a substitution placed by
``mirtop.mirna.realign.align_from_variants`` in mirtop's seed region, nt 3-8: where its
``formatGFF`` labels a substitution ``iso_snv_seed``; ``seed_changed_2_8`` alike for nt 2-8), and
without a 5' change the flag is mirtop's ``iso_snv_seed`` label itself (helpers:
isomir_mirtop_tools.py). 406 of the 1,778 synthetic isomiRs have a changed seed region, 16 more
a changed nt 2-8 (a substitution at nt 2, mirtop's ``iso_snv``); 4 of 12, 0 of 3 and 19 of 23
isomiRs of mirtop's files. One exception, explained by mirtop's own code: its label of a read
aligned with a leading deletion (:data:`SEED_KEPT_DESPITE_ISO_5P`). The demo's 9,607 isomiRs:
test_smallrna_counts.py.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from argparse import Namespace
from dataclasses import replace
from pathlib import Path

import aggregate_inputs
import aggregate_run
import numpy as np
import pandas as pd
import pytest
from esccrt import paths
from esccrt.smallrna.isomir_matrix import IsomirInputs, IsomirOutputs, run
from esccrt.smallrna.mirgff import quiet_mirtop_import
from esccrt.smallrna.settings import IsomirSettings, SummarySettings, step_section
from esccrt.smallrna.summary import merged_mirgff
from isomir_mirtop_tools import (
    arm_coordinates,
    assert_seed_flags_are_mirtops_labels,
    expected_labels,
    our_labels,
)
from schema_sections import smallrna_section

MIRTOP = ("smallrna_refs", "mirtop")
#: mirtop's own files (under smallrna_refs/mirtop/), by a short name.
MIRTOP_FILES = {
    "correct_file": "mirtop_repo/data/examples/gff/correct_file.gff",
    "2samples": "mirtop_repo/data/examples/gff/2samples.gff",
    "merge": "generated_mirtop_0.4.30/merge/samples1_samples2.mirtop.gff",
    "sim_isomir": "generated_mirtop_0.4.30/sim_isomir/sample_sim_isomir_bam_mirtop.gff",
}
SYNTHETIC_SAMPLES, SYNTHETIC_DETECTED = 6, (60, 120)
#: isomiRs whose seed flag differs from what mirtop's Variant implies, by file and UID: the read
#: AGAGGTAGTAGGTTGTATAGTT of merge/samples1.sam, aligned with a leading deletion (``1D22M``,
#: MD ``^A0T21``): let-7a-5p with a substitution at nt 1 in truth, its nt 3-8 (AGGTAG) the
#: mature's own. mirtop 0.4.30 takes the alignment's reference start, the deleted base, as the
#: read's 5' end (``mirtop.bam.bam._analyze_line``: ``start = line.reference_start``), hence
#: ``iso_5p:-1``; ``mirtop.bam.filter.tune`` then drops the read's leading gap but not the
#: deleted reference base (``if seq.startswith("-"): seq = seq[1:]``), so every later position
#: is compared one base off and the Variant has every substitution class, iso_snv_seed too.
SEED_KEPT_DESPITE_ISO_5P = {"merge": {"iso-22-FKVLRYVPQ"}}


def _settings(**thresholds: int) -> IsomirSettings:
    """The schema's settings (what a user who sets nothing gets), thresholds changed."""
    return replace(
        IsomirSettings.from_config(step_section(smallrna_section(), "isomirs")), **thresholds
    )


def _annotate(shared_data: Path) -> Path:
    return shared_data.joinpath(*MIRTOP, "mirtop_repo", "data", "examples", "annotate")


def mirtop_counts(tsv: Path) -> pd.DataFrame:
    """``mirtop counts``'s table: one row per isomiR (miRNA, Variant, UID, Read), one column per
    sample (mirtop writes several samples as one tab-joined, quoted column); the rows of an
    isomiR that mirtop kept (distinct rows) added up."""
    with open(tsv, newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    header, body = rows[0], rows[1:]
    samples = header[-1].split("\t")
    keys = [(r[2], r[3], r[0], r[1]) for r in body]
    values = [[int(v) for v in r[-1].split("\t")] for r in body]
    table = pd.DataFrame(values, columns=samples, index=pd.MultiIndex.from_tuples(keys))
    return table.groupby(level=[0, 1, 2, 3]).sum()


def ours(counts_tsv: Path) -> pd.DataFrame:
    """Our matrix indexed as :func:`mirtop_counts` (the feature is ``mature|Variant|UID``)."""
    table = pd.read_csv(counts_tsv, sep="\t", keep_default_na=False, dtype={"feature": str})
    labels = pd.read_csv(counts_tsv.with_name("labels.tsv"), sep="\t", keep_default_na=False)
    reads = dict(zip(labels["feature"], labels["read"], strict=True))
    parts = [f.split("|") for f in table["feature"]]
    index = pd.MultiIndex.from_tuples(
        [(m, v, u, reads[f]) for f, (m, v, u) in zip(table["feature"], parts, strict=True)]
    )
    return table.drop(columns=["feature", "name"]).set_axis(index).sort_index()


def run_ours(gff: Path, mature: Path, out: Path, settings: IsomirSettings) -> IsomirOutputs:
    """Rule smallrna_isomirs's entry point on ``gff``."""
    outputs = IsomirOutputs(out / "counts.tsv", out / "labels.tsv", out / "filter.tsv")
    run(settings, IsomirInputs(gff, mature), outputs)
    return outputs


def filtered(table: pd.DataFrame, settings: IsomirSettings) -> pd.DataFrame:
    """``table``'s rows kept by the isomiR filter, applied to mirtop's table here."""
    enough = (table >= settings.min_reads).sum(axis=1) >= settings.min_samples
    return table[enough]


def write_fasta(path: Path, sequences: dict[str, str]) -> Path:
    path.write_text("".join(f">{name}\n{seq}\n" for name, seq in sequences.items()))
    return path


def mirtop_references(annotate: Path) -> tuple[dict, dict]:
    """mirtop's reading of its test hairpins and GFF3: (hairpin sequences, {hairpin: {mature:
    [start, end]}}, 0-based, end included)."""
    with quiet_mirtop_import():
        from mirtop.mirna.fasta import read_precursor
        from mirtop.mirna.mapper import read_gtf_to_precursor

    return read_precursor(str(annotate / "hairpin.fa"), "hsa"), read_gtf_to_precursor(
        str(annotate / "hsa.gff3")
    )


def mature_sequences(hairpins: dict, coordinates: dict) -> dict[str, str]:
    """Each mature miRNA's sequence as mirtop cuts it from its hairpin."""
    from mirtop.mirna.realign import get_mature_sequence

    return {
        mature: get_mature_sequence(hairpins[hairpin], span, exact=True)
        for hairpin, matures in coordinates.items()
        for mature, span in matures.items()
    }


# ------------------------------------------------------------ the stage's own merged mirGFF3


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, shared_data) -> dict:
    """Six synthetic samples merged by the summary stage, our matrix of all isomiRs and of the
    schema's filter, and ``mirtop counts`` run as a command on the same file."""
    folder = tmp_path_factory.mktemp("isomir_cohort")
    samples = aggregate_inputs.write_cohort(folder, SYNTHETIC_SAMPLES, SYNTHETIC_DETECTED)
    inputs, outputs = aggregate_run.summary_paths(folder, samples)
    outputs.mirgff.parent.mkdir(parents=True, exist_ok=True)
    summary = SummarySettings.from_config(step_section(smallrna_section(), "summary"))
    merged_mirgff(summary, samples, inputs, outputs)
    annotate = _annotate(shared_data)
    mirtop_out = folder / "mirtop"
    command = [
        str(Path(sys.executable).with_name("mirtop")),
        "counts",
        "--gff", str(outputs.mirgff),
        "--hairpin", str(annotate / "hairpin.fa"),  # read by the command, unused without
        "--gtf", str(annotate / "hsa.gff3"),  # --add-extra
        "--sps", "hsa",
        "-o", str(mirtop_out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        "gff": outputs.mirgff,
        "mature": inputs.mature,
        "hairpin": inputs.hairpin,
        "arms": folder / paths.SMALLRNA_ARMS,
        "samples": samples,
        "mirtop": mirtop_counts(mirtop_out / f"{outputs.mirgff.stem}.tsv"),
        "all": run_ours(
            outputs.mirgff, inputs.mature, folder / "all", _settings(min_reads=0, min_samples=0)
        ),
    }


def test_counts_of_every_isomir_and_sample_equal_mirtop_counts(synthetic) -> None:
    theirs, mine = synthetic["mirtop"], ours(synthetic["all"].counts)
    assert list(mine.columns) == list(theirs.columns) == synthetic["samples"]
    assert len(mine) == len(theirs) > 1000
    assert mine.index.equals(theirs.index)
    assert int(np.abs(mine.to_numpy() - theirs.to_numpy()).max()) == 0


@pytest.mark.parametrize("thresholds", [{}, {"min_reads": 2}, {"min_reads": 1, "min_samples": 3}])
def test_the_filter_keeps_mirtops_rows_with_enough_reads_in_enough_samples(
    synthetic, thresholds, tmp_path
) -> None:
    """The schema's filter (``{}``: >= 10 reads in >= 2 samples), and looser ones that keep
    more of these small synthetic libraries."""
    settings = _settings(**thresholds)
    mine = run_ours(synthetic["gff"], synthetic["mature"], tmp_path, settings)
    theirs = filtered(synthetic["mirtop"], settings)
    pd.testing.assert_frame_equal(ours(mine.counts), theirs, check_names=False)
    decision = pd.read_csv(mine.filter, sep="\t").iloc[0]
    assert (decision["isomirs"], decision["kept"]) == (len(synthetic["mirtop"]), len(theirs))
    assert (decision["min_reads"], decision["min_samples"]) == (
        settings.min_reads,
        settings.min_samples,
    )


def test_labels_and_seed_flags_equal_mirtops_parsing(synthetic) -> None:
    from esccrt.smallrna.reference import read_fasta

    hairpins = {r.name: r.sequence for r in read_fasta(synthetic["hairpin"])}
    coordinates = arm_coordinates(synthetic["arms"])
    expected = expected_labels(synthetic["gff"], hairpins, coordinates)
    mine = our_labels(synthetic["all"].labels)
    assert mine == expected
    assert_seed_flags_are_mirtops_labels(mine)
    changed = sum(flag for _, flag, _ in mine.values())
    only_2_8 = [key for key, (_, flag, flag_2_8) in mine.items() if flag_2_8 and not flag]
    print(f"{changed} of {len(mine)} isomiRs with a changed seed region (nt 3-8)")
    print(f"{len(only_2_8)} more with nt 2-8 changed (a substitution at nt 2: iso_snv)")
    assert only_2_8 and all("iso_snv_seed" not in key[1] for key in only_2_8)


# ------------------------------------------------------------------------- mirtop's own files


@pytest.mark.parametrize("name", sorted(MIRTOP_FILES))
def test_mirtops_own_files(name, shared_data, tmp_path) -> None:
    """Counts equal ``mirtop counts`` (its function) on mirtop's files, every isomiR and sample;
    labels and seed flags equal mirtop's parsing."""
    with quiet_mirtop_import():
        from mirtop.gff.convert import convert_gff_counts

    gff = shared_data.joinpath(*MIRTOP, MIRTOP_FILES[name])
    annotate = _annotate(shared_data)
    hairpins, coordinates = mirtop_references(annotate)
    mature = write_fasta(tmp_path / "mature.fa", mature_sequences(hairpins, coordinates))
    mine = run_ours(gff, mature, tmp_path, _settings(min_reads=0, min_samples=0))
    convert_gff_counts(Namespace(gff=str(gff), out=str(tmp_path), add_extra=False))
    theirs = mirtop_counts(tmp_path / f"{gff.stem}.tsv")
    pd.testing.assert_frame_equal(ours(mine.counts), theirs, check_names=False)
    labels, expected = our_labels(mine.labels), expected_labels(gff, hairpins, coordinates)
    assert labels.keys() == expected.keys()
    assert all(labels[key][0] == expected[key][0] for key in labels)  # variant types
    differ = {key for key in labels if labels[key][1:] != expected[key][1:]}  # seed flags
    assert_seed_flags_are_mirtops_labels(labels)
    print(f"{name}: {len(labels)} isomiRs, {sum(v[1] for v in labels.values())} seed-changed")
    assert {key[2] for key in differ} == SEED_KEPT_DESPITE_ISO_5P.get(name, set())
    table = pd.read_csv(mine.labels, sep="\t", keep_default_na=False).set_index("uid")
    for _, _, uid, _ in differ:
        assert table.loc[uid, "seed"] == table.loc[uid, "mature_seed"] == "AGGTAG"
