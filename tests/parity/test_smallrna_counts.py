"""Mature miRNA counts against outside references.

Real-data checks (skipped without ../shared/data): exRNAQC serum/plasma reads against the
project's full-depth counts, and exceRpt's example against exceRpt's own miRNA counts. The demo
check (skipped until `make demo-data` has written resources/demo) compares with the simulator's
planted abundances. All run the arm through the rules' entry points (esccrt.smallrna.stage, with
the schema's settings), not Snakemake, to stay fast.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from esccrt.smallrna.count import count_matrix
from esccrt.smallrna.isomir_matrix import IsomirInputs, IsomirOutputs, run
from esccrt.smallrna.mirgff import read_mirgff, validation_errors
from esccrt.smallrna.reference import read_fasta
from esccrt.smallrna.settings import CountSettings, IsomirSettings, step_section
from esccrt.smallrna.stage import CountOutputs, count
from isomir_mirtop_tools import (
    arm_coordinates,
    assert_seed_flags_are_mirtops_labels,
    expected_labels,
    our_labels,
)
from prerequisites import DEMO_DATA, missing, require_commands
from schema_sections import smallrna_section
from scipy.stats import spearmanr
from smallrna_helpers import EXRNAQC, ArmReferences, bound_memory, run_sample

#: The ``smallrna`` section a user's config gets (schema defaults through Snakemake's validate):
#: its 3' tail length is what the exact matcher below allows.
MAX_NON_TEMPLATED = smallrna_section()["non_templated_3p"]["max_length"]


#: exceRpt's example (counts 1-13 reads): miRNAs detected by either side (measured 24 on
#: 2026-12-06: 7 by the project only, miR-3168 with 9 reads and six with 1 read; 2 by exceRpt
#: only, let-7c-5p and miR-92a-3p with 1 read) and by both (15), and the Spearman correlations
#: over them: measured 0.431 over the union, missing ones as zero, and 0.906 over both.
#: Demo: Spearman of the counts with the planted abundances, per sample.
DEMO_MIN_SPEARMAN = 1 - 2e-5  # measured min 1 - 1.01e-5 on 2026-12-06; was 0.95
EXCERPT_DETECTED, EXCERPT_DETECTED_BY_BOTH = 24, 15
EXCERPT_MIN_SPEARMAN = 0.43  # measured 0.4311 on 2026-12-06 (formerly: both-detected only)
EXCERPT_MIN_SPEARMAN_BOTH = 0.9  # measured 0.9060 on 2026-12-06


def references(folder: Path, mature: Path, hairpin: Path, classes: dict[str, Path] | None = None):
    """The references of a ``smallrna`` section with these files (and RNA classes, in order),
    prepared and indexed as the rules do."""
    rna_classes = [{"name": name, "fasta": str(path)} for name, path in (classes or {}).items()]
    section = smallrna_section(mature=str(mature), hairpin=str(hairpin), rna_classes=rna_classes)
    return ArmReferences(section, folder)


def quantify(fastq: Path, protocol: str, adapter: str, refs: ArmReferences, work: Path) -> dict:
    """One single-unit sample through the arm's entry points (:func:`run_sample`)."""
    return run_sample(refs, fastq, protocol, adapter, work)


def mature_matrix(per_sample: dict[str, dict], refs: ArmReferences) -> pd.DataFrame:
    """Count matrix (features as index) from :func:`quantify` results."""
    matrix = count_matrix({s: r["mature"] for s, r in per_sample.items()}, refs.mature_names)
    return matrix.set_index("feature")


@pytest.fixture(scope="module")
def mirbase_refs(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mirbase")
    require_commands("bowtie")
    return references(
        folder, shared_data / "mirbase" / "mature.fa", shared_data / "mirbase" / "hairpin.fa"
    )


@pytest.fixture(scope="module")
def exrnaqc(shared_data, mirbase_refs, tmp_path_factory) -> dict[str, dict]:
    """The exRNAQC serum/plasma samples through the arm's steps (:func:`quantify`)."""
    folder = shared_data / "smallrna_fastq" / "exrnaqc_serum_plasma"
    work = tmp_path_factory.mktemp("exrnaqc")
    return {
        sample: quantify(folder / f"{stem}.fastq.gz", "illumina", "", mirbase_refs, work / sample)
        for sample, stem in EXRNAQC.items()
    }


def test_exrnaqc_serum_plasma_top_mirnas_match_full_depth(shared_data, mirbase_refs, exrnaqc):
    folder = shared_data / "smallrna_fastq" / "exrnaqc_serum_plasma"
    results = exrnaqc
    ours = mature_matrix(results, mirbase_refs)
    reference = pd.read_csv(
        folder / "full_depth_reference" / "allmiRs_subs.txt", sep="\t", index_col=0
    )
    mimat_to_name = {
        r.header.split()[1]: r.name for r in read_fasta(shared_data / "mirbase" / "mature.fa")
    }
    for sample, result in results.items():
        assert result["fate"].input == 10000
        print(f"{sample}: adapter in {result['fate'].adapter_found / 10000:.4f} of reads")
        # measured min 0.9943 on 2026-12-06; was 0.95
        assert result["fate"].adapter_found / 10000 > 0.988
        top = ours[sample].sort_values(ascending=False)
        assert top.index[0] == "hsa-miR-486-5p", f"{sample}: top miRNA is {top.index[0]}"
        full = reference[sample].fillna(0).sort_values(ascending=False).head(10)
        full_names = {mimat_to_name[mimat] for mimat in full.index}
        overlap = len(set(top.head(10).index) & full_names)
        print(f"{sample}: top-10 overlap with full depth {overlap}")
        # measured 10, 9, 10 on 2026-12-06; was 6
        assert overlap >= 9, f"{sample}: top-10 overlap with full depth only {overlap}"


def exact_mature_matches(collapsed: Path, mature: dict[str, str], max_added: int) -> dict:
    """Independent count: copies of reads that are a mature sequence + 0..max_added nt, per
    miRNA (reads equal to several miRNAs' sequences + tail shared evenly)."""
    names_of: dict[str, list[str]] = {}
    for name, sequence in mature.items():
        names_of.setdefault(sequence, []).append(name)
    counts: dict[str, float] = {}
    with open(collapsed) as handle:
        for header, sequence in zip(handle, handle, strict=True):
            sequence = sequence.strip()
            cores = {sequence[: len(sequence) - k] for k in range(max_added + 1)}
            names = sorted({n for core in cores for n in names_of.get(core, [])})
            for name in names:
                copies = int(header.strip().rsplit("_x", 1)[1])
                counts[name] = counts.get(name, 0.0) + copies / len(names)
    return counts


def test_exrnaqc_reads_with_non_templated_tails_are_counted(exrnaqc, mirbase_refs, tmp_path):
    mature = {r.name: r.sequence for r in read_fasta(mirbase_refs.fasta("mature"))}
    exact_total = ours_total = 0.0
    for sample, result in exrnaqc.items():
        exact = exact_mature_matches(result["collapsed"], mature, MAX_NON_TEMPLATED)
        canonical = exact_mature_matches(result["collapsed"], mature, 0)
        ours = result["mature"]
        tested = [m for m, reads in exact.items() if reads >= 20]
        assert len(tested) >= 10, f"{sample}: only {len(tested)} miRNAs with >= 20 such reads"
        under = {m: (exact[m], ours.get(m, 0.0)) for m in tested if ours.get(m, 0.0) < exact[m]}
        ratios = [ours.get(m, 0.0) / exact[m] for m in tested]
        print(f"{sample}: {len(tested)} tested, min ours / exact {min(ratios):.4f}")
        # measured min ours / exact 1.028 on 2026-12-06 (hairpin and mismatch reads add); was 0.98
        assert not under, f"{sample}: under-counted (exact matcher, ours): {under}"
        # miR-92a-3p + A/U tails: the hairpins go on with TG / GG, so the tails are added
        tailed = exact["hsa-miR-92a-3p"] - canonical.get("hsa-miR-92a-3p", 0.0)
        print(
            f"{sample}: {tailed:.1f} miR-92a-3p reads with tails"
        )  # measured min 93 on 2026-12-06
        assert tailed >= 90, f"{sample}: {tailed} miR-92a-3p reads with tails"
        exact_total += exact["hsa-miR-92a-3p"]
        ours_total += ours["hsa-miR-92a-3p"]
        # every counted read is in the sample's mirGFF3, which mirtop validates
        assert validation_errors(result["mirgff"]) == 0
        records = read_mirgff(result["mirgff"])
        added = sum(
            r.expression
            for r in records
            if r.mature == "hsa-miR-92a-3p" and "iso_add3p" in r.variant
        )
        print(f"{sample}: iso_add3p {added:.1f} of {tailed:.1f} tailed ({added / tailed:.4f})")
        # measured min 1.0625 x tailed on 2026-12-06; was 0.9
        assert added >= tailed, f"{sample}: {added} miR-92a-3p reads labelled iso_add3p"
    assert ours_total >= exact_total


def test_excerpt_example_matches_excerpt_mature_counts(shared_data, mirbase_refs, tmp_path):
    folder = shared_data / "smallrna_fastq" / "excerpt_example"
    adapter = (folder / "outputs" / "testData_human.fastq.adapterSeq").read_text().strip()
    result = quantify(folder / "testData_human.fastq.gz", "custom", adapter, mirbase_refs, tmp_path)
    ours = mature_matrix({"ex": result}, mirbase_refs)["ex"]
    theirs = pd.read_csv(folder / "outputs" / "readCounts_miRNAmature_sense.txt", sep="\t")
    theirs.index = theirs["ReferenceID"].str.split(":").str[0]
    theirs = theirs["totalReadCount"]
    # every miRNA detected by either side, a miRNA the other side missed counting as zero
    detected = sorted(set(ours.index[ours > 0]) | set(theirs.index[theirs > 0]))
    union = pd.DataFrame(
        {"ours": ours.reindex(detected, fill_value=0), "theirs": theirs.reindex(detected)}
    ).fillna(0)
    both = union[(union["ours"] > 0) & (union["theirs"] > 0)]
    rho = spearmanr(union["ours"], union["theirs"]).statistic
    rho_both = spearmanr(both["ours"], both["theirs"]).statistic
    print(union.sort_values("theirs").to_string())
    print(f"Spearman {rho:.4f} over the {len(union)} miRNAs detected by either side")
    print(f"Spearman {rho_both:.4f} over the {len(both)} detected by both")
    assert len(union) == EXCERPT_DETECTED and len(both) == EXCERPT_DETECTED_BY_BOTH
    assert rho >= EXCERPT_MIN_SPEARMAN, f"Spearman {rho:.3f} over {len(union)} miRNAs"
    assert rho_both >= EXCERPT_MIN_SPEARMAN_BOTH, f"Spearman {rho_both:.3f} over {len(both)}"
    assert ours.idxmax() == "hsa-miR-101-3p" and ours.max() == 13  # exceRpt: 13 reads


DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "smallrna"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict[str, dict], ArmReferences, pd.DataFrame]:
    """The demo's small-RNA libraries through the arm's steps (:func:`quantify`), their
    references and the planted abundances."""
    truth_path = DEMO / "truth_abundance.tsv"
    if not truth_path.is_file():
        missing(f"the simulated demo ({truth_path})", DEMO_DATA)
    require_commands("bowtie")
    folder = tmp_path_factory.mktemp("demo")
    class_fastas = {path.stem: path for path in sorted((DEMO / "rna_classes").glob("*.fa"))}
    refs = references(folder / "ref", DEMO / "mature.fa", DEMO / "hairpin.fa", class_fastas)
    truth = pd.read_csv(truth_path, sep="\t", index_col="feature")
    results = {
        sample: quantify(
            DEMO / "reads" / f"{sample}.fastq.gz", "illumina", "", refs, folder / sample
        )
        for sample in truth.columns
    }
    return results, refs, truth


def test_demo_counts_follow_planted_abundances(demo):
    results, refs, truth = demo
    ours = mature_matrix(results, refs)
    for sample in truth.columns:
        expressed = truth.index[truth[sample] >= 10]
        rho = spearmanr(ours.loc[expressed, sample], truth.loc[expressed, sample]).statistic
        print(f"{sample}: Spearman with planted 1 - {1 - rho:.3g}")
        assert rho >= DEMO_MIN_SPEARMAN, (
            f"{sample}: Spearman {rho:.3f} over {len(expressed)} miRNAs"
        )
    classes_path = DEMO / "truth_read_classes.tsv"
    if classes_path.is_file():  # the simulator's own read classes: check the read fate too
        classes = pd.read_csv(classes_path, sep="\t").pivot(
            index="sample", columns="read_class", values="reads"
        )
        for sample in truth.columns:
            fate = results[sample]["fate"]
            print(f"{sample}: mature {fate.mature / classes.loc[sample, 'mirna']:.4f} of planted")
            # measured min 0.9992 on 2026-12-06; was 0.95
            assert fate.mature >= 0.9984 * classes.loc[sample, "mirna"], sample
            assert fate.mature <= classes.loc[sample, "mirna"], sample
            for rna_class in refs.classes:  # the planted fragments of each class, 2 % lost at most
                planted = classes.loc[sample, rna_class]
                lost = abs(fate.rna_classes[rna_class] - planted) / planted
                print(f"{sample} {rna_class}: {lost:.4f} of planted off")
                # measured max 0.0026 off on 2026-12-06; was 2 %
                assert abs(fate.rna_classes[rna_class] - planted) <= 0.005 * planted, sample
    isomirs_path = DEMO / "truth_isomirs.tsv"
    if isomirs_path.is_file():  # planted A/U tails come back as non-templated additions
        check_planted_tails(pd.read_csv(isomirs_path, sep="\t"), results)


def check_planted_tails(truth: pd.DataFrame, results: dict):
    """Per sample, the reads labelled non-templated (isomiR class and mirGFF3 ``iso_add3p``)
    match the planted tailed reads within 10 %, and the mirGFF3 passes ``mirtop validate``."""
    for sample, result in results.items():
        planted = truth[(truth["sample"] == sample) & (truth["added_3p"] > 0)]["reads"].sum()
        # the count step's isomiRs: the mature and hairpin steps' classes summed
        labelled = sum(
            classes.get("non_templated_3p", 0.0) for classes in result["isomirs"].values()
        )
        print(f"{sample}: tails labelled {labelled / planted:.4f} x planted")
        # measured max 1.09 % and 4.04 % over the planted on 2026-12-06; were 10 %
        assert abs(labelled - planted) <= 0.02 * planted, (sample, labelled, planted)
        assert validation_errors(result["mirgff"]) == 0
        records = read_mirgff(result["mirgff"])
        added = sum(r.expression for r in records if "iso_add3p" in r.variant)
        print(f"{sample}: iso_add3p {added / planted:.4f} x planted")
        assert abs(added - planted) <= 0.08 * planted, (sample, added, planted)


def test_mirgff_is_the_same_with_bounded_memory(exrnaqc, tmp_path, monkeypatch):
    """With at most 50 placements and records in memory (the rest spilled to disk), a real
    sample's mirGFF3 (rule smallrna_count's entry point) is byte for byte the one written all in
    memory."""
    sample, result = next(iter(exrnaqc.items()))
    settings = CountSettings.from_config(smallrna_section())
    expected = result["mirgff"]
    in_memory = result["result"]
    runs = bound_memory(monkeypatch, keys=50)
    outputs = CountOutputs(tmp_path / "counts.json", tmp_path / "bounded.gff")
    bounded = count(settings, result["count_inputs"], outputs, sample=sample)
    assert validation_errors(outputs.mirgff) == 0 and validation_errors(expected) == 0
    assert bounded.mirgff_records == in_memory.mirgff_records > 50
    assert bounded.mirgff_skipped == in_memory.mirgff_skipped
    assert len(runs) > 2  # placements and records did spill
    assert outputs.mirgff.read_bytes() == expected.read_bytes()


def distinct_isomirs(files: list[Path], merged: Path) -> Path:
    """The isomiR lines of every file in one mirGFF3 (the first file's header), each isomiR
    (its attributes but ``Expression``) once."""
    lines, seen = [], set()
    for number, path in enumerate(files):
        for line in path.read_text().splitlines():
            key = line.split("Expression")[0]
            if (line.startswith("#") and number) or key in seen:
                continue
            seen.add(key)
            lines.append(line)
    merged.write_text("\n".join(lines) + "\n")
    return merged


def test_demo_isomir_seed_flags_follow_mirtops_seed_region(demo, tmp_path):
    """Every isomiR of the demo libraries' mirGFF3 files (rule smallrna_isomirs's entry point, no
    filter): its variant types and seed flags equal mirtop's parsing of its Variant, and without
    a 5' change its seed flag is mirtop's own ``iso_snv_seed`` label."""
    results, refs, _ = demo
    gff = distinct_isomirs([r["mirgff"] for r in results.values()], tmp_path / "demo.gff")
    settings = replace(
        IsomirSettings.from_config(step_section(smallrna_section(), "isomirs")),
        min_reads=0,
        min_samples=0,
    )
    outputs = IsomirOutputs(*(tmp_path / f"{name}.tsv" for name in ("counts", "labels", "filter")))
    run(settings, IsomirInputs(gff, refs.fasta("mature")), outputs)
    labels = our_labels(outputs.labels)
    hairpins = {r.name: r.sequence for r in read_fasta(refs.fasta("hairpin"))}
    assert labels == expected_labels(gff, hairpins, arm_coordinates(refs.arms_table))
    assert_seed_flags_are_mirtops_labels(labels)
    changed = sum(flag for _, flag, _ in labels.values())
    print(f"demo: {changed} of {len(labels)} isomiRs with a changed seed region, as mirtop's")
    assert len(labels) > 5000 and changed > 0
