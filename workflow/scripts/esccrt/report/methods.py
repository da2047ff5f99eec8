"""The methods paragraph, written from the configuration that actually ran.

The words live in a template file (workflow/report/methods.md, one ``string.Template`` block per
stage and per setting-dependent piece); this module only chooses the blocks and fills in every
parameter, threshold and version from the validated config and the versions the run recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from string import Template

#: The template file: workflow/report/methods.md (this module is workflow/scripts/esccrt/report/).
TEMPLATE = Path(__file__).resolve().parents[3] / "report" / "methods.md"

#: A stage's block of the template, filled in: (block name, values) -> text.
Fill = Callable[..., str]


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


def _words(items: Iterable[object]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _smallrna(small: Mapping, v: Callable[[str], str], fill: Fill) -> str:
    """Trimming, collapsing, bowtie alignment, counting and QC gate of the small-RNA arm."""
    arms = small["hairpin_to_mature"]
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
        min_mirna_reads=small["min_mirna_reads"],
    )


def _mrna(mrna: Mapping, v: Callable[[str], str], fill: Fill) -> str:
    """Trimming, alignment, strandedness, htseq-count-like counting and QC gate of the mRNA arm."""
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
    )


def _diffexp(de: Mapping, v: Callable[[str], str], fill: Fill) -> str:
    """Design, size factors, pre-filter, contrasts and significance of the DE model."""
    contrasts = _words(
        fill("diffexp_contrast", column=c[0], tested=c[1], reference=c[2])
        if len(c) == 3
        else fill("diffexp_slope", column=c[0])
        for c in de["contrasts"].values()
    )
    size_factors = _words(
        fill("diffexp_size_factor", method=method, arm=arm)
        for arm, method in de["size_factors"].items()
    )
    return fill(
        "diffexp",
        pydeseq2=v("pydeseq2"),
        design=fill("diffexp_auto_design") if de["design"] == "auto" else de["design"],
        size_factors=size_factors,
        min_total_count=de["min_total_count"],
        plural="s" if len(de["contrasts"]) > 1 else "",
        contrasts=contrasts,
        padj_threshold=de["padj_threshold"],
        lfc_threshold=de["lfc_threshold"],
        # The shrinkage clause follows the threshold after one space; its absence ends the sentence.
        shrinkage=" " + fill("diffexp_shrinkage")
        if de["lfc_shrink"]
        else fill("diffexp_no_shrinkage"),
    )


def _qpcr(qpcr: Mapping, surv: Mapping, v: Callable[[str], str], fill: Fill) -> str:
    """Fold changes of the qPCR miRNAs, the survival grouping and the models."""
    cox = surv["cox"]
    return fill(
        "qpcr",
        post=qpcr["post"],
        pre=qpcr["pre"],
        targets=_words(qpcr["targets"]),
        method=fill("qpcr_pfaffl" if qpcr["efficiencies"] else "qpcr_livak"),
        reference_targets=_words(qpcr["reference_targets"]),
        ct_limit=qpcr["ct_limit"],
        undetermined=fill("qpcr_set_to_limit", ct_limit=qpcr["ct_limit"])
        if qpcr["undetermined"] == "set_to_limit"
        else fill("qpcr_excluded"),
        fold_change_cutoff=surv["fold_change_cutoff"],
        endpoints=_words(e["label"] for e in surv["endpoints"]),
        lifelines=v("lifelines"),
        multivariate=fill("qpcr_auto_multivariate", p_threshold=cox["p_threshold"])
        if cox["multivariate"] == "auto"
        else _words(cox["multivariate"]),
    )


def _diagnostic(surv: Mapping, fill: Fill) -> str:
    """The logistic model of early events and its ROC curve."""
    diagnostic = surv["diagnostic"]
    return fill(
        "diagnostic",
        endpoint=diagnostic["endpoint"],
        within=diagnostic["within"],
        time_unit=surv["time_unit"],
        predictors=_words(diagnostic["predictors"]),
        bootstrap=diagnostic["bootstrap"],
        seed=diagnostic["seed"],
    )


def methods_text(
    config: Mapping,
    versions: Mapping[str, str],
    stages: Collection[str],
    template: str | os.PathLike[str] = TEMPLATE,
) -> str:
    """A methods paragraph written from the configuration that actually ran.

    Every parameter, threshold and version named comes from ``config`` and ``versions``;
    paragraphs of stages that did not run (``smallrna``, ``mrna``, ``qpcr`` absent from
    ``stages``) are left out.
    """
    blocks = load_template(template)

    def fill(name: str, **values: object) -> str:
        """Block ``name`` of the template with ``values`` (a missing value is an error)."""
        return blocks[name].substitute(values)

    def v(name: str) -> str:
        """The version of a package or tool, '?' when the run did not record it."""
        return versions.get(name, "?")

    parts = []
    if "smallrna" in stages:
        parts.append(_smallrna(config["smallrna"], v, fill))
    if "mrna" in stages:
        parts.append(_mrna(config["mrna"], v, fill))
    parts.append(_diffexp(config["diffexp"], v, fill))
    if "qpcr" in stages:
        parts.append(_qpcr(config["qpcr"], config["survival"], v, fill))
        if config["survival"].get("diagnostic"):
            parts.append(_diagnostic(config["survival"], fill))
    parts.append(fill("software", snakemake=v("snakemake"), multiqc=v("multiqc")))
    return " ".join(parts)
