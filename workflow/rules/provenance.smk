# Provenance: results/provenance.json records the workflow version, the configuration and sheets'
# checksums, every input file's checksum (FASTQs, references, qPCR and clinical tables) and every
# Python package's and tool's version (esccrt.provenance). Needs from common.smk: paths, config,
# units, qpcr_enabled, SMALLRNA_REFS, MRNA_GENOME, MRNA_GTF.
from esccrt import provenance as provenance_lib


rule provenance:
    input:
        unpack(
            lambda wildcards: provenance_lib.run_inputs(
                config,
                units,
                smallrna_refs=SMALLRNA_REFS,
                mrna_refs=[MRNA_GENOME, MRNA_GTF] if MRNA else [],
                config_files=workflow.configfiles,
                qpcr=qpcr_enabled(),
                named_records=[
                    f"{REFERENCE_CACHE}/{remote.cache_name}.provenance.json"
                    for remote in NAMED_REFERENCES.values()
                ],
            )
        ),
    output:
        paths.PROVENANCE,
    log:
        "results/logs/provenance/provenance.log",
    benchmark:
        "results/benchmarks/provenance/provenance.tsv"
    group:
        "report"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("provenance"),
    params:
        repo=workflow.basedir,
        config=config,
        arms=ARMS,
    script:
        "../scripts/provenance.py"
