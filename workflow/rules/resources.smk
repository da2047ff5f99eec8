# Memory and time of every rule, in one table (JOB_REQUESTS) read through requests("<rule>").
# Included by common.smk; needs from it `UNITS` and, for the jobs of each arm only when they
# run, ARM_SAMPLES, SMALLRNA, MRNA_GENOME and the arms' rule files' names. Light jobs get a fixed
# Request; heavy ones a function of the job (wildcards, input, threads) whose formulas and
# sources are in esccrt/resources.py. A size that does not exist yet raises FileNotFoundError:
# `snakemake -n` then shows <TBD> and Snakemake computes the request when the job is about to run.
from esccrt import resources as job_resources
from esccrt.resources import Request
from esccrt.smallrna.layout import MIRNA_STEPS as MIRNA_ALIGN_STEPS


def _unit_fastq_bytes(wildcards):
    """Bytes of the FASTQ file(s) of the job's unit."""
    return job_resources.fastq_bytes(UNITS, wildcards.sample, wildcards.unit)


def _sample_fastq_bytes(wildcards):
    """Bytes of the FASTQ files of every unit of the job's sample."""
    return job_resources.fastq_bytes(UNITS, wildcards.sample)


def _mrna_alignment(aligner):
    """The request of an mRNA alignment job with ``aligner`` (hisat2, star)."""
    return lambda wildcards, input, threads: job_resources.alignment(
        aligner,
        job_resources.index_bytes(input.index, aligner, MRNA_GENOME),
        _unit_fastq_bytes(wildcards),
        threads,
    )


def _differential_expression(wildcards, input, threads):
    """pydeseq2 on the job's arm (its samples; features: an upper bound)."""
    return job_resources.differential_expression(len(ARM_SAMPLES[wildcards.arm]))


def _unit_bam(wildcards, input, threads):
    """samtools index or stats of one unit's BAM (its size follows the unit's reads)."""
    return job_resources.bam_index(_unit_fastq_bytes(wildcards))


JOB_REQUESTS = {
    # references by name: a human genome is ~1 GB compressed, hours on a slow link
    "reference_download": Request(500, 240),
    # small-RNA arm
    "smallrna_reference": Request(1000, 15),
    # sized from the configured source: the prepared FASTA is made in the same group job
    "smallrna_bowtie_index": lambda wildcards, input, threads: job_resources.index_build(
        "bowtie",
        job_resources.source_bytes(
            smallrna_lib.reference_source(SMALLRNA, wildcards.ref)[0]
        ),
        threads,
    ),
    "smallrna_check_index": Request(1000, 15),
    "smallrna_arms": Request(1000, 15),
    "smallrna_trim": lambda wildcards, input, threads: job_resources.trimming(
        _unit_fastq_bytes(wildcards), threads
    ),
    "smallrna_collapse": Request(1000, 60),
    "smallrna_screen": Request(3000, 60),
    # Both miRNA steps in one job: their indexes (loaded one after the other; the sum bounds
    # the larger), and up to the sample's reads per step.
    "smallrna_align": lambda wildcards, input, threads: job_resources.alignment(
        "bowtie",
        job_resources.index_bytes(input.indexes, "bowtie", None),
        len(MIRNA_ALIGN_STEPS) * _sample_fastq_bytes(wildcards),
        threads,
    ),
    "smallrna_count": lambda wildcards, input, threads: job_resources.mirna_counting(
        _sample_fastq_bytes(wildcards)
    ),
    # aggregates over the arm's samples (formulas measured at 100-1,000 samples)
    "smallrna_summary": lambda wildcards, input, threads: job_resources.aggregate(
        "smallrna_summary", len(ARM_SAMPLES["smallrna"])
    ),
    "smallrna_sample_qc": lambda wildcards, input, threads: job_resources.aggregate(
        "smallrna_sample_qc", len(ARM_SAMPLES["smallrna"])
    ),
    "smallrna_isomirs": lambda wildcards, input, threads: job_resources.isomir_matrix(
        len(ARM_SAMPLES["smallrna"]), job_resources.path_bytes(input.mirgff)
    ),
    # mRNA arm
    "mrna_fetch_reference": Request(500, 60),
    "mrna_check_annotation": Request(2000, 30),
    "mrna_check_index": Request(1000, 30),
    "mrna_hisat2_splice_sites": Request(2000, 30),
    "mrna_hisat2_index": lambda wildcards, input, threads: job_resources.index_build(
        HISAT2_INDEX_TOOL, job_resources.genome_bases(input.genome), threads
    ),
    "mrna_star_index": lambda wildcards, input, threads: job_resources.index_build(
        "star", job_resources.genome_bases(input.genome), threads
    ),
    "mrna_cutadapt": lambda wildcards, input, threads: job_resources.trimming(
        _unit_fastq_bytes(wildcards), threads
    ),
    "mrna_align_hisat2": _mrna_alignment("hisat2"),
    "mrna_align_star": _mrna_alignment("star"),
    "mrna_index_bam": _unit_bam,
    "mrna_samtools_stats": _unit_bam,
    "mrna_strandedness": Request(2000, 30),
    "mrna_count": lambda wildcards, input, threads: job_resources.gene_counting(
        job_resources.path_bytes(input.gtf), _unit_fastq_bytes(wildcards), threads
    ),
    # aggregates over the arm's units (formulas measured at 100-1,000 units)
    "mrna_strandedness_table": lambda wildcards, input, threads: job_resources.aggregate(
        "mrna_strandedness_table", len(MRNA_UNITS)
    ),
    "mrna_count_matrix": lambda wildcards, input, threads: job_resources.aggregate(
        "mrna_count_matrix", len(MRNA_UNITS)
    ),
    "mrna_qc": lambda wildcards, input, threads: job_resources.aggregate(
        "mrna_qc", len(MRNA_UNITS)
    ),
    "mrna_insert_sizes": lambda wildcards, input, threads: job_resources.aggregate(
        "mrna_insert_sizes", len(MRNA_UNITS)
    ),
    # differential expression, QC report
    "diffexp_arm": _differential_expression,
    "diffexp_contrast": _differential_expression,
    "diffexp_isomirs": lambda wildcards, input, threads: job_resources.differential_expression(
        len(ARM_SAMPLES["smallrna"])
    ),
    # every sample's tool reports, both arms
    "multiqc": lambda wildcards, input, threads: job_resources.aggregate(
        "multiqc", sum(len(samples) for samples in ARM_SAMPLES.values())
    ),
    # qPCR, survival, the join and the report
    "qpcr_import_ct": Request(1000, 10),
    "qpcr_interrun_calibration": Request(500, 10),
    "qpcr_melt_curves": Request(1000, 10),
    "qpcr_fold_changes": Request(500, 10),
    "survival_analysis": Request(1000, 15),
    "survival_sequencing_markers": Request(500, 10),
    "integrate": Request(1000, 10),
    # a download of miRTarBase or TargetScan (about 100 MB), then the tables read whole
    "mirna_target_source": Request(500, 30),
    "mirna_targets": Request(4000, 15),
    "target_shift": Request(1000, 15),
    # checksums read every input once: about a minute per 5 GB, at least 10 minutes
    "provenance": lambda wildcards, input, threads: Request(
        500, max(10, int(input.size_mb / 5000) + 10)
    ),
    # both arms' samples: per-sample tables and cohort figures
    "report": lambda wildcards, input, threads: job_resources.aggregate(
        "report", sum(len(samples) for samples in ARM_SAMPLES.values())
    ),
    "report_qc": lambda wildcards, input, threads: job_resources.aggregate(
        "report_qc", sum(len(samples) for samples in ARM_SAMPLES.values())
    ),
}


def requests(rule_name):
    """``mem_mb`` and ``runtime`` of the rule named ``rule_name`` (JOB_REQUESTS), as the keyword
    arguments of its ``resources:`` (functions of the job where the request is one)."""
    request = JOB_REQUESTS[rule_name]
    if isinstance(request, Request):
        return {"mem_mb": request.mem_mb, "runtime": request.runtime}
    return {
        "mem_mb": lambda wildcards, input, threads: request(
            wildcards, input, threads
        ).mem_mb,
        "runtime": lambda wildcards, input, threads: request(
            wildcards, input, threads
        ).runtime,
    }
