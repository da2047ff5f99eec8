# Sequencing QC across the arms that run: one MultiQC report (results/qc/multiqc_report.html) over the
# cutadapt, bowtie, HISAT2/STAR, samtools and HTSeq outputs of the arms that run, and the small-RNA
# class composition (custom content, results/smallrna/rna_classes_mqc.tsv).
# Needs from common.smk: paths, SMALLRNA_SAMPLES, MIRNA_STEPS, MRNA, MRNA_UNITS.


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
    group:
        "report"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("multiqc"),
    params:
        outdir=lambda wildcards, output: str(Path(output.html).parent),
        # Sample names keep the unit ("sample.unit"); the tools' suffixes go.
        settings="extra_fn_clean_exts: ['.hisat2']",
        # Names only the arms that run (a small-RNA-only study is not titled mRNA).
        title=multiqc_title(ARMS),
    shell:
        "printf '%s\\n' {input:q} > {output.file_list:q} && "
        "multiqc --force --no-data-dir --no-ai --no-version-check --title {params.title:q} "
        "--cl-config {params.settings:q} --file-list {output.file_list:q} "
        "--outdir {params.outdir:q} --filename multiqc_report.html > {log:q} 2>&1"


# Insert sizes of the mRNA read pairs (esccrt.mrna.insert_sizes): summary table and plot, shown in
# the report's QC section.
