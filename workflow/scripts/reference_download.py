"""Download one named reference into the cache, checked against the provider's checksums."""

import sys

from esccrt.errors import script_log
from esccrt.io import write_json_atomic
from esccrt.references import download_verified

script_log(snakemake.log[0])

record = download_verified(snakemake.params.remote, snakemake.output.file)
write_json_atomic(record, snakemake.output.record)
print(
    f"{record['url']}: {record['bytes']} bytes, provider checksum "
    f"{record['provider_checksum'] or '(none published)'}, sha256 {record['sha256']}",
    file=sys.stderr,
)
