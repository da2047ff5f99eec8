# The join: sequencing DE meets qPCR survival (esccrt.integrate), written as tables the report
# renders: results/integrate/mirna_evidence.tsv (small-RNA fold change, log-rank and Cox results
# and the candidates, per qPCR miRNA), candidate_targets.tsv (when report.mirna_targets is set)
# and m2_markers.tsv with one bar chart per contrast (M2 marker fold changes of the mRNA arm).
# Each part exists only when the stages it joins run. Needs from common.smk: paths, config,
# CONTRASTS (per arm) and which parts of the join this configuration has (JOIN_*); from diffexp.smk and
# survival.smk: their rules.
from esccrt import integrate as integrate_lib


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
        mirna_targets=[config["report"]["mirna_targets"]] if JOIN_TARGETS else [],
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
        settings=integrate_lib.join_params(config, JOIN_EVIDENCE),
    script:
        "../scripts/integrate.py"
