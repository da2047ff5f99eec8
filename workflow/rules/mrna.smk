# mRNA arm: cutadapt -> HISAT2 (or STAR) -> sorted, indexed BAM -> strandedness -> HTSeq counts,
# and samtools stats of every alignment. Included only when the sample sheet has mRNA samples.
# Needs from common.smk: paths, MRNA (the validated config section), MRNA_SAMPLES, MRNA_UNITS,
# MRNA_GENOME, MRNA_GTF, UNITS, is_paired, unit_fastqs.
from esccrt.errors import InputError
from esccrt.indexes import (
    index_files,
    index_prefix,
    mrna_index_input,
    mrna_index_marker,
)
from esccrt.mrna.reference import REFERENCE_FILES
from esccrt.references import local_inputs
from esccrt.safety import split_tool_options

# The sorted BAM (and its index) of one unit, from the configured aligner.
MRNA_UNIT_BAM = paths.fill_some(paths.MRNA_BAM, aligner=MRNA["aligner"])
MRNA_UNIT_BAI = paths.fill_some(paths.MRNA_BAI, aligner=MRNA["aligner"])
# A prebuilt index of the configured aligner (mrna.hisat2.index / mrna.star.index) replaces the
# index build: its files must exist now, and rule mrna_check_index compares it with the genome.
MRNA_PREBUILT = MRNA[MRNA["aligner"]]["index"]
# Memory and time of the HISAT2 index build (esccrt.resources): with or without splice sites.
HISAT2_INDEX_TOOL = (
    "hisat2_splice_sites" if MRNA["hisat2"]["splice_sites"] else "hisat2"
)
try:
    MRNA_PREBUILT_FILES = (
        index_files(MRNA["aligner"], MRNA_PREBUILT, f"mrna.{MRNA['aligner']}.index")
        if MRNA_PREBUILT
        else []
    )
except InputError as error:
    raise WorkflowError(f"Input error: {error}") from None


rule mrna_fetch_reference:
    input:
        lambda wc: local_inputs(MRNA[REFERENCE_FILES[wc.ref]]["source"]),
    output:
        "resources/cache/mrna/{ref}",
    log:
        "results/logs/mrna/fetch_{ref}.log",
    benchmark:
        "results/benchmarks/mrna/fetch_{ref}.tsv"
    wildcard_constraints:
        ref="genome\\.fa|genes\\.gtf",
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_fetch_reference"),
    params:
        source=lambda wc: MRNA[REFERENCE_FILES[wc.ref]]["source"],
        sha256=lambda wc: MRNA[REFERENCE_FILES[wc.ref]]["sha256"],
        key=lambda wc: f"mrna.{REFERENCE_FILES[wc.ref]}",
    script:
        "../scripts/mrna_fetch_reference.py"


rule mrna_check_annotation:
    input:
        genome=MRNA_GENOME,
        gtf=MRNA_GTF,
    output:
        genes=paths.MRNA_GENES,
        regions=paths.MRNA_EXON_REGIONS,
    log:
        "results/logs/mrna/check_annotation.log",
    benchmark:
        "results/benchmarks/mrna/check_annotation.tsv"
    group:
        "mrna_reference"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_check_annotation"),
    params:
        counting=lambda wc: MRNA["counting"],
    script:
        "../scripts/mrna_check_annotation.py"


rule mrna_check_index:
    input:
        fasta=MRNA_GENOME,
        index=MRNA_PREBUILT_FILES,
        # the GTF's genes, for STAR (its index holds the annotation)
        gtf=MRNA_GTF,
        genes=paths.MRNA_GENES,
    output:
        paths.MRNA_INDEX_CHECKED,
    log:
        "results/logs/mrna/check_index_{aligner}.log",
    benchmark:
        "results/benchmarks/mrna/check_index_{aligner}.tsv"
    wildcard_constraints:
        aligner="hisat2|star",
    group:
        "mrna_reference"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_check_index"),
    params:
        kind=lambda wc: wc.aligner,
        location=MRNA_PREBUILT,
    script:
        "../scripts/check_prebuilt_index.py"


rule mrna_hisat2_splice_sites:
    input:
        gtf=MRNA_GTF,
        checked=paths.MRNA_GENES,
    output:
        splice_sites=paths.MRNA_SPLICE_SITES,
        exons=paths.MRNA_HISAT2_EXONS,
    log:
        "results/logs/mrna/hisat2_splice_sites.log",
    benchmark:
        "results/benchmarks/mrna/hisat2_splice_sites.tsv"
    group:
        "mrna_reference"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_hisat2_splice_sites"),
    script:
        "../scripts/mrna_hisat2_splice_sites.py"


rule mrna_hisat2_index:
    input:
        genome=MRNA_GENOME,
        checked=paths.MRNA_GENES,
        splice_sites=lambda wc: (
            rules.mrna_hisat2_splice_sites.output.splice_sites
            if MRNA["hisat2"]["splice_sites"]
            else []
        ),
        exons=lambda wc: (
            rules.mrna_hisat2_splice_sites.output.exons
            if MRNA["hisat2"]["splice_sites"]
            else []
        ),
    output:
        paths.MRNA_HISAT2_INDEX_FILES,
    log:
        "results/logs/mrna/hisat2_index.log",
    benchmark:
        "results/benchmarks/mrna/hisat2_index.tsv"
    group:
        "mrna_reference"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        **requests("mrna_hisat2_index"),
    params:
        prefix=lambda wc, output: output[0][: -len(".1.ht2")],
    script:
        "../scripts/mrna_hisat2_index.py"


rule mrna_star_index:
    input:
        genome=MRNA_GENOME,
        gtf=MRNA_GTF,
        checked=paths.MRNA_GENES,
    output:
        directory(paths.MRNA_STAR_INDEX),
    log:
        "results/logs/mrna/star_index.log",
    benchmark:
        "results/benchmarks/mrna/star_index.tsv"
    group:
        "mrna_reference"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        **requests("mrna_star_index"),
    params:
        overhang=lambda wc: MRNA["star"]["sjdb_overhang"],
    script:
        "../scripts/mrna_star_index.py"


rule mrna_cutadapt:
    input:
        unpack(unit_fastqs),
    output:
        # reads_1.fastq.gz (and reads_2.fastq.gz for pairs): one rule for both layouts.
        reads=temp(directory(paths.MRNA_TRIMMED_READS)),
        report=paths.MRNA_CUTADAPT_REPORT,
        json=paths.MRNA_CUTADAPT_JSON,
    log:
        "results/logs/mrna/cutadapt/{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/mrna/cutadapt/{sample}.{unit}.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        **requests("mrna_cutadapt"),
    params:
        unit=lambda wc: UNITS.row(wc.sample, wc.unit),
        paired=lambda wc: is_paired(wc.sample, wc.unit),
        trimming=lambda wc: MRNA["trimming"],
    script:
        "../scripts/mrna_cutadapt.py"


rule mrna_align_hisat2:
    input:
        reads=paths.MRNA_TRIMMED_READS,
        index=mrna_index_input(MRNA, "hisat2", MRNA_PREBUILT_FILES),
        checked=mrna_index_marker(MRNA, "hisat2"),
        # the genome sizes the memory request while the index is not built yet
        genome=MRNA_GENOME,
    output:
        bam=paths.fill_some(paths.MRNA_BAM, aligner="hisat2"),
        summary=paths.fill_some(paths.MRNA_ALIGNER_SUMMARY["hisat2"], aligner="hisat2"),
    log:
        "results/logs/mrna/hisat2/{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/mrna/hisat2/{sample}.{unit}.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        **requests("mrna_align_hisat2"),
    params:
        prefix=lambda wc, input: index_prefix(input.index[0]),
        paired=lambda wc: is_paired(wc.sample, wc.unit),
        extra=lambda wc: split_tool_options(
            MRNA["hisat2"]["extra"], "mrna.hisat2.extra"
        ),
        stall_minutes=MRNA["hisat2"]["stall_minutes"],
    script:
        "../scripts/mrna_align_hisat2.py"


rule mrna_align_star:
    input:
        reads=paths.MRNA_TRIMMED_READS,
        index=mrna_index_input(MRNA, "star", MRNA_PREBUILT_FILES),
        checked=mrna_index_marker(MRNA, "star"),
        # the genome sizes the memory request while the index is not built yet
        genome=MRNA_GENOME,
    output:
        bam=paths.fill_some(paths.MRNA_BAM, aligner="star"),
        summary=paths.fill_some(paths.MRNA_ALIGNER_SUMMARY["star"], aligner="star"),
    log:
        "results/logs/mrna/star/{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/mrna/star/{sample}.{unit}.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        **requests("mrna_align_star"),
    params:
        paired=lambda wc: is_paired(wc.sample, wc.unit),
        extra=lambda wc: split_tool_options(MRNA["star"]["extra"], "mrna.star.extra"),
    script:
        "../scripts/mrna_align_star.py"


rule mrna_index_bam:
    input:
        paths.MRNA_BAM,
    output:
        paths.MRNA_BAI,
    log:
        "results/logs/mrna/index_bam/{aligner}.{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/mrna/index_bam/{aligner}.{sample}.{unit}.tsv"
    wildcard_constraints:
        aligner="hisat2|star",
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_index_bam"),
    shell:
        "samtools index {input:q} {output:q} 2> {log:q}"


rule mrna_strandedness:
    input:
        bam=MRNA_UNIT_BAM,
        bai=MRNA_UNIT_BAI,
        regions=paths.MRNA_EXON_REGIONS,
    output:
        paths.MRNA_UNIT_STRANDEDNESS,
    log:
        "results/logs/mrna/strandedness/{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/mrna/strandedness/{sample}.{unit}.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_strandedness"),
    params:
        sheet=lambda wc: UNITS.row(wc.sample, wc.unit)["strandedness"],
        settings=lambda wc: MRNA["strandedness"],
    script:
        "../scripts/mrna_strandedness.py"


rule mrna_count:
    input:
        bam=MRNA_UNIT_BAM,
        bai=MRNA_UNIT_BAI,
        gtf=MRNA_GTF,
        checked=paths.MRNA_GENES,
        strandedness=paths.MRNA_UNIT_STRANDEDNESS,
    output:
        paths.MRNA_UNIT_COUNTS,
    log:
        "results/logs/mrna/count/{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/mrna/count/{sample}.{unit}.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        **requests("mrna_count"),
    params:
        counting=lambda wc: MRNA["counting"],
    script:
        "../scripts/mrna_count.py"


rule mrna_strandedness_table:
    input:
        paths.unit_paths(paths.MRNA_UNIT_STRANDEDNESS, MRNA_UNITS),
    output:
        paths.MRNA_STRANDEDNESS,
    log:
        "results/logs/mrna/strandedness_table.log",
    benchmark:
        "results/benchmarks/mrna/strandedness_table.tsv"
    group:
        "mrna_summary"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_strandedness_table"),
    script:
        "../scripts/mrna_strandedness_table.py"


rule mrna_count_matrix:
    input:
        tables=paths.unit_paths(paths.MRNA_UNIT_COUNTS, MRNA_UNITS),
        strandedness=paths.MRNA_STRANDEDNESS,
    output:
        counts=paths.fill(paths.ARM_COUNTS, arm="mrna"),
        summary=paths.MRNA_COUNT_SUMMARY,
    log:
        "results/logs/mrna/count_matrix.log",
    benchmark:
        "results/benchmarks/mrna/count_matrix.tsv"
    group:
        "mrna_summary"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_count_matrix"),
    params:
        unit_keys=MRNA_UNITS,
        samples=MRNA_SAMPLES,
    script:
        "../scripts/mrna_count_matrix.py"


rule mrna_qc:
    input:
        summary=paths.MRNA_COUNT_SUMMARY,
        aligner_logs=paths.unit_paths(
            paths.MRNA_ALIGNER_SUMMARY[MRNA["aligner"]],
            MRNA_UNITS,
            aligner=MRNA["aligner"],
        ),
        cutadapt=paths.unit_paths(paths.MRNA_CUTADAPT_JSON, MRNA_UNITS),
    output:
        rates=paths.MRNA_QC_RATES,
        plot=report(
            paths.MRNA_QC_RATES_PLOT,
            category="mRNA",
            caption="../report/mrna_qc_rates.rst",
        ),
        gate=paths.fill(paths.ARM_QC_GATE, arm="mrna"),
    log:
        "results/logs/mrna/qc.log",
    benchmark:
        "results/benchmarks/mrna/qc.tsv"
    priority: 1
    group:
        "mrna_summary"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_qc"),
    params:
        unit_keys=MRNA_UNITS,
        aligner=lambda wc: MRNA["aligner"],
        qc=lambda wc: MRNA["qc"],
    script:
        "../scripts/mrna_qc.py"


rule mrna_samtools_stats:
    input:
        bam=MRNA_UNIT_BAM,
    output:
        paths.SAMTOOLS_STATS,
    log:
        "results/logs/qc/samtools_stats/{sample}.{unit}.log",
    benchmark:
        "results/benchmarks/qc/samtools_stats/{sample}.{unit}.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        **requests("mrna_samtools_stats"),
    shell:
        "samtools stats {input.bam:q} > {output:q}.tmp 2> {log:q} && mv {output:q}.tmp {output:q}"


rule mrna_insert_sizes:
    input:
        stats=paths.unit_paths(paths.SAMTOOLS_STATS, MRNA_UNITS),
    output:
        summary=paths.MRNA_INSERT_SIZES,
        plot=report(
            paths.MRNA_INSERT_SIZES_PLOT,
            caption="../report/mrna_insert_sizes.rst",
            category="mRNA",
        ),
    log:
        "results/logs/qc/mrna_insert_sizes.log",
    benchmark:
        "results/benchmarks/qc/mrna_insert_sizes.tsv"
    group:
        "mrna_summary"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("mrna_insert_sizes"),
    params:
        # its figure's switch to the cohort view (mrna.qc.cohort_plot_samples and outliers)
        qc=lambda wc: MRNA["qc"],
    script:
        "../scripts/mrna_insert_sizes.py"
