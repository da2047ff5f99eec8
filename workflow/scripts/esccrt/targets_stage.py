"""Entry points of the target rules (workflow/rules/integrate.smk).

- :func:`fetch_source` (rule ``mirna_target_source``): one configured source copied or
  downloaded into the cache, its SHA-256 checked when pinned, with a provenance record beside it;
- :func:`map_sources` (rule ``mirna_targets``): every source read and mapped onto the run's
  miRNA names and the GTF's genes: results/integrate/mirna_targets.tsv, the names that did not
  map (mirna_targets_unmapped.tsv) and one row per source (mirna_target_sources.tsv);
- :func:`run_shift` (rule ``target_shift``): the target-set shift tests, the genes they
  compared, the candidate table and one cumulative-distribution plot per test of tier 'all'.

Settings come from the validated config (``integrate.mirna_targets``) through
:func:`source_settings` and :func:`shift_params`: the rules' params.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from esccrt import mirna_targets as mt
from esccrt import target_shift as ts
from esccrt.errors import InputError
from esccrt.integrate_settings import ShiftSettings
from esccrt.io import read_tsv, write_json_atomic, write_tsv_atomic
from esccrt.plot_guard import guarded_plot
from esccrt.references import fetch, sha256sum


def fetch_source(
    source: Mapping, dest: str | os.PathLike[str], record: str | os.PathLike[str]
) -> None:
    """Copy or download one source into the cache (checked against its pinned SHA-256) and
    write its provenance record: origin, release, bytes, SHA-256."""
    key = f"integrate.mirna_targets.sources ({source['name']})"
    fetch(str(source["source"]), dest, str(source["sha256"]), key=key, decompress=True)
    write_json_atomic(
        {
            "name": source["name"],
            "kind": source["kind"],
            "source": source["source"],
            "release": source["release"],
            "pinned_sha256": source["sha256"],
            "bytes": Path(dest).stat().st_size,
            "sha256": sha256sum(dest),
        },
        record,
    )


def _target_source(source: Mapping, path: str) -> mt.TargetSource:
    """A :class:`esccrt.mirna_targets.TargetSource` of a configured source read from ``path``."""
    return mt.TargetSource(
        name=str(source["name"]),
        kind=str(source["kind"]),
        path=path,
        release=str(source["release"]),
        strong_score=float(source["strong_score"]),
        taxon=int(source["taxon"]) if source["kind"] == "targetscan" else 0,
    )


def map_sources(
    sources: Sequence[Mapping],
    files: Sequence[str],
    records: Sequence[str],
    smallrna_de: str,
    gtf: str,
    outputs: Mapping[str, str],
) -> None:
    """Rule mirna_targets: read, map and tabulate every source (see the module docstring)."""
    mirnas = mt.MirnaIndex.of(read_tsv(smallrna_de, ["feature"])["feature"].astype(str))
    genes = mt.GeneIndex.of(mt.gtf_genes(gtf))
    read, mapped, unmapped, provenance = {}, [], [], {}
    for source, path, record in zip(sources, files, records, strict=True):
        target = _target_source(source, path)
        read[target.name] = mt.read_source(target)
        hit, miss = mt.map_interactions(target.name, read[target.name], mirnas, genes)
        mapped.append(hit)
        unmapped.append(miss)
        provenance[target.name] = json.loads(Path(record).read_text())
        print(f"{target.name}: {len(read[target.name])} read, {len(hit)} mapped", file=sys.stderr)
    table = pd.concat(mapped, ignore_index=True).reindex(columns=mt.MAPPED_COLUMNS)
    write_tsv_atomic(table, outputs["targets"])
    write_tsv_atomic(
        pd.concat(unmapped, ignore_index=True).reindex(columns=mt.UNMAPPED_COLUMNS),
        outputs["unmapped"],
    )
    targets = [_target_source(s, f) for s, f in zip(sources, files, strict=True)]
    write_tsv_atomic(mt.source_summary(targets, read, table, provenance), outputs["sources"])


# ------------------------------------------------------------------------ rule target_shift


def utr_table(utr_lengths: str, gtf: str) -> pd.DataFrame:
    """3'UTR lengths from the configured TSV (columns gene, utr3_length), else from the GTF."""
    if utr_lengths:
        table = read_tsv(utr_lengths, ["gene"])
        missing = [c for c in ("gene", "utr3_length") if c not in table.columns]
        if missing:
            raise InputError(
                f"{utr_lengths}: column(s) {', '.join(missing)} missing; the 3'UTR table "
                "(config integrate.mirna_targets.utr_lengths) needs columns gene, utr3_length"
            )
        return table
    return mt.gtf_utr3_lengths(gtf)


def sample_pairs(samples: str, column: str) -> dict[str, str]:
    """Small-RNA sample -> mRNA sample sharing its value in the sheet's pairing ``column``."""
    sheet = read_tsv(samples, ["sample", column])
    if column not in sheet.columns:
        raise InputError(
            f"{samples}: no column '{column}' (config integrate.mirna_targets.pairing_column)"
        )
    sheet = sheet[sheet[column].fillna("").astype(str) != ""]
    small = sheet[sheet["library_type"] == "smallrna"].set_index(column)["sample"]
    large = sheet[sheet["library_type"] == "mrna"].set_index(column)["sample"]
    return {small[p]: large[p] for p in small.index if p in large.index}


def run_shift(
    settings: ShiftSettings,
    inputs: Mapping[str, str],
    outputs: Mapping[str, str],
    pairing_column: str = "",
) -> None:
    """Rule target_shift: the tests, the genes they compared, the candidates and the plots."""
    utr = utr_table(inputs.get("utr_lengths", ""), inputs["gtf"])
    genes, matched_on = ts.gene_table(
        read_tsv(inputs["mrna_de"], ["feature", "name"]), utr, settings
    )
    mirnas = ts.de_mirnas(read_tsv(inputs["smallrna_de"], ["feature"]), settings)
    interactions = read_tsv(inputs["targets"], ["miRNA", "gene", "source", "tier"])
    results, used = ts.shift_tests(mirnas, interactions, genes, matched_on, settings)
    if pairing_column:
        pairs = sample_pairs(inputs["samples"], pairing_column)
        used["rho"] = ts.paired_correlations(
            read_tsv(inputs["smallrna_counts"], ["feature"]),
            read_tsv(inputs["mrna_counts"], ["feature"]),
            pairs,
            used,
        )
        results = ts.add_correlation_summary(results, used)
    plot_dir = Path(outputs["plots"])
    plot_dir.mkdir(parents=True, exist_ok=True)
    results["plot"] = ""  # the path of each test's figure, filled as it is drawn
    for index, row in results.iterrows():
        if row["tier"] == "all" and pd.notna(row["p"]):
            png = plot_dir / f"{row['miRNA']}.{row['source']}.png"
            members = used[
                (used["miRNA"] == row["miRNA"])
                & (used["source"] == row["source"])
                & (used["tier"] == "all")
            ]
            guarded_plot(f"target CDF {row['miRNA']}", png, partial(ts.cdf_plot, members, row, png))
            results.loc[index, "plot"] = str(png)
    write_tsv_atomic(results, outputs["table"])
    write_tsv_atomic(used, outputs["genes"])
    evidence = read_tsv(inputs["evidence"]) if inputs.get("evidence") else None
    markers = read_tsv(inputs["markers"]) if inputs.get("markers") else None
    write_tsv_atomic(
        ts.candidate_table(results, used, evidence, markers, settings.top_targets),
        outputs["candidates"],
    )
