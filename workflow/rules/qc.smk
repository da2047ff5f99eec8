# Sequencing QC across both arms: samtools stats of the mRNA alignments, then one MultiQC report
# (results/qc/multiqc_report.html) over cutadapt, bowtie, HISAT2/STAR, samtools and HTSeq outputs.
# Needs from common.smk / the arms: SMALLRNA_SAMPLES, SMALLRNA_REFS, MRNA, MRNA_UNITS, units_of,
# is_paired, unit_paths.


def multiqc_inputs(wildcards):
    """The per-sample tool reports MultiQC reads, as named lists (empty for an absent arm)."""
    inputs = {"cutadapt": [], "bowtie": [], "aligner": [], "samtools": [], "htseq": []}
    for sample in SMALLRNA_SAMPLES:
        inputs["cutadapt"] += expand(
            "results/smallrna/trimmed/{sample}/{unit}.cutadapt.json",
            sample=sample,
            unit=units_of(sample),
        )
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
