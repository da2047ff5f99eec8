"""LinRegPCR Cq from raw curves (esccrt.qpcr.curves, rdmlpython 1.7.2) on the Vermeulen
dilution series that Ruijter et al. (Methods 2013;59:32-46) analysed with ten curve-analysis
methods: the five RDML 1.4 files of rdmlpython's repository in
``../shared/data/qpcr_real/linregpcr_vermeulen`` (64 genes, dilutions STD_150000 down to STD_15,
three replicates; each file one dilution fewer: 960, 768, 576, 384 and 192 curves) against the
``method;LinRegPCR`` block of ``data_vermeulen_methods_cq.tsv`` (three decimals).

`make test` analyses the smallest file (STD_150000 alone, 192 curves; rdmlpython's LinRegPCR is
pure Python, about 0.07 s per curve); ``ESCCRT_LINREGPCR_FILES=all`` analyses all five (2,880
curves, about 5 minutes), as measured for the README.

Every file goes through the user's path: a config validated by qpcr.schema.yaml
(``format: rdml``, ``cq_source: linregpcr``), a sample map declaring the standards quantified,
and the import rule's entry point :func:`esccrt.qpcr.curves.run`; the Cq compared are those of
the long Ct table it writes.
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.qpcr.ct_import import ImportSettings
from esccrt.qpcr.curves import (
    CurveOutputs,
    CurveSettings,
    linregpcr_reactions,
    run,
    target_efficiencies,
)
from esccrt.qpcr.formats.rdml_version import load_rdml_document
from lxml import etree
from prerequisites import TEST_DATA, missing
from schema_sections import section_defaults

DILUTIONS = ("15", "150", "1500", "15000", "150000")
#: The files analysed: the smallest (the fifth dilution file) unless all five are asked for.
ANALYSED = DILUTIONS if os.environ.get("ESCCRT_LINREGPCR_FILES") == "all" else ("150000",)
#: Half a unit of the published block's last decimal (it prints three).
PUBLISHED_ROUNDING = 0.0005
#: The run and target ids carry the plate date (``AHCY_20080229``, ``PRKACB_20080311_bis``);
#: the published table names the gene only.
GENE = re.compile(r"^(?P<gene>.+?)_\d{8}(_bis)?$")
NAMESPACES = {"r": "http://www.rdml.org"}

# rdmlpython's LinRegPCR takes about half a minute here: in `make test`, not `make test-fast`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vermeulen(shared_data: Path) -> Path:
    folder = shared_data / "qpcr_real" / "linregpcr_vermeulen"
    if not folder.is_dir():
        missing(str(folder), TEST_DATA)
    return folder


def published_linregpcr(table: Path) -> dict[tuple[str, str], list[float]]:
    """(sample, gene) -> the three replicate Cq of the ``method;LinRegPCR`` block, in order."""
    lines = table.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("method;LinRegPCR;"))
    genes = lines[start].split(";")[3:]
    cq: dict[tuple[str, str], list[float]] = defaultdict(list)
    for line in lines[start + 1 : start + 16]:  # 5 dilutions x 3 replicates
        cells = line.split(";")
        for gene, value in zip(genes, cells[3:], strict=True):
            cq[(cells[2], gene)].append(float(value))
    return cq


def _import_linregpcr(rdml: Path, folder: Path) -> pd.DataFrame:
    """The long Ct table the import rule writes for ``rdml`` with ``cq_source: linregpcr``."""
    sheet = folder / "sample_map.tsv"
    rows = [f"STD_{d}\tSTD_{d}\tpre\tUNKNOWN" for d in DILUTIONS]  # standards, quantified
    sheet.write_text("sample\tpatient\ttimepoint\ttask\n" + "\n".join(rows) + "\n")
    section = section_defaults(
        "qpcr", ct_table=str(rdml), format="rdml", sample_map=str(sheet), cq_source="linregpcr"
    )
    outputs = CurveOutputs(folder / "efficiencies.tsv", folder / "linregpcr_reactions.tsv")
    run(
        ImportSettings.from_config(section),
        CurveSettings.from_config(section),
        folder / "ct.tsv",
        folder / "controls.tsv",
        outputs,
    )
    return pd.read_csv(folder / "ct.tsv", sep="\t", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def linregpcr_cq(vermeulen: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Every curve of the analysed files: file, sample, gene, replicate, ours, published."""
    published = published_linregpcr(vermeulen / "data_vermeulen_methods_cq.tsv")
    tables = []
    started = time.perf_counter()
    for dilution in ANALYSED:
        name = f"data_vermeulen_std_150000_{dilution}.rdml"
        long = _import_linregpcr(vermeulen / name, tmp_path_factory.mktemp(dilution))
        long["file"] = name
        tables.append(long)
    print(f"LinRegPCR on {len(ANALYSED)} file(s): {time.perf_counter() - started:.1f} s")
    cq = pd.concat(tables, ignore_index=True)
    cq["gene"] = cq["target"].map(lambda t: GENE.match(t)["gene"])
    cq["ours"] = pd.to_numeric(cq["ct"], errors="coerce")
    cq["published"] = [
        published[(s, g)][r - 1]
        for s, g, r in zip(cq["sample"], cq["gene"], cq["replicate"], strict=True)
    ]
    return cq


def test_every_curve_of_the_files_gets_a_linregpcr_cq(linregpcr_cq: pd.DataFrame) -> None:
    per_file = linregpcr_cq.groupby("file").size()
    curves = {  # each file holds one dilution more than the next: 960 ... 192 curves
        f"data_vermeulen_std_150000_{d}.rdml": 64 * 3 * (len(DILUTIONS) - i)
        for i, d in enumerate(DILUTIONS)
    }
    assert per_file.to_dict() == {
        f"data_vermeulen_std_150000_{d}.rdml": curves[f"data_vermeulen_std_150000_{d}.rdml"]
        for d in ANALYSED
    }
    assert linregpcr_cq["ours"].notna().all()  # every curve with a Cq


def test_cq_equals_what_rdml_tools_writes(vermeulen: Path, linregpcr_cq: pd.DataFrame) -> None:
    """The conversion and the Cq column chosen are RDML-Tools' own: rdmlpython's LinRegPCR page
    call (``webAppLinRegPCR``, RDML-Tools' defaults, ``updateRDML``) writes the Cq it reports
    into the file with three decimals; ours, rounded the same way, are equal (smallest file)."""
    name = "data_vermeulen_std_150000_150000.rdml"
    document = load_rdml_document(vermeulen / name)
    for experiment in document.experiments():
        for run_ in experiment.runs():
            run_.webAppLinRegPCR(updateRDML=True)
    written = defaultdict(list)  # (run, well number, target) -> <cq> as written
    for react in document._node.iterfind(".//r:run/r:react", NAMESPACES):
        run_id = react.getparent().get("id")
        for data in react.iterfind("r:data", NAMESPACES):
            target = data.find("r:tar", NAMESPACES).get("id")
            # rdmlpython writes <cq> without the RDML namespace
            cq = next(c.text for c in data if etree.QName(c).localname == "cq")
            written[(run_id, target)].append(cq)
    ours = linregpcr_cq[linregpcr_cq["file"] == name]
    assert len(ours) == sum(len(v) for v in written.values()) == 192
    for (run_name, target), group in ours.groupby(["run", "target"]):
        expected = written[(run_name.split("/", 1)[1], target)]
        assert [f"{v:.3f}" for v in group["ours"]] == expected, (run_name, target)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "rdmlpython 1.7.2's LinRegPCR does not reproduce the 2013 LinRegPCR block on these "
        "files (measured 2026-12-07: all five files, 2880 curves, max |ours - published| 4.838 "
        "cycles, 8 within 0.0005; the smallest file: 192 curves, max 4.838, none within): "
        "per-gene offsets (threshold) and 0.01-0.03 cycle per-curve differences; the same curve "
        "also differs between the five files (window of linearity per target). Cause, measured "
        "2026-12-07: the published N0 are threshold / E^Cq exactly, one threshold and mean "
        "efficiency E per gene (all 64 genes, within 0.001 cycle but CAMTA2), and with those "
        "(derived from the published table) LinRegPCR's own rules (upper window limit = 2 x "
        "threshold, lower = upper / E^4, Cq from each curve's regression in that window, "
        "rdmlpython's baselines) give 567 of the 960 curves within 0.0005, median 0.0004, max "
        "0.053 (smallest file: 130 of 192, max 0.013); so the 2013 window and threshold per "
        "amplicon were set over more reactions than these files hold (the study's full set), and "
        "the rest is the baseline (a shift of about 0.001 fluorescence unit per curve)"
    ),
)
def test_cq_equal_published_linregpcr_within_its_rounding(linregpcr_cq: pd.DataFrame) -> None:
    difference = (linregpcr_cq["ours"] - linregpcr_cq["published"]).abs()
    for name, per_file in difference.groupby(linregpcr_cq["file"]):
        print(
            f"{name}: {len(per_file)} curves, max {per_file.max():.4f}, median "
            f"{per_file.median():.4f}, {int((per_file <= PUBLISHED_ROUNDING).sum())} within"
        )
    print(
        f"{len(difference)} curves; max |ours - published| {difference.max():.4f}; "
        f"{int((difference <= PUBLISHED_ROUNDING).sum())} within {PUBLISHED_ROUNDING}"
    )
    assert np.all(difference <= PUBLISHED_ROUNDING)


def test_efficiency_table_keeps_out_what_linregpcr_keeps_out(shared_data: Path) -> None:
    """RDML-Tools' ``sample.rdml`` (RDML 1.4, 9 wells excluded in the file, no-template
    controls): the reactions marked as used for each target's mean are exactly those whose mean
    is rdmlpython's own (checked per run and target inside :func:`linregpcr_reactions`), the
    excluded wells and controls among them are not, and the table is their mean and SE."""
    path = shared_data / "qpcr_real" / "rdml" / "rdml-tools" / "sample.rdml"
    with zipfile.ZipFile(path) as archive:  # the file's own <excl>, read independently
        root = etree.fromstring(archive.read("rdml_data.xml"))
    excluded = {
        (data.getparent().getparent().get("id"), data.getparent().get("id"))
        for data in root.iterfind(".//r:react/r:data", NAMESPACES)
        if (data.findtext("r:excl", namespaces=NAMESPACES) or "").strip()
    }
    assert len(excluded) == 9
    reactions = linregpcr_reactions(path)
    in_file = [
        (run_name.split("/", 1)[1], react) in excluded
        for run_name, react in zip(reactions["run"], reactions["react"], strict=True)
    ]
    assert sum(in_file) == 9 and not reactions.loc[in_file, "used_for_mean_efficiency"].any()
    used = reactions[reactions["used_for_mean_efficiency"]]
    table = target_efficiencies(reactions).set_index("target")
    for target, group in used.groupby("target"):
        assert table.at[target, "efficiency"] == pytest.approx(
            group["target_mean_efficiency"].iloc[0], rel=1e-12
        )
        assert table.at[target, "n_reactions"] == len(group)
        assert table.at[target, "efficiency_se"] == pytest.approx(
            group["efficiency"].std(ddof=1) / np.sqrt(len(group)), rel=1e-12
        )
