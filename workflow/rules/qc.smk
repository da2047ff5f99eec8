# Sequencing QC across both arms: one MultiQC report (results/qc/multiqc_report.html) over the
# cutadapt, bowtie, HISAT2/STAR, samtools and HTSeq outputs of the arms that run.
# Needs from common.smk: paths, SMALLRNA_SAMPLES, SMALLRNA_REFS, MRNA, MRNA_UNITS.


def multiqc_inputs(wildcards):
    """The per-sample tool reports MultiQC reads, as named lists (empty for an absent arm)."""
    inputs = {"cutadapt": [], "bowtie": [], "aligner": [], "samtools": [], "htseq": []}
    # Small-RNA trimming is not shown by MultiQC: cutadapt sees each distinct read once there,
    # so its report counts distinct reads (read numbers: results/smallrna/read_fate.tsv).
    inputs["bowtie"] = [
        paths.fill(paths.SMALLRNA_BOWTIE_LOG, ref=ref, sample=sample)
        for sample in SMALLRNA_SAMPLES
        for ref in SMALLRNA_REFS
    ]
    if MRNA_UNITS:
        aligner = MRNA["aligner"]
        inputs["cutadapt"] = paths.unit_paths(paths.MRNA_CUTADAPT_JSON, MRNA_UNITS)
        inputs["aligner"] = paths.unit_paths(
            paths.MRNA_ALIGNER_SUMMARY[aligner], MRNA_UNITS, aligner=aligner
        )
        inputs["samtools"] = paths.unit_paths(paths.SAMTOOLS_STATS, MRNA_UNITS)
        inputs["htseq"] = paths.unit_paths(paths.MRNA_UNIT_COUNTS, MRNA_UNITS)
    return inputs


rule multiqc:
    input:
        unpack(multiqc_inputs),
    output:
        html=report(
            paths.MULTIQC_REPORT,
            caption="../report/multiqc.rst",
            category="Quality control",
        ),
        file_list=paths.MULTIQC_FILE_LIST,
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
