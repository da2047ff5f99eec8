"""Write results/provenance.json and results/references.tsv (rule provenance,
workflow/rules/provenance.smk)."""

import json
import sys
from pathlib import Path

from esccrt import provenance
from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.reference_table import ReferenceUse, measured_by, reference_table
from esccrt.versions import package_versions, tool_versions, used_tools, workflow_version

script_log(snakemake.log[0])

inputs = snakemake.input
named_references = [json.loads(Path(p).read_text()) for p in inputs.named_references]
checksums = provenance.ChecksumCache(snakemake.params.checksum_cache)
record = provenance.build(
    workflow_version=workflow_version(Path(snakemake.params.repo)),
    config=snakemake.params.config,
    config_files=inputs.config_files,
    sheets={role: path for role, path in inputs.items() if role in ("samples", "units")},
    inputs={
        "fastq": inputs.fastq,
        "references": inputs.references,
        "tables": inputs.tables,
        "mirna_targets": inputs.mirna_targets,
    },
    packages=package_versions(),
    tools=tool_versions(used_tools(snakemake.params.config, snakemake.params.arms)),
    named_references=named_references,
    digest=checksums.sha256,
)
provenance.write(record, snakemake.output.record)
checksums.save()
# The references' and target sources' checksums as provenance.json has them; a prebuilt index's
# files are read here.
references = reference_table(
    [ReferenceUse(**use) for use in snakemake.params.reference_uses],
    named_references,
    measured_by(
        record["inputs"]["references"] + record["inputs"]["mirna_targets"], provenance.file_record
    ),
)
write_tsv_atomic(references, snakemake.output.references)
counts = {role: len(files) for role, files in record["inputs"].items()}
print(
    f"workflow {record['workflow_version']}; config {record['config']['sha256'][:12]}; "
    f"files checksummed: {counts} ({checksums.hashed} read, the rest unchanged since an "
    f"earlier run); references used: {len(references)}",
    file=sys.stderr,
)
