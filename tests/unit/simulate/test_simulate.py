"""The demo-data simulator: determinism, truth tables agree with the reads, cohort margins.

The simulator runs with small read numbers into temporary folders. The reads are checked with
code written here independently of the simulator (FASTQ parsing, splicing transcripts out of the
written genome and GTF, 2^-ddCt from the written Cts); the cohort's survival pattern is checked
with lifelines' log-rank tests, and its margins against the study's Table 1 (docs/STUDY.md).
"""

from __future__ import annotations

import gzip
import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.simulate.demo import DEFAULT_SEED, simulate_demo
from lifelines.statistics import logrank_test, multivariate_logrank_test

READS = 2000
TARGETS = ("hsa-miR-143-3p", "hsa-miR-181a-5p", "hsa-miR-223-3p")
REFERENCES = ("hsa-miR-484", "hsa-miR-191-5p")
#: Serum quality miRNAs: further candidate references and the haemolysis pair.
SERUM_QUALITY = (
    "hsa-miR-93-5p",
    "hsa-miR-103a-3p",
    "hsa-miR-16-5p",
    "hsa-miR-23a-3p",
    "hsa-miR-451a",
)
SMALLRNA_ADAPTER = "TGGAATTCTCGGGTGCCAAGG"
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def _run(root: Path, seed: int) -> Path:
    simulate_demo(root / "demo", root / "config", seed=seed, smallrna_reads=READS, mrna_pairs=READS)
    return root


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo with the default seed (reads in demo/, cohort in config/)."""
    return _run(tmp_path_factory.mktemp("run_a"), DEFAULT_SEED)


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path (the README names ``root``: replaced)."""
    return {
        str(p.relative_to(root)): p.read_bytes().replace(str(root).encode(), b"<root>")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def read_fastq(path: Path) -> list[tuple[str, str, str]]:
    """(name, sequence, quality) records; fails on a malformed record."""
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    assert len(lines) % 4 == 0, f"{path}: line count not a multiple of 4"
    records = []
    for k in range(0, len(lines), 4):
        header, seq, plus, qual = lines[k : k + 4]
        assert header.startswith("@") and plus == "+", f"{path}: bad record at line {k + 1}"
        assert len(seq) == len(qual), f"{path}: sequence and quality lengths differ"
        assert set(seq) <= set("ACGTN"), f"{path}: unexpected base"
        assert min(qual) >= "!" and max(qual) <= "J", f"{path}: quality outside Phred+33 0-41"
        records.append((header[1:], seq, qual))
    return records


def read_fasta(path: Path) -> dict[str, str]:
    """Sequences by first word of the header."""
    sequences: dict[str, list[str]] = {}
    name = ""
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            sequences[name] = []
        else:
            sequences[name].append(line.strip())
    return {k: "".join(v) for k, v in sequences.items()}


def read_gtf(path: Path) -> pd.DataFrame:
    """GTF lines with the attributes gene_id, transcript_id and gene_name as columns."""
    rows = [line.split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]
    gtf = pd.DataFrame(
        rows,
        columns=["chrom", "source", "kind", "start", "end", "score", "strand", "frame", "attr"],
    )
    gtf[["start", "end"]] = gtf[["start", "end"]].astype(int)
    for key in ("gene_id", "transcript_id", "gene_name"):
        gtf[key] = gtf["attr"].str.extract(rf'{key} "([^"]*)"', expand=False)
    return gtf


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(demo: Path, tmp_path: Path) -> None:
    again = _run(tmp_path, DEFAULT_SEED)
    first, second = _files(demo), _files(again)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    assert "demo/.complete" in first and "demo/README.md" in first
    assert b"SIMULATED" in first["demo/README.md"]


def test_other_seed_gives_other_data(demo: Path, tmp_path: Path) -> None:
    other = _files(_run(tmp_path, DEFAULT_SEED + 1))
    first = _files(demo)
    for name in (
        "demo/smallrna/mature.fa",
        "demo/smallrna/reads/exo_ctrl_1.fastq.gz",
        "demo/mrna/genome.fa",
        "demo/mrna/reads/mac_ir_3_R2.fastq.gz",
        "config/qpcr_ct.tsv",
        "config/clinical.tsv",
    ):
        assert first[name] != other[name], name


def test_gzip_headers_carry_no_time_or_name(demo: Path) -> None:
    for path in (demo / "demo").rglob("*.fastq.gz"):
        header = path.read_bytes()[:10]
        assert header[3] & 0x08 == 0, f"{path}: file name stored"  # FNAME flag
        assert header[4:8] == b"\0\0\0\0", f"{path}: mtime stored"


def test_demo_samples_match_sample_and_unit_sheets(demo: Path, repo_root: Path) -> None:
    samples = pd.read_csv(repo_root / "config" / "samples.tsv", sep="\t")
    units = pd.read_csv(repo_root / "config" / "units.tsv", sep="\t", keep_default_na=False)
    for column in ("fq1", "fq2"):
        for path in units[column]:
            if path:
                local = demo / "demo" / Path(path).relative_to("resources/demo")
                assert local.is_file(), f"units.tsv names {path}, the simulator wrote no such file"
    small = pd.read_csv(demo / "demo/smallrna/truth_abundance.tsv", sep="\t")
    genes = pd.read_csv(demo / "demo/mrna/truth_counts.tsv", sep="\t")
    sheet = samples.set_index("sample")
    assert list(small.columns[1:]) == sorted(sheet.index[sheet.library_type == "smallrna"])
    assert sorted(genes.columns[1:]) == sorted(sheet.index[sheet.library_type == "mrna"])


# ---------------------------------------------------------------- small RNA


def test_mirna_panel_follows_mirbase_conventions(demo: Path) -> None:
    mature = read_fasta(demo / "demo/smallrna/mature.fa")
    hairpin = read_fasta(demo / "demo/smallrna/hairpin.fa")
    assert len(mature) >= 100
    required = (
        *TARGETS,
        *REFERENCES,
        "hsa-miR-486-5p",
        "hsa-miR-21-5p",
        "hsa-miR-92a-3p",
        "hsa-let-7a-5p",
        "hsa-let-7b-5p",
        "hsa-let-7c-5p",
        "hsa-let-7f-5p",
        "hsa-miR-10b-5p",
        "hsa-miR-423-5p",
    )
    assert set(required) <= set(mature)
    header = (demo / "demo/smallrna/mature.fa").read_text().splitlines()[0]
    assert header.split()[1].startswith("MIMAT") and "Homo sapiens" in header
    for name, seq in mature.items():
        assert 20 <= len(seq) <= 24 and set(seq) <= set("ACGU"), name
        stem = name.replace("-miR-", "-mir-").removesuffix("-5p").removesuffix("-3p")
        assert seq in hairpin[stem], f"{name} not in {stem}"
    assert all(70 <= len(s) <= 95 for s in hairpin.values())
    let7 = {n: s for n, s in mature.items() if n.startswith("hsa-let-7")}
    for (a, x), (b, y) in itertools.combinations(mature.items(), 2):
        n = min(len(x), len(y))
        diff = sum(p != q for p, q in zip(x[:n], y[:n], strict=True))
        if a in let7 and b in let7:
            assert x[1:8] == y[1:8] and diff >= 2, (a, b)
        else:
            assert diff >= 3, (a, b)


def test_smallrna_reads_agree_with_truth(demo: Path) -> None:
    base = demo / "demo/smallrna"
    truth = pd.read_csv(base / "truth_abundance.tsv", sep="\t").set_index("feature")
    classes = pd.read_csv(base / "truth_read_classes.tsv", sep="\t")
    planted = pd.read_csv(base / "truth_fold_changes.tsv", sep="\t").set_index("feature")
    mature = {s.replace("U", "T"): n for n, s in read_fasta(base / "mature.fa").items()}
    assert list(truth.index) == list(planted.index)
    for sample in truth.columns:
        records = read_fastq(base / "reads" / f"{sample}.fastq.gz")
        names = [r[0] for r in records]
        assert len(set(names)) == len(names) and names[0] == f"{sample}.1"
        assert {len(r[1]) for r in records} == {51}
        per_class = classes[classes["sample"] == sample].set_index("read_class")["reads"]
        assert len(records) == per_class.sum()
        assert per_class["mirna"] == truth[sample].sum()
        assert 0.15 <= 1 - per_class["mirna"] / len(records) <= 0.25
        # canonical inserts: the read starts with a mature sequence then the adapter
        found: Counter[str] = Counter()
        for _, seq, _ in records:
            cut = seq.find(SMALLRNA_ADAPTER[:10])
            if cut >= 0 and seq[:cut] in mature:
                found[mature[seq[:cut]]] += 1
        for name, expected in truth[sample].items():
            assert found[name] <= expected, (sample, name)
            if expected >= 50:
                assert found[name] >= 0.5 * expected, (sample, name)
        assert sum(found.values()) >= 0.55 * truth[sample].sum()
        dimers = sum(seq.startswith(SMALLRNA_ADAPTER) for _, seq, _ in records)
        assert dimers >= 0.5 * per_class["adapter_dimer"]
        assert truth[sample].idxmax() == "hsa-miR-486-5p"


def _next_nucleotides(base: Path) -> dict[str, set[str]]:
    """Mature sequence (DNA) -> the nucleotides that follow it in the hairpins (templated)."""
    hairpins = [s.replace("U", "T") for s in read_fasta(base / "hairpin.fa").values()]
    following: dict[str, set[str]] = {}
    for sequence in read_fasta(base / "mature.fa").values():
        sequence = sequence.replace("U", "T")
        for hairpin in hairpins:
            at = hairpin.find(sequence)
            if at >= 0:
                following.setdefault(sequence, set()).add(
                    hairpin[at + len(sequence) : at + len(sequence) + 1]
                )
    return following


def test_smallrna_isomir_truth_and_non_templated_tails(demo: Path) -> None:
    base = demo / "demo/smallrna"
    truth = pd.read_csv(base / "truth_abundance.tsv", sep="\t").set_index("feature")
    isomirs = pd.read_csv(base / "truth_isomirs.tsv", sep="\t")
    assert list(isomirs.columns) == [
        "sample",
        "feature",
        "shift_5p",
        "trim_3p",
        "added_3p",
        "reads",
    ]
    per_mirna = isomirs.pivot_table(
        index="feature", columns="sample", values="reads", aggfunc="sum"
    )
    per_mirna = per_mirna.reindex(index=truth.index, columns=truth.columns).fillna(0)
    assert (per_mirna.astype(int) == truth).all().all()
    following = _next_nucleotides(base)
    for sample in truth.columns:
        # reads whose insert is a mature sequence + 1 or 2 nt, the first not templated
        found: Counter[int] = Counter()
        for _, seq, _ in read_fastq(base / "reads" / f"{sample}.fastq.gz"):
            insert = seq[: seq.find(SMALLRNA_ADAPTER[:10])]
            for added in (1, 2):
                core = insert[:-added]
                if core in following and insert[len(core)] not in following[core]:
                    found[added] += 1
        planted = isomirs[isomirs["sample"] == sample].groupby("added_3p")["reads"].sum()
        for added in (1, 2):
            assert 0.85 * planted[added] <= found[added] <= planted[added] + 5, (sample, added)


def test_smallrna_planted_fold_changes(demo: Path) -> None:
    planted = pd.read_csv(demo / "demo/smallrna/truth_fold_changes.tsv", sep="\t")
    lfc = planted.set_index("feature")["log2_fold_change"]
    assert 1.5 <= lfc["hsa-miR-143-3p"] <= 2.0 and 1.5 <= lfc["hsa-miR-223-3p"] <= 2.0
    others = lfc.drop(["hsa-miR-143-3p", "hsa-miR-223-3p"])
    changed = others[others != 0]
    assert 8 <= len(changed) <= 10 and changed.abs().between(1, 2).all()
    assert (changed > 0).any() and (changed < 0).any()
    assert lfc[list(REFERENCES)].eq(0).all()


# ---------------------------------------------------------------- mRNA


def _transcripts(genome: dict[str, str], gtf: pd.DataFrame) -> dict[str, str]:
    """Spliced sense sequence of every transcript, built from the written genome and GTF."""
    spliced = {}
    exons = gtf[gtf.kind == "exon"].sort_values(["transcript_id", "start"])
    for tid, rows in exons.groupby("transcript_id"):
        seq = "".join(genome[c][s - 1 : e] for c, s, e in rows[["chrom", "start", "end"]].values)
        if rows.strand.iloc[0] == "-":
            seq = seq.translate(COMPLEMENT)[::-1]
        spliced[tid] = seq
    return spliced


def test_genome_and_gtf_are_consistent(demo: Path) -> None:
    genome = read_fasta(demo / "demo/mrna/genome.fa")
    gtf = read_gtf(demo / "demo/mrna/genes.gtf")
    assert sum(map(len, genome.values())) >= 2_000_000 and len(genome) == 2
    all_seq = "".join(genome.values())
    assert 0.42 <= (all_seq.count("G") + all_seq.count("C")) / len(all_seq) <= 0.48
    genes = gtf[gtf.kind == "gene"]
    assert len(genes) >= 300 and genes.gene_id.is_unique
    assert set(genes.strand) == {"+", "-"}
    for marker in ("CD163", "MRC1", "ARG1", "IL10", "TGFB1", "CCL22", "CD274"):
        assert (genes.gene_name == marker).sum() == 1, marker
    for chrom, rows in genes.groupby("chrom"):
        assert rows.start.min() >= 1 and rows.end.max() <= len(genome[chrom])
        ordered = rows.sort_values("start")
        assert (ordered.start.to_numpy()[1:] > ordered.end.to_numpy()[:-1]).all(), "overlap"
    exons = gtf[gtf.kind == "exon"]
    per_tx = exons.groupby("transcript_id").size()
    assert per_tx.between(2, 8).all()
    assert (exons.end - exons.start + 1).between(80, 400).all()
    tx_per_gene = gtf[gtf.kind == "transcript"].groupby("gene_id").size()
    assert tx_per_gene.between(1, 2).all() and (tx_per_gene == 2).any()
    # every intron of every transcript is GT...AG on the transcript's strand
    for tid, rows in exons.sort_values("start").groupby("transcript_id"):
        chrom, strand = rows.chrom.iloc[0], rows.strand.iloc[0]
        starts, ends = rows.start.to_numpy(), rows.end.to_numpy()
        for left, right in zip(ends[:-1], starts[1:], strict=True):
            intron = genome[chrom][left : right - 1]
            assert right - 1 - left >= 100, tid
            if strand == "-":
                intron = intron.translate(COMPLEMENT)[::-1]
            assert intron[:2] == "GT" and intron[-2:] == "AG", tid


def test_mrna_reads_agree_with_truth_and_strand(demo: Path) -> None:
    base = demo / "demo/mrna"
    truth = pd.read_csv(base / "truth_counts.tsv", sep="\t").set_index("feature")
    classes = pd.read_csv(base / "truth_read_classes.tsv", sep="\t")
    transcripts = "|".join(
        _transcripts(read_fasta(base / "genome.fa"), read_gtf(base / "genes.gtf")).values()
    )
    for sample in truth.columns:
        r1 = read_fastq(base / "reads" / f"{sample}_R1.fastq.gz")
        r2 = read_fastq(base / "reads" / f"{sample}_R2.fastq.gz")
        assert len(r1) == len(r2)
        assert all(a[0] == f"{sample}.{k}/1" for k, a in enumerate(r1, start=1))
        assert all(b[0] == f"{sample}.{k}/2" for k, b in enumerate(r2, start=1))
        assert {len(a[1]) for a in r1} == {len(b[1]) for b in r2} == {75}
        per_class = classes[classes["sample"] == sample].set_index("read_class")["reads"]
        assert truth[sample].sum() == per_class["genic"]
        assert len(r1) == per_class.sum()
        assert 0.01 <= per_class["intronic_or_intergenic"] / len(r1) <= 0.05
    # reverse-stranded: R2 reads the transcript, R1 its reverse complement
    sense_r2 = sense_r1 = antisense_r2 = 0
    for (_, s1, _), (_, s2, _) in itertools.islice(zip(r1, r2, strict=True), 300):
        sense_r2 += s2[:20] in transcripts
        sense_r1 += s1[:20].translate(COMPLEMENT)[::-1] in transcripts
        antisense_r2 += s2[:20].translate(COMPLEMENT)[::-1] in transcripts
    assert sense_r2 >= 0.85 * 300 and sense_r1 >= 0.85 * 300
    assert antisense_r2 <= 0.05 * 300
    adapter_runs = sum("AGATCGGAAGAGCACACGTC" in s for _, s, _ in r1)
    assert 0.01 * len(r1) <= adapter_runs <= 0.1 * len(r1)


def test_mrna_planted_de(demo: Path) -> None:
    de = pd.read_csv(demo / "demo/mrna/truth_de.tsv", sep="\t", keep_default_na=False)
    assert list(de.columns) == ["feature", "name", "log2_fold_change"]
    changed = de[de.log2_fold_change != 0]
    assert 25 <= len(changed) <= 35 and changed.log2_fold_change.abs().between(1, 3).all()
    markers = de.set_index("name").loc[["CD163", "MRC1", "ARG1", "IL10", "TGFB1", "CCL22", "CD274"]]
    assert (markers.log2_fold_change >= 1).all()


def test_planted_target_sets(demo: Path) -> None:
    """Every panel miRNA has a target set; only miR-143-3p and miR-223-3p (planted up in the
    exosomes) have theirs shifted, disjoint and free of planted DE genes; genes are named by
    symbol or ID, both in the GTF; every gene has a 3'UTR length."""
    base = demo / "demo" / "targets"
    truth = pd.read_csv(base / "truth_target_shift.tsv", sep="\t")
    table = pd.read_csv(base / "targets.tsv", sep="\t")
    de = pd.read_csv(demo / "demo/mrna/truth_de.tsv", sep="\t", keep_default_na=False)
    utr = pd.read_csv(base / "utr3_lengths.tsv", sep="\t")
    mature = (demo / "demo/smallrna/mature.fa").read_text().count(">")
    assert len(truth) == mature and set(table["miRNA"]) == set(truth["miRNA"])
    shifted = truth[truth["shifted"]]
    assert shifted["miRNA"].tolist() == ["hsa-miR-143-3p", "hsa-miR-223-3p"]
    assert (shifted["exosome_log2_fold_change"] > 0).all()
    assert shifted["mean_planted_shift"].between(-0.45, -0.25).all()
    sets = [set(t.split(",")) for t in shifted["targets"]]
    assert not sets[0] & sets[1]
    changed = set(de.loc[de["log2_fold_change"] != 0, "feature"])
    assert not (sets[0] | sets[1]) & changed
    names = set(de["feature"]) | set(de["name"])
    assert set(table["gene"]) <= names
    assert table["gene"].isin(de["feature"]).any() and table["gene"].isin(de["name"]).any()
    assert list(utr["gene"]) == list(de["feature"]) and (utr["utr3_length"] >= 50).all()


# ---------------------------------------------------------------- cohort


@pytest.fixture(scope="module")
def cohort(repo_root: Path) -> dict[str, pd.DataFrame]:
    """The committed cohort tables of config/."""
    config = repo_root / "config"
    return {
        "ct": pd.read_csv(config / "qpcr_ct.tsv", sep="\t", keep_default_na=False),
        "clinical": pd.read_csv(config / "clinical.tsv", sep="\t", keep_default_na=False),
        "truth": pd.read_csv(config / "demo_cohort_truth.tsv", sep="\t"),
    }


def test_committed_cohort_equals_regeneration(demo: Path, repo_root: Path) -> None:
    for name in ("qpcr_ct.tsv", "clinical.tsv", "demo_cohort_truth.tsv"):
        committed = repo_root / "config" / name
        assert committed.read_bytes() == (demo / "config" / name).read_bytes(), (
            f"{committed} differs from what the simulator writes with seed {DEFAULT_SEED}; "
            "regenerate it with workflow/scripts/simulate_demo.py --cohort-dir config"
        )


def test_clinical_counts_are_table_1(cohort: dict[str, pd.DataFrame]) -> None:
    clinical = cohort["clinical"]
    assert list(clinical.patient) == [f"P{k:02d}" for k in range(1, 41)]
    assert (clinical.age >= 65).sum() == 18
    assert (clinical.kps >= 90).sum() == 17
    assert clinical.stage.isin(["I", "II"]).sum() == 8
    assert clinical.stage.isin(["III", "IV"]).sum() == 32
    assert clinical.location.isin(["cervical", "upper"]).sum() == 8
    assert clinical.location.isin(["middle", "lower"]).sum() == 32
    assert (clinical.length_cm <= 5).sum() == 18 and (clinical.length_cm != 5.0).all()
    assert (clinical.volume_cm3 <= 50).sum() == 18
    assert clinical.therapy.value_counts().to_dict() == {
        "RT": 19,
        "CRT_doublet": 14,
        "CRT_single": 7,
    }
    assert clinical.response.value_counts().to_dict() == {"ORR": 20, "SD": 14, "NA": 5, "PD": 1}


def _fold_changes(ct: pd.DataFrame) -> pd.DataFrame:
    """2^-ddCt from the long Ct table, ``Undetermined`` replicates left out."""
    ct = ct.assign(ct=pd.to_numeric(ct.ct.replace("Undetermined", np.nan)))
    mean = ct.groupby(["patient", "timepoint", "target"]).ct.mean().unstack("target")
    dct = mean[list(TARGETS)].sub(mean[list(REFERENCES)].mean(axis=1), axis=0)
    return 2 ** -(dct.xs("post", level="timepoint") - dct.xs("pre", level="timepoint"))


def test_fold_change_groups_from_written_cts(cohort: dict[str, pd.DataFrame]) -> None:
    ct = cohort["ct"]
    assert set(ct.timepoint) == {"pre", "post"} and set(ct.replicate) == {1, 2, 3}
    assert set(ct.target) == set(TARGETS) | set(REFERENCES) | set(SERUM_QUALITY)
    assert len(ct) == 40 * 2 * 10 * 3
    undetermined = ct[ct.ct == "Undetermined"]
    assert 1 <= len(undetermined) <= 2 and set(undetermined.target) <= set(TARGETS)
    high = _fold_changes(ct) > 1.5
    a, b, c = (high[t] for t in TARGETS)
    assert (a.sum(), b.sum(), c.sum()) == (13, 21, 16)
    assert (~a & ~c).sum() == 20 and (~a & ~b).sum() == 18 and (~b & ~c).sum() == 15
    assert (a & b & c).sum() == 8
    truth = cohort["truth"].set_index("patient")
    for target in TARGETS:
        assert (high[target].astype(int) == truth[f"high_{target}"]).all()
        true_log2 = np.log2(truth[f"true_fold_change_{target}"])
        assert (abs(true_log2 - np.log2(1.5)) >= 0.25).all()
    replicate_sd = (
        pd.to_numeric(ct.ct, errors="coerce").groupby([ct.patient, ct.timepoint, ct.target]).std()
    )
    assert 0.1 <= replicate_sd.median() <= 0.35 and (replicate_sd > 0.5).sum() >= 1


def test_serum_quality_mirnas_plant_haemolysis(cohort: dict[str, pd.DataFrame]) -> None:
    """The study's rows come first (unchanged); the haemolysed samples of the truth show a
    dCt miR-23a-3p - miR-451a above 7 and a lower miR-16-5p Ct, the others below 6."""
    ct = cohort["ct"]
    first = ct.iloc[: 40 * 2 * 5 * 3]
    assert set(first.target) == set(TARGETS) | set(REFERENCES)
    values = pd.to_numeric(ct.ct, errors="coerce")
    mean = values.groupby([ct.patient, ct.timepoint, ct.target]).mean().unstack("target")
    delta = mean["hsa-miR-23a-3p"] - mean["hsa-miR-451a"]
    truth = cohort["truth"].set_index("patient")
    planted = pd.concat(
        {tp: truth[f"haemolysed_{tp}"] for tp in ("pre", "post")}, names=["timepoint"]
    ).swaplevel()
    planted = planted.reindex(delta.index).astype(bool)
    assert 1 <= planted.sum() <= 5
    assert (delta[planted] > 8).all() and (delta[~planted] < 6).all()
    load = mean[list(REFERENCES)].mean(axis=1)
    mir16 = mean["hsa-miR-16-5p"] - load
    assert mir16[planted].max() < mir16[~planted].median() - 1


def test_survival_shows_the_planted_pattern(cohort: dict[str, pd.DataFrame]) -> None:
    clinical = cohort["clinical"]
    assert (clinical.pfs_months <= clinical.os_months).all()
    assert (clinical.os_months <= 62).all() and (clinical.pfs_months > 0).all()
    no_progression = clinical[clinical.pfs_event == 0]
    assert (no_progression.os_event == 0).all()
    assert (no_progression.pfs_months == no_progression.os_months).all()
    assert 0 < clinical.pfs_event.sum() < 40 and 0 < clinical.os_event.sum() < 40
    high = _fold_changes(cohort["ct"]).loc[clinical.patient] > 1.5
    t, e = clinical.pfs_months, clinical.pfs_event

    def two_group_p(mask: pd.Series | np.ndarray) -> float:
        mask = np.asarray(mask)
        return logrank_test(t[mask], t[~mask], e[mask], e[~mask]).p_value

    pair = (high["hsa-miR-143-3p"] | high["hsa-miR-223-3p"]).to_numpy()
    assert two_group_p(pair) < 0.05
    assert two_group_p(clinical.length_cm > 5) < 0.05
    assert two_group_p(clinical.volume_cm3 > 50) < 0.05
    assert multivariate_logrank_test(t, clinical.therapy, e).p_value > 0.1
    assert multivariate_logrank_test(t, clinical.response, e).p_value > 0.1
