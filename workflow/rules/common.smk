# Validation of config and sheets before any job runs, and the lookups every stage shares.
import sys
from pathlib import Path

from snakemake.utils import validate

# The library of the workflow's scripts (workflow/scripts/esccrt) is also used here, for the DAG.
sys.path.insert(0, str(Path(workflow.current_basedir).parent / "scripts"))

from esccrt import sheets  # noqa: E402
from esccrt.diffexp import check_design  # noqa: E402
from esccrt.errors import InputError  # noqa: E402

validate(config, schema="../schemas/config.schema.yaml")


def _load_sheets():
    """Samples and units, checked; a bad sheet stops the run with the sheet's own words."""
    try:
        samples = sheets.load_samples(config["samples"])
        units = sheets.load_units(config["units"], samples)
        for arm in sheets.LIBRARY_TYPES:
            arm_samples = samples[samples["library_type"] == arm]
            if len(arm_samples):
                check_design(arm_samples, config["diffexp"])
    except InputError as error:
        raise WorkflowError(f"Input error: {error}") from None
    validate(samples, schema="../schemas/samples.schema.yaml")
    validate(units, schema="../schemas/units.schema.yaml")
    return samples, units


samples, units = _load_sheets()

SMALLRNA_SAMPLES = sorted(samples.index[samples["library_type"] == "smallrna"])
MRNA_SAMPLES = sorted(samples.index[samples["library_type"] == "mrna"])
ARMS = [
    arm
    for arm, members in (("smallrna", SMALLRNA_SAMPLES), ("mrna", MRNA_SAMPLES))
    if members
]
CONTRASTS = sorted(config["diffexp"]["contrasts"])


wildcard_constraints:
    sample=sheets.NAME_PATTERN.pattern.strip("^$"),
    unit=sheets.NAME_PATTERN.pattern.strip("^$"),
    arm="smallrna|mrna",
    contrast="|".join(CONTRASTS),


def units_of(sample):
    """Unit names of a sample, in sheet order."""
    return units.loc[sample, "unit"].tolist()


def is_paired(sample, unit):
    """True when the unit has a second FASTQ file."""
    return bool(units.loc[(sample, unit), "fq2"])


def unit_fastqs(wildcards):
    """The FASTQ file(s) of one unit, as named inputs fq1 (and fq2 for pairs)."""
    unit = units.loc[(wildcards.sample, wildcards.unit)]
    fastqs = {"fq1": unit["fq1"]}
    if unit["fq2"]:
        fastqs["fq2"] = unit["fq2"]
    return fastqs


def qpcr_enabled():
    """The qPCR and survival arm runs when a Ct table is configured."""
    return bool(config.get("qpcr", {}).get("ct_table"))


def diffexp_outputs():
    """All differential-expression targets (tables, matrices, plots) of the configured arms."""
    per_arm = [
        "results/diffexp/{arm}/normalized_counts.tsv",
        "results/diffexp/{arm}/plots/pca.png",
        "results/diffexp/{arm}/plots/sample_distances.png",
    ]
    per_contrast = [
        "results/diffexp/{arm}/{contrast}.tsv",
        "results/diffexp/{arm}/plots/{contrast}.volcano.png",
        "results/diffexp/{arm}/plots/{contrast}.ma.png",
        "results/diffexp/{arm}/plots/{contrast}.top_features.png",
    ]
    return expand(per_arm, arm=ARMS) + expand(
        per_contrast, arm=ARMS, contrast=CONTRASTS
    )


def final_outputs():
    """Every final target: counts, DE of each arm, survival and the report."""
    targets = [f"results/{arm}/counts.tsv" for arm in ARMS]
    targets += diffexp_outputs()
    if qpcr_enabled():
        targets += ["results/qpcr/fold_changes.tsv", "results/survival/table1.tsv"]
    targets += ["results/provenance.json", "results/report/report.html"]
    return targets


def report_inputs(wildcards):
    """Named inputs of the report: tables and figures of every stage that runs."""
    inputs = {
        "samples": config["samples"],
        "de_tables": expand(
            "results/diffexp/{arm}/{contrast}.tsv", arm=ARMS, contrast=CONTRASTS
        ),
        "de_plots": [p for p in diffexp_outputs() if p.endswith(".png")],
        "qc_plots": [],
        "excluded": expand("results/diffexp/{arm}/excluded_samples.tsv", arm=ARMS),
        "multiqc": "results/qc/multiqc_report.html",
        "provenance": "results/provenance.json",
    }
    if SMALLRNA_SAMPLES:
        inputs["read_fate"] = "results/smallrna/read_fate.tsv"
        inputs["smallrna_gate"] = "results/smallrna/qc_gate.tsv"
        inputs["qc_plots"] += [
            "results/smallrna/read_fate.png",
            "results/smallrna/insert_lengths.png",
        ]
    if MRNA_SAMPLES:
        inputs["count_summary"] = "results/mrna/count_summary.tsv"
        inputs["strandedness"] = "results/mrna/strandedness.tsv"
        inputs["qc_plots"] += ["results/mrna/qc_rates.png"]
        inputs["qc_rates"] = "results/mrna/qc_rates.tsv"
        inputs["mrna_gate"] = "results/mrna/qc_gate.tsv"
        inputs["insert_sizes"] = rules.mrna_insert_sizes.output.summary
        inputs["insert_sizes_plot"] = rules.mrna_insert_sizes.output.plot
    if qpcr_enabled():
        inputs["table1"] = "results/survival/table1.tsv"
        inputs["cox"] = "results/survival/cox.tsv"
        inputs["survival_plots"] = SURVIVAL_PLOTS
        inputs["auc"] = "results/survival/auc.tsv"
    # The join's tables (rule integrate declares only the parts whose stages run).
    join = rules.integrate.output
    for name, paths in (
        ("mirna_evidence", join.evidence),
        ("candidate_targets", join.targets),
        ("m2_markers", join.markers),
    ):
        if paths:
            inputs[name] = paths[0]
    inputs["m2_plots"] = list(join.m2_plots)
    return inputs


def multiqc_inputs(wildcards):
    """The per-sample tool reports MultiQC reads, as named lists (empty for an absent arm)."""
    inputs = {"cutadapt": [], "bowtie": [], "aligner": [], "samtools": [], "htseq": []}
    # Small-RNA trimming is not shown by MultiQC: cutadapt sees each distinct read once there,
    # so its report counts distinct reads (read numbers: results/smallrna/read_fate.tsv).
    for sample in SMALLRNA_SAMPLES:
        inputs["bowtie"] += expand(
            "results/logs/smallrna/bowtie/{ref}_{sample}.log",
            ref=SMALLRNA_REFS,
            sample=sample,
        )
    if MRNA_UNITS:
        inputs["cutadapt"] += [
            f"results/mrna/trimmed/{s}/{s}.{u}.{'pe' if is_paired(s, u) else 'se'}.cutadapt.json"
            for s, u in MRNA_UNITS
        ]
        inputs["aligner"] = unit_paths(
            (
                "results/mrna/aligned/hisat2/{sample}/{sample}.{unit}.hisat2.txt"
                if MRNA["aligner"] == "hisat2"
                else "results/mrna/aligned/star/{sample}/{sample}.{unit}.Log.final.out"
            ),
            MRNA_UNITS,
        )
        inputs["samtools"] = unit_paths(
            "results/qc/samtools_stats/{sample}/{sample}.{unit}.txt", MRNA_UNITS
        )
        inputs["htseq"] = unit_paths(
            "results/mrna/counts/{sample}/{sample}.{unit}.tsv", MRNA_UNITS
        )
    return inputs
