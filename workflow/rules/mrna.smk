# mRNA arm: cutadapt -> HISAT2 (or STAR) -> sorted, indexed BAM -> strandedness -> HTSeq counts.
# Needs from common.smk: config, units, MRNA_SAMPLES, units_of, is_paired, unit_fastqs.
from esccrt.mrna.layout import trimmed_reads, unit_paths
from esccrt.mrna.reference import REFERENCE_FILES, reference_path
from esccrt.mrna.resources import file_size, index_mem_mb
from esccrt.safety import check_tool_options, split_tool_options

MRNA = config.setdefault("mrna", {})
if MRNA_SAMPLES:
    validate(MRNA, schema="../schemas/mrna.schema.yaml")
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
MRNA_GENOME = reference_path(MRNA, "genome.fa") if MRNA_SAMPLES else []
MRNA_GTF = reference_path(MRNA, "genes.gtf") if MRNA_SAMPLES else []
MRNA_HISAT2_INDEX = multiext(
    "results/mrna/reference/hisat2/genome", *(f".{i}.ht2" for i in range(1, 9))
)
MRNA_UNIT_BAM = "results/mrna/aligned/{aligner}/{{sample}}/{{sample}}.{{unit}}.bam"


rule mrna_fetch_reference:
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
        mem_mb=500,
        runtime=60,
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
        genes="results/mrna/reference/genes.tsv",
        regions="results/mrna/reference/exon_regions.tsv",
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
        mem_mb=2000,
        runtime=30,
    params:
        counting=lambda wc: MRNA["counting"],
    script:
        "../scripts/mrna_check_annotation.py"


rule mrna_hisat2_splice_sites:
    input:
        gtf=MRNA_GTF,
        checked="results/mrna/reference/genes.tsv",
    output:
        splice_sites="results/mrna/reference/hisat2/splice_sites.tsv",
        exons="results/mrna/reference/hisat2/exons.tsv",
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
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/mrna_hisat2_splice_sites.py"


rule mrna_hisat2_index:
    input:
        genome=MRNA_GENOME,
        checked="results/mrna/reference/genes.tsv",
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
        MRNA_HISAT2_INDEX,
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
        mem_mb=lambda wc: index_mem_mb(
            file_size(MRNA_GENOME), "hisat2", MRNA["hisat2"]["splice_sites"]
        ),
        runtime=720,
    params:
        prefix=lambda wc, output: output[0][: -len(".1.ht2")],
    script:
        "../scripts/mrna_hisat2_index.py"


rule mrna_star_index:
    input:
        genome=MRNA_GENOME,
        gtf=MRNA_GTF,
        checked="results/mrna/reference/genes.tsv",
    output:
        directory("results/mrna/reference/star"),
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
        mem_mb=lambda wc: index_mem_mb(file_size(MRNA_GENOME), "star"),
        runtime=720,
    params:
        overhang=lambda wc: MRNA["star"]["sjdb_overhang"],
    script:
        "../scripts/mrna_star_index.py"


rule mrna_cutadapt_pe:
    input:
        unpack(unit_fastqs),
    output:
        r1=temp("results/mrna/trimmed/{sample}/{sample}.{unit}.1.fastq.gz"),
        r2=temp("results/mrna/trimmed/{sample}/{sample}.{unit}.2.fastq.gz"),
        report="results/mrna/trimmed/{sample}/{sample}.{unit}.pe.cutadapt.txt",
        json="results/mrna/trimmed/{sample}/{sample}.{unit}.pe.cutadapt.json",
    log:
        "results/logs/mrna/cutadapt/{sample}.{unit}.pe.log",
    benchmark:
        "results/benchmarks/mrna/cutadapt/{sample}.{unit}.pe.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        unit=lambda wc: units.loc[(wc.sample, wc.unit)].to_dict(),
        trimming=lambda wc: MRNA["trimming"],
    script:
        "../scripts/mrna_cutadapt.py"


rule mrna_cutadapt_se:
    input:
        unpack(unit_fastqs),
    output:
        r1=temp("results/mrna/trimmed/{sample}/{sample}.{unit}.se.fastq.gz"),
        report="results/mrna/trimmed/{sample}/{sample}.{unit}.se.cutadapt.txt",
        json="results/mrna/trimmed/{sample}/{sample}.{unit}.se.cutadapt.json",
    log:
        "results/logs/mrna/cutadapt/{sample}.{unit}.se.log",
    benchmark:
        "results/benchmarks/mrna/cutadapt/{sample}.{unit}.se.tsv"
    group:
        "mrna_unit"
    conda:
        "../envs/mrna.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        unit=lambda wc: units.loc[(wc.sample, wc.unit)].to_dict(),
        trimming=lambda wc: MRNA["trimming"],
    script:
        "../scripts/mrna_cutadapt.py"


rule mrna_align_hisat2:
    input:
        unpack(
            lambda wc: trimmed_reads(wc.sample, wc.unit, is_paired(wc.sample, wc.unit))
        ),
        index=MRNA_HISAT2_INDEX,
    output:
        bam="results/mrna/aligned/hisat2/{sample}/{sample}.{unit}.bam",
        summary="results/mrna/aligned/hisat2/{sample}/{sample}.{unit}.hisat2.txt",
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
        mem_mb=lambda wc: 2000 + index_mem_mb(file_size(MRNA_GENOME), "hisat2", False),
        runtime=240,
    params:
        prefix=lambda wc, input: input.index[0][: -len(".1.ht2")],
        extra=lambda wc: split_tool_options(
            MRNA["hisat2"]["extra"], "mrna.hisat2.extra"
        ),
    script:
        "../scripts/mrna_align_hisat2.py"


rule mrna_align_star:
    input:
        unpack(
            lambda wc: trimmed_reads(wc.sample, wc.unit, is_paired(wc.sample, wc.unit))
        ),
        index="results/mrna/reference/star",
    output:
        bam="results/mrna/aligned/star/{sample}/{sample}.{unit}.bam",
        summary="results/mrna/aligned/star/{sample}/{sample}.{unit}.Log.final.out",
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
        mem_mb=lambda wc: index_mem_mb(file_size(MRNA_GENOME), "star") + 4000,
        runtime=240,
    params:
        extra=lambda wc: split_tool_options(MRNA["star"]["extra"], "mrna.star.extra"),
    script:
        "../scripts/mrna_align_star.py"


rule mrna_index_bam:
    input:
        "results/mrna/aligned/{aligner}/{sample}/{sample}.{unit}.bam",
    output:
        "results/mrna/aligned/{aligner}/{sample}/{sample}.{unit}.bam.bai",
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
        mem_mb=500,
        runtime=30,
    shell:
        "samtools index {input:q} {output:q} 2> {log:q}"


rule mrna_strandedness:
    input:
        bam=MRNA_UNIT_BAM.format(aligner=MRNA.get("aligner", "hisat2")),
        bai=MRNA_UNIT_BAM.format(aligner=MRNA.get("aligner", "hisat2")) + ".bai",
        regions="results/mrna/reference/exon_regions.tsv",
    output:
        "results/mrna/strandedness/{sample}/{sample}.{unit}.tsv",
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
        mem_mb=2000,
        runtime=30,
    params:
        sheet=lambda wc: units.loc[(wc.sample, wc.unit), "strandedness"],
        settings=lambda wc: MRNA["strandedness"],
    script:
        "../scripts/mrna_strandedness.py"


rule mrna_count:
    input:
        bam=MRNA_UNIT_BAM.format(aligner=MRNA.get("aligner", "hisat2")),
        bai=MRNA_UNIT_BAM.format(aligner=MRNA.get("aligner", "hisat2")) + ".bai",
        gtf=MRNA_GTF,
        checked="results/mrna/reference/genes.tsv",
        strandedness="results/mrna/strandedness/{sample}/{sample}.{unit}.tsv",
    output:
        "results/mrna/counts/{sample}/{sample}.{unit}.tsv",
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
        mem_mb=4000,
        runtime=240,
    params:
        counting=lambda wc: MRNA["counting"],
    script:
        "../scripts/mrna_count.py"


rule mrna_strandedness_table:
    input:
        unit_paths("results/mrna/strandedness/{sample}/{sample}.{unit}.tsv", MRNA_UNITS),
    output:
        "results/mrna/strandedness.tsv",
    log:
        "results/logs/mrna/strandedness_table.log",
    benchmark:
        "results/benchmarks/mrna/strandedness_table.tsv"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    script:
        "../scripts/mrna_strandedness_table.py"


rule mrna_count_matrix:
    input:
        tables=unit_paths(
            "results/mrna/counts/{sample}/{sample}.{unit}.tsv", MRNA_UNITS
        ),
        strandedness="results/mrna/strandedness.tsv",
    output:
        counts="results/mrna/counts.tsv",
        summary="results/mrna/count_summary.tsv",
    log:
        "results/logs/mrna/count_matrix.log",
    benchmark:
        "results/benchmarks/mrna/count_matrix.tsv"
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        unit_keys=MRNA_UNITS,
        samples=MRNA_SAMPLES,
    script:
        "../scripts/mrna_count_matrix.py"


rule mrna_qc:
    input:
        summary="results/mrna/count_summary.tsv",
        aligner_logs=lambda wc: unit_paths(
            (
                "results/mrna/aligned/hisat2/{sample}/{sample}.{unit}.hisat2.txt"
                if MRNA["aligner"] == "hisat2"
                else "results/mrna/aligned/star/{sample}/{sample}.{unit}.Log.final.out"
            ),
            MRNA_UNITS,
        ),
        cutadapt=[
            f"results/mrna/trimmed/{s}/{s}.{u}.{'pe' if is_paired(s, u) else 'se'}.cutadapt.json"
            for s, u in MRNA_UNITS
        ],
    output:
        rates="results/mrna/qc_rates.tsv",
        plot=report(
            "results/mrna/qc_rates.png",
            category="mRNA",
            caption="../report/mrna_qc_rates.rst",
        ),
        gate="results/mrna/qc_gate.tsv",
    log:
        "results/logs/mrna/qc.log",
    benchmark:
        "results/benchmarks/mrna/qc.tsv"
    priority: 1
    conda:
        "../envs/mrna.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        unit_keys=MRNA_UNITS,
        aligner=lambda wc: MRNA["aligner"],
        qc=lambda wc: MRNA["qc"],
    script:
        "../scripts/mrna_qc.py"
