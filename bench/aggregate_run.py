"""Run one small-RNA aggregate rule's entry point on a synthetic cohort
(bench/aggregate_inputs.py), as its rule script calls it: ``python bench/aggregate_run.py
{summary,sample_qc} FOLDER N``. A process of its own, so that its wall time and peak memory
are the rule's (the bench section and the tests measure it from outside).

Settings are the schemas' defaults (the config sections validated with only the reference
files set), as a user who sets nothing gets them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import aggregate_inputs

#: The aggregate rules this script runs.
RULES = ("summary", "sample_qc")


def summary_paths(folder: Path, samples: list[str]):
    """(inputs, outputs) of rule smallrna_summary in ``folder``."""
    from esccrt import paths
    from esccrt.smallrna.summary import SummaryInputs, SummaryOutputs

    def at(pattern: str, **wildcards: str) -> Path:
        return Path(folder) / paths.fill(pattern, **wildcards)

    inputs = SummaryInputs(
        counts=tuple(at(paths.SMALLRNA_SAMPLE_COUNTS, sample=s) for s in samples),
        mirgff=tuple(at(paths.SMALLRNA_SAMPLE_MIRGFF, sample=s) for s in samples),
        mature=at(paths.SMALLRNA_REFERENCE_FASTA, ref="mature"),
        hairpin=at(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
    )
    outputs = SummaryOutputs(
        counts=at(paths.ARM_COUNTS, arm="smallrna"),
        hairpin_counts=at(paths.SMALLRNA_HAIRPIN_COUNTS),
        isomirs=at(paths.SMALLRNA_ISOMIRS),
        mirgff=at(paths.SMALLRNA_MIRGFF),
        mirtop_stats=at(paths.SMALLRNA_MIRTOP_STATS),
        read_fate=at(paths.SMALLRNA_READ_FATE),
        insert_lengths=at(paths.SMALLRNA_INSERT_LENGTHS),
        insert_plot=at(paths.SMALLRNA_INSERT_LENGTHS_PLOT),
        read_fate_plot=at(paths.SMALLRNA_READ_FATE_PLOT),
        rna_classes=at(paths.SMALLRNA_RNA_CLASSES),
        rna_classes_plot=at(paths.SMALLRNA_RNA_CLASSES_PLOT),
        rna_classes_mqc=at(paths.SMALLRNA_RNA_CLASSES_MQC),
    )
    return inputs, outputs


def sample_qc_paths(folder: Path, samples: list[str]):
    """(inputs, outputs) of rule smallrna_sample_qc in ``folder``."""
    from esccrt import paths
    from esccrt.smallrna.sample_qc import SampleQCInputs, SampleQCOutputs

    def at(pattern: str, **wildcards: str) -> Path:
        return Path(folder) / paths.fill(pattern, **wildcards)

    inputs = SampleQCInputs(
        counts=tuple(at(paths.SMALLRNA_SAMPLE_COUNTS, sample=s) for s in samples),
        trim_reports=tuple(at(paths.SMALLRNA_TRIM_REPORT, sample=s, unit="lane1") for s in samples),
        arms=at(paths.SMALLRNA_ARMS),
        hairpin=at(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
        matrix=at(paths.ARM_COUNTS, arm="smallrna"),
    )
    outputs = SampleQCOutputs(
        table=at(paths.SAMPLE_QC),
        multiqc=at(paths.SAMPLE_QC_MQC),
        gate=at(paths.fill(paths.ARM_QC_GATE, arm="smallrna")),
    )
    return inputs, outputs


def run(rule: str, folder: Path, samples: list[str]) -> None:
    """Rule ``rule``'s entry point on the cohort in ``folder`` (its outputs' folders made)."""
    from esccrt.config_check import check_config

    if rule == "summary":
        from esccrt.smallrna.settings import SummarySettings, step_section
        from esccrt.smallrna.summary import summary

        section = check_config(
            {"mature": "mature.fa", "hairpin": "hairpin.fa"}, "smallrna.schema.yaml", "smallrna"
        )
        inputs, outputs = summary_paths(folder, samples)
        for path in vars(outputs).values():
            path.parent.mkdir(parents=True, exist_ok=True)
        summary(
            SummarySettings.from_config(step_section(section, "summary")),
            samples,
            list(aggregate_inputs.RNA_CLASSES),
            inputs,
            outputs,
        )
    elif rule == "sample_qc":
        from esccrt.smallrna.sample_qc import sample_qc

        inputs, outputs = sample_qc_paths(folder, samples)
        for path in vars(outputs).values():
            path.parent.mkdir(parents=True, exist_ok=True)
        sample_qc(check_config({}, "qc.schema.yaml", "qc"), samples, inputs, outputs)
    else:
        raise ValueError(f"unknown aggregate rule {rule!r}; one of {RULES}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rule", choices=RULES)
    parser.add_argument("folder", type=Path)
    parser.add_argument("samples", type=int)
    args = parser.parse_args(argv)
    run(args.rule, args.folder, aggregate_inputs.sample_names(args.samples))
    return 0


if __name__ == "__main__":  # the script's folder is on sys.path: aggregate_inputs imports
    sys.exit(main())
