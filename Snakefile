# Entry point: `snakemake --cores all` from the repository's top folder runs the workflow.
# The workflow itself lives in workflow/Snakefile (the Snakemake workflow catalogue layout).


include: "workflow/Snakefile"
