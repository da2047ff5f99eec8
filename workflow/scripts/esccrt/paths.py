"""Every path under ``results/`` that rules and scripts share, each written once.

Patterns keep Snakemake's wildcards (``{sample}``, ``{unit}``, ``{arm}``, ...): a rule uses
them as they are, a script or an input function fills them with :func:`fill` (all wildcards)
or :func:`fill_some` (some of them, the others kept). Standard library only, so that the rule
files, the scripts and the tests import it alike. Logs and benchmarks are not here: each is
named by its own rule only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import TypeVar

#: A stage's dataclass of input or output paths (e.g. esccrt.survival.stage.SurvivalOutputs).
Paths = TypeVar("Paths")

RESULTS = "results"

# ---------------------------------------------------------------------------------- small RNA
SMALLRNA = f"{RESULTS}/smallrna"
SMALLRNA_REFERENCE_FASTA = f"{SMALLRNA}/reference/{{ref}}.fa"
SMALLRNA_BOWTIE_INDEX = f"{SMALLRNA}/reference/bowtie/{{ref}}"
SMALLRNA_ARMS = f"{SMALLRNA}/reference/mature_in_hairpin.tsv"
#: Marker written when a prebuilt bowtie index (config smallrna.bowtie_index) matched its FASTA.
SMALLRNA_INDEX_CHECKED = f"{SMALLRNA}/reference/bowtie/{{ref}}.prebuilt_checked.txt"
SMALLRNA_TRIMMED = f"{SMALLRNA}/trimmed/{{sample}}/{{unit}}"
SMALLRNA_TRIMMED_FASTA = f"{SMALLRNA_TRIMMED}.fa"
SMALLRNA_TRIM_REPORT = f"{SMALLRNA_TRIMMED}.trim.json"
SMALLRNA_CUTADAPT_JSON = f"{SMALLRNA_TRIMMED}.cutadapt.json"
SMALLRNA_COLLAPSED_FASTA = f"{SMALLRNA}/collapsed/{{sample}}.fa"
SMALLRNA_COLLAPSE_STATS = f"{SMALLRNA}/collapsed/{{sample}}.json"
#: Reads left by the RNA class screening (input of the mature step) and the reads per class.
SMALLRNA_SCREENED_FASTA = f"{SMALLRNA}/screen/{{sample}}.unscreened.fa"
SMALLRNA_SCREEN_COUNTS = f"{SMALLRNA}/screen/{{sample}}.json"
SMALLRNA_BOWTIE_BAM = f"{SMALLRNA}/bowtie/{{ref}}/{{sample}}.bam"
SMALLRNA_UNALIGNED = f"{SMALLRNA}/bowtie/{{ref}}/{{sample}}.unaligned.fa"
SMALLRNA_SAMPLE_COUNTS = f"{SMALLRNA}/counts/{{sample}}.json"
SMALLRNA_HAIRPIN_COUNTS = f"{SMALLRNA}/hairpin_counts.tsv"
SMALLRNA_ISOMIRS = f"{SMALLRNA}/isomirs.tsv"
#: isomiRs in mirGFF3 (mirtop's format): one file per sample, all samples merged, mirtop stats.
SMALLRNA_SAMPLE_MIRGFF = f"{SMALLRNA}/mirgff/{{sample}}.gff"
SMALLRNA_MIRGFF = f"{SMALLRNA}/mirgff/all_samples.gff"
SMALLRNA_MIRTOP_STATS = f"{SMALLRNA}/mirgff/mirtop_stats.tsv"
#: isomiR level (rule smallrna_isomirs, from the merged mirGFF3): the count matrix of the isomiRs
#: kept by the filter (``mirtop counts``'s numbers), each kept isomiR's mirtop variant types and
#: seed flag, and the filter's decision (thresholds, isomiRs read and kept).
SMALLRNA_ISOMIR_COUNTS = f"{SMALLRNA}/isomirs/counts.tsv"
SMALLRNA_ISOMIR_LABELS = f"{SMALLRNA}/isomirs/labels.tsv"
SMALLRNA_ISOMIR_FILTER = f"{SMALLRNA}/isomirs/filter.tsv"
SMALLRNA_READ_FATE = f"{SMALLRNA}/read_fate.tsv"
SMALLRNA_READ_FATE_PLOT = f"{SMALLRNA}/read_fate.png"
SMALLRNA_INSERT_LENGTHS = f"{SMALLRNA}/insert_lengths.tsv"
SMALLRNA_INSERT_LENGTHS_PLOT = f"{SMALLRNA}/insert_lengths.png"
#: RNA class composition per sample: table, figure and MultiQC custom content (``_mqc``).
SMALLRNA_RNA_CLASSES = f"{SMALLRNA}/rna_classes.tsv"
SMALLRNA_RNA_CLASSES_PLOT = f"{SMALLRNA}/rna_classes.png"
SMALLRNA_RNA_CLASSES_MQC = f"{SMALLRNA}/rna_classes_mqc.tsv"
#: Read-based miRNA alignment rates per sample, MultiQC general statistics (``_mqc``): bowtie's
#: own rates count distinct collapsed sequences.
SMALLRNA_ALIGNMENT_RATES_MQC = f"{SMALLRNA}/alignment_rates_mqc.tsv"
#: bowtie's log of one step (counts distinct collapsed sequences, so not given to MultiQC).
SMALLRNA_BOWTIE_LOG = f"{RESULTS}/logs/smallrna/bowtie/{{ref}}_{{sample}}.log"

# -------------------------------------------------------------------------------------- mRNA
MRNA = f"{RESULTS}/mrna"
MRNA_GENES = f"{MRNA}/reference/genes.tsv"
MRNA_EXON_REGIONS = f"{MRNA}/reference/exon_regions.tsv"
MRNA_SPLICE_SITES = f"{MRNA}/reference/hisat2/splice_sites.tsv"
MRNA_HISAT2_EXONS = f"{MRNA}/reference/hisat2/exons.tsv"
MRNA_HISAT2_INDEX = f"{MRNA}/reference/hisat2/genome"
MRNA_HISAT2_INDEX_FILES = tuple(f"{MRNA_HISAT2_INDEX}.{i}.ht2" for i in range(1, 9))
MRNA_STAR_INDEX = f"{MRNA}/reference/star"
#: Marker written when a prebuilt index (config mrna.hisat2.index / mrna.star.index) matched.
MRNA_INDEX_CHECKED = f"{MRNA}/reference/{{aligner}}.prebuilt_checked.txt"
MRNA_TRIMMED = f"{MRNA}/trimmed/{{sample}}/{{sample}}.{{unit}}"
#: cutadapt's trimmed reads of one unit: a folder with reads_1.fastq.gz (and reads_2.fastq.gz).
MRNA_TRIMMED_READS = f"{MRNA_TRIMMED}.reads"
MRNA_CUTADAPT_REPORT = f"{MRNA_TRIMMED}.cutadapt.txt"
MRNA_CUTADAPT_JSON = f"{MRNA_TRIMMED}.cutadapt.json"
MRNA_ALIGNED = f"{MRNA}/aligned/{{aligner}}/{{sample}}/{{sample}}.{{unit}}"
MRNA_BAM = f"{MRNA_ALIGNED}.bam"
MRNA_BAI = f"{MRNA_BAM}.bai"
#: The aligner's own summary of one unit, by aligner (read by the QC rule and MultiQC).
MRNA_ALIGNER_SUMMARY = {
    "hisat2": f"{MRNA_ALIGNED}.hisat2.txt",
    "star": f"{MRNA_ALIGNED}.Log.final.out",
}
MRNA_UNIT_STRANDEDNESS = f"{MRNA}/strandedness/{{sample}}/{{sample}}.{{unit}}.tsv"
MRNA_STRANDEDNESS = f"{MRNA}/strandedness.tsv"
MRNA_UNIT_COUNTS = f"{MRNA}/counts/{{sample}}/{{sample}}.{{unit}}.tsv"
MRNA_COUNT_SUMMARY = f"{MRNA}/count_summary.tsv"
MRNA_QC_RATES = f"{MRNA}/qc_rates.tsv"
MRNA_QC_RATES_PLOT = f"{MRNA}/qc_rates.png"

# ---------------------------------------------------------------------------- both arms
#: The count matrix and QC gate of an arm (``{arm}`` is ``smallrna`` or ``mrna``).
ARM_COUNTS = f"{RESULTS}/{{arm}}/counts.tsv"
ARM_QC_GATE = f"{RESULTS}/{{arm}}/qc_gate.tsv"

# ----------------------------------------------------------------------------------------- QC
QC = f"{RESULTS}/qc"
SAMTOOLS_STATS = f"{QC}/samtools_stats/{{sample}}/{{sample}}.{{unit}}.txt"
MULTIQC_REPORT = f"{QC}/multiqc_report.html"
MULTIQC_FILE_LIST = f"{QC}/multiqc_files.txt"
#: Per-sample QC verdicts of the small-RNA libraries, and as MultiQC custom content.
SAMPLE_QC = f"{QC}/sample_qc.tsv"
SAMPLE_QC_MQC = f"{QC}/sample_qc_mqc.tsv"
MRNA_INSERT_SIZES = f"{QC}/mrna_insert_sizes.tsv"
MRNA_INSERT_SIZES_PLOT = f"{QC}/mrna_insert_sizes.png"

# ----------------------------------------------------------------------- differential expression
DIFFEXP = f"{RESULTS}/diffexp/{{arm}}"
DIFFEXP_NORMALIZED = f"{DIFFEXP}/normalized_counts.tsv"
DIFFEXP_VST = f"{DIFFEXP}/vst.tsv"
DIFFEXP_SIZE_FACTORS = f"{DIFFEXP}/size_factors.tsv"
DIFFEXP_EXCLUDED = f"{DIFFEXP}/excluded_samples.tsv"
DIFFEXP_PCA = f"{DIFFEXP}/plots/pca.png"
DIFFEXP_DISTANCES = f"{DIFFEXP}/plots/sample_distances.png"
DIFFEXP_TABLE = f"{DIFFEXP}/{{contrast}}.tsv"
#: What qualifies a contrast's result (few replicates, PyDESeq2's warnings; esccrt.de.caveats).
DIFFEXP_CAVEATS = f"{DIFFEXP}/caveats/{{contrast}}.tsv"
DIFFEXP_VOLCANO = f"{DIFFEXP}/plots/{{contrast}}.volcano.png"
DIFFEXP_MA = f"{DIFFEXP}/plots/{{contrast}}.ma.png"
DIFFEXP_TOP_FEATURES = f"{DIFFEXP}/plots/{{contrast}}.top_features.png"
#: isomiR-level DE of the small-RNA arm (rule diffexp_isomirs): per contrast, each isomiR's result
#: with its variant types and seed flag, and the contrast's caveats.
DIFFEXP_ISOMIRS = f"{RESULTS}/diffexp/smallrna/isomirs/{{contrast}}.tsv"
DIFFEXP_ISOMIR_CAVEATS = f"{RESULTS}/diffexp/smallrna/isomirs/caveats/{{contrast}}.tsv"

# ------------------------------------------------------------------------------ qPCR, survival
QPCR_FOLD_CHANGES = f"{RESULTS}/qpcr/fold_changes.tsv"
QPCR_REPLICATE_QC = f"{RESULTS}/qpcr/replicate_qc.tsv"
QPCR_REFERENCE_STABILITY = f"{RESULTS}/qpcr/reference_stability.tsv"
QPCR_GENORM_STEPS = f"{RESULTS}/qpcr/genorm_steps.tsv"
QPCR_REFERENCE_STABILITY_PLOT = f"{RESULTS}/qpcr/reference_stability.png"
QPCR_HAEMOLYSIS = f"{RESULTS}/qpcr/haemolysis.tsv"
#: The reference genes the fold changes were normalised to, and why (configured or picked).
QPCR_REFERENCES = f"{RESULTS}/qpcr/references.tsv"
#: NRQ per patient, timepoint and target with SE and interval; the efficiency SEs they used;
#: the fold changes with their intervals as a figure.
QPCR_RELATIVE_QUANTITIES = f"{RESULTS}/qpcr/relative_quantities.tsv"
QPCR_EFFICIENCY_UNCERTAINTY = f"{RESULTS}/qpcr/efficiency_uncertainty.tsv"
QPCR_FOLD_CHANGE_PLOT = f"{RESULTS}/qpcr/fold_changes.png"
#: Amplification factor per target as the fold changes use it (config or LinRegPCR) and its SE
#: from the amplification curves (written by the import rule).
QPCR_EFFICIENCIES = f"{RESULTS}/qpcr/efficiencies.tsv"
# Instrument files (RDML, exports) -> the long Ct table, and the wells not quantified.
QPCR_CT_IMPORTED = f"{RESULTS}/qpcr/ct_imported.tsv"
QPCR_CONTROL_WELLS = f"{RESULTS}/qpcr/control_wells.tsv"
# Cohorts and designs (qpcr.design): patients missing a timepoint of a pair, samples the sample
# map excludes, the unpaired groups' comparison, the time course's comparisons.
QPCR_UNPAIRED_SAMPLES = f"{RESULTS}/qpcr/unpaired_samples.tsv"
QPCR_EXCLUDED_SAMPLES = f"{RESULTS}/qpcr/excluded_samples.tsv"
QPCR_GROUP_COMPARISON = f"{RESULTS}/qpcr/group_comparison.tsv"
QPCR_TIMEPOINT_COMPARISONS = f"{RESULTS}/qpcr/timepoint_comparisons.tsv"
# Inter-run calibration: the calibrated long Ct table, the factor per plate and target, and the
# patients whose pre and post samples sit on different plates.
QPCR_CT_CALIBRATED = f"{RESULTS}/qpcr/ct_calibrated.tsv"
QPCR_INTERRUN_FACTORS = f"{RESULTS}/qpcr/interrun_factors.tsv"
QPCR_PLATE_SPLIT_PAIRS = f"{RESULTS}/qpcr/plate_split_pairs.tsv"
QPCR_MELT_PEAKS = f"{RESULTS}/qpcr/melt_peaks.tsv"
QPCR_WELL_QC = f"{RESULTS}/qpcr/well_qc.tsv"
QPCR_SAMPLE_QC = f"{RESULTS}/qpcr/sample_qc.tsv"
QPCR_DETECTION_LIMITS = f"{RESULTS}/qpcr/detection_limits.tsv"
# LinRegPCR's result per reaction (empty unless qpcr.cq_source/efficiency_source is linregpcr).
QPCR_LINREGPCR_REACTIONS = f"{RESULTS}/qpcr/linregpcr_reactions.tsv"
SURVIVAL = f"{RESULTS}/survival"
SURVIVAL_TABLE1 = f"{SURVIVAL}/table1.tsv"
SURVIVAL_TABLE1_MD = f"{SURVIVAL}/table1.md"
SURVIVAL_GROUPS = f"{SURVIVAL}/groups.tsv"
SURVIVAL_LOGRANK = f"{SURVIVAL}/logrank.tsv"
SURVIVAL_KM_MEDIANS = f"{SURVIVAL}/km_medians.tsv"
SURVIVAL_COX = f"{SURVIVAL}/cox.tsv"
SURVIVAL_ROC = f"{SURVIVAL}/roc.tsv"
SURVIVAL_AUC = f"{SURVIVAL}/auc.tsv"
SURVIVAL_KM_PLOT = f"{SURVIVAL}/km/{{endpoint}}_{{factor}}.png"
SURVIVAL_FOREST_PLOT = f"{SURVIVAL}/forest.png"
SURVIVAL_ROC_PLOT = f"{SURVIVAL}/roc.png"
SURVIVAL_MAXSTAT = f"{SURVIVAL}/maxstat.tsv"
SURVIVAL_CUTOFF_SCAN = f"{SURVIVAL}/cutoff_scan.tsv"
SURVIVAL_CUTOFF_PLOT = f"{SURVIVAL}/cutoff_scan.png"
#: The cut-off applied per factor and its source (config or the section's default).
SURVIVAL_CUTOFFS = f"{SURVIVAL}/cutoffs.tsv"
#: Cox models of each marker's continuous log2 fold change (linear and spline) per endpoint.
SURVIVAL_CONTINUOUS = f"{SURVIVAL}/continuous_markers.tsv"
#: Riley et al.'s minimum sample size criteria against the cohort (adequate / exploratory).
SURVIVAL_SAMPLE_SIZE = f"{SURVIVAL}/sample_size.tsv"
#: The marker Cox model's predicted risks by each landmark, its time-dependent accuracy (AUC,
#: Brier score, IPA) and decision curves (net benefit per threshold probability).
SURVIVAL_PREDICTED_RISKS = f"{SURVIVAL}/predicted_risks.tsv"
SURVIVAL_TIME_ACCURACY = f"{SURVIVAL}/time_dependent_accuracy.tsv"
SURVIVAL_DECISION_CURVES = f"{SURVIVAL}/decision_curves.tsv"
SURVIVAL_DECISION_PLOT = f"{SURVIVAL}/decision_curves.png"
#: The locked marker Cox model (coefficients, baseline survival at the landmarks, checksum) and
#: its external validation when survival.validate_model names a locked model.
SURVIVAL_PROGNOSTIC_MODEL = f"{SURVIVAL}/prognostic_model.json"
SURVIVAL_EXTERNAL_VALIDATION = f"{SURVIVAL}/external_validation.tsv"
#: The marker Cox model's calibration at each landmark (apparent, bootstrap optimism,
#: corrected) and its smoothed calibration curves.
SURVIVAL_CALIBRATION = f"{SURVIVAL}/calibration.tsv"
SURVIVAL_CALIBRATION_CURVE = f"{SURVIVAL}/calibration_curve.tsv"
SURVIVAL_CALIBRATION_PLOT = f"{SURVIVAL}/calibration_curve.png"
#: Missing values per variable used (n, n missing, share), and the markers' Cox models pooled
#: over multiply imputed data sets (no rows unless survival.missing_data.method is mice).
SURVIVAL_MISSINGNESS = f"{SURVIVAL}/missingness.tsv"
SURVIVAL_MICE_POOLED = f"{SURVIVAL}/mice_pooled.tsv"
#: Sequencing markers (survival.sequencing_markers): each patient's small-RNA miRNA change
#: post / pre from the DE stage's normalised counts, read beside the qPCR fold changes.
SURVIVAL_SEQUENCING_FOLD_CHANGES = f"{SURVIVAL}/sequencing_fold_changes.tsv"
#: Competing risks (endpoints naming a competing event): Fine-Gray subdistribution hazard ratios,
#: the Aalen-Johansen cumulative incidence at the landmarks and its step functions.
SURVIVAL_COMPETING_RISKS = f"{SURVIVAL}/competing_risks.tsv"
SURVIVAL_CUMULATIVE_INCIDENCE = f"{SURVIVAL}/cumulative_incidence.tsv"
SURVIVAL_INCIDENCE_CURVES = f"{SURVIVAL}/cumulative_incidence_curves.tsv"
SURVIVAL_INCIDENCE_PLOT = f"{SURVIVAL}/cumulative_incidence_{{endpoint}}.png"

# ------------------------------------------------------- the join: sequencing x survival
INTEGRATE = f"{RESULTS}/integrate"
INTEGRATE_EVIDENCE = f"{INTEGRATE}/mirna_evidence.tsv"
INTEGRATE_TARGETS = f"{INTEGRATE}/candidate_targets.tsv"
INTEGRATE_MARKERS = f"{INTEGRATE}/m2_markers.tsv"
INTEGRATE_MARKER_PLOT = f"{INTEGRATE}/m2_markers.{{contrast}}.png"
#: miRNA-target interactions of every source, mapped onto the run's names; what did not map;
#: one row per source (release, SHA-256, interactions read and mapped).
INTEGRATE_MIRNA_TARGETS = f"{INTEGRATE}/mirna_targets.tsv"
INTEGRATE_TARGETS_UNMAPPED = f"{INTEGRATE}/mirna_targets_unmapped.tsv"
INTEGRATE_TARGET_SOURCES = f"{INTEGRATE}/mirna_target_sources.tsv"
#: The target-set shift tests, the genes each compared, the candidates, one CDF plot per test.
INTEGRATE_TARGET_SHIFT = f"{INTEGRATE}/target_shift.tsv"
INTEGRATE_TARGET_SHIFT_GENES = f"{INTEGRATE}/target_shift_genes.tsv"
INTEGRATE_TARGET_CANDIDATES = f"{INTEGRATE}/target_candidates.tsv"
INTEGRATE_TARGET_PLOTS = f"{INTEGRATE}/target_shift_plots"
#: A target source's cached copy and its provenance record (``<file>.provenance.json``).
TARGET_SOURCE_CACHE = "{cache}/{name}.{kind}.txt"

# -------------------------------------------------------------------- provenance and report
PROVENANCE = f"{RESULTS}/provenance.json"
#: The input files' SHA-256 remembered by size and time between runs (esccrt.provenance.
#: ChecksumCache): a cache the provenance rule reads and rewrites, not one of its outputs.
PROVENANCE_CHECKSUMS = f"{RESULTS}/provenance_checksums.tsv"
#: Every reference file the run used: arm, role, config key, size, SHA-256, provider and release.
REFERENCES_USED = f"{RESULTS}/references.tsv"
REPORT = f"{RESULTS}/report"
REPORT_HTML = f"{REPORT}/report.html"
#: Where an older report goes while a run rebuilds it or after a run failed (esccrt.report.stale).
REPORT_STALE_HTML = f"{REPORT}/report.stale.html"
#: The report's QC part, written as soon as QC decided (esccrt.report.qc_page): it exists also
#: when the run stops later; its older copy goes aside as the report's does.
REPORT_QC_HTML = f"{REPORT}/qc.html"
REPORT_QC_STALE_HTML = f"{REPORT}/qc.stale.html"
#: The reporting checklists: each item and the part of the report that answers it (or the user).
REPORT_TRIPOD_CHECKLIST = f"{REPORT}/tripod_ai_checklist.tsv"
REPORT_REMARK_CHECKLIST = f"{REPORT}/remark_checklist.tsv"
#: With report.pseudonymise: the tables meant for sharing, patient identifiers coded (the report's
#: tables and the per-patient ones, at their paths within results/), and the private mapping of
#: identifiers to codes, for the study team only.
SHARE = f"{RESULTS}/share"
PSEUDONYMS = f"{RESULTS}/private/pseudonyms.tsv"

_WILDCARD = re.compile(r"\{(\w+)\}")


def fill(pattern: str, **values: object) -> str:
    """``pattern`` with every wildcard replaced; a missing value is a programming error."""
    return pattern.format(**values)


def fill_some(pattern: str, **values: object) -> str:
    """``pattern`` with the given wildcards replaced and the others kept as wildcards."""
    return _WILDCARD.sub(
        lambda match: str(values[match[1]]) if match[1] in values else match[0], pattern
    )


def from_named(cls: type[Paths], named: Mapping[str, object]) -> Paths:
    """A stage's dataclass of paths from a rule's named inputs or outputs (``dict(snakemake.
    output.items())``); names the dataclass does not have (e.g. ``plots``) are ignored.

    A named list of files (``expand``) becomes a tuple of paths; a field with a default (an
    input only some configurations have) keeps it when the rule has no file by that name, or
    names an empty list (``[]``, what a rule gives where the configuration has no such file).
    """
    values: dict[str, object] = {}
    for field in fields(cls):
        value = named.get(field.name)
        absent = value is None or (isinstance(value, (list, tuple)) and not value)
        if absent and (field.default is not MISSING or field.default_factory is not MISSING):
            continue
        if value is None:
            raise KeyError(f"the rule names no file {field.name!r} ({cls.__name__})")
        if isinstance(value, (list, tuple)):
            values[field.name] = tuple(Path(str(item)) for item in value)
        else:
            values[field.name] = Path(str(value))
    return cls(**values)


def unit_paths(pattern: str, unit_keys: Iterable[tuple[str, str]], **values: object) -> list[str]:
    """``pattern`` filled once per (sample, unit), with ``values`` for its other wildcards."""
    return [fill(pattern, sample=sample, unit=unit, **values) for sample, unit in unit_keys]


def trimmed_fastqs(reads_folder: str, paired: bool) -> list[str]:
    """The FASTQ file(s) inside an mRNA unit's trimmed-reads folder (:data:`MRNA_TRIMMED_READS`)."""
    return [f"{reads_folder}/reads_{mate}.fastq.gz" for mate in ((1, 2) if paired else (1,))]


def survival_plots(
    endpoints: Iterable[str], factors: Iterable[str], competing: Iterable[str]
) -> list[str]:
    """Every figure of the survival rule: KM per endpoint x factor, the forest and ROC plots,
    the cut-off sensitivity curves, the decision curves, the calibration curves and the
    cumulative incidence of each endpoint naming a competing event (``competing``)."""
    factors = list(factors)
    km = [fill(SURVIVAL_KM_PLOT, endpoint=e, factor=f) for e in endpoints for f in factors]
    return [
        *km,
        SURVIVAL_FOREST_PLOT,
        SURVIVAL_ROC_PLOT,
        SURVIVAL_CUTOFF_PLOT,
        SURVIVAL_DECISION_PLOT,
        SURVIVAL_CALIBRATION_PLOT,
        *(fill(SURVIVAL_INCIDENCE_PLOT, endpoint=e) for e in competing),
    ]
