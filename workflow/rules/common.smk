# Validation of config and sheets before any job runs, each arm's settings, and the sample and
# unit lookups every stage shares. Included first: it depends on nothing but the config.
from pathlib import Path

from snakemake.utils import validate

# The library of the workflow's scripts (workflow/scripts/esccrt) is also used here, for the DAG:
# it is installed as a package (`make setup`: pip install -e . into .venv; environment.yml: its
# pip section), so Snakemake imports it like any other. Rule scripts find it too (Snakemake puts
# their folder on the path of each script job, also in the per-rule conda environments).
from esccrt import paths, sheets
from esccrt.catalog import apply_to_config, resolve
from esccrt.config_check import check_config, refuse_demo_references
from esccrt.de.design import check_design
from esccrt.de.settings import (
    arm_section,
    check_qc_only,
    contrast_constraint,
    qc_only_arms,
)
from esccrt.errors import InputError
from esccrt.multiqc import multiqc_title
from esccrt.mrna.reference import reference_path
from esccrt.qpcr.ct_import import ImportSettings
from esccrt.qpcr.curves import CurveSettings, import_rule_settings
from esccrt.qpcr.sample_map import read_sample_map
from esccrt.report.pseudonyms import read_key
from esccrt.report.qc_page import page_settings as qc_page_settings
from esccrt.rna_class_sources import names_sources, resolve_classes, use_cached_files
from esccrt.qpcr.settings import QpcrSettings
from esccrt.safety import check_tool_options
from esccrt.smallrna.layout import (
    MIRNA_STEPS,
    check_legacy_keys,
    rna_class_names,
)
from esccrt.survival.clinical import clinical_patients
from esccrt.survival.sequencing import check_marker_names


def checked(section, schema, key=""):
    """``section`` (config key ``key``) validated by ``workflow/schemas/<schema>``, defaults filled
    in; a problem stops the run before any job with one line naming the key and the fix.
    """
    try:
        return check_config(section, schema, key)
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None


# A config of an older version: say what to write now, before the schema's generic message.
try:
    check_legacy_keys(config.get("smallrna", {}))
except InputError as error:
    raise WorkflowError(f"Input error: {error}") from None
# References by name (config `reference`): resolved to the providers' addresses; the arm keys the
# config leaves out then read the cached downloads (rule reference_download, references.smk).
# Done before the whole config is validated, since it fills the arms' required keys. RNA classes
# by name (smallrna.rna_classes[].source) use its cache and mirrors, also without a block.
if names_sources(config.get("smallrna")):
    config.setdefault("reference", {})
if "reference" in config:
    checked(config["reference"], "reference.schema.yaml", "reference")
REFERENCE_CACHE = (config.get("reference") or {}).get("cache", "")
try:
    NAMED_REFERENCES = resolve(config.get("reference"))
except InputError as error:
    raise WorkflowError(f"Input error: {error}") from None
NAMED_REFERENCES = {
    role: NAMED_REFERENCES[role]
    for role in apply_to_config(config, NAMED_REFERENCES, REFERENCE_CACHE)
}

checked(config, "config.schema.yaml")
# Coded patient identifiers need their key: a missing or short key stops the run before any job.
PSEUDONYMISE = config["report"]["pseudonymise"]
if PSEUDONYMISE:
    try:
        read_key(config["report"]["pseudonym_key"])
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None


def _load_sheets():
    """Samples and units, checked; a bad sheet stops the run with the sheet's own words."""
    try:
        samples = sheets.load_samples(config.get("samples"))
        units = sheets.load_units(config.get("units"), samples)
        if (
            len(samples) and "diffexp" not in config
        ):  # no contrast: every arm is QC only
            config["diffexp"] = checked({}, "diffexp.schema.yaml", "diffexp")
        for arm in sheets.LIBRARY_TYPES:
            arm_samples = samples[samples["library_type"] == arm]
            section = arm_section(config["diffexp"], arm) if len(arm_samples) else {}
            if section.get("contrasts"):  # an arm without a contrast is QC only
                check_design(arm_samples, section)
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None
    validate(samples, schema="../schemas/samples.schema.yaml")
    validate(units, schema="../schemas/units.schema.yaml")
    return samples, units


samples, units = _load_sheets()
# The units as plain lookups for the per-job functions (esccrt.sheets.UnitIndex).
UNITS = sheets.UnitIndex.of(units)

SMALLRNA_SAMPLES = sorted(samples.index[samples["library_type"] == "smallrna"])
MRNA_SAMPLES = sorted(samples.index[samples["library_type"] == "mrna"])
ARMS = [
    arm
    for arm, members in (("smallrna", SMALLRNA_SAMPLES), ("mrna", MRNA_SAMPLES))
    if members
]
# The diffexp settings of each arm (its own keys, else the shared ones) and its contrasts.
DIFFEXP = {arm: arm_section(config["diffexp"], arm) for arm in ARMS}
CONTRASTS = {arm: sorted(DIFFEXP[arm]["contrasts"]) for arm in ARMS}
# Arms without a contrast are QC only (trimming to QC, MultiQC and the report; no DE); the others
# also run their differential expression.
QC_ONLY_ARMS = qc_only_arms(DIFFEXP)
DE_ARMS = [arm for arm in ARMS if arm not in QC_ONLY_ARMS]
ARM_SAMPLES = {"smallrna": SMALLRNA_SAMPLES, "mrna": MRNA_SAMPLES}


def arm_contrast_paths(pattern, arms=None):
    """``pattern`` filled for every (arm, contrast) pair of the arms (default: every arm)."""
    return [
        paths.fill(pattern, arm=arm, contrast=contrast)
        for arm in (ARMS if arms is None else arms)
        for contrast in CONTRASTS[arm]
    ]


wildcard_constraints:
    sample=sheets.SAMPLE_WILDCARD,
    unit=sheets.NAME_PATTERN.pattern.strip("^$"),
    arm="smallrna|mrna",
    contrast=contrast_constraint(CONTRASTS),


def units_of(sample):
    """Unit names of a sample, in sheet order."""
    return UNITS.units_of(sample)


def is_paired(sample, unit):
    """True when the unit has a second FASTQ file."""
    return UNITS.is_paired(sample, unit)


def unit_fastqs(wildcards):
    """The FASTQ file(s) of one unit, as named inputs fq1 (and fq2 for pairs)."""
    unit = UNITS.row(wildcards.sample, wildcards.unit)
    fastqs = {"fq1": unit["fq1"]}
    if unit["fq2"]:
        fastqs["fq2"] = unit["fq2"]
    return fastqs


def arm_settings(arm, arm_samples):
    """The validated config section of a sequencing arm (defaults filled in by its schema).

    An arm without samples is not validated and its rules are not included (Snakefile), so
    its section may be absent from the config.
    """
    if not arm_samples:
        return {}
    return checked(config.setdefault(arm, {}), f"{arm}.schema.yaml", arm)


def qpcr_enabled():
    """The qPCR and survival arm runs when a Ct table is configured."""
    return bool(config.get("qpcr", {}).get("ct_table"))


if not ARMS and not qpcr_enabled():
    raise WorkflowError(
        "Input error: nothing to analyse: the sample sheet lists no sequencing library "
        "(config 'samples') and no qPCR Ct table is configured (config 'qpcr.ct_table')."
    )


def survival_enabled():
    """The survival analysis runs when qPCR runs and the config has a survival section (a
    cell-line qPCR experiment has none)."""
    return qpcr_enabled() and bool(config.get("survival"))


def qpcr_efficiency_table(wildcards):
    """The curve analysis' per-target efficiencies with their SEs, when the config takes the
    amplification factors from the curves (qpcr.efficiency_source: linregpcr): they replace
    qpcr.efficiencies (esccrt.qpcr.curves) and their SEs enter the fold changes' intervals
    (esccrt.qpcr.uncertainty)."""
    if config["qpcr"]["efficiency_source"] == "linregpcr":
        return {"efficiencies": paths.QPCR_EFFICIENCIES}
    return {}


def qpcr_design_outputs():
    """The comparison table of the qPCR design, by name (none for the paired design)."""
    design = config["qpcr"].get("design", "paired")
    if design == "unpaired":
        return {"group_comparison": paths.QPCR_GROUP_COMPARISON}
    if design == "timecourse":
        return {"timepoint_comparisons": paths.QPCR_TIMEPOINT_COMPARISONS}
    return {}


def qpcr_qc_inputs():
    """What the qPCR stage's QC tables read besides the Ct table: with instrument files
    their control wells (standards for the limit of detection), with RDML the melt peaks.
    """
    if config["qpcr"]["format"] == "long":
        return {}
    inputs = {"control_wells": paths.QPCR_CONTROL_WELLS}
    if config["qpcr"]["format"] in ("rdml", "auto"):
        inputs["melt_peaks"] = paths.QPCR_MELT_PEAKS
    return inputs


def qpcr_long_ct_table():
    """The long Ct table the fold changes read: the configured one, or the imported one."""
    if config["qpcr"]["format"] == "long":
        return config["qpcr"]["ct_table"]
    return paths.QPCR_CT_IMPORTED


try:
    SMALLRNA = arm_settings("smallrna", SMALLRNA_SAMPLES)
    # RNA classes screened before miRNA alignment, in order (names checked, unique).
    SMALLRNA_CLASSES = rna_class_names(SMALLRNA) if SMALLRNA else []
    # RNA classes by name: downloaded into the cache (rule reference_download) like the other
    # references by name, then read from there like a local `fasta`.
    if names_sources(SMALLRNA):
        NAMED_REFERENCES.update(
            resolve_classes(SMALLRNA, config["reference"]["mirrors"])
        )
        use_cached_files(SMALLRNA, REFERENCE_CACHE)
except InputError as error:
    raise WorkflowError(f"Input error: {error}") from None
# Per-sample QC criteria and their thresholds (workflow/schemas/qc.schema.yaml).
QC_SETTINGS = checked(config.setdefault("qc", {}), "qc.schema.yaml", "qc")
# Every small-RNA reference: the miRNA steps (bowtie mature, then hairpin) and the classes.
SMALLRNA_REFS = [*MIRNA_STEPS, *SMALLRNA_CLASSES] if SMALLRNA else []
# isomiR-level results (smallrna.isomirs): the isomiR matrix and its DE per small-RNA contrast.
ISOMIRS = bool(SMALLRNA) and SMALLRNA["isomirs"]["enabled"]

MRNA = arm_settings("mrna", MRNA_SAMPLES)
if MRNA:
    # hisat2's wrapper runs its options through a shell: refuse shell syntax before any job.
    try:
        check_tool_options(
            {
                f"mrna.{step}.extra": MRNA[step]["extra"]
                for step in ("hisat2", "star", "trimming")
            }
        )
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None
MRNA_UNITS = [(s, u) for s in MRNA_SAMPLES for u in units_of(s)]
# The genome FASTA and annotation the mRNA arm reads (in place, or through the download cache).
MRNA_GENOME = reference_path(MRNA, "genome.fa") if MRNA else None
MRNA_GTF = reference_path(MRNA, "genes.gtf") if MRNA else None


def _check_qpcr_import():
    """Instrument Ct files: the format, sources and sample map, checked before any job."""
    try:
        settings = ImportSettings.from_config(config["qpcr"])
        CurveSettings.from_config(config["qpcr"])  # linregpcr needs instrument files
        if not settings.is_long:
            sheet = read_sample_map(settings.sample_map).drop(columns=sheets.LINE)
            validate(sheet, schema="../schemas/qpcr_sample_map.schema.yaml")
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None


def _check_qpcr_design():
    """The unpaired design has no per-patient fold changes for the survival analysis."""
    if survival_enabled() and config["qpcr"]["design"] == "unpaired":
        raise WorkflowError(
            "Input error: config key qpcr.design is 'unpaired' and the config has a survival "
            "section; the survival analysis needs per-patient fold changes (design paired or "
            "timecourse). Remove the survival section for a case-control study."
        )


def _check_sample_patients():
    """The sample sheet's patients are the clinical table's and its timepoints the qPCR's;
    survival.sequencing_markers needs small-RNA libraries with a patient and timepoint.
    """
    with_patient = (
        samples[samples["patient"] != ""] if "patient" in samples else samples[:0]
    )
    try:
        if len(with_patient):
            sheets.check_sample_patients(
                config["samples"],
                QpcrSettings.from_config(config["qpcr"]).timepoints,
                clinical_patients(config["survival"]["clinical"]),
                config["survival"]["clinical"],
            )
        check_marker_names(config["survival"])
        small_rna = with_patient["library_type"] == "smallrna"
        if config["survival"]["sequencing_markers"] and not small_rna.any():
            raise InputError(
                "config key survival.sequencing_markers is set, but no small-RNA sample of the "
                f"sample sheet ({config.get('samples') or 'none'}) has a patient and a "
                "timepoint; fill the columns patient and timepoint, or empty the key."
            )
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None


if qpcr_enabled():
    checked(config["qpcr"], "qpcr.schema.yaml", "qpcr")
    if survival_enabled():
        checked(config["survival"], "survival.schema.yaml", "survival")
    _check_qpcr_design()
    _check_qpcr_import()
    if survival_enabled():
        _check_sample_patients()
        try:
            check_qc_only(QC_ONLY_ARMS, bool(config["survival"]["sequencing_markers"]))
        except InputError as error:
            raise WorkflowError(f"Input error: {error}") from None

# Which parts of the join (integrate.smk) this configuration has.
JOIN_EVIDENCE = "smallrna" in DE_ARMS and survival_enabled()
# The target-set shift test needs both sequencing arms and a target source
# (integrate.mirna_targets); the candidates' DE targets need the qPCR arm as well.
checked(config.setdefault("integrate", {}), "integrate.schema.yaml", "integrate")
TARGET_SECTION = config["integrate"]["mirna_targets"]
JOIN_SHIFT = {"smallrna", "mrna"} <= set(DE_ARMS) and bool(TARGET_SECTION["sources"])
JOIN_TARGETS = JOIN_EVIDENCE and JOIN_SHIFT
# The cached copy of each target source (rule mirna_target_source), read by provenance too.
TARGET_SOURCE_FILES = (
    [
        paths.fill(
            paths.TARGET_SOURCE_CACHE,
            cache=TARGET_SECTION["cache"],
            name=source["name"],
            kind=source["kind"],
        )
        for source in TARGET_SECTION["sources"]
    ]
    if JOIN_SHIFT
    else []
)
JOIN_MARKERS = "mrna" in DE_ARMS  # the candidates' targets need the mRNA arm's DE too
# A study's own config (demo: false) must not read the simulated demo's references: those of
# the arms that run, and the target sources when the shift test runs.
try:
    refuse_demo_references(config, [*ARMS, *(["integrate"] if JOIN_SHIFT else [])])
except InputError as error:
    raise WorkflowError(f"Input error: {error}") from None
JOIN_MARKER_PLOTS = JOIN_MARKERS and bool(config["report"]["m2_markers"])
# The join runs when it has something to join (its rule file is included only then).
JOIN_RUNS = JOIN_EVIDENCE or JOIN_MARKERS
# Every figure of the survival analysis (KM per endpoint x factor, forest, ROC): the report
# embeds these.
SURVIVAL_PLOTS = (
    paths.survival_plots(
        [endpoint["name"] for endpoint in config["survival"]["endpoints"]],
        [factor["name"] for factor in config["survival"]["factors"]],
        [e["name"] for e in config["survival"]["endpoints"] if e["competing"]],
    )
    if survival_enabled()
    else []
)


# ------------------------------------------- inputs of the aggregate steps and the final targets


def diffexp_outputs():
    """All differential-expression targets (tables, matrices, plots) of the arms with a
    contrast (none of a QC-only arm)."""
    per_arm = [paths.DIFFEXP_NORMALIZED, paths.DIFFEXP_PCA, paths.DIFFEXP_DISTANCES]
    per_contrast = [
        paths.DIFFEXP_TABLE,
        paths.DIFFEXP_CAVEATS,
        paths.DIFFEXP_VOLCANO,
        paths.DIFFEXP_MA,
        paths.DIFFEXP_TOP_FEATURES,
    ]
    return (
        expand(per_arm, arm=DE_ARMS)
        + [path for pattern in per_contrast for path in arm_contrast_paths(pattern)]
        + isomir_de_paths(paths.DIFFEXP_ISOMIRS)
        + isomir_de_paths(paths.DIFFEXP_ISOMIR_CAVEATS)
    )


def isomir_de_paths(pattern):
    """``pattern`` (an isomiR DE table or caveats) for every small-RNA contrast; none when
    smallrna.isomirs is off."""
    return (
        [paths.fill(pattern, contrast=c) for c in CONTRASTS["smallrna"]]
        if ISOMIRS
        else []
    )


def multiqc_inputs(wildcards):
    """The per-sample tool reports MultiQC reads, as named lists (empty for an absent arm)."""
    # Small RNA: cutadapt's report of every read (the trimming step writes it beside its own),
    # and no bowtie logs: bowtie aligns collapsed sequences, so its "% aligned" counts distinct
    # sequences and each step (mature, hairpin) would be a row of its own. The read-based rates
    # are the summary's custom content, one row per sample.
    inputs = {
        "cutadapt": [
            paths.fill(paths.SMALLRNA_CUTADAPT_JSON, sample=sample, unit=unit)
            for sample in SMALLRNA_SAMPLES
            for unit in units_of(sample)
        ],
        # Read-based miRNA alignment rates, RNA class composition (reads per class, mature,
        # hairpin only, unassigned) and the per-sample QC verdicts.
        "custom": (
            [
                paths.SMALLRNA_ALIGNMENT_RATES_MQC,
                paths.SMALLRNA_RNA_CLASSES_MQC,
                paths.SAMPLE_QC_MQC,
            ]
            if SMALLRNA_SAMPLES
            else []
        ),
        "aligner": [],
        "samtools": [],
        "htseq": [],
    }
    if MRNA_UNITS:
        aligner = MRNA["aligner"]
        inputs["cutadapt"] += paths.unit_paths(paths.MRNA_CUTADAPT_JSON, MRNA_UNITS)
        inputs["aligner"] = paths.unit_paths(
            paths.MRNA_ALIGNER_SUMMARY[aligner], MRNA_UNITS, aligner=aligner
        )
        inputs["samtools"] = paths.unit_paths(paths.SAMTOOLS_STATS, MRNA_UNITS)
        inputs["htseq"] = paths.unit_paths(paths.MRNA_UNIT_COUNTS, MRNA_UNITS)
    return inputs


def report_qc_inputs(wildcards):
    """Named inputs of the QC page: each arm's gate; with small RNA its verdicts and read fate;
    with report.pseudonymise the key and the tables naming the patients (the report's codes).
    """
    inputs = {"gates": expand(paths.ARM_QC_GATE, arm=ARMS)}
    if SMALLRNA_SAMPLES:
        inputs["sample_qc"] = paths.SAMPLE_QC
        inputs["read_fate"] = paths.SMALLRNA_READ_FATE
    if PSEUDONYMISE:  # a new key gives new codes: the page is rebuilt
        inputs["pseudonym_key"] = config["report"]["pseudonym_key"]
        inputs["identifiers"] = [config["samples"]]
        if survival_enabled():
            inputs["identifiers"].append(config["survival"]["clinical"])
    return inputs


def report_inputs(wildcards):
    """Named inputs of the report: tables and figures of every stage that runs."""
    inputs = {
        "de_tables": arm_contrast_paths(paths.DIFFEXP_TABLE),
        "de_caveats": arm_contrast_paths(paths.DIFFEXP_CAVEATS),
        "de_plots": [p for p in diffexp_outputs() if p.endswith(".png")],
        "qc_plots": [],
        "excluded": expand(paths.DIFFEXP_EXCLUDED, arm=DE_ARMS),
        "provenance": paths.PROVENANCE,
        "references_used": paths.REFERENCES_USED,
    }
    if PSEUDONYMISE:  # a new key gives new codes: the report is rebuilt
        inputs["pseudonym_key"] = config["report"]["pseudonym_key"]
    if ARMS:
        inputs["samples"] = config["samples"]
        inputs["multiqc"] = paths.MULTIQC_REPORT
    if SMALLRNA_SAMPLES:
        inputs["read_fate"] = paths.SMALLRNA_READ_FATE
        inputs["mirtop_stats"] = paths.SMALLRNA_MIRTOP_STATS
        inputs["smallrna_gate"] = paths.fill(paths.ARM_QC_GATE, arm="smallrna")
        inputs["rna_classes"] = paths.SMALLRNA_RNA_CLASSES
        inputs["smallrna_sample_qc"] = paths.SAMPLE_QC
    if ISOMIRS:
        inputs["isomir_de"] = isomir_de_paths(paths.DIFFEXP_ISOMIRS)
        inputs["isomir_caveats"] = isomir_de_paths(paths.DIFFEXP_ISOMIR_CAVEATS)
        inputs["isomir_filter"] = paths.SMALLRNA_ISOMIR_FILTER
        inputs["qc_plots"] += [
            paths.SMALLRNA_READ_FATE_PLOT,
            paths.SMALLRNA_RNA_CLASSES_PLOT,
            paths.SMALLRNA_INSERT_LENGTHS_PLOT,
        ]
    if MRNA_SAMPLES:
        inputs["count_summary"] = paths.MRNA_COUNT_SUMMARY
        inputs["strandedness"] = paths.MRNA_STRANDEDNESS
        inputs["qc_plots"] += [paths.MRNA_QC_RATES_PLOT]
        inputs["qc_rates"] = paths.MRNA_QC_RATES
        inputs["mrna_gate"] = paths.fill(paths.ARM_QC_GATE, arm="mrna")
        inputs["insert_sizes"] = paths.MRNA_INSERT_SIZES
        inputs["insert_sizes_plot"] = paths.MRNA_INSERT_SIZES_PLOT
    if survival_enabled():
        inputs["table1"] = paths.SURVIVAL_TABLE1
        inputs["cox"] = paths.SURVIVAL_COX
        inputs["survival_plots"] = SURVIVAL_PLOTS
        inputs["auc"] = paths.SURVIVAL_AUC
        inputs["maxstat"] = paths.SURVIVAL_MAXSTAT
        # the cut-off per factor the survival stage decided
        inputs["cutoffs"] = paths.SURVIVAL_CUTOFFS
        inputs["continuous_markers"] = paths.SURVIVAL_CONTINUOUS
        inputs["sample_size"] = paths.SURVIVAL_SAMPLE_SIZE
        inputs["time_accuracy"] = paths.SURVIVAL_TIME_ACCURACY
        inputs["decision_curves"] = paths.SURVIVAL_DECISION_CURVES
        inputs["external_validation"] = paths.SURVIVAL_EXTERNAL_VALIDATION
        inputs["calibration"] = paths.SURVIVAL_CALIBRATION
        # not shown; exported to results/share/ with identifiers coded (report.pseudonymise)
        inputs["shared"] = [paths.SURVIVAL_GROUPS, paths.SURVIVAL_PREDICTED_RISKS]
        inputs["missingness"] = paths.SURVIVAL_MISSINGNESS
        inputs["mice_pooled"] = paths.SURVIVAL_MICE_POOLED
        if config["survival"]["sequencing_markers"]:
            inputs["sequencing_fold_changes"] = paths.SURVIVAL_SEQUENCING_FOLD_CHANGES
        inputs["competing_risks"] = paths.SURVIVAL_COMPETING_RISKS
        inputs["cumulative_incidence"] = paths.SURVIVAL_CUMULATIVE_INCIDENCE
    if qpcr_enabled():
        inputs["qpcr_fold_changes"] = paths.QPCR_FOLD_CHANGES
        inputs["qpcr_unpaired_samples"] = paths.QPCR_UNPAIRED_SAMPLES
        inputs.update(
            {f"qpcr_{name}": path for name, path in qpcr_design_outputs().items()}
        )
        if config["qpcr"]["format"] != "long":
            inputs["qpcr_excluded_samples"] = paths.QPCR_EXCLUDED_SAMPLES
        inputs["reference_stability"] = paths.QPCR_REFERENCE_STABILITY
        inputs["stability_plot"] = paths.QPCR_REFERENCE_STABILITY_PLOT
        inputs["haemolysis"] = paths.QPCR_HAEMOLYSIS
        # What the stage decided: the qPCR references used.
        inputs["qpcr_references"] = paths.QPCR_REFERENCES
        # Fold changes and relative quantities with their SEs and intervals (uncertainty.py).
        inputs["qpcr_fold_changes"] = paths.QPCR_FOLD_CHANGES
        inputs["qpcr_relative_quantities"] = paths.QPCR_RELATIVE_QUANTITIES
        inputs["qpcr_efficiency_uncertainty"] = paths.QPCR_EFFICIENCY_UNCERTAINTY
        inputs["qpcr_fold_change_plot"] = paths.QPCR_FOLD_CHANGE_PLOT
        inputs["interrun_factors"] = paths.QPCR_INTERRUN_FACTORS
        inputs["plate_split_pairs"] = paths.QPCR_PLATE_SPLIT_PAIRS
        inputs["sample_qc"] = paths.QPCR_SAMPLE_QC
        inputs["well_qc"] = paths.QPCR_WELL_QC
    if not JOIN_RUNS:
        return inputs
    # The join's tables (rule integrate declares only the parts whose stages run).
    join = rules.integrate.output
    for name, tables in (
        ("mirna_evidence", join.evidence),
        ("candidate_targets", join.targets),
        ("m2_markers", join.markers),
    ):
        if tables:
            inputs[name] = tables[0]
    inputs["m2_plots"] = list(join.m2_plots)
    if JOIN_SHIFT:
        inputs["target_shift"] = paths.INTEGRATE_TARGET_SHIFT
        inputs["target_candidates"] = paths.INTEGRATE_TARGET_CANDIDATES
        inputs["target_sources"] = paths.INTEGRATE_TARGET_SOURCES
        inputs["targets_unmapped"] = paths.INTEGRATE_TARGETS_UNMAPPED
        inputs["target_plots"] = paths.INTEGRATE_TARGET_PLOTS
    return inputs


def final_outputs():
    """Every final target: counts, DE of each arm, survival and the report."""
    targets = expand(paths.ARM_COUNTS, arm=ARMS)
    if SMALLRNA_SAMPLES:
        targets += [paths.SAMPLE_QC]
    targets += diffexp_outputs()
    if qpcr_enabled():
        targets += [paths.QPCR_FOLD_CHANGES]
    if survival_enabled():
        targets += [paths.SURVIVAL_TABLE1]
    if ARMS:
        targets += [paths.REPORT_QC_HTML]
    targets += [paths.PROVENANCE, paths.REPORT_HTML]
    return targets


# ------------------------------------------------- memory and time of every rule, in one table
# requests("<rule>") gives each rule's `resources:` (resources.smk).
include: "resources.smk"
