"""Which bowtie steps run, and the inputs of the alignment and counting jobs that follow.

Used by workflow/rules/smallrna.smk while it parses; the paths come from :mod:`esccrt.paths`.
"""

from __future__ import annotations

from collections.abc import Sequence

from esccrt import paths


def alignment_steps(contaminants: str) -> list[str]:
    """bowtie steps in order: contaminant screening (when configured), mature, hairpin."""
    return (["contaminants"] if contaminants else []) + ["mature", "hairpin"]


def reference_inputs(source: str) -> list[str]:
    """A local reference file as rule input; nothing for a URL (the rule downloads it)."""
    from esccrt.references import local_inputs

    return local_inputs(source)


def align_input(steps: Sequence[str], ref: str, sample: str) -> str:
    """Reads for a bowtie step: the collapsed reads first, then what the previous step left."""
    step = steps.index(ref)
    if step == 0:
        return paths.fill(paths.SMALLRNA_COLLAPSED_FASTA, sample=sample)
    return paths.fill(paths.SMALLRNA_UNALIGNED, ref=steps[step - 1], sample=sample)


def count_inputs(steps: Sequence[str], sample: str, unit_names: Sequence[str]) -> dict:
    """Inputs of a sample's counting job: trim reports, collapse stats, BAMs, leftovers, arms."""
    inputs: dict[str, object] = {
        "trim_json": [
            paths.fill(paths.SMALLRNA_TRIM_REPORT, sample=sample, unit=unit) for unit in unit_names
        ],
        "stats": paths.fill(paths.SMALLRNA_COLLAPSE_STATS, sample=sample),
        "unaligned": paths.fill(paths.SMALLRNA_UNALIGNED, ref=steps[-1], sample=sample),
        "arms": paths.SMALLRNA_ARMS,
    }
    for ref in steps:
        inputs[ref] = paths.fill(paths.SMALLRNA_BOWTIE_BAM, ref=ref, sample=sample)
    return inputs
