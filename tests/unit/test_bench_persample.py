"""The per-sample cost benchmark's own logic (bench/persample_cost.py): the decomposition's
arithmetic, the bowtie commands it re-runs and the hook that recognises rule-script processes.
The timed runs are `make bench`'s."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import persample_cost
import pytest
from esccrt import paths


def _hook_module():
    spec = importlib.util.spec_from_file_location(
        "bench_hook_sitecustomize", persample_cost.HOOK / "sitecustomize.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # BENCH_HOOK_DIR unset: records nothing
    return module


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["python", "/r/.snakemake/scripts/tmpab12cd.smallrna_trim.py"], "smallrna_trim"),
        (["python", "/r/.snakemake/scripts/tmpx.noop.py"], "noop"),
        (["python", "bench/run.py"], None),
        (["snakemake", "--cores", "1"], None),
    ],
)
def test_hook_acts_only_in_snakemake_script_copies(monkeypatch, argv, expected) -> None:
    hook = _hook_module()
    monkeypatch.setattr(sys, "orig_argv", argv)
    assert hook._script_name() == expected


def test_decomposition_adds_up_and_states_the_gap() -> None:
    turns = persample_cost.Turns()
    series = {
        "noop": [0.40, 0.35, 0.38],
        "imports:noop": [0.20, 0.21, 0.19],
        "tool:cutadapt": [10.0, 11.0, 10.5],
        "tool:bowtie mature": [2.0, 2.0, 2.0],
        "tool:bowtie hairpin": [1.0, 1.0, 1.0],
        "tool:featureCounts": [0.5, 0.5, 0.5],
    }
    jobs = {"smallrna_trim": 9.0, "smallrna_collapse": 0.5, "smallrna_align": 4.0}
    jobs |= {"smallrna_count": 3.0, "mrna_count": 2.0}
    for rule, seconds in jobs.items():
        series[f"job:{rule}"] = [seconds] * 3
        series[f"imports:{rule}"] = [0.30] * 3
        series[f"cpu:{rule}"] = [seconds - 0.2] * 3  # the script process: no Snakemake part
    # CPU times: the same names under "cpu:" (the tools' from GNU time, the scripts' from the hook)
    series |= {f"cpu:{name}": values for name, values in list(series.items()) if ":" in name}
    series["cpu:noop"] = [0.15] * 3
    for name, values in series.items():
        for value in values:
            turns.add(name, value)
    bench = persample_cost.rule_sections.BenchFolder(Path("."), [], Path("log"), Path("."))
    tops = {rule: [("f", 1.0, 2.0)] for rule in jobs}
    rows, raw = persample_cost.decomposition_rows(
        turns, tops, dict.fromkeys(jobs, 300), bench, bench
    )
    align = raw["parts"]["smallrna_align"]
    assert align["noop_job"] == pytest.approx(0.38)
    assert align["imports"] == pytest.approx(0.10)  # 0.30 minus the no-op script's 0.20
    assert align["tool"] == pytest.approx(3.0)
    assert align["own"] == pytest.approx(4.0 - 0.38 - 0.10 - 3.0)
    assert raw["parts"]["smallrna_trim"]["tool"] == 0.0
    assert align["cpu_own"] == pytest.approx(3.8 - 0.15 - 0.10 - 3.0)
    gap = next(r for r in rows if "vs cutadapt" in r.stage)
    assert gap.ratio == "0.64x"  # cutadapt 10.5 s / the sample's 16.5 s
    assert "1.57x cutadapt's wall time, 1.50x its CPU time" in gap.note  # 15.7 s CPU / 10.5 s
    assert "trim job alone 9.0 s (0.86x cutadapt)" in gap.note


def test_bowtie_steps_rerun_the_rule_commands_on_their_own_files(tmp_path: Path) -> None:
    logged = "bowtie -p 1 -n 0 -l 15 -f --un {un} -S --no-unal -x {index} {reads}\nbowtie says\n"
    reads = {"mature": "results/smallrna/collapsed/bench.fa", "hairpin": "mature_left.fa"}
    for ref in ("mature", "hairpin"):
        log = tmp_path / paths.fill(paths.SMALLRNA_BOWTIE_LOG, ref=ref, sample="bench")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(logged.format(un=f".{ref}.tmp", index=f"idx/{ref}", reads=reads[ref]))
    steps = persample_cost.bowtie_steps(tmp_path, tmp_path / "work")
    assert [ref for ref, _, _ in steps] == ["mature", "hairpin"]
    mature, hairpin = (command[-1] for _, command, _ in steps)
    assert f"--un {tmp_path / 'work' / 'bowtie_mature_un.fa'}" in mature
    assert mature.split(" 2>/dev/null")[0].endswith(reads["mature"])
    # the hairpin step reads what the direct mature step left, as the rule does
    assert hairpin.split(" 2>/dev/null")[0].endswith(str(tmp_path / "work" / "bowtie_mature_un.fa"))
    assert "samtools view -b -o" in hairpin and "-x idx/hairpin" in hairpin
