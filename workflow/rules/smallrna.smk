# Small-RNA arm: cutadapt's trimming (protocol presets) and collapsing in one pass per unit
# -> inserts collapsed per sample -> bowtie (contaminants, mature, hairpin) -> pysam counts
# weighted by copy number -> matrices, read fate, QC gate.
# Included only when the sample sheet has small-RNA samples. Needs from common.smk: paths,
# SMALLRNA (the validated config section), SMALLRNA_SAMPLES, SMALLRNA_REFS, units, units_of,
# unit_fastqs.
from esccrt.smallrna import layout as smallrna_lib
from esccrt.smallrna.presets import trim_preset

BOWTIE_INDEX_EXT = (
    ".1.ebwt",
    ".2.ebwt",
    ".3.ebwt",
    ".4.ebwt",
    ".rev.1.ebwt",
    ".rev.2.ebwt",
)


rule smallrna_reference:
    input:
        lambda wildcards: smallrna_lib.reference_inputs(SMALLRNA[wildcards.ref]),
    output:
        fasta=paths.SMALLRNA_REFERENCE_FASTA,
    log:
        "results/logs/smallrna/reference_{ref}.log",
    benchmark:
        "results/benchmarks/smallrna/reference_{ref}.tsv"
    wildcard_constraints:
        ref="mature|hairpin|contaminants",
    group:
        "smallrna_reference"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        source=lambda wildcards: SMALLRNA[wildcards.ref],
        sha256=lambda wildcards: SMALLRNA[f"{wildcards.ref}_sha256"],
        species=lambda wildcards: (
            "" if wildcards.ref == "contaminants" else SMALLRNA["species"]
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
        ref="mature|hairpin|contaminants",
    group:
        "smallrna_reference"
    conda:
        "../envs/smallrna.yaml"
    # No `cache: True`: Snakemake refuses it together with `benchmark:`. The index is rebuilt
    # only when the prepared FASTA (or this rule) changes.
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        prefix=lambda wildcards: paths.fill(
            paths.SMALLRNA_BOWTIE_INDEX, ref=wildcards.ref
        ),
    shell:
        "bowtie-build --threads {threads} {input:q} {params.prefix:q} > {log:q} 2>&1"


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
        mem_mb=1000,
        runtime=15,
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
        mem_mb=1000,
        runtime=60,
    params:
        min_length=SMALLRNA["min_length"],
        max_length=SMALLRNA["max_length"],
        protocol=lambda wildcards: units.loc[
            (wildcards.sample, wildcards.unit), "protocol"
        ],
        adapter=lambda wildcards: units.loc[
            (wildcards.sample, wildcards.unit), "adapter"
        ],
        settings={
            key: SMALLRNA[key]
            for key in (
                "error_rate",
                "min_overlap",
                "quality_cutoff",
                "discard_untrimmed",
            )
        },
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
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        min_length=SMALLRNA["min_length"],
        max_length=SMALLRNA["max_length"],
        umi_lengths=lambda wildcards: [
            trim_preset(row.protocol, row.adapter).umi_length
            for row in units.loc[[wildcards.sample]].itertuples()
        ],
    script:
        "../scripts/smallrna_collapse.py"


rule smallrna_align:
    input:
        reads=lambda wildcards: smallrna_lib.align_input(
            SMALLRNA_REFS, wildcards.ref, wildcards.sample
        ),
        index=multiext(paths.SMALLRNA_BOWTIE_INDEX, *BOWTIE_INDEX_EXT),
    output:
        bam=paths.SMALLRNA_BOWTIE_BAM,
        # Reads left for the next step; the counting job reads the last one, then it goes.
        unaligned=temp(paths.SMALLRNA_UNALIGNED),
    log:
        paths.SMALLRNA_BOWTIE_LOG,
    benchmark:
        "results/benchmarks/smallrna/bowtie/{ref}_{sample}.tsv"
    wildcard_constraints:
        ref="mature|hairpin|contaminants",
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        index=lambda wildcards: paths.fill(
            paths.SMALLRNA_BOWTIE_INDEX, ref=wildcards.ref
        ),
        args=lambda wildcards: SMALLRNA["bowtie"][wildcards.ref],
    script:
        "../scripts/smallrna_align.py"


rule smallrna_count:
    input:
        unpack(
            lambda wildcards: smallrna_lib.count_inputs(
                SMALLRNA_REFS, wildcards.sample, units_of(wildcards.sample)
            )
        ),
    output:
        counts=paths.SMALLRNA_SAMPLE_COUNTS,
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
        mem_mb=2000,
        runtime=30,
    params:
        hairpin_to_mature=SMALLRNA["hairpin_to_mature"],
    script:
        "../scripts/smallrna_count.py"


rule smallrna_summary:
    input:
        counts=expand(paths.SMALLRNA_SAMPLE_COUNTS, sample=SMALLRNA_SAMPLES),
        mature=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="mature"),
        hairpin=paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
    output:
        counts=paths.fill(paths.ARM_COUNTS, arm="smallrna"),
        hairpin_counts=paths.SMALLRNA_HAIRPIN_COUNTS,
        isomirs=paths.SMALLRNA_ISOMIRS,
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
        qc_gate=paths.fill(paths.ARM_QC_GATE, arm="smallrna"),
    log:
        "results/logs/smallrna/summary.log",
    benchmark:
        "results/benchmarks/smallrna/summary.tsv"
    conda:
        "../envs/smallrna.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        samples=SMALLRNA_SAMPLES,
        window=[SMALLRNA["min_length"], SMALLRNA["max_length"]],
        min_adapter_fraction=SMALLRNA["min_adapter_fraction"],
        min_mirna_reads=SMALLRNA["min_mirna_reads"],
    script:
        "../scripts/smallrna_summary.py"
