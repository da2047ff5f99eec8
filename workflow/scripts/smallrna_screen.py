"""Screen one sample's collapsed reads against the RNA classes, in the configured order."""

import sys
from dataclasses import asdict

from esccrt.errors import script_log

script_log(snakemake.log[0])

from esccrt.io import write_json_atomic  # noqa: E402
from esccrt.smallrna.screen import screen_classes  # noqa: E402

sys.stderr.flush()
counts = screen_classes(
    reads=snakemake.input.reads,
    classes=list(zip(snakemake.params.classes, snakemake.params.indexes, strict=True)),
    unscreened=snakemake.output.unscreened,
    extra_args=snakemake.params.args,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
write_json_atomic({name: asdict(count) for name, count in counts.items()}, snakemake.output.counts)
