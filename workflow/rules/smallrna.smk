# Small-RNA arm: cutadapt (protocol presets) -> collapse -> bowtie (contaminants, mature,
# hairpin) -> pysam counts weighted by copy number -> matrices, read fate, QC gate.
from esccrt.mirbase import is_url
from esccrt.smallrna import trim_preset

# Without small-RNA samples the section may be absent: placeholders keep the rules parseable.
if "smallrna" not in config and not SMALLRNA_SAMPLES:
    config["smallrna"] = {"mature": "unused", "hairpin": "unused"}
validate(config.setdefault("smallrna", {}), schema="../schemas/smallrna.schema.yaml")
SMALLRNA = config["smallrna"]
SMALLRNA_REFS = (["contaminants"] if SMALLRNA["contaminants"] else []) + [
    "mature",
    "hairpin",
]
BOWTIE_INDEX_EXT = (
    ".1.ebwt",
    ".2.ebwt",
    ".3.ebwt",
    ".4.ebwt",
    ".rev.1.ebwt",
    ".rev.2.ebwt",
)


def smallrna_reference_source(wildcards):
    """The local reference file as input (URLs are downloaded by the rule itself)."""
    source = SMALLRNA[wildcards.ref]
    return [] if is_url(source) else [source]


def smallrna_umi_length(sample, unit):
    """UMI length of a unit's protocol (0 without UMIs)."""
    row = units.loc[(sample, unit)]
    return trim_preset(row["protocol"], row["adapter"]).umi_length


def smallrna_align_reads(wildcards):
    """Collapsed reads for the first alignment step, else what the previous step left."""
    step = SMALLRNA_REFS.index(wildcards.ref)
    if step == 0:
        return f"results/smallrna/collapsed/{wildcards.sample}.fa"
    previous = SMALLRNA_REFS[step - 1]
    return f"results/smallrna/bowtie/{previous}/{wildcards.sample}.unaligned.fa"


def smallrna_count_inputs(wildcards):
    """Everything one sample's read fate needs: trim reports, collapse stats, BAMs."""
    sample = wildcards.sample
    inputs = {
        "trim_json": expand(
            "results/smallrna/trimmed/{sample}/{unit}.cutadapt.json",
            sample=sample,
            unit=units_of(sample),
        ),
        "stats": f"results/smallrna/collapsed/{sample}.json",
        "unaligned": f"results/smallrna/bowtie/{SMALLRNA_REFS[-1]}/{sample}.unaligned.fa",
        "arms": "results/smallrna/reference/mature_in_hairpin.tsv",
    }
    for ref in SMALLRNA_REFS:
        inputs[ref] = f"results/smallrna/bowtie/{ref}/{sample}.bam"
    return inputs


rule smallrna_reference:
    input:
        smallrna_reference_source,
    output:
        fasta="results/smallrna/reference/{ref}.fa",
    log:
        "results/logs/smallrna/reference_{ref}.log",
    benchmark:
        "results/benchmarks/smallrna/reference_{ref}.tsv"
    wildcard_constraints:
        ref="mature|hairpin|contaminants",
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
        "results/smallrna/reference/{ref}.fa",
    output:
        multiext("results/smallrna/reference/bowtie/{ref}", *BOWTIE_INDEX_EXT),
    log:
        "results/logs/smallrna/bowtie_index_{ref}.log",
    benchmark:
        "results/benchmarks/smallrna/bowtie_index_{ref}.tsv"
    wildcard_constraints:
        ref="mature|hairpin|contaminants",
    conda:
        "../envs/smallrna.yaml"
    # No `cache: True`: Snakemake refuses it together with `benchmark:`. The index is rebuilt
    # only when the prepared FASTA (or this rule) changes.
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        prefix=lambda wildcards: f"results/smallrna/reference/bowtie/{wildcards.ref}",
    shell:
        "bowtie-build --threads {threads} {input:q} {params.prefix:q} > {log:q} 2>&1"


rule smallrna_arms:
    input:
        mature="results/smallrna/reference/mature.fa",
        hairpin="results/smallrna/reference/hairpin.fa",
    output:
        arms="results/smallrna/reference/mature_in_hairpin.tsv",
    log:
        "results/logs/smallrna/arms.log",
    benchmark:
        "results/benchmarks/smallrna/arms.tsv"
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
        fastq=temp("results/smallrna/trimmed/{sample}/{unit}.fastq.gz"),
        json="results/smallrna/trimmed/{sample}/{unit}.cutadapt.json",
    log:
        "results/logs/smallrna/trim/{sample}_{unit}.log",
    benchmark:
        "results/benchmarks/smallrna/trim/{sample}_{unit}.tsv"
    group:
        "smallrna_sample"
    conda:
        "../envs/smallrna.yaml"
    threads: 2
    resources:
        mem_mb=1000,
        runtime=60,
    params:
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
        fastqs=lambda wildcards: expand(
            "results/smallrna/trimmed/{sample}/{unit}.fastq.gz",
            sample=wildcards.sample,
            unit=units_of(wildcards.sample),
        ),
    output:
        fasta="results/smallrna/collapsed/{sample}.fa",
        stats="results/smallrna/collapsed/{sample}.json",
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
            smallrna_umi_length(wildcards.sample, unit)
            for unit in units_of(wildcards.sample)
        ],
    script:
        "../scripts/smallrna_collapse.py"


rule smallrna_align:
    input:
        reads=smallrna_align_reads,
        index=multiext("results/smallrna/reference/bowtie/{ref}", *BOWTIE_INDEX_EXT),
    output:
        bam="results/smallrna/bowtie/{ref}/{sample}.bam",
        unaligned="results/smallrna/bowtie/{ref}/{sample}.unaligned.fa",
    log:
        "results/logs/smallrna/bowtie/{ref}_{sample}.log",
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
        index=lambda wildcards: f"results/smallrna/reference/bowtie/{wildcards.ref}",
        args=lambda wildcards: SMALLRNA["bowtie"][wildcards.ref],
    script:
        "../scripts/smallrna_align.py"


rule smallrna_count:
    input:
        unpack(smallrna_count_inputs),
    output:
        counts="results/smallrna/counts/{sample}.json",
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
        counts=expand("results/smallrna/counts/{sample}.json", sample=SMALLRNA_SAMPLES),
        mature="results/smallrna/reference/mature.fa",
        hairpin="results/smallrna/reference/hairpin.fa",
    output:
        counts="results/smallrna/counts.tsv",
        hairpin_counts="results/smallrna/hairpin_counts.tsv",
        isomirs="results/smallrna/isomirs.tsv",
        read_fate="results/smallrna/read_fate.tsv",
        insert_lengths="results/smallrna/insert_lengths.tsv",
        insert_plot="results/smallrna/insert_lengths.png",
        qc_gate="results/smallrna/qc_gate.tsv",
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
