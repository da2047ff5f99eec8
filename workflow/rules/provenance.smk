# Provenance: results/provenance.json records the workflow version, the configuration and sheets'
# checksums, every input file's checksum (FASTQs, references, qPCR and clinical tables) and every
# Python package's and tool's version (esccrt.provenance); results/references.tsv lists every
# reference file the run used, with the config key that chose it, its size and SHA-256 and, for a
# reference by name, its provider, release, address and published checksum
# (esccrt.reference_table). Needs from common.smk: paths, config, units, qpcr_enabled,
# SMALLRNA, SMALLRNA_REFS, MRNA, MRNA_GENOME, MRNA_GTF, NAMED_REFERENCES, REFERENCE_CACHE,
# TARGET_SOURCE_FILES; from
# smallrna.smk and mrna.smk (when their arm runs): SMALLRNA_PREBUILT, MRNA_PREBUILT_FILES.
from esccrt import provenance as provenance_lib
from esccrt import reference_table

# The files of the prebuilt indexes (config smallrna.bowtie_index, mrna.<aligner>.index).
SMALLRNA_INDEXES = SMALLRNA_PREBUILT if SMALLRNA else {}
MRNA_INDEX = MRNA_PREBUILT_FILES if MRNA else []
# Every reference file the run reads and the config key that chose it, decided here once.
REFERENCE_USES = reference_table.reference_uses(
    config,
    smallrna_refs=SMALLRNA_REFS,
    smallrna_indexes=SMALLRNA_INDEXES,
    mrna_files={"genome": MRNA_GENOME, "annotation": MRNA_GTF} if MRNA else None,
    mrna_index=MRNA_INDEX,
    named_roles=NAMED_REFERENCES,
    target_files=TARGET_SOURCE_FILES,
)


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
                index_files=[
                    *(path for files in SMALLRNA_INDEXES.values() for path in files),
                    *MRNA_INDEX,
                ],
                target_files=TARGET_SOURCE_FILES,
            )
        ),
    output:
        record=paths.PROVENANCE,
        references=paths.REFERENCES_USED,
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
        reference_uses=[use.record() for use in REFERENCE_USES],
        # not an output: Snakemake would delete it before the job, and the job reads it
        checksum_cache=paths.PROVENANCE_CHECKSUMS,
    script:
        "../scripts/provenance.py"
