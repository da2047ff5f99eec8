"""Paths of the rule file (workflow/rules/smallrna.smk) that depend on the configuration.

Which bowtie steps run, and the inputs of the alignment and counting jobs; standard library only
(the Snakefile imports it while parsing).
"""

from __future__ import annotations

from collections.abc import Sequence


def alignment_steps(contaminants: str) -> list[str]:
    """bowtie steps in order: contaminant screening (when configured), mature, hairpin."""
    return (["contaminants"] if contaminants else []) + ["mature", "hairpin"]


def reference_inputs(source: str) -> list[str]:
    """A local reference file as rule input; nothing for a URL (the rule downloads it)."""
    from esccrt.references import is_url

    return [] if is_url(source) else [source]


def align_input(steps: Sequence[str], ref: str, sample: str) -> str:
    """Reads for a bowtie step: the collapsed reads first, then what the previous step left."""
    step = steps.index(ref)
    if step == 0:
        return f"results/smallrna/collapsed/{sample}.fa"
    return f"results/smallrna/bowtie/{steps[step - 1]}/{sample}.unaligned.fa"


def count_inputs(steps: Sequence[str], sample: str, unit_names: Sequence[str]) -> dict:
    """Inputs of a sample's counting job: trim reports, collapse stats, BAMs, leftovers, arms."""
    inputs: dict[str, object] = {
        "trim_json": [f"results/smallrna/trimmed/{sample}/{unit}.trim.json" for unit in unit_names],
        "stats": f"results/smallrna/collapsed/{sample}.json",
        "unaligned": f"results/smallrna/bowtie/{steps[-1]}/{sample}.unaligned.fa",
        "arms": "results/smallrna/reference/mature_in_hairpin.tsv",
    }
    for ref in steps:
        inputs[ref] = f"results/smallrna/bowtie/{ref}/{sample}.bam"
    return inputs
