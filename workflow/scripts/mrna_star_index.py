"""Build the STAR index with the annotation's splice junctions."""

import subprocess
import sys
from pathlib import Path

from esccrt.errors import script_log
from esccrt.mrna.align import star_index_args
from esccrt.mrna.reference import genome_length

script_log(snakemake.log[0])

outdir = Path(snakemake.output[0])
outdir.mkdir(parents=True, exist_ok=True)
args = star_index_args(
    snakemake.input.genome,
    snakemake.input.gtf,
    str(outdir),
    genome_length(snakemake.input.genome),
    threads=snakemake.threads,
    overhang=snakemake.params.overhang,
)
args += ["--outFileNamePrefix", f"{outdir}/", "--outTmpDir", f"{outdir}.tmp"]
print(" ".join(args), file=sys.stderr, flush=True)
subprocess.run(args, stdout=sys.stderr, stderr=sys.stderr, check=True)
