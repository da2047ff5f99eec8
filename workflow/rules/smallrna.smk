# Small-RNA arm: cutadapt's trimming (protocol presets) and collapsing in one pass per unit
# -> inserts collapsed per sample -> bowtie screening of the RNA classes in order (rRNA, tRNA, ...)
# -> bowtie (mature, hairpin) -> pysam counts weighted by copy number (non-templated 3' additions
# allowed) -> matrices, isomiRs in mirGFF3, read fate, RNA class composition (the QC verdicts
# and gate: rule smallrna_sample_qc, qc.smk) -> the isomiR count matrix of the merged mirGFF3
# (smallrna.isomirs; its DE: rule diffexp_isomirs, diffexp.smk).
# Included only when the sample sheet has small-RNA samples. Needs from common.smk: paths,
# SMALLRNA (the validated config section), SMALLRNA_SAMPLES, SMALLRNA_CLASSES, UNITS, units_of,
# unit_fastqs.
from dataclasses import asdict

from esccrt.errors import InputError
from esccrt.indexes import (
    INDEX_SUFFIXES,
    bowtie_index_input,
    bowtie_index_marker,
    index_files,
    index_prefix,
)
from esccrt.smallrna import layout as smallrna_lib
from esccrt.smallrna.presets import trim_preset
from esccrt.smallrna.settings import ReferenceSettings, step_section

BOWTIE_INDEX_EXT = INDEX_SUFFIXES["bowtie"]
# The {ref} wildcard: the miRNA references and the configured RNA class names (the schema
# restricts those to letters, digits and '_', so they are safe in file names and shell lines).
SMALLRNA_REFERENCE_NAMES = "|".join([*smallrna_lib.MIRNA_STEPS, *SMALLRNA_CLASSES])
# Prebuilt bowtie indexes by step (config smallrna.bowtie_index): they replace the index builds,
# their files must exist now, and rule smallrna_check_index compares each with its FASTA.
try:
    SMALLRNA_PREBUILT = {
        ref: index_files("bowtie", prefix, f"smallrna.bowtie_index.{ref}")
        for ref, prefix in SMALLRNA["bowtie_index"].items()
        if prefix and ref in SMALLRNA_REFS
    }
except InputError as error:
    raise WorkflowError(f"Input error: {error}") from None


rule smallrna_reference:
    input:
        lambda wildcards: smallrna_lib.reference_inputs(
            smallrna_lib.reference_source(SMALLRNA, wildcards.ref)[0]
        ),
    output:
        fasta=paths.SMALLRNA_REFERENCE_FASTA,
    log:
        "results/logs/smallrna/reference_{ref}.log",
    benchmark:
        "results/benchmarks/smallrna/reference_{ref}.tsv"
    wildcard_constraints:
        ref=SMALLRNA_REFERENCE_NAMES,
    group:
        "smallrna_reference"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_reference"),
    params:
        reference=lambda wildcards: asdict(
            ReferenceSettings.from_config(SMALLRNA, wildcards.ref)
        ),
    script:
        "../scripts/smallrna_reference.py"


rule smallrna_bowtie_index:
    input:
        paths.SMALLRNA_REFERENCE_FASTA,
    output:
        multiext(paths.SMALLRNA_BOWTIE_INDEX, *BOWTIE_INDEX_EXT),
    log:
        "results/logs/smallrna/bowtie_index_{ref}.log",
    benchmark:
        "results/benchmarks/smallrna/bowtie_index_{ref}.tsv"
    wildcard_constraints:
        ref=SMALLRNA_REFERENCE_NAMES,
    group:
        "smallrna_reference"
    conda:
        "../envs/smallrna.yaml"
    # No `cache: True`: Snakemake refuses it together with `benchmark:`. The index is rebuilt
    # only when the prepared FASTA (or this rule) changes.
    threads: 2
    resources:
        **requests("smallrna_bowtie_index"),
    params:
        prefix=lambda wildcards: paths.fill(
            paths.SMALLRNA_BOWTIE_INDEX, ref=wildcards.ref
        ),
    shell:
        "bowtie-build --threads {threads} {input:q} {params.prefix:q} > {log:q} 2>&1"


rule smallrna_check_index:
    input:
        fasta=paths.SMALLRNA_REFERENCE_FASTA,
        index=lambda wildcards: SMALLRNA_PREBUILT[wildcards.ref],
    output:
        paths.SMALLRNA_INDEX_CHECKED,
    log:
        "results/logs/smallrna/check_index_{ref}.log",
    benchmark:
        "results/benchmarks/smallrna/check_index_{ref}.tsv"
    wildcard_constraints:
        ref="mature|hairpin|contaminants",
    group:
        "smallrna_reference"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_check_index"),
    params:
        kind="bowtie",
        location=lambda wildcards: SMALLRNA["bowtie_index"][wildcards.ref],
    script:
        "../scripts/check_prebuilt_index.py"


rule smallrna_arms:
    input:
        mature=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="mature"),
        hairpin=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
    output:
        arms=paths.SMALLRNA_ARMS,
    log:
        "results/logs/smallrna/arms.log",
    benchmark:
        "results/benchmarks/smallrna/arms.tsv"
    group:
        "smallrna_reference"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_arms"),
    script:
        "../scripts/smallrna_arms.py"


rule smallrna_trim:
    input:
        unpack(unit_fastqs),
    output:
        # The unit's inserts in the length window, collapsed (>seqN_xCOPIES; QIAseq:
        # >N_xCOPIES umi=UMI).
        fasta=temp(paths.SMALLRNA_TRIMMED_FASTA),
        json=paths.SMALLRNA_TRIM_REPORT,
        cutadapt=paths.SMALLRNA_CUTADAPT_JSON,
    log:
        "results/logs/smallrna/trim/{sample}_{unit}.log",
    benchmark:
        "results/benchmarks/smallrna/trim/{sample}_{unit}.tsv"
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    # One process reads, trims and counts; samples run side by side on the other cores.
    threads: 1
    resources:
        **requests("smallrna_trim"),
    params:
        settings=step_section(SMALLRNA, "trim"),
        protocol=lambda wildcards: UNITS.row(wildcards.sample, wildcards.unit)[
            "protocol"
        ],
        adapter=lambda wildcards: UNITS.row(wildcards.sample, wildcards.unit)["adapter"],
    script:
        "../scripts/smallrna_trim.py"


rule smallrna_collapse:
    input:
        fastas=lambda wildcards: expand(
            paths.SMALLRNA_TRIMMED_FASTA,
            sample=wildcards.sample,
            unit=units_of(wildcards.sample),
        ),
        reports=lambda wildcards: expand(
            paths.SMALLRNA_TRIM_REPORT,
            sample=wildcards.sample,
            unit=units_of(wildcards.sample),
        ),
    output:
        fasta=paths.SMALLRNA_COLLAPSED_FASTA,
        stats=paths.SMALLRNA_COLLAPSE_STATS,
    log:
        "results/logs/smallrna/collapse/{sample}.log",
    benchmark:
        "results/benchmarks/smallrna/collapse/{sample}.tsv"
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    # Memory stays bounded whatever the library's size (inserts beyond 100,000 spill to
    # sorted runs in $TMPDIR: esccrt.smallrna.spill).
    resources:
        **requests("smallrna_collapse"),
    params:
        settings=step_section(SMALLRNA, "collapse"),
        umi_lengths=lambda wildcards: [
            trim_preset(row["protocol"], row["adapter"]).umi_length
            for row in (
                UNITS.row(wildcards.sample, unit)
                for unit in UNITS.units_of(wildcards.sample)
            )
        ],
    script:
        "../scripts/smallrna_collapse.py"


rule smallrna_screen:
    input:
        reads=paths.SMALLRNA_COLLAPSED_FASTA,
        indexes=smallrna_lib.class_index_files(SMALLRNA_CLASSES, BOWTIE_INDEX_EXT),
    output:
        # Reads no class took: the mature step reads them, then they go.
        unscreened=temp(paths.SMALLRNA_SCREENED_FASTA),
        counts=paths.SMALLRNA_SCREEN_COUNTS,
    log:
        "results/logs/smallrna/screen/{sample}.log",
    benchmark:
        "results/benchmarks/smallrna/screen/{sample}.tsv"
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    threads: 2
    resources:
        **requests("smallrna_screen"),
    params:
        classes=SMALLRNA_CLASSES,
        indexes=smallrna_lib.class_indexes(SMALLRNA_CLASSES),
        settings=step_section(SMALLRNA, "screen"),
    script:
        "../scripts/smallrna_screen.py"


rule smallrna_align:
    # Both miRNA steps in one job (mature, then hairpin on the reads mature left): one process
    # per sample instead of two.
    input:
        reads=lambda wildcards: smallrna_lib.align_input(
            smallrna_lib.MIRNA_STEPS[0],
            wildcards.sample,
            screened=bool(SMALLRNA_CLASSES),
        ),
        indexes=[
            bowtie_index_input(SMALLRNA_PREBUILT, ref)
            for ref in smallrna_lib.MIRNA_STEPS
        ],
        checked=[
            bowtie_index_marker(SMALLRNA_PREBUILT, ref)
            for ref in smallrna_lib.MIRNA_STEPS
        ],
    output:
        bams=[
            paths.fill_some(paths.SMALLRNA_BOWTIE_BAM, ref=ref)
            for ref in smallrna_lib.MIRNA_STEPS
        ],
        # Reads each step left: the next step reads them; the counting job the last, then
        # they go.
        unaligned=temp(
            [
                paths.fill_some(paths.SMALLRNA_UNALIGNED, ref=ref)
                for ref in smallrna_lib.MIRNA_STEPS
            ]
        ),
    log:
        # The script's own messages; bowtie's go to each step's log (read by MultiQC).
        script="results/logs/smallrna/align/{sample}.log",
        steps=[
            paths.fill_some(paths.SMALLRNA_BOWTIE_LOG, ref=ref)
            for ref in smallrna_lib.MIRNA_STEPS
        ],
    benchmark:
        "results/benchmarks/smallrna/align/{sample}.tsv"
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    threads: 2
    resources:
        **requests("smallrna_align"),
    params:
        indexes=[
            index_prefix(bowtie_index_input(SMALLRNA_PREBUILT, ref)[0])
            for ref in smallrna_lib.MIRNA_STEPS
        ],
        settings={ref: step_section(SMALLRNA, ref) for ref in smallrna_lib.MIRNA_STEPS},
    script:
        "../scripts/smallrna_align.py"


rule smallrna_count:
    input:
        unpack(
            lambda wildcards: smallrna_lib.count_inputs(
                wildcards.sample,
                units_of(wildcards.sample),
                screened=bool(SMALLRNA_CLASSES),
            )
        ),
    output:
        counts=paths.SMALLRNA_SAMPLE_COUNTS,
        mirgff=paths.SMALLRNA_SAMPLE_MIRGFF,
    log:
        "results/logs/smallrna/count/{sample}.log",
    benchmark:
        "results/benchmarks/smallrna/count/{sample}.tsv"
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_count"),
    params:
        settings=step_section(SMALLRNA, "count"),
    script:
        "../scripts/smallrna_count.py"


rule smallrna_summary:
    input:
        counts=expand(paths.SMALLRNA_SAMPLE_COUNTS, sample=SMALLRNA_SAMPLES),
        mirgff=expand(paths.SMALLRNA_SAMPLE_MIRGFF, sample=SMALLRNA_SAMPLES),
        mature=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="mature"),
        hairpin=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
    output:
        counts=paths.fill(paths.ARM_COUNTS, arm="smallrna"),
        hairpin_counts=paths.SMALLRNA_HAIRPIN_COUNTS,
        isomirs=paths.SMALLRNA_ISOMIRS,
        mirgff=paths.SMALLRNA_MIRGFF,
        mirtop_stats=paths.SMALLRNA_MIRTOP_STATS,
        read_fate=paths.SMALLRNA_READ_FATE,
        insert_lengths=paths.SMALLRNA_INSERT_LENGTHS,
        insert_plot=report(
            paths.SMALLRNA_INSERT_LENGTHS_PLOT,
            category="Small RNA",
            caption="../report/smallrna_insert_lengths.rst",
        ),
        read_fate_plot=report(
            paths.SMALLRNA_READ_FATE_PLOT,
            category="Small RNA",
            caption="../report/smallrna_read_fate.rst",
        ),
        rna_classes=paths.SMALLRNA_RNA_CLASSES,
        rna_classes_plot=report(
            paths.SMALLRNA_RNA_CLASSES_PLOT,
            category="Small RNA",
            caption="../report/smallrna_rna_classes.rst",
        ),
        rna_classes_mqc=paths.SMALLRNA_RNA_CLASSES_MQC,
        alignment_rates_mqc=paths.SMALLRNA_ALIGNMENT_RATES_MQC,
    log:
        "results/logs/smallrna/summary.log",
    benchmark:
        "results/benchmarks/smallrna/summary.tsv"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_summary"),
    params:
        settings=step_section(SMALLRNA, "summary"),
        samples=SMALLRNA_SAMPLES,
        rna_classes=SMALLRNA_CLASSES,
    script:
        "../scripts/smallrna_summary.py"


rule smallrna_isomirs:
    input:
        mirgff=paths.SMALLRNA_MIRGFF,
        mature=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="mature"),
    output:
        # isomiRs with >= min_reads reads in >= min_samples samples, as `mirtop counts` counts
        # them; their mirtop variant types and seed flag; the filter's decision.
        counts=paths.SMALLRNA_ISOMIR_COUNTS,
        labels=paths.SMALLRNA_ISOMIR_LABELS,
        filter=paths.SMALLRNA_ISOMIR_FILTER,
    log:
        "results/logs/smallrna/isomirs.log",
    benchmark:
        "results/benchmarks/smallrna/isomirs.tsv"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_isomirs"),
    params:
        settings=step_section(SMALLRNA, "isomirs"),
    script:
        "../scripts/smallrna_isomirs.py"
