# Differential expression (pydeseq2) of each arm, after the arm's QC gate.
# Outputs per arm:      results/diffexp/{arm}/normalized_counts.tsv, vst.tsv, size_factors.tsv,
#                       excluded_samples.tsv (QC-gate failures left out), plots/pca.png,
#                       plots/sample_distances.png
# Outputs per contrast: results/diffexp/{arm}/{contrast}.tsv and plots/{contrast}.volcano.png,
#                       plots/{contrast}.ma.png, plots/{contrast}.top_features.png
# Needs from common.smk: config, ARMS, CONTRASTS (wildcard constraints for arm and contrast).


rule diffexp_arm:
    input:
        counts="results/{arm}/counts.tsv",
        qc_gate="results/{arm}/qc_gate.tsv",
        samples=config["samples"],
    output:
        normalized="results/diffexp/{arm}/normalized_counts.tsv",
        vst="results/diffexp/{arm}/vst.tsv",
        size_factors="results/diffexp/{arm}/size_factors.tsv",
        excluded="results/diffexp/{arm}/excluded_samples.tsv",
        pca=report(
            "results/diffexp/{arm}/plots/pca.png",
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "figure": "PCA"},
        ),
        distances=report(
            "results/diffexp/{arm}/plots/sample_distances.png",
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
        mem_mb=4000,
        runtime=30,
    params:
        arm=lambda wildcards: wildcards.arm,
        settings=config["diffexp"],
    script:
        "../scripts/diffexp.py"


rule diffexp_contrast:
    input:
        counts="results/{arm}/counts.tsv",
        qc_gate="results/{arm}/qc_gate.tsv",
        samples=config["samples"],
        vst="results/diffexp/{arm}/vst.tsv",
    output:
        table=report(
            "results/diffexp/{arm}/{contrast}.tsv",
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "contrast": "{contrast}", "figure": "table"},
        ),
        volcano=report(
            "results/diffexp/{arm}/plots/{contrast}.volcano.png",
            category="Differential expression",
            subcategory="{arm}",
            labels={"arm": "{arm}", "contrast": "{contrast}", "figure": "volcano"},
        ),
        ma="results/diffexp/{arm}/plots/{contrast}.ma.png",
        heatmap="results/diffexp/{arm}/plots/{contrast}.top_features.png",
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
        mem_mb=4000,
        runtime=30,
    params:
        arm=lambda wildcards: wildcards.arm,
        settings=config["diffexp"],
    script:
        "../scripts/diffexp.py"
