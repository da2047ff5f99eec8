# References by name (config `reference`, and RNA classes given by `source`): each provider file
# the arms need is downloaded once per release into the cache folder, checked against the
# provider's published checksums (Ensembl CHECKSUMS, GENCODE MD5SUMS; miRBase, MirGeneDB, GtRNAdb
# and NCBI publish none) and recorded beside it for provenance.json. Included only when the
# config has a `reference` block that fills an arm's keys or an RNA class given by `source`.
# Needs from common.smk: NAMED_REFERENCES, REFERENCE_CACHE.
import re

# cache path -> remote file record, for the download rule's wildcard.
NAMED_BY_CACHE_NAME = {
    remote.cache_name: remote.record() for remote in NAMED_REFERENCES.values()
}


rule reference_download:
    output:
        file=f"{REFERENCE_CACHE}/{{name}}",
        record=f"{REFERENCE_CACHE}/{{name}}.provenance.json",
    log:
        "results/logs/references/{name}.log",
    benchmark:
        "results/benchmarks/references/{name}.tsv"
    wildcard_constraints:
        name="|".join(re.escape(name) for name in NAMED_BY_CACHE_NAME),
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("reference_download"),
    params:
        remote=lambda wildcards: NAMED_BY_CACHE_NAME[wildcards.name],
    script:
        "../scripts/reference_download.py"
