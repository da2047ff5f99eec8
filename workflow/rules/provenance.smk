# Provenance: results/provenance.json records the workflow version, the configuration and sheets'
# checksums, every input file's checksum (FASTQs, references, qPCR and clinical tables) and every
# Python package's and tool's version. Needs from common.smk: config, units, qpcr_enabled;
# from the arms: SMALLRNA, SMALLRNA_REFS, MRNA_GENOME, MRNA_GTF, SMALLRNA_SAMPLES, MRNA_SAMPLES.
from esccrt.smallrna import reference_inputs as smallrna_reference_inputs


def provenance_inputs(wildcards):
    """Named lists of the run's input files: sheets, FASTQs, references, tables."""
    fastqs = [path for column in ("fq1", "fq2") for path in units[column] if path]
    references = []
    if SMALLRNA_SAMPLES:
        for ref in SMALLRNA_REFS:
            local = smallrna_reference_inputs(SMALLRNA[ref])
            # A URL is recorded through the prepared copy the run actually used.
            references += local or [f"results/smallrna/reference/{ref}.fa"]
    if MRNA_SAMPLES:
        references += [MRNA_GENOME, MRNA_GTF]
    tables = []
    if qpcr_enabled():
        tables += [config["qpcr"]["ct_table"], config["survival"]["clinical"]]
    if config.get("report", {}).get("mirna_targets"):
        tables.append(config["report"]["mirna_targets"])
    return {
        "config_files": [str(path) for path in workflow.configfiles],
        "samples": config["samples"],
        "units": config["units"],
        "fastq": fastqs,
        "references": references,
        "tables": tables,
    }


rule provenance:
    input:
        unpack(provenance_inputs),
    output:
        "results/provenance.json",
    log:
        "results/logs/provenance/provenance.log",
    benchmark:
        "results/benchmarks/provenance/provenance.tsv"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        # Checksums read every input once: about a minute per 5 GB, at least 10 minutes.
        runtime=lambda wildcards, input: max(10, int(input.size_mb / 5000) + 10),
    params:
        repo=workflow.basedir,
        config=config,
    script:
        "../scripts/provenance.py"
