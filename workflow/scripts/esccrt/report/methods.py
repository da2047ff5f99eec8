"""The methods paragraph, written from the configuration that actually ran.

The words live in a template file (workflow/report/methods.md, one ``string.Template`` block per
stage and per setting-dependent piece); this module only chooses the blocks and fills in every
parameter, threshold and version from the validated config and the versions the run recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from esccrt.de.settings import QC_ONLY, arm_section
from esccrt.qpcr.uncertainty import z_value
from esccrt.report.methods_survival import survival_parts
from esccrt.report.wording import Fill
from esccrt.report.wording import words as _words
from esccrt.sheets import LIBRARY_TYPES

#: The template file: workflow/report/methods.md (this module is workflow/scripts/esccrt/report/).
TEMPLATE = Path(__file__).resolve().parents[3] / "report" / "methods.md"


def load_template(path: str | os.PathLike[str] = TEMPLATE) -> dict[str, Template]:
    """The blocks of a methods template: ``## name`` starts one, its lines are joined by spaces.

    Lines before the first ``## `` heading describe the file and are not part of any block.
    """
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in Path(path).read_text().splitlines():
        if line.startswith("## "):
            current = blocks.setdefault(line[3:].strip(), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    return {name: Template(" ".join(lines)) for name, lines in blocks.items()}


def _smallrna(
    small: Mapping, qc: Mapping, v: Callable[[str], str], fill: Fill, *, with_de: bool
) -> str:
    """Trimming, collapsing, bowtie alignment, counting and QC gate (``qc.exclude``) of the
    small-RNA arm; ``with_de``: whether its DE ran (else QC only: no sample was left out)."""
    from esccrt.qc_criteria import EXCLUDED_VERDICTS

    arms = small["hairpin_to_mature"]
    verdicts = " or ".join(EXCLUDED_VERDICTS[qc["exclude"]])
    if not verdicts:
        excluded = fill("smallrna_none_excluded")
    else:
        excluded = fill(
            "smallrna_excluded" if with_de else "smallrna_qc_only_verdicts", verdicts=verdicts
        )
    use = (
        "tested for differential expression as the mature miRNAs were"
        if with_de
        else "counted (no differential expression: QC only)"
    )
    return fill(
        "smallrna",
        cutadapt=v("cutadapt"),
        error_rate=small["error_rate"],
        min_overlap=small["min_overlap"],
        quality_cutoff=small["quality_cutoff"],
        min_length=small["min_length"],
        max_length=small["max_length"],
        bowtie=v("bowtie"),
        # The block is followed by "to <species> mature miRNAs": keep one space after it.
        contaminant_step=fill(
            "smallrna_class_step",
            classes=_words([entry["name"] for entry in small["rna_classes"]]),
            bowtie_classes=" ".join(small["bowtie"]["rna_classes"]),
        )
        + " "
        if small["rna_classes"]
        else "",
        species=small["species"],
        bowtie_mature=" ".join(small["bowtie"]["mature"]),
        bowtie_hairpin=" ".join(small["bowtie"]["hairpin"]),
        pysam=v("pysam"),
        hairpin_credit=fill("smallrna_hairpin_credit", **arms)
        if arms["enabled"]
        else fill("smallrna_no_hairpin_credit"),
        excluded=excluded,
        non_templated=fill("smallrna_non_templated", **small["non_templated_3p"]) + " "
        if small["non_templated_3p"]["max_length"]
        else "",
        mirtop=v("mirtop"),
        # The block follows "validated with mirtop <version>.": one space before it.
        isomirs=" " + fill("smallrna_isomirs", use=use, **small["isomirs"])
        if small["isomirs"]["enabled"]
        else "",
    )


def _mrna(mrna: Mapping, v: Callable[[str], str], fill: Fill, *, with_de: bool) -> str:
    """Trimming, alignment, strandedness, htseq-count-like counting and QC gate of the mRNA arm
    (``with_de``: whether its DE ran; else the gate's failures are flagged, not left out)."""
    hisat2 = mrna["aligner"] == "hisat2"
    return fill(
        "mrna",
        cutadapt=v("cutadapt"),
        quality_cutoff=mrna["trimming"]["quality_cutoff"],
        min_length=mrna["trimming"]["min_length"],
        aligner="HISAT2" if hisat2 else "STAR",
        aligner_version=v("hisat2" if hisat2 else "STAR"),
        samtools=v("samtools"),
        threshold=mrna["strandedness"]["threshold"],
        HTSeq=v("HTSeq"),
        **mrna["counting"],
        min_assigned_reads=mrna["qc"]["min_assigned_reads"],
        min_assignment_rate=mrna["qc"]["min_assignment_rate"],
        gate="were left out of differential expression"
        if with_de
        else "failed the QC gate (no differential expression: QC only)",
    )


def _diffexp(de: Mapping, arms: Sequence[str], v: Callable[[str], str], fill: Fill) -> str:
    """Design, size factors, pre-filter, contrasts and significance of the DE model.

    ``de`` is the validated ``diffexp`` section; each of ``arms`` (those that ran) is described
    with its own settings (:func:`esccrt.de.settings.arm_section`), a design or contrast shared
    by the arms once.
    """
    per_arm = {arm: arm_section(de, arm) for arm in arms}

    def design(text: str) -> str:
        return fill("diffexp_auto_design") if text == "auto" else text

    designs = {settings["design"] for settings in per_arm.values()}
    if len(designs) == 1:
        designs_text = design(designs.pop())
    else:
        designs_text = _words(f"{design(s['design'])} ({arm})" for arm, s in per_arm.items())
    # Contrasts of every arm, each once, in the arms' order.
    specs = {name: spec for s in per_arm.values() for name, spec in s["contrasts"].items()}
    contrasts = _words(
        fill("diffexp_contrast", column=c[0], tested=c[1], reference=c[2])
        if len(c) == 3
        else fill("diffexp_slope", column=c[0])
        for c in specs.values()
    )
    size_factors = _words(
        fill("diffexp_size_factor", method=settings["size_factors"], arm=arm)
        for arm, settings in per_arm.items()
    )
    return fill(
        "diffexp",
        pydeseq2=v("pydeseq2"),
        design=designs_text,
        size_factors=size_factors,
        min_total_count=de["min_total_count"],
        plural="s" if len(specs) > 1 else "",
        contrasts=contrasts,
        padj_threshold=de["padj_threshold"],
        lfc_threshold=de["lfc_threshold"],
        # The shrinkage clause follows the threshold after one space; its absence ends the sentence.
        shrinkage=" " + fill("diffexp_shrinkage")
        if de["lfc_shrink"]
        else fill("diffexp_no_shrinkage"),
    )


def _undetermined(qpcr: Mapping, fill: Fill) -> str:
    """What became of undetermined and above-limit Cts."""
    if qpcr["undetermined"] == "set_to_limit":
        return fill("qpcr_set_to_limit", ct_limit=qpcr["ct_limit"])
    return fill("qpcr_excluded")


def _outliers(qpcr: Mapping, fill: Fill) -> str:
    """How outlying replicates were treated (qpcr.remove_outliers, qpcr.qc.outlier_method)."""
    if not qpcr["remove_outliers"]:
        return fill("qpcr_outliers_kept")
    if qpcr["qc"]["outlier_method"] == "grubbs":
        return fill("qpcr_outliers_grubbs", alpha=qpcr["qc"]["outlier_alpha"])
    return fill("qpcr_outliers_removed")


def _qpcr(
    qpcr: Mapping,
    surv: Mapping,
    decisions: QpcrDecisions,
    v: Callable[[str], str],
    fill: Fill,
) -> str:
    """Fold changes of the qPCR miRNAs, the survival grouping and the models."""
    cox = surv["cox"]
    return fill(
        "qpcr",
        post=qpcr["post"],
        pre=qpcr["pre"],
        targets=_words(qpcr["targets"]),
        method=fill("qpcr_pfaffl" if qpcr["efficiencies"] else "qpcr_livak"),
        reference_targets=_words(decisions.references),
        ct_limit=qpcr["ct_limit"],
        undetermined=_undetermined(qpcr, fill),
        fold_change_cutoff=_words(decisions.fold_change_cutoffs),
        endpoints=_words(e["label"] for e in surv["endpoints"]),
        lifelines=v("lifelines"),
        multivariate=fill("qpcr_auto_multivariate", p_threshold=cox["p_threshold"])
        if cox["multivariate"] == "auto"
        else _words(cox["multivariate"]),
    )


def _qpcr_uncertainty(qpcr: Mapping, decisions: QpcrDecisions, fill: Fill) -> str:
    """The SEs and confidence intervals: level, what was propagated and how."""
    given = decisions.efficiency_se
    # each clause joins its neighbour after one space; an absent clause leaves none
    efficiency_se = (
        " "
        + fill(
            "qpcr_efficiency_se",
            values=_words(f"{name} {se:g}" for name, se in given.items()),
            sources=_words(decisions.efficiency_se_sources),
        )
        if given
        else ""
    )
    return fill(
        "qpcr_uncertainty",
        level=f"{100 * qpcr['ci_level']:g}",
        efficiency_se=efficiency_se,
        pre=qpcr["pre"],
        z=f"{z_value(qpcr['ci_level']):.3f}",
        exact="" if given else " " + fill("qpcr_no_efficiency_se"),
    )


def _qpcr_only(qpcr: Mapping, decisions: QpcrDecisions, fill: Fill) -> str:
    """Fold changes of the qPCR targets when no survival analysis ran."""
    design = qpcr.get("design", "paired")
    return fill(
        "qpcr_unpaired_design" if design == "unpaired" else "qpcr_without_survival",
        post=qpcr["post"],
        pre=qpcr["pre"],
        case=qpcr.get("groups", {}).get("case", ""),
        control=qpcr.get("groups", {}).get("control", ""),
        targets=_words(qpcr["targets"]),
        method=fill("qpcr_pfaffl" if qpcr["efficiencies"] else "qpcr_livak"),
        reference_targets=_words(decisions.references),
        undetermined=_undetermined(qpcr, fill),
        ct_limit=qpcr["ct_limit"],
    )


def _qpcr_cohort(qpcr: Mapping, decisions: QpcrDecisions, fill: Fill) -> list[str]:
    """The time course's comparisons, the samples excluded and the patients left unpaired."""
    parts = []
    if qpcr.get("design") == "timecourse":
        changes = _words(f"{c['to']} vs {c['from']}" for c in qpcr["comparisons"])
        parts.append(fill("qpcr_timecourse", comparisons=changes))
    if decisions.excluded:
        parts.append(fill("qpcr_excluded_samples", samples=_words(decisions.excluded)))
    if decisions.unpaired:
        parts.append(fill("qpcr_unpaired_patients", patients=_words(decisions.unpaired)))
    return parts


def _qpcr_source(qpcr: Mapping, v: Callable[[str], str], fill: Fill) -> str:
    """Where the Cq values came from: instrument files, their format and the sample map."""
    files = [qpcr["ct_table"]] if isinstance(qpcr["ct_table"], str) else qpcr["ct_table"]
    return fill(
        "qpcr_source",
        n_files=len(files),
        format=qpcr["format"],
        rdmlpython=v("rdmlpython"),
        sample_map=qpcr["sample_map"],
    )


def _qpcr_interrun(qpcr: Mapping, fill: Fill) -> str:
    """The inter-run calibration (method qbase or ruijter): the method and its calibrators."""
    block = qpcr["interrun_calibration"]
    if block["method"] == "qbase":
        method = fill("qpcr_interrun_qbase", calibrators=_words(block["calibrators"]))
    else:
        calibrators = block["calibrators"]
        overlap = f"the calibrators {_words(calibrators)}" if calibrators else "every sample"
        method = fill("qpcr_interrun_ruijter", overlap=overlap)
    return fill("qpcr_interrun", method=method)


def _qpcr_miqe(qpcr: Mapping, references: Sequence[str], fill: Fill) -> str:
    """What MIQE asks of the data analysis: normalisation, reference stability, efficiency,
    the Cq limit of undetermined wells, replicates; and the serum haemolysis check."""
    selection = qpcr["reference_selection"]
    haemolysis = qpcr["haemolysis"]
    efficiencies = qpcr["efficiencies"]
    return fill(
        "qpcr_miqe",
        n_references=len(references),
        plural="s" if len(references) > 1 else "",
        references=_words(references),
        candidates=_words(qpcr["reference_candidates"] or qpcr["reference_targets"]),
        selection=fill(
            "qpcr_picked_references",
            n=selection["n"],
            method={"genorm": "geNorm", "normfinder": "NormFinder"}[selection["method"]],
        )
        if selection["auto"]
        else fill("qpcr_configured_references"),
        efficiency=fill(
            "qpcr_given_efficiency",
            factors=_words(f"{name} {factor}" for name, factor in efficiencies.items()),
        )
        if efficiencies
        else fill("qpcr_assumed_efficiency"),
        ct_limit=qpcr["ct_limit"],
        undetermined=_undetermined(qpcr, fill),
        sd_threshold=qpcr["sd_threshold"],
        outliers=_outliers(qpcr, fill),
        haemolysis_reference=haemolysis["reference"],
        haemolysis_marker=haemolysis["marker"],
        haemolysis_threshold=haemolysis["threshold"],
        haemolysis_action=fill(
            "qpcr_haemolysis_excluded"
            if haemolysis["exclude_from_survival"]
            else "qpcr_haemolysis_flag_only"
        ),
    )


#: Stages whose presence means sequencing data were analysed (DE and MultiQC are described).
SEQUENCING_STAGES = {"smallrna", "mrna", "diffexp"}


@dataclass(frozen=True)
class QpcrDecisions:
    """What the qPCR and survival stages decided, read from the tables they wrote."""

    #: The references the fold changes used, in order (results/qpcr/references.tsv).
    references: Sequence[str]
    #: The distinct cut-offs of the fold-change factors (results/survival/cutoffs.tsv); empty
    #: when the survival analysis did not run.
    fold_change_cutoffs: Sequence[float]
    #: The efficiency SEs > 0 the intervals propagated, per assay, and where they came from
    #: (results/qpcr/efficiency_uncertainty.tsv); empty: efficiencies taken as exact.
    efficiency_se: Mapping[str, float] = field(default_factory=dict)
    efficiency_se_sources: Sequence[str] = ()
    #: Patients left out of a paired comparison (results/qpcr/unpaired_samples.tsv).
    unpaired: Sequence[str] = ()
    #: Samples the sample map excluded, with the reason (results/qpcr/excluded_samples.tsv).
    excluded: Sequence[str] = ()

    def __post_init__(self) -> None:
        """The references are needed to describe a run with the qPCR arm."""
        if not self.references:
            raise ValueError("the qPCR methods need the references the run used")


def methods_text(
    config: Mapping,
    versions: Mapping[str, str],
    stages: Collection[str],
    qpcr: QpcrDecisions | None = None,
    template: str | os.PathLike[str] = TEMPLATE,
    de_arms: Collection[str] | None = None,
) -> str:
    """A methods paragraph written from the configuration that actually ran.

    Every parameter, threshold and version named comes from ``config`` and ``versions``, and
    what the stages decided (references used, cut-offs applied) from ``qpcr``, read from their
    tables (required when ``qpcr`` is among ``stages``); paragraphs of stages that did not run
    (``smallrna``, ``mrna``, ``qpcr`` absent from ``stages``) are left out, and so are the size
    factors of an arm whose DE did not run (``de_arms``; None: the arms among ``stages``).
    """
    blocks = load_template(template)

    def fill(name: str, **values: object) -> str:
        """Block ``name`` of the template with ``values`` (a missing value is an error)."""
        return blocks[name].substitute(values)

    def v(name: str) -> str:
        """The version of a package or tool, '?' when the run did not record it."""
        return versions.get(name, "?")

    parts = []
    # the arms whose DE ran (de_arms; else the sequencing arms that ran), in the arms' order;
    # a sequencing arm that ran without DE had no contrast (QC only)
    ran = set(stages) & set(LIBRARY_TYPES)
    de = ran if de_arms is None else set(de_arms)
    if "smallrna" in stages:
        parts.append(_smallrna(config["smallrna"], config["qc"], v, fill, with_de="smallrna" in de))
    if "mrna" in stages:
        parts.append(_mrna(config["mrna"], v, fill, with_de="mrna" in de))
    if SEQUENCING_STAGES & set(stages):
        arms = [arm for arm in LIBRARY_TYPES if arm in de]
        qc_only = [arm for arm in LIBRARY_TYPES if arm in ran - de]
        if arms or not qc_only:
            parts.append(_diffexp(config["diffexp"], arms or list(LIBRARY_TYPES), v, fill))
        if qc_only:
            parts.append(fill("diffexp_qc_only", arms=" and ".join(qc_only), note=QC_ONLY))
    if "qpcr" in stages:
        if qpcr is None:
            raise ValueError("the qPCR arm ran: give the decisions of its stages (qpcr=...)")
        # the survival analysis runs with the qPCR arm when the config has its section
        survival = bool(config.get("survival"))
        if survival:
            if not qpcr.fold_change_cutoffs:
                raise ValueError("the survival methods need the cut-offs the run used")
            parts.append(_qpcr(config["qpcr"], config["survival"], qpcr, v, fill))
        else:
            parts.append(_qpcr_only(config["qpcr"], qpcr, fill))
        parts.append(_qpcr_miqe(config["qpcr"], qpcr.references, fill))
        parts.append(_qpcr_uncertainty(config["qpcr"], qpcr, fill))
        parts += _qpcr_cohort(config["qpcr"], qpcr, fill)
        if config["qpcr"]["format"] != "long":
            parts.append(_qpcr_source(config["qpcr"], v, fill))
        if config["qpcr"]["interrun_calibration"]["method"] != "none":
            parts.append(_qpcr_interrun(config["qpcr"], fill))
        if survival:
            parts += survival_parts(config, v, fill)
    if SEQUENCING_STAGES & set(stages):  # MultiQC summarises the sequencing arms only
        parts.append(fill("software_multiqc", snakemake=v("snakemake"), multiqc=v("multiqc")))
    else:
        parts.append(fill("software", snakemake=v("snakemake")))
    return " ".join(parts)
