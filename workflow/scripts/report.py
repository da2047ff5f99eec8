"""Rule script: write results/report/report.html from the stage outputs."""

import sys
from pathlib import Path

import pandas as pd
import yaml
from esccrt import report
from esccrt.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")

config = snakemake.config
inputs = snakemake.input
versions = {**report.package_versions(), **report.tool_versions()}
de_config = config["diffexp"]


def read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["", "NA", "nan"])


def images(paths: list[str], caption: str) -> str:
    return "".join(report.image(Path(p), f"{caption}: {Path(p).stem}") for p in paths)


sections = []
summary = pd.DataFrame(
    [
        ("workflow version", report.workflow_version(Path(snakemake.scriptdir).parents[1])),
        *sorted(versions.items()),
    ],
    columns=["item", "version"],
)
sections.append(
    (
        "run-summary",
        report.table(summary, "versions", searchable=False)
        + "<h3>Samples</h3>"
        + report.table(read(inputs.samples), "samples")
        + "<h3>Configuration</h3><pre>"
        + yaml.safe_dump(config, sort_keys=False).replace("<", "&lt;")
        + "</pre>",
    )
)

qc = []
if inputs.get("read_fate"):
    qc.append("<h3>Small RNA: read fate</h3>" + report.table(read(inputs.read_fate), "read-fate"))
    qc.append("<h3>Small RNA: QC gate</h3>" + report.table(read(inputs.smallrna_gate), "gate-s"))
if inputs.get("count_summary"):
    qc.append("<h3>mRNA: counting summary</h3>" + report.table(read(inputs.count_summary), "cs"))
    qc.append("<h3>mRNA: strandedness</h3>" + report.table(read(inputs.strandedness), "strand"))
qc.append(images(snakemake.params.qc_plots, "QC"))
sections.append(("quality-control", "".join(qc)))

for arm, label in (("smallrna", "small-RNA"), ("mrna", "mRNA")):
    tables = [p for p in inputs.de_tables if f"/diffexp/{arm}/" in p]
    if not tables:
        continue
    parts = []
    for path in tables:
        results = read(path)
        significant = results[results["significant"].astype(str) == "True"]
        parts.append(
            f"<h3>{Path(path).stem}: {len(significant)} significant of {len(results)}</h3>"
            + report.table(significant.drop(columns="significant"), f"de-{arm}-{Path(path).stem}")
        )
        if arm == "mrna":
            markers = results[
                results.get("name", results["feature"]).isin(config["report"]["m2_markers"])
            ]
            parts.append("<h4>M2 macrophage markers</h4>" + report.table(markers, "m2", False))
    parts.append(images(snakemake.params.de_plots[arm], f"{label} DE"))
    sections.append((f"{arm}-differential-expression", "".join(parts)))

if inputs.get("table1"):
    table1, cox = read(inputs.table1), read(inputs.cox)
    smallrna_tables = [p for p in inputs.de_tables if "/diffexp/smallrna/" in p]
    if smallrna_tables:
        evidence = report.mirna_evidence(
            read(smallrna_tables[0]),
            table1,
            cox,
            config["qpcr"]["targets"],
            config["report"]["prognostic_endpoint"],
            de_config["padj_threshold"],
            de_config["lfc_threshold"],
            config["report"]["survival_p_threshold"],
        )
        candidates = evidence.loc[evidence["candidate"], "miRNA"].tolist()
        sections.append(
            (
                "sequencing-meets-survival",
                f"<p><b>Candidates</b> (up in sequencing and prognostic by qPCR): "
                f"{', '.join(candidates) or 'none'}</p>"
                + report.table(evidence, "join", searchable=False),
            )
        )
    sections.append(
        (
            "survival",
            "<h3>Table 1</h3>"
            + report.table(table1, "table1", searchable=False, digits=3)
            + "<h3>Cox models</h3>"
            + report.table(cox, "cox")
            + images(snakemake.params.survival_plots, "survival"),
        )
    )

sections.append(("methods", f'<p class="methods">{report.methods_text(config, versions)}</p>'))

with atomic_write(snakemake.output.html) as handle:
    handle.write(
        report.page(
            "Radiotherapy, exosomal miRNAs and survival in ESCC",
            sections,
            config.get("demo", False),
        )
    )
