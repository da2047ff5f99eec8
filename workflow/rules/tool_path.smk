# Jobs find the tools installed beside the Python that runs Snakemake (the virtual environment's
# multiqc, cutadapt, umi_tools) however Snakemake was started, also as `.venv/bin/snakemake`
# without the environment on PATH: jobs inherit this process's PATH, and on a cluster each job's
# Snakemake reads this file again. A rule's conda environment still comes first (Snakemake puts
# it before this PATH when it activates it). Included first by the Snakefile.
from esccrt.tool_path import put_interpreter_bin_on_path

put_interpreter_bin_on_path()
