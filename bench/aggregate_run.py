"""Run one small-RNA aggregate rule's entry point on a synthetic cohort
(bench/aggregate_inputs.py), as its rule script calls it: ``python bench/aggregate_run.py
{summary,isomirs,sample_qc,diffexp_arm,diffexp_contrast,report_qc,report} FOLDER N`` (the
isomiR matrix and DE after the summary: they read its merged mirGFF3 and matrix; every sample
passes the gate, half of them ``treated``; the QC page after the sample QC; the report last, on
every table and figure the others wrote). A process of
its own, so that its wall time and peak memory are the rule's (the bench section and the tests
measure it from outside).

Settings are the schemas' defaults (the config sections validated with only the reference
files, or the DE contrast, set), as a user who sets nothing gets them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import aggregate_inputs

#: The aggregate rules this script runs.
RULES = (
    "summary",
    "isomirs",
    "sample_qc",
    "diffexp_arm",
    "diffexp_contrast",
    "report_qc",
    "report",
)
#: The DE contrast of the cohort (sample k is treated when k is even) and the rules' threads.
CONTRAST = {"treated_vs_control": ["condition", "treated", "control"]}
DE_THREADS = 2


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
        alignment_rates_mqc=at(paths.SMALLRNA_ALIGNMENT_RATES_MQC),
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


def diffexp_paths(folder: Path, samples: list[str]):
    """(sample sheet, QC gate, arm outputs, contrast outputs) of the DE rules in ``folder``;
    the sheet and an all-pass gate are written."""
    import pandas as pd
    from esccrt import paths
    from esccrt.de import stage

    def at(pattern: str, **wildcards: str) -> Path:
        return Path(folder) / paths.fill(pattern, arm="smallrna", **wildcards)

    sheet, gate = Path(folder) / "samples.tsv", Path(folder) / "de_gate.tsv"
    pd.DataFrame(
        {
            "sample": samples,
            "library_type": "smallrna",
            "condition": ["treated" if k % 2 == 0 else "control" for k in range(len(samples))],
            "batch": "b1",
        }
    ).to_csv(sheet, sep="\t", index=False)
    pd.DataFrame({"sample": samples, "passed": True, "overall": "pass", "reason": ""}).to_csv(
        gate, sep="\t", index=False
    )
    contrast = next(iter(CONTRAST))
    arm = stage.ArmOutputs(
        at(paths.DIFFEXP_NORMALIZED),
        at(paths.DIFFEXP_VST),
        at(paths.DIFFEXP_SIZE_FACTORS),
        at(paths.DIFFEXP_EXCLUDED),
        at(paths.DIFFEXP_PCA),
        at(paths.DIFFEXP_DISTANCES),
    )
    contrast_outputs = stage.ContrastOutputs(
        at(paths.DIFFEXP_TABLE, contrast=contrast),
        at(paths.DIFFEXP_CAVEATS, contrast=contrast),
        at(paths.DIFFEXP_VOLCANO, contrast=contrast),
        at(paths.DIFFEXP_MA, contrast=contrast),
        at(paths.DIFFEXP_TOP_FEATURES, contrast=contrast),
    )
    return sheet, gate, arm, contrast_outputs


def _diffexp(rule: str, folder: Path, samples: list[str]) -> None:
    """Rule diffexp_arm's or diffexp_contrast's entry point on the summary's matrix."""
    from esccrt import paths
    from esccrt.config_check import check_config
    from esccrt.de import stage
    from esccrt.de.settings import DESettings, arm_section

    section = check_config({"contrasts": CONTRAST}, "diffexp.schema.yaml", "diffexp")
    settings = DESettings.from_config(arm_section(section, "smallrna"))
    sheet, gate, arm, contrast = diffexp_paths(folder, samples)
    for path in (*vars(arm).values(), *vars(contrast).values()):
        path.parent.mkdir(parents=True, exist_ok=True)
    counts = Path(folder) / paths.fill(paths.ARM_COUNTS, arm="smallrna")
    if rule == "diffexp_arm":
        inputs = stage.ArmInputs(counts, gate, sheet)
        stage.run_arm(settings, "smallrna", inputs, arm, DE_THREADS)
    else:
        inputs = stage.ContrastInputs(counts, gate, sheet, arm.vst)
        stage.run_contrast(settings, "smallrna", next(iter(CONTRAST)), inputs, contrast, DE_THREADS)


def report_paths(folder: Path):
    """(inputs, outputs) of rule report in ``folder``: the small-RNA arm's tables and figures,
    its DE results, the sample sheet and the MultiQC report the other rules wrote."""
    from esccrt import paths
    from esccrt.report.inputs import ReportInputs
    from esccrt.report.stage import ReportOutputs

    def at(pattern: str, **wildcards: str) -> str:
        return str(Path(folder) / paths.fill(pattern, **wildcards))

    contrast = {"arm": "smallrna", "contrast": next(iter(CONTRAST))}
    inputs = ReportInputs(
        samples=str(Path(folder) / "samples.tsv"),
        de_tables=[at(paths.DIFFEXP_TABLE, **contrast)],
        de_caveats=[at(paths.DIFFEXP_CAVEATS, **contrast)],
        de_plots=[
            *(at(p, **contrast) for p in (paths.DIFFEXP_VOLCANO, paths.DIFFEXP_MA)),
            at(paths.DIFFEXP_TOP_FEATURES, **contrast),
            at(paths.DIFFEXP_PCA, arm="smallrna"),
            at(paths.DIFFEXP_DISTANCES, arm="smallrna"),
        ],
        excluded=[at(paths.DIFFEXP_EXCLUDED, arm="smallrna")],
        read_fate=at(paths.SMALLRNA_READ_FATE),
        mirtop_stats=at(paths.SMALLRNA_MIRTOP_STATS),
        smallrna_gate=at(paths.ARM_QC_GATE, arm="smallrna"),
        rna_classes=at(paths.SMALLRNA_RNA_CLASSES),
        smallrna_sample_qc=at(paths.SAMPLE_QC),
        qc_plots=[
            at(p)
            for p in (
                paths.SMALLRNA_READ_FATE_PLOT,
                paths.SMALLRNA_RNA_CLASSES_PLOT,
                paths.SMALLRNA_INSERT_LENGTHS_PLOT,
            )
        ],
        multiqc=at(paths.MULTIQC_REPORT),
    )
    outputs = ReportOutputs(
        html=Path(at(paths.REPORT_HTML)),
        tripod_checklist=Path(at(paths.REPORT_TRIPOD_CHECKLIST)),
        remark_checklist=Path(at(paths.REPORT_REMARK_CHECKLIST)),
    )
    return inputs, outputs


def _report(folder: Path) -> None:
    """Rule report's entry point on the cohort's results (config: the schema's defaults, the
    small-RNA arm and its contrast set)."""
    from esccrt.config_check import check_config
    from esccrt.report import stage

    config = check_config(
        {
            "samples": str(Path(folder) / "samples.tsv"),
            "smallrna": {"mature": "mature.fa", "hairpin": "hairpin.fa"},
            "diffexp": {"contrasts": CONTRAST},
        }
    )
    inputs, outputs = report_paths(folder)
    outputs.html.parent.mkdir(parents=True, exist_ok=True)
    stage.run(config, inputs, outputs, Path(__file__).resolve().parents[1])


def _isomirs(folder: Path) -> None:
    """Rule smallrna_isomirs' entry point on the summary's merged mirGFF3 (the schema's filter)."""
    from esccrt import paths
    from esccrt.config_check import check_config
    from esccrt.smallrna import isomir_matrix
    from esccrt.smallrna.settings import IsomirSettings, step_section

    def at(pattern: str, **wildcards: str) -> Path:
        return Path(folder) / paths.fill(pattern, **wildcards)

    section = check_config(
        {"mature": "mature.fa", "hairpin": "hairpin.fa"}, "smallrna.schema.yaml", "smallrna"
    )
    outputs = isomir_matrix.IsomirOutputs(
        at(paths.SMALLRNA_ISOMIR_COUNTS),
        at(paths.SMALLRNA_ISOMIR_LABELS),
        at(paths.SMALLRNA_ISOMIR_FILTER),
    )
    for path in vars(outputs).values():
        path.parent.mkdir(parents=True, exist_ok=True)
    isomir_matrix.run(
        IsomirSettings.from_config(step_section(section, "isomirs")),
        isomir_matrix.IsomirInputs(
            at(paths.SMALLRNA_MIRGFF), at(paths.SMALLRNA_REFERENCE_FASTA, ref="mature")
        ),
        outputs,
    )


def _report_qc(folder: Path) -> None:
    """Rule report_qc's entry point: the QC page of the small-RNA gate, verdicts and read fate
    (config: the schema's defaults)."""
    from esccrt import paths
    from esccrt.config_check import check_config
    from esccrt.report.qc_page import QCPageInputs, gate_arms, page_settings, run

    def at(pattern: str, **wildcards: str) -> str:
        return str(Path(folder) / paths.fill(pattern, **wildcards))

    config = check_config(
        {
            "samples": str(Path(folder) / "samples.tsv"),
            "smallrna": {"mature": "mature.fa", "hairpin": "hairpin.fa"},
            "diffexp": {"contrasts": CONTRAST},
        }
    )
    settings = page_settings(config)
    inputs = QCPageInputs(
        gates=gate_arms([at(paths.ARM_QC_GATE, arm="smallrna")]),
        sample_qc=at(paths.SAMPLE_QC),
        read_fate=at(paths.SMALLRNA_READ_FATE),
        identifiers=[],
        qc_only=[],
    )
    page = Path(at(paths.REPORT_QC_HTML))
    page.parent.mkdir(parents=True, exist_ok=True)
    run(settings, inputs, page)


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
    elif rule in ("diffexp_arm", "diffexp_contrast"):
        _diffexp(rule, folder, samples)
    elif rule == "isomirs":
        _isomirs(folder)
    elif rule == "report_qc":
        _report_qc(folder)
    elif rule == "report":
        _report(folder)
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


if __name__ == "__main__":  # run as a script from bench/, where aggregate_inputs lives
    sys.exit(main())
