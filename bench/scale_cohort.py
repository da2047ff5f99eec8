"""The cohort folder of section ``scale_run``: N small-RNA libraries of their own + 12 mRNA.

A small simulated demo (``workflow/scripts/simulate_demo.py``: the references, the qPCR and
clinical cohort and the mRNA libraries, ``mrna_pairs`` pairs each) gives the folder its
references; the N small-RNA libraries are then drawn from the same model
(:func:`esccrt.simulate.demo.smallrna_model`), library k from its own random stream
(:func:`esccrt.simulate.demo.simulate_smallrna_sample`), so every sample differs in library
size (+-20 %), background share (15-25 %), counts, isomiRs and sequencing errors, as a cohort's
libraries do. Conditions alternate (control, irradiated); every third pair is batch b2. The 12
mRNA samples are the small demo's six libraries twice over (hard links under new names: one
file per unit, as the sheet check demands). The QC gates are relaxed for the small libraries
(``config/bench.yaml``: :data:`sections.SCALED_CONFIG`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import rules
from esccrt.simulate import demo, smallrna
from esccrt.simulate.seqs import write_gzip

#: mRNA samples of the cohort: the small demo's six, twice over.
MRNA_SAMPLES = 12


def sample_design(n: int) -> list[demo.DemoSample]:
    """N small-RNA samples: conditions alternate, every third pair is batch b2."""
    designs = []
    for k in range(n):
        condition = "control" if k % 2 == 0 else "irradiated"
        batch = "b2" if (k // 2) % 3 == 2 else "b1"
        designs.append(demo.DemoSample(f"srna_{k + 1:04d}", condition, batch))
    return designs


def _small_demo(base: Path, mrna_pairs: int) -> None:
    """The small simulated demo (references, qPCR/clinical cohort, mRNA reads) under ``base``."""
    if (base / "resources" / "demo" / ".complete").exists():
        return
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(rules.REPO / "config", base / "config")
    subprocess.run(
        [
            sys.executable,
            str(rules.REPO / "workflow" / "scripts" / "simulate_demo.py"),
            *("--outdir", str(base / "resources" / "demo")),
            *("--cohort-dir", str(base / "config")),
            *("--smallrna-reads", "1000"),  # the demo's own small-RNA reads: unused
            *("--mrna-pairs", str(mrna_pairs)),
        ],
        check=True,
        capture_output=True,
        env=rules.env(1),
    )


def write_smallrna_reads(
    folder: Path, designs: list[demo.DemoSample], reads: int, unit: dict
) -> list[dict]:
    """Each sample's FASTQ under ``folder/reads`` (drawn once, kept); its unit-sheet row (the
    demo's small-RNA ``unit`` row with the sample and file replaced)."""
    model = demo.smallrna_model(demo.DEFAULT_SEED)
    units = []
    for k, sample in enumerate(designs):
        path = folder / "reads" / f"{sample.name}.fastq.gz"
        if not path.exists():
            simulated = demo.simulate_smallrna_sample(model, k, sample, reads)
            partial = path.with_suffix(".part")
            write_gzip(partial, smallrna.fastq_chunks(simulated))
            partial.rename(path)
        units.append({**unit, "sample": sample.name, "fq1": str(path)})
    return units


def cohort_sheets(
    folder: Path, designs: list[demo.DemoSample], reads: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample and unit sheets: the small-RNA samples (their reads written), then 12 mRNA."""
    template = pd.read_csv(folder / "config" / "samples.tsv", sep="\t", dtype=str).fillna("")
    template_units = pd.read_csv(folder / "config" / "units.tsv", sep="\t", dtype=str).fillna("")
    source = template.loc[template["library_type"] == "smallrna", "source"].iloc[0]
    samples = [
        {
            "sample": d.name,
            "library_type": "smallrna",
            "condition": d.condition,
            "batch": d.batch,
            "source": source,
            "exosome_pair": "",
        }
        for d in designs
    ]
    first = template_units[
        template_units["sample"].isin(template["sample"][template["library_type"] == "smallrna"])
    ]
    units = write_smallrna_reads(folder, designs, reads, first.iloc[0].to_dict())
    mrna = template[template["library_type"] == "mrna"].reset_index(drop=True)
    for k in range(MRNA_SAMPLES):
        row = mrna.iloc[k % len(mrna)].to_dict()
        unit = template_units[template_units["sample"] == row["sample"]].iloc[0].to_dict()
        name = f"{row['sample']}_{k + 1:02d}"
        row["sample"] = unit["sample"] = name
        row["exosome_pair"] = ""
        for column in ("fq1", "fq2"):  # one file per unit: hard links under new names
            link = folder / "reads" / f"{name}_{column}.fastq.gz"
            if not link.exists():
                os.link(folder / unit[column], link)
            unit[column] = str(link)
        samples.append(row)
        units.append(unit)
    return pd.DataFrame(samples), pd.DataFrame(units)[template_units.columns]


def cohort_folder(work: Path, n: int, reads: int, mrna_pairs: int, bench_yaml: str) -> Path:
    """A run folder of ``n`` small-RNA samples of ``reads`` reads + 12 mRNA samples of
    ``mrna_pairs`` pairs (made once, reused; ``.ready`` written last)."""
    folder = work / f"cohort_{n}_reads_{reads}"
    if (folder / ".ready").exists():
        return folder
    base = work / f"demo_source_{mrna_pairs}"
    _small_demo(base, mrna_pairs)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(base / "config", folder / "config")
    shutil.copytree(base / "resources", folder / "resources", copy_function=os.link)
    (folder / "reads").mkdir()
    (folder / "config" / "bench.yaml").write_text(bench_yaml)
    samples, units = cohort_sheets(folder, sample_design(n), reads)
    samples.to_csv(folder / "config" / "samples.tsv", sep="\t", index=False)
    units.to_csv(folder / "config" / "units.tsv", sep="\t", index=False)
    (folder / ".ready").write_text("ok\n")
    return folder
