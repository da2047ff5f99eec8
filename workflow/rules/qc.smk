# Sequencing QC across the arms that run: one MultiQC report (results/qc/multiqc_report.html) over the
# cutadapt, HISAT2/STAR, samtools and HTSeq outputs of the arms that run, and the small-RNA
# custom content: read-based miRNA alignment rates (results/smallrna/alignment_rates_mqc.tsv), RNA
# class composition (rna_classes_mqc.tsv) and the per-sample QC verdicts.
# Needs from common.smk: paths, SMALLRNA_SAMPLES, MRNA, MRNA_UNITS, QC_SETTINGS, units_of.


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
    # No group: MultiQC reads every sample's logs, and Snakemake re-checks a group's readiness
    # over all its members' inputs whenever one input job ends (planning 1,000 samples: 21.1 s
    # with it in group "report", 19.4 s without); on SLURM it is one job of its own.
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


# Per-sample QC verdicts of the small-RNA libraries (esccrt.smallrna.sample_qc): miRTrace's and
# exceRpt's criteria, a robust-z outlier test and DraculR's haemolysis metric, thresholds from
# config `qc.criteria`; and the arm's QC gate, the samples `qc.exclude` leaves out of
# differential expression.
rule smallrna_sample_qc:
    input:
        counts=expand(paths.SMALLRNA_SAMPLE_COUNTS, sample=SMALLRNA_SAMPLES),
        trim_reports=[
            paths.fill(paths.SMALLRNA_TRIM_REPORT, sample=sample, unit=unit)
            for sample in SMALLRNA_SAMPLES
            for unit in units_of(sample)
        ],
        arms=paths.SMALLRNA_ARMS,
        hairpin=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
        matrix=paths.fill(paths.ARM_COUNTS, arm="smallrna"),
    output:
        table=paths.SAMPLE_QC,
        multiqc=paths.SAMPLE_QC_MQC,
        gate=paths.fill(paths.ARM_QC_GATE, arm="smallrna"),
    log:
        "results/logs/qc/smallrna_sample_qc.log",
    benchmark:
        "results/benchmarks/qc/smallrna_sample_qc.tsv"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        **requests("smallrna_sample_qc"),
    params:
        settings=QC_SETTINGS,
        samples=SMALLRNA_SAMPLES,
    script:
        "../scripts/smallrna_sample_qc.py"


# The report's QC part (esccrt.report.qc_page): each arm's gate and the small-RNA verdicts, as
# soon as QC decided. Before differential expression (priority), so that a run whose QC gate
# leaves a contrast without samples still explains each exclusion.
rule report_qc:
    input:
        unpack(report_qc_inputs),
    output:
        paths.REPORT_QC_HTML,
    log:
        "results/logs/report/report_qc.log",
    benchmark:
        "results/benchmarks/report/report_qc.tsv"
    priority: 50
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("report_qc"),
    params:
        # arms without a contrast: the page says no DE was asked for (esccrt.de.settings)
        qc_only=QC_ONLY_ARMS,
        settings=qc_page_settings(config),
    script:
        "../scripts/report_qc.py"


# Insert sizes of the mRNA read pairs (esccrt.mrna.insert_sizes): summary table and plot, shown in
# the report's QC section.
