"""The whole demo: small-RNA and mRNA references and reads, truth tables and the cohort.

Random streams are derived from the seed by purpose (panel, small-RNA reads per sample, genome,
mRNA reads per sample, cohort), so the references and the cohort do not depend on how many
reads are asked for, and one sample's reads do not depend on another's.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.io import write_tsv_atomic
from esccrt.simulate import cohort as cohort_mod
from esccrt.simulate import mirna_panel, mrna, smallrna
from esccrt.simulate import targets as targets_mod
from esccrt.simulate.seqs import as_text, fasta_text, write_gzip, write_text

DEFAULT_SEED = 20240611
DEFAULT_SMALLRNA_READS = 200_000
DEFAULT_MRNA_PAIRS = 200_000
#: Illumina TruSeq index sequences given to the samples of each arm in order.
INDEXES = ("ATCACG", "CGATGT", "TTAGGC", "TGACCA", "ACAGTG", "GCCAAT")

# Seed-stream purposes (second entry of the SeedSequence entropy).
_PANEL, _SMALLRNA, _GENOME, _MRNA, _COHORT, _TARGETS = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class DemoSample:
    """A demo library: name, condition and batch (as in config/samples.tsv)."""

    name: str
    condition: str
    batch: str

    @property
    def irradiated(self) -> bool:
        """Whether the planted fold changes apply."""
        return self.condition == "irradiated"


def demo_samples(prefix: str) -> tuple[DemoSample, ...]:
    """``<prefix>_ctrl_1..3`` and ``<prefix>_ir_1..3``; replicate 3 is batch b2."""
    return tuple(
        DemoSample(f"{prefix}_{short}_{rep}", condition, "b2" if rep == 3 else "b1")
        for short, condition in (("ctrl", "control"), ("ir", "irradiated"))
        for rep in (1, 2, 3)
    )


SMALLRNA_SAMPLES = demo_samples("exo")
MRNA_SAMPLES = demo_samples("mac")


def _rng(seed: int, *purpose: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *purpose])))


def _log(message: str, started: float) -> None:
    print(f"[simulate_demo {time.monotonic() - started:6.1f}s] {message}", file=sys.stderr)


@dataclass(frozen=True)
class SmallRnaModel:
    """What every small-RNA library of a seed shares: panel, contaminants, abundances, planted
    fold changes and the batch shift of ``b2``."""

    seed: int
    design: smallrna.SmallRnaDesign
    panel: mirna_panel.Panel
    contaminants: tuple[tuple[str, str], ...]
    abundance: np.ndarray
    log2_fold_change: np.ndarray
    batch_shift: np.ndarray


def smallrna_model(seed: int) -> SmallRnaModel:
    """The small-RNA arm's shared model of ``seed`` (the references are written from it)."""
    design = smallrna.SmallRnaDesign()
    rng = _rng(seed, _PANEL)
    panel = mirna_panel.build_panel(rng)
    contaminants = smallrna.contaminant_sequences(rng)
    abundance = smallrna.baseline_abundance(rng, panel, design)
    lfc = smallrna.planted_log2_fold_changes(panel, design)
    batch = rng.normal(0.0, design.batch_sd, size=len(panel.matures))
    return SmallRnaModel(seed, design, panel, contaminants, abundance, lfc, batch)


def simulate_smallrna_sample(
    model: SmallRnaModel, k: int, sample: DemoSample, n_reads: int
) -> smallrna.SmallRnaSample:
    """Library number ``k`` of the model's seed (its own random stream), named after ``sample``,
    its condition and batch applied; index ``INDEXES[k mod 6]``."""
    zeros = np.zeros_like(model.log2_fold_change)
    return smallrna.simulate_sample(
        _rng(model.seed, _SMALLRNA, k),
        sample.name,
        model.panel,
        model.contaminants,
        model.abundance,
        model.log2_fold_change if sample.irradiated else zeros,
        model.batch_shift if sample.batch == "b2" else zeros,
        INDEXES[k % len(INDEXES)],
        n_reads,
        model.design,
    )


def write_smallrna(outdir: Path, seed: int, n_reads: int, started: float) -> dict[str, dict]:
    """Panel FASTAs, RNA class FASTAs, reads and truth tables of the small-RNA arm."""
    model = smallrna_model(seed)
    panel = model.panel
    base = outdir / "smallrna"
    mirna_panel.write_mature_fasta(str(base / "mature.fa"), panel)
    mirna_panel.write_hairpin_fasta(str(base / "hairpin.fa"), panel)
    for rna_class, records in smallrna.rna_class_fastas(model.contaminants).items():
        write_text(base / "rna_classes" / f"{rna_class}.fa", fasta_text(records, width=60))
    names = [m.name for m in panel.matures]
    truth = pd.DataFrame({"feature": names})
    classes: dict[str, dict] = {}
    isomirs: list[pd.DataFrame] = []
    for k, sample in enumerate(SMALLRNA_SAMPLES):
        simulated = simulate_smallrna_sample(model, k, sample, n_reads)
        write_gzip(base / "reads" / f"{sample.name}.fastq.gz", smallrna.fastq_chunks(simulated))
        truth[sample.name] = simulated.mirna_counts
        isomirs.append(_isomir_table(sample.name, names, simulated.isomir_counts))
        classes[sample.name] = simulated.class_counts
        _log(f"small RNA {sample.name}: {sum(simulated.class_counts.values())} reads", started)
    write_tsv_atomic(truth, base / "truth_abundance.tsv")
    write_tsv_atomic(
        pd.DataFrame({"feature": names, "log2_fold_change": model.log2_fold_change}),
        base / "truth_fold_changes.tsv",
    )
    write_tsv_atomic(_classes_table(classes), base / "truth_read_classes.tsv")
    write_tsv_atomic(pd.concat(isomirs, ignore_index=True), base / "truth_isomirs.tsv")
    return classes


def _isomir_table(sample: str, names: list[str], counts: np.ndarray) -> pd.DataFrame:
    """Long table: sample, feature, 5' shift, 3' trim, non-templated 3' nt, reads (> 0 only)."""
    rows = [
        (sample, name, *kind, int(counts[i, k]))
        for i, name in enumerate(names)
        for k, kind in enumerate(smallrna.ISOMIR_KINDS)
        if counts[i, k]
    ]
    return pd.DataFrame(rows, columns=["sample", "feature", *smallrna.ISOMIR_KIND_COLUMNS, "reads"])


def _classes_table(classes: dict[str, dict]) -> pd.DataFrame:
    """Long table: sample, read class, reads."""
    rows = [(s, c, n) for s, by in classes.items() for c, n in by.items()]
    return pd.DataFrame(rows, columns=["sample", "read_class", "reads"])


def write_mrna(outdir: Path, seed: int, n_pairs: int, started: float) -> dict[str, dict]:
    """Genome, GTF, paired reads and truth tables of the mRNA arm."""
    design = mrna.MrnaDesign()
    rng = _rng(seed, _GENOME)
    genome = mrna.build_genome(rng, design)
    expression, shares = mrna.baseline_expression(rng, genome, design)
    lfc = mrna.planted_log2_fold_changes(rng, genome, design)
    batch = rng.normal(0.0, design.batch_sd, size=len(genome.genes))
    transcriptome = mrna.build_transcriptome(genome)
    base = outdir / "mrna"
    # The target sets' shift comes on top of the planted DE, from a stream of its own: the
    # genome, expression and planted DE (truth_de.tsv) stay as they were.
    target_shift = write_targets(outdir, seed, genome, lfc)
    write_text(
        base / "genome.fa",
        fasta_text(((c, as_text(s)) for c, s in genome.chromosomes.items()), width=60),
    )
    write_text(base / "genes.gtf", mrna.gtf_text(genome))
    _log(f"mRNA genome {sum(len(s) for s in genome.chromosomes.values())} nt", started)
    ids = [g.gene_id for g in genome.genes]
    truth = pd.DataFrame({"feature": ids})
    classes: dict[str, dict] = {}
    for k, sample in enumerate(MRNA_SAMPLES):
        simulated = mrna.simulate_sample(
            _rng(seed, _MRNA, k),
            sample.name,
            genome,
            transcriptome,
            expression,
            shares,
            lfc + target_shift if sample.irradiated else np.zeros_like(lfc),
            batch if sample.batch == "b2" else np.zeros_like(batch),
            INDEXES[k],
            n_pairs,
            design,
        )
        for mate in (1, 2):
            write_gzip(
                base / "reads" / f"{sample.name}_R{mate}.fastq.gz",
                mrna.fastq_chunks(simulated, mate),
            )
        truth[sample.name] = simulated.gene_counts
        classes[sample.name] = {
            "genic": int(simulated.gene_counts.sum()),
            "intronic_or_intergenic": simulated.n_background,
        }
        _log(f"mRNA {sample.name}: {simulated.r1.shape[0]} pairs", started)
    write_tsv_atomic(truth, base / "truth_counts.tsv")
    write_tsv_atomic(
        pd.DataFrame(
            {"feature": ids, "name": [g.name for g in genome.genes], "log2_fold_change": lfc}
        ),
        base / "truth_de.tsv",
    )
    write_tsv_atomic(_classes_table(classes), base / "truth_read_classes.tsv")
    return classes


def planted_mirna_fold_changes(seed: int) -> dict[str, float]:
    """The small-RNA arm's planted log2 fold changes by mature name (the panel rebuilt from its
    own stream, as :func:`write_smallrna` builds it)."""
    panel = mirna_panel.build_panel(_rng(seed, _PANEL))
    lfc = smallrna.planted_log2_fold_changes(panel, smallrna.SmallRnaDesign())
    return {m.name: float(v) for m, v in zip(panel.matures, lfc, strict=True)}


def write_targets(outdir: Path, seed: int, genome: mrna.Genome, gene_lfc: np.ndarray) -> np.ndarray:
    """3'UTR lengths, the miRNA-target table and its planted truth (``<outdir>/targets/``);
    returns the log2 shift per gene in the irradiated macrophages."""
    design = targets_mod.TargetDesign()
    rng = _rng(seed, _TARGETS)
    ids = [g.gene_id for g in genome.genes]
    names = [g.name for g in genome.genes]
    utr = targets_mod.utr3_lengths(rng, len(ids), design)
    mirna_lfc = planted_mirna_fold_changes(seed)
    targets, shift = targets_mod.plant_targets(rng, gene_lfc, mirna_lfc, utr, design)
    base = outdir / "targets"
    write_tsv_atomic(pd.DataFrame({"gene": ids, "utr3_length": utr}), base / "utr3_lengths.tsv")
    write_tsv_atomic(targets_mod.target_table(targets, ids, names, design), base / "targets.tsv")
    write_tsv_atomic(
        targets_mod.truth_table(targets, mirna_lfc, shift, ids, design.shifted),
        base / "truth_target_shift.tsv",
    )
    return shift


def write_cohort(cohort_dir: Path, seed: int) -> cohort_mod.Cohort:
    """``qpcr_ct.tsv``, ``clinical.tsv`` and ``demo_cohort_truth.tsv`` in ``cohort_dir``."""
    simulated = cohort_mod.simulate_cohort(
        np.random.SeedSequence([seed, _COHORT]), cohort_mod.CohortDesign()
    )
    write_tsv_atomic(simulated.ct, cohort_dir / "qpcr_ct.tsv")
    write_tsv_atomic(simulated.clinical, cohort_dir / "clinical.tsv")
    write_tsv_atomic(simulated.truth, cohort_dir / "demo_cohort_truth.tsv")
    return simulated


README = """# Demo data: SIMULATED

Every file in this folder was generated by the project's simulator
(`workflow/scripts/simulate_demo.py`, package `esccrt.simulate`), not measured:

- `smallrna/`: a synthetic miRNA panel ({n_mirna} mature miRNAs with miRBase-style names but
  invented sequences, `mature.fa`, `hairpin.fa`), synthetic rRNA, tRNA, Y RNA and snoRNA-like
  sequences (`rna_classes/<class>.fa`, screened in the config's `smallrna.rna_classes`), and
  single-end 51 nt reads of 6 exosome libraries ({smallrna_reads} reads requested per library,
  +-20 %), with planted fold changes (`truth_fold_changes.tsv`) and the exact reads drawn per miRNA
  (`truth_abundance.tsv`, before sequencing errors), split by isomiR kind in
  `truth_isomirs.tsv` (5' shift, 3' trim, non-templated A/U nt added at the 3' end).
- `mrna/`: a random {genome_mb:.2f} Mb genome with {n_genes} synthetic genes (`genes.gtf`), and
  2 x 75 nt reverse-stranded read pairs of 6 macrophage libraries ({mrna_pairs} pairs requested
  per library, +-20 %), with planted log2 fold changes (`truth_de.tsv`) and fragments drawn per
  gene (`truth_counts.tsv`).
- `targets/`: a 3'UTR length per gene (`utr3_lengths.tsv`), a miRNA-target table
  (`targets.tsv`: every panel miRNA gets {targets_per_mirna} targets drawn in proportion to 3'UTR
  length; genes named by symbol, every 4th by ID) and its planted truth
  (`truth_target_shift.tsv`, SIMULATED): the targets of miR-143-3p and miR-223-3p (planted up
  in the exosomes) are shifted down in the irradiated macrophages (mean log2 {target_shift}), on
  top of `truth_de.tsv`; every other miRNA's targets are unshifted negative controls.
- `truth_read_classes.tsv` in each arm: how many reads of each kind every library holds.

The qPCR and clinical cohort (`{cohort_dir}/qpcr_ct.tsv`, `clinical.tsv`,
`demo_cohort_truth.tsv`) is simulated by the same program: 40 invented patients.

Seed: {seed}. Regenerate with:

    .venv/bin/python workflow/scripts/simulate_demo.py \\
        --outdir {outdir} --cohort-dir {cohort_dir} \\
        --seed {seed} --smallrna-reads {smallrna_reads} --mrna-pairs {mrna_pairs}

The same seed and parameters give byte-identical files.
"""


def simulate_demo(
    outdir: str | Path,
    cohort_dir: str | Path,
    seed: int = DEFAULT_SEED,
    smallrna_reads: int = DEFAULT_SMALLRNA_READS,
    mrna_pairs: int = DEFAULT_MRNA_PAIRS,
) -> None:
    """Write the whole demo; ``<outdir>/.complete`` is written last."""
    started = time.monotonic()
    out = Path(outdir)
    cohort_path = Path(cohort_dir)
    stamp = out / ".complete"
    stamp.unlink(missing_ok=True)
    write_cohort(cohort_path, seed)
    _log(f"cohort written to {cohort_path}", started)
    # The arms draw from random streams of their own and write to folders of their own, so
    # writing them side by side gives the same bytes in about half the time on 2 cores.
    with ProcessPoolExecutor(max_workers=1) as pool:
        smallrna_written = pool.submit(write_smallrna, out, seed, smallrna_reads, started)
        write_mrna(out, seed, mrna_pairs, started)
        smallrna_written.result()
    genome_nt = sum(
        len(line)
        for line in (out / "mrna" / "genome.fa").read_text().splitlines()
        if not line.startswith(">")
    )
    n_genes = sum(
        1 for line in (out / "mrna" / "genes.gtf").read_text().splitlines() if "\tgene\t" in line
    )
    n_mirna = (out / "smallrna" / "mature.fa").read_text().count(">")
    write_text(
        out / "README.md",
        README.format(
            n_mirna=n_mirna,
            smallrna_reads=smallrna_reads,
            mrna_pairs=mrna_pairs,
            genome_mb=genome_nt / 1e6,
            n_genes=n_genes,
            targets_per_mirna=targets_mod.TargetDesign().targets_per_mirna,
            target_shift=targets_mod.TargetDesign().shift,
            cohort_dir=cohort_dir,
            seed=seed,
            outdir=outdir,
        ),
    )
    write_text(stamp, f"seed\t{seed}\nsmallrna_reads\t{smallrna_reads}\nmrna_pairs\t{mrna_pairs}\n")
    _log("done", started)
