"""The methods paragraph: written from the config that ran, through the template file."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from esccrt.report.methods import TEMPLATE, load_template, methods_text
from schema_sections import qpcr_decisions, validated

#: Every analysis stage of the demo.
ALL_STAGES = {"smallrna", "mrna", "qpcr"}


@pytest.fixture()
def config(repo_root: Path) -> dict:
    """The demo's configuration, as Snakemake loads it (validated, defaults filled in)."""
    return validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))


@pytest.fixture()
def versions() -> dict[str, str]:
    """Versions of the tools and packages, as a run records them."""
    return {
        "cutadapt": "5.2",
        "bowtie": "1.3.1",
        "hisat2": "2.2.1",
        "STAR": "2.7.11b",
        "samtools": "1.16.1",
        "HTSeq": "2.1.2",
        "pysam": "0.24.1",
        "pydeseq2": "0.5.4",
        "lifelines": "0.30.3",
        "snakemake": "9.27.1",
        "multiqc": "1.35",
        "mirtop": "0.4.30",
    }


def test_methods_text_follows_the_config(config: dict, versions: dict) -> None:
    text = methods_text(config, versions, ALL_STAGES, qpcr=qpcr_decisions(config))
    assert "padj < 0.05" in text and "|log2 fold change| >= 1.0" in text
    assert "pydeseq2 0.5.4" in text and "HISAT2 2.2.1" in text and "bowtie 1.3.1" in text
    assert "fold change of 1.5" in text and "hsa-miR-484 and hsa-miR-191-5p" in text
    assert "Up to 3 non-templated 3' nucleotides" in text and "mirtop 0.4.30" in text

    changed = copy.deepcopy(config)
    changed["diffexp"]["padj_threshold"] = 0.1
    changed["diffexp"]["lfc_threshold"] = 0.58
    changed["mrna"]["aligner"] = "star"
    changed["survival"]["fold_change_cutoff"] = 2.0
    changed["qpcr"]["efficiencies"] = {"hsa-miR-143-3p": 1.9}
    changed["smallrna"]["non_templated_3p"]["max_length"] = 0
    other = methods_text(
        changed, {**versions, "pydeseq2": "0.6.0"}, ALL_STAGES, qpcr=qpcr_decisions(changed)
    )
    assert "padj < 0.1 " in other and "padj < 0.05" not in other
    assert "|log2 fold change| >= 0.58" in other
    assert "STAR 2.7.11b" in other and "HISAT2" not in other
    assert "fold change of 2.0" in other and "Pfaffl" in other
    assert "pydeseq2 0.6.0" in other and "pydeseq2 0.5.4" not in other
    assert "non-templated" not in other


def test_methods_text_leaves_out_arms_that_did_not_run(config: dict, versions: dict) -> None:
    mrna_only = {k: v for k, v in config.items() if k not in ("smallrna", "qpcr", "survival")}
    text = methods_text(mrna_only, versions, {"mrna"})
    assert "Small-RNA" not in text and "Kaplan-Meier" not in text
    assert "HTSeq 2.1.2" in text


def test_stages_not_config_sections_decide_the_paragraphs(config: dict, versions: dict) -> None:
    """A config section of a stage that did not run (no samples of the arm) is not described."""
    text = methods_text(config, versions, {"mrna", "qpcr"}, qpcr=qpcr_decisions(config))
    assert "Small-RNA" not in text and "Kaplan-Meier" in text and "HTSeq 2.1.2" in text


def test_qpcr_only_methods_name_no_sequencing_step(config: dict, versions: dict) -> None:
    """A qPCR-only study: no differential expression, no MultiQC in its methods."""
    text = methods_text(config, versions, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "Kaplan-Meier" in text and "Snakemake" in text
    assert "pydeseq2" not in text and "MultiQC" not in text and "Small-RNA" not in text


def test_instrument_files_are_named_as_the_source_of_cq(config: dict, versions: dict) -> None:
    qpcr = {**config["qpcr"], "format": "rdml", "ct_table": ["a.rdml", "b.rdml"]}
    qpcr["sample_map"] = "config/qpcr_map.tsv"
    text = methods_text({**config, "qpcr": qpcr}, versions, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "read from 2 instrument export file(s) (qpcr.format rdml" in text
    assert "sample map config/qpcr_map.tsv" in text
    assert "instrument export" not in methods_text(
        config, versions, {"qpcr"}, qpcr=qpcr_decisions(config)
    )


def test_every_template_block_is_used_and_well_formed(config: dict, versions: dict) -> None:
    """Every block of the template parses, and the demo's paragraph leaves no placeholder."""
    blocks = load_template()
    for name in ("smallrna", "mrna", "diffexp", "qpcr", "diagnostic", "software"):
        assert name in blocks, name
    folder = Path(__file__).parents[3] / "workflow" / "scripts" / "esccrt" / "report"
    # the survival blocks are chosen in methods_survival.py
    code = "".join((folder / f"{name}.py").read_text() for name in ("methods", "methods_survival"))
    for name in blocks:
        assert f'"{name}"' in code, f"template block {name} is never used"
    text = methods_text(config, versions, {"smallrna", "mrna", "qpcr"}, qpcr=qpcr_decisions(config))
    assert "$" not in text and "  " not in text
    assert TEMPLATE.name == "methods.md"


def test_a_template_file_of_ones_own(tmp_path: Path, config: dict, versions: dict) -> None:
    """The words come from the file: another template gives another paragraph."""
    own = tmp_path / "methods.md"
    text = TEMPLATE.read_text().replace("Differential expression used", "DE was done with")
    own.write_text(text)
    assert "DE was done with pydeseq2 0.5.4" in methods_text(
        config, versions, {"mrna"}, template=own
    )


#: Each survival method the report's results come from, with the reference the methods name.
SURVIVAL_METHODS = {
    "Kaplan-Meier estimates": "Kaplan and Meier, J Am Stat Assoc 1958",
    "log-rank test": "Mantel, Cancer Chemother Rep 1966",
    "Cox proportional-hazards models": "Cox, J R Stat Soc B 1972",
    "Benjamini-Hochberg q-values": "Benjamini and Hochberg, J R Stat Soc B 1995",
    "Harrell's C": "Harrell et al., Stat Med 1996",
    "maximally selected log-rank statistic": "Lausen and Schumacher, Biometrics 1992",
    "DeLong 95 % CI": "DeLong et al., Biometrics 1988",
    "restricted cubic spline": "Harrell, Regression Modeling Strategies",
    "Riley et al.": "BMJ 2020;368:m441",
    "cumulative/dynamic AUC": "Uno et al., J Am Stat Assoc 2007",
    "Brier score": "Graf et al., Stat Med 1999",
    "index of prediction accuracy": "Kattan and Gerds, Diagn Progn Res 2018",
    "decision curve": "Vickers and Elkin, Med Decis Making 2006",
    "smoothed calibration curve": "Austin, Harrell and van Klaveren, Stat Med 2020",
    "Calibration at each landmark": "McLernon et al. (Ann Intern Med 2023",
}


def test_every_survival_method_is_named_with_its_reference(config: dict, versions: dict) -> None:
    text = methods_text(config, versions, {"qpcr"}, qpcr=qpcr_decisions(config))
    for method, reference in SURVIVAL_METHODS.items():
        assert method in text, method
        # the reference follows its method closely (within the same sentence or so)
        start = text.index(method)
        assert reference in text[start : start + 400], method
    # A development run locks its model; a validation run names the locked model it applied.
    assert "locked with a SHA-256 of its content in results/survival/prognostic_model.json" in text
    config["survival"]["validate_model"] = "other/prognostic_model.json"
    validation = methods_text(config, versions, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "The locked marker Cox model of other/prognostic_model.json was applied" in validation
    assert "Uno et al., Stat Med 2011" in validation and "locked with a SHA-256" not in validation


def test_missing_data_methods_follow_the_config(config: dict, versions: dict) -> None:
    """Complete-case always; with method mice the imputation paragraph with the config's m,
    cycles, donors and seed and the statsmodels version that ran."""
    text = methods_text(config, versions, ALL_STAGES, qpcr=qpcr_decisions(config))
    assert "Every analysis was complete-case" in text and "Rubin" not in text
    changed = copy.deepcopy(config)
    changed["survival"]["missing_data"] |= {"method": "mice", "imputations": 30, "seed": 4}
    mice = methods_text(
        changed, {**versions, "statsmodels": "0.15.0"}, ALL_STAGES, qpcr=qpcr_decisions(changed)
    )
    assert "statsmodels 0.15.0 MICEData" in mice and "matching with 5 donors" in mice
    assert "into 30 data sets, each after 10 cycles (seed 4)" in mice
    assert "Rubin's rules" in mice and "$" not in mice


def test_sequencing_markers_are_described_only_when_configured(
    config: dict, versions: dict
) -> None:
    stages = {"smallrna", "mrna", "qpcr"}
    assert "Sequencing markers" not in methods_text(
        config, versions, stages, qpcr=qpcr_decisions(config)
    )
    changed = copy.deepcopy(config)
    changed["survival"]["sequencing_markers"] = ["hsa-miR-143-3p", "hsa-miR-223-3p"]
    text = methods_text(changed, versions, stages, qpcr=qpcr_decisions(changed))
    assert (
        "Sequencing markers (hsa-miR-143-3p, hsa-miR-223-3p): for each patient with small-RNA "
        "libraries at pre and post, the change of the miRNA's DESeq2-normalised count (poscounts "
        "size factors"
    ) in text
    assert "$" not in text and "  " not in text


def test_competing_risks_are_named_only_when_an_endpoint_codes_them(
    config: dict, versions: dict
) -> None:
    """The demo codes no competing event: no sentence (its paragraph unchanged); PFS naming
    death before progression: Aalen-Johansen and Fine-Gray with their references."""
    stages = {"qpcr"}
    demo = methods_text(config, versions, stages, qpcr=qpcr_decisions(config))
    assert "Fine-Gray" not in demo and "Aalen-Johansen" not in demo
    changed = copy.deepcopy(config)
    changed["survival"]["endpoints"][1]["competing"] = "death before progression"
    text = methods_text(changed, versions, stages, qpcr=qpcr_decisions(changed))
    assert "For Progression-free survival, death before progression was a competing event" in text
    assert "Aalen and Johansen, Scand J Stat 1978;5:141" in text
    assert "Fine and Gray, JASA 1999;94:496-509" in text and "survival::finegray" in text
    assert "at 12 and 24 months" in text and "$" not in text and "  " not in text
    changed["survival"]["competing_risks"]["estimator"] = "crr"
    crr = methods_text(changed, versions, stages, qpcr=qpcr_decisions(changed))
    assert "cmprsk::crr" in crr and "survival::finegray" not in crr


def test_an_arm_without_a_contrast_is_described_as_qc_only(config: dict, versions: dict) -> None:
    """de_arms without the small-RNA arm that ran: no DE paragraph of it, a QC-only sentence."""
    only = {k: v for k, v in config.items() if k not in ("mrna", "qpcr", "survival")}
    text = methods_text(only, versions, {"smallrna"}, de_arms=set())
    assert "No differential expression was run for the smallrna arm (no contrast: QC only)" in text
    assert "pydeseq2" not in text and "$" not in text
    # nothing in it says a sample left DE or isomiRs were tested, since no DE ran
    assert "were left out of differential expression" not in text
    assert "tested for differential expression" not in text
    assert "would be left out of differential expression" in text
    both = methods_text(config, versions, {"smallrna", "mrna"}, de_arms={"mrna"})
    assert "pydeseq2 0.5.4" in both and "for the smallrna arm (no contrast: QC only)" in both
