# Radiotherapy-induced exosomal miRNAs in oesophageal squamous cell carcinoma:
# small-RNA and mRNA sequencing -> counts -> pydeseq2, qPCR fold changes -> survival, one report.
# Entry point: `snakemake --cores all` from this folder (rules live in workflow/rules/).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/tool_path.smk"
include: "workflow/rules/common.smk"


if NAMED_REFERENCES:

    include: "workflow/rules/references.smk"


# A stage whose inputs are absent (no samples of an arm, no Ct table) is left out of the DAG.
if SMALLRNA_SAMPLES:

    include: "workflow/rules/smallrna.smk"


if MRNA_SAMPLES:

    include: "workflow/rules/mrna.smk"


# An arm without a contrast is QC only: no differential expression (common.smk, DE_ARMS).
if DE_ARMS:

    include: "workflow/rules/diffexp.smk"


if ARMS:

    include: "workflow/rules/qc.smk"


if qpcr_enabled():

    include: "workflow/rules/qpcr.smk"


if survival_enabled():

    include: "workflow/rules/survival.smk"


if JOIN_RUNS:

    include: "workflow/rules/integrate.smk"


include: "workflow/rules/provenance.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
