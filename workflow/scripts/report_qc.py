"""Rule script of report_qc: calls the QC page of the report (esccrt.report.qc_page.run)."""

from esccrt.errors import script_log
from esccrt.report.qc_page import QCPageInputs, gate_arms, run

script_log(snakemake.log[0])

run(
    dict(snakemake.params.settings),
    QCPageInputs(
        gates=gate_arms(list(snakemake.input.gates)),
        sample_qc=snakemake.input.get("sample_qc", ""),
        read_fate=snakemake.input.get("read_fate", ""),
        identifiers=list(snakemake.input.get("identifiers", [])),
        qc_only=list(snakemake.params.qc_only),
    ),
    snakemake.output[0],
)
