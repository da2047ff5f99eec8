# Differential expression (pydeseq2) of each arm, after the arm's QC gate.
# Outputs per arm:      results/diffexp/{arm}/normalized_counts.tsv, vst.tsv, size_factors.tsv,
#                       excluded_samples.tsv (QC-gate failures left out), plots/pca.png,
#                       plots/sample_distances.png
# Outputs per contrast: results/diffexp/{arm}/{contrast}.tsv, caveats/{contrast}.tsv (few
#                       replicates, PyDESeq2's warnings) and plots/{contrast}.volcano.png,
#                       plots/{contrast}.ma.png, plots/{contrast}.top_features.png
# isomiR level (small RNA, smallrna.isomirs.enabled): results/diffexp/smallrna/isomirs/{contrast}.tsv
#                       (each isomiR's result with its mirtop variant types and seed flag) and
#                       caveats/{contrast}.tsv, the arm's contrasts and settings
# Needs from common.smk: paths, DIFFEXP (each arm's settings), ARMS, CONTRASTS (per arm; wildcard
# constraints for arm and contrast); requests (memory and time).


rule diffexp_arm:
    input:
        counts=paths.ARM_COUNTS,
        qc_gate=paths.ARM_QC_GATE,
        samples=config["samples"],
    output:
        normalized=paths.DIFFEXP_NORMALIZED,
        vst=paths.DIFFEXP_VST,
        size_factors=paths.DIFFEXP_SIZE_FACTORS,
        excluded=paths.DIFFEXP_EXCLUDED,
        pca=report(
            paths.DIFFEXP_PCA,
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "figure": "PCA"},
        ),
        distances=report(
            paths.DIFFEXP_DISTANCES,
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "figure": "sample distances"},
        ),
    log:
        "results/logs/diffexp/{arm}.log",
    benchmark:
        "results/benchmarks/diffexp/{arm}.tsv"
    group:
        "diffexp"
    conda:
        "../envs/deseq2.yaml"
    threads: 2
    resources:
        **requests("diffexp_arm"),
    params:
        arm=lambda wildcards: wildcards.arm,
        # the arm's own settings only: a change to the other arm's reruns nothing here
        settings=lambda wildcards: DIFFEXP[wildcards.arm],
    script:
        "../scripts/diffexp.py"


rule diffexp_contrast:
    input:
        counts=paths.ARM_COUNTS,
        qc_gate=paths.ARM_QC_GATE,
        samples=config["samples"],
        vst=paths.DIFFEXP_VST,
    output:
        table=report(
            paths.DIFFEXP_TABLE,
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "contrast": "{contrast}", "figure": "table"},
        ),
        volcano=report(
            paths.DIFFEXP_VOLCANO,
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "contrast": "{contrast}", "figure": "volcano"},
        ),
        caveats=paths.DIFFEXP_CAVEATS,
        ma=paths.DIFFEXP_MA,
        heatmap=paths.DIFFEXP_TOP_FEATURES,
    log:
        "results/logs/diffexp/{arm}_{contrast}.log",
    benchmark:
        "results/benchmarks/diffexp/{arm}_{contrast}.tsv"
    group:
        "diffexp"
    conda:
        "../envs/deseq2.yaml"
    threads: 2
    resources:
        **requests("diffexp_contrast"),
    params:
        arm=lambda wildcards: wildcards.arm,
        # the arm's own settings only: a change to the other arm's reruns nothing here
        settings=lambda wildcards: DIFFEXP[wildcards.arm],
    script:
        "../scripts/diffexp.py"


rule diffexp_isomirs:
    input:
        counts=paths.SMALLRNA_ISOMIR_COUNTS,
        labels=paths.SMALLRNA_ISOMIR_LABELS,
        qc_gate=paths.fill(paths.ARM_QC_GATE, arm="smallrna"),
        samples=config["samples"],
    output:
        table=report(
            paths.DIFFEXP_ISOMIRS,
            category="Differential expression",
            subcategory="smallrna isomiRs",
            labels={
                "arm": "smallrna isomiRs",
                "contrast": "{contrast}",
                "figure": "table",
            },
        ),
        caveats=paths.DIFFEXP_ISOMIR_CAVEATS,
    log:
        "results/logs/diffexp/smallrna_isomirs_{contrast}.log",
    benchmark:
        "results/benchmarks/diffexp/smallrna_isomirs_{contrast}.tsv"
    group:
        "diffexp"
    conda:
        "../envs/deseq2.yaml"
    threads: 2
    resources:
        **requests("diffexp_isomirs"),
    params:
        arm="smallrna",
        # the small-RNA arm's settings: the isomiRs are tested as its miRNAs are
        settings=lambda wildcards: DIFFEXP["smallrna"],
    script:
        "../scripts/diffexp.py"
