# Sequencing QC across both arms: samtools stats of the mRNA alignments, then one MultiQC report
# (results/qc/multiqc_report.html) over cutadapt, bowtie, HISAT2/STAR, samtools and HTSeq outputs.
# Needs from common.smk / the arms: SMALLRNA_SAMPLES, SMALLRNA_REFS, MRNA, MRNA_UNITS, units_of,
# is_paired, unit_paths.


rule samtools_stats:
    input:
        bam=lambda wildcards: MRNA_UNIT_BAM.format(aligner=MRNA["aligner"]),
    output:
        "results/qc/samtools_stats/{sample}/{sample}.{unit}.txt",
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
        mem_mb=500,
        runtime=30,
    shell:
        "samtools stats {input.bam:q} > {output:q}.tmp 2> {log:q} && mv {output:q}.tmp {output:q}"


rule multiqc:
    input:
        unpack(multiqc_inputs),
    output:
        html=report(
            "results/qc/multiqc_report.html",
            caption="../report/multiqc.rst",
            category="Quality control",
        ),
        file_list="results/qc/multiqc_files.txt",
    log:
        "results/logs/qc/multiqc.log",
    benchmark:
        "results/benchmarks/qc/multiqc.tsv"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        outdir=lambda wildcards, output: str(Path(output.html).parent),
        # Sample names keep the unit ("sample.unit"); the tools' suffixes go.
        settings="extra_fn_clean_exts: ['.hisat2', '.pe', '.se']",
        title="Sequencing QC: small-RNA and mRNA arms",
    shell:
        "printf '%s\\n' {input:q} > {output.file_list:q} && "
        "multiqc --force --no-data-dir --no-ai --no-version-check --title {params.title:q} "
        "--cl-config {params.settings:q} --file-list {output.file_list:q} "
        "--outdir {params.outdir:q} --filename multiqc_report.html > {log:q} 2>&1"


# Insert sizes of the mRNA read pairs (esccrt.qc.insert_sizes): summary table and plot, shown in
# the report's QC section.
rule mrna_insert_sizes:
    input:
        stats=lambda wildcards: [
            rules.samtools_stats.output[0].format(sample=sample, unit=unit)
            for sample, unit in MRNA_UNITS
        ],
    output:
        summary="results/qc/mrna_insert_sizes.tsv",
        plot=report(
            "results/qc/mrna_insert_sizes.png",
            caption="../report/mrna_insert_sizes.rst",
            category="mRNA",
        ),
    log:
        "results/logs/qc/mrna_insert_sizes.log",
    benchmark:
        "results/benchmarks/qc/mrna_insert_sizes.tsv"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/mrna_insert_sizes.py"
