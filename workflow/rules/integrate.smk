# The join: sequencing DE meets qPCR survival (esccrt.integrate), written as tables the report
# renders: results/integrate/mirna_evidence.tsv (small-RNA fold change, log-rank and Cox results
# and the candidates, per qPCR miRNA), candidate_targets.tsv (the candidates' DE targets, when
# integrate.mirna_targets names a source) and m2_markers.tsv with one bar chart per contrast
# (M2 marker fold changes of the mRNA arm). Each part exists only when the stages it joins run.
# Needs from common.smk: paths, config, CONTRASTS (per arm) and which parts of the join this
# configuration has (JOIN_*); from diffexp.smk and survival.smk: their rules. The target rules
# (esccrt.targets_stage; their settings: esccrt.integrate_settings) also need TARGET_SECTION, TARGET_SOURCE_FILES, MRNA_GTF.
import re

from esccrt import integrate_settings
from esccrt.references import local_inputs


rule integrate:
    # Every input is a list, empty when its part of the join is absent. DE tables: the first
    # contrast of the small-RNA arm (as the report showed), every contrast of the mRNA arm in
    # CONTRASTS["mrna"] order (params.contrasts).
    input:
        smallrna_de=expand(
            rules.diffexp_contrast.output.table,
            arm="smallrna",
            contrast=CONTRASTS["smallrna"][:1] if JOIN_EVIDENCE else [],
        ),
        table1=[rules.survival_analysis.output.table1] if JOIN_EVIDENCE else [],
        cox=[rules.survival_analysis.output.cox] if JOIN_EVIDENCE else [],
        mrna_de=expand(
            rules.diffexp_contrast.output.table,
            arm="mrna",
            contrast=CONTRASTS["mrna"] if JOIN_MARKERS else [],
        ),
        mirna_targets=[paths.INTEGRATE_MIRNA_TARGETS] if JOIN_TARGETS else [],
    output:
        evidence=report(
            [paths.INTEGRATE_EVIDENCE] if JOIN_EVIDENCE else [],
            caption="../report/mirna_evidence.rst",
            category="Sequencing meets survival",
        ),
        targets=[paths.INTEGRATE_TARGETS] if JOIN_TARGETS else [],
        markers=[paths.INTEGRATE_MARKERS] if JOIN_MARKERS else [],
        m2_plots=report(
            expand(
                paths.INTEGRATE_MARKER_PLOT,
                contrast=CONTRASTS["mrna"] if JOIN_MARKER_PLOTS else [],
            ),
            caption="../report/m2_markers.rst",
            category="Differential expression",
            subcategory="mrna",
        ),
    log:
        "results/logs/integrate/integrate.log",
    benchmark:
        "results/benchmarks/integrate/integrate.tsv"
    group:
        "report"
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        **requests("integrate"),
    params:
        contrasts=CONTRASTS.get("mrna", []),
        # Exactly the config values the join reads, so that changing one reruns this rule.
        settings=integrate_settings.join_params(config, JOIN_EVIDENCE),
    script:
        "../scripts/integrate.py"


# ------------------------------------------------------------------ miRNA targets (JOIN_SHIFT)
# Each source (integrate.mirna_targets.sources) is copied or downloaded once into the cache and
# checked against its pinned SHA-256; the mapped table, the names that did not map and one row per
# source come next; then the target-set shift test per DE miRNA (esccrt.target_shift).
if JOIN_SHIFT:
    # cached file -> the configured source it holds (the fetch rule's wildcard)
    TARGET_SOURCE_BY_FILE = dict(
        zip(
            TARGET_SOURCE_FILES,
            integrate_settings.source_settings(TARGET_SECTION),
        )
    )

    rule mirna_target_source:
        input:
            lambda wildcards: local_inputs(
                TARGET_SOURCE_BY_FILE[f"{wildcards.cached}.txt"]["source"]
            ),
        output:
            file="{cached}.txt",
            record="{cached}.txt.provenance.json",
        log:
            "results/logs/integrate/mirna_target_source/{cached}.log",
        benchmark:
            "results/benchmarks/integrate/mirna_target_source/{cached}.tsv"
        wildcard_constraints:
            cached="|".join(
                re.escape(path[: -len(".txt")]) for path in TARGET_SOURCE_FILES
            ),
        group:
            "report"
        conda:
            "../envs/report.yaml"
        threads: 1
        resources:
            **requests("mirna_target_source"),
        params:
            source=lambda wildcards: TARGET_SOURCE_BY_FILE[f"{wildcards.cached}.txt"],
        script:
            "../scripts/mirna_target_source.py"

    rule mirna_targets:
        input:
            files=TARGET_SOURCE_FILES,
            records=[f"{path}.provenance.json" for path in TARGET_SOURCE_FILES],
            smallrna_de=expand(
                rules.diffexp_contrast.output.table,
                arm="smallrna",
                contrast=CONTRASTS["smallrna"][:1],
            ),
            gtf=MRNA_GTF,
        output:
            targets=paths.INTEGRATE_MIRNA_TARGETS,
            unmapped=paths.INTEGRATE_TARGETS_UNMAPPED,
            sources=paths.INTEGRATE_TARGET_SOURCES,
        log:
            "results/logs/integrate/mirna_targets.log",
        benchmark:
            "results/benchmarks/integrate/mirna_targets.tsv"
        group:
            "report"
        conda:
            "../envs/report.yaml"
        threads: 1
        resources:
            **requests("mirna_targets"),
        params:
            sources=integrate_settings.source_settings(TARGET_SECTION),
        script:
            "../scripts/mirna_targets.py"

    rule target_shift:
        input:
            unpack(
                lambda wildcards: integrate_settings.shift_inputs(
                    config,
                    smallrna_de=expand(
                        rules.diffexp_contrast.output.table,
                        arm="smallrna",
                        contrast=CONTRASTS["smallrna"][:1],
                    )[0],
                    mrna_de=expand(
                        rules.diffexp_contrast.output.table,
                        arm="mrna",
                        contrast=CONTRASTS["mrna"][:1],
                    )[0],
                    gtf=MRNA_GTF,
                    evidence=paths.INTEGRATE_EVIDENCE if JOIN_EVIDENCE else "",
                    markers=paths.INTEGRATE_MARKERS,
                )
            ),
        output:
            table=report(
                paths.INTEGRATE_TARGET_SHIFT,
                caption="../report/target_shift.rst",
                category="Sequencing meets survival",
            ),
            genes=paths.INTEGRATE_TARGET_SHIFT_GENES,
            candidates=paths.INTEGRATE_TARGET_CANDIDATES,
            plots=directory(paths.INTEGRATE_TARGET_PLOTS),
        log:
            "results/logs/integrate/target_shift.log",
        benchmark:
            "results/benchmarks/integrate/target_shift.tsv"
        group:
            "report"
        conda:
            "../envs/report.yaml"
        threads: 1
        resources:
            **requests("target_shift"),
        params:
            settings=integrate_settings.shift_params(config),
        script:
            "../scripts/target_shift.py"
