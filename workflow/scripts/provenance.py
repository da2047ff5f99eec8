"""Write results/provenance.json (rule provenance, workflow/rules/provenance.smk)."""

import json
import sys
from pathlib import Path

from esccrt import provenance
from esccrt.errors import script_log
from esccrt.versions import package_versions, tool_versions, used_tools, workflow_version

script_log(snakemake.log[0])

inputs = snakemake.input
record = provenance.build(
    workflow_version=workflow_version(Path(snakemake.params.repo)),
    config=snakemake.params.config,
    config_files=inputs.config_files,
    sheets={role: path for role, path in inputs.items() if role in ("samples", "units")},
    inputs={
        "fastq": inputs.fastq,
        "references": inputs.references,
        "tables": inputs.tables,
    },
    packages=package_versions(),
    tools=tool_versions(used_tools(snakemake.params.config, snakemake.params.arms)),
    named_references=[json.loads(Path(p).read_text()) for p in inputs.named_references],
)
provenance.write(record, snakemake.output[0])
counts = {role: len(files) for role, files in record["inputs"].items()}
print(
    f"workflow {record['workflow_version']}; config {record['config']['sha256'][:12]}; "
    f"files checksummed: {counts}",
    file=sys.stderr,
)
