"""The benchmark harness's pure helpers (not the benchmarks themselves: `make bench` runs those)."""

from __future__ import annotations

import math

import harness
import pytest

GNU_TIME_REPORT = """\
\tCommand being timed: "sleep 1"
\tUser time (seconds): 0.75
\tSystem time (seconds): 0.25
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50
\tMaximum resident set size (kbytes): 2048000
\tExit status: 0
"""


def test_median_odd_even_and_empty():
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    with pytest.raises(ValueError):
        harness.median([])


def test_growth_exponent_recovers_power_laws():
    sizes = [250_000, 1_000_000, 4_000_000]
    assert harness.growth_exponent(sizes, [2.0 * s for s in sizes]) == pytest.approx(1.0)
    assert harness.growth_exponent(sizes, [5e-9 * s**1.5 for s in sizes]) == pytest.approx(1.5)
    assert harness.growth_exponent(sizes, [7.0, 7.0, 7.0]) == pytest.approx(0.0)
    # Least squares over noisy points: between the two pairwise slopes.
    k = harness.growth_exponent([1, 2, 4], [1.0, 2.2, 3.8])
    assert math.log2(3.8 / 2.2) < k < math.log2(2.2 / 1.0)


def test_growth_exponent_rejects_bad_input():
    with pytest.raises(ValueError):
        harness.growth_exponent([1], [1.0])
    with pytest.raises(ValueError):
        harness.growth_exponent([2, 2], [1.0, 3.0])
    with pytest.raises(ValueError):
        harness.growth_exponent([0, 2], [1.0, 3.0])


def test_parse_gnu_time_report():
    seconds, peak_mb = harness.parse_gnu_time(GNU_TIME_REPORT)
    assert seconds == pytest.approx(62.5)
    assert peak_mb == pytest.approx(2000.0)
    assert harness.parse_gnu_time("nothing here") == (None, None)


def test_parse_gnu_cpu_adds_user_and_system_time():
    assert harness.parse_gnu_cpu(GNU_TIME_REPORT) == pytest.approx(1.0)
    no_system = GNU_TIME_REPORT.replace("\tSystem time (seconds): 0.25\n", "")
    assert harness.parse_gnu_cpu(no_system) is None  # not a full report
    assert harness.parse_gnu_cpu("nothing here") is None


def test_summary_takes_median_time_and_max_memory():
    summary = harness.Summary(
        "x",
        [
            harness.Measurement(3.0, 100),
            harness.Measurement(1.0, 300),
            harness.Measurement(2.0, 50),
        ],
    )
    assert summary.seconds == 2.0
    assert summary.peak_mb == 300


def test_ratio_and_rate_text():
    assert harness.ratio_text(10.0, 35.0) == "3.50x"
    assert harness.ratio_text(0.0, 1.0) == ""
    assert harness.rate_text(1_000_000, 4.0) == "250,000 reads/s"
    assert harness.fmt_seconds(0.1234) == "0.123 s"
    assert harness.fmt_seconds(12.34) == "12.3 s"
    assert harness.fmt_seconds(1234.0) == "1234 s"
    assert harness.fmt_mb(812.6) == "813 MB"


def test_render_table_has_header_and_escapes_pipes():
    rows = [
        harness.Row("small RNA", "1,000,000 reads", "10 s", "35 s", "3.50x", "300 MB", "a|b"),
        harness.Row("survival", "40 patients", "0.1"),
    ]
    text = harness.render_table(rows)
    lines = text.strip().splitlines()
    assert lines[0].startswith("| stage | size | this project | alternative | ratio")
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert len(lines) == 4
    assert "a\\|b" in lines[2]
    assert all(line.count(" | ") >= 6 for line in lines[2:])


def test_machine_info_keys():
    info = harness.machine_info()
    for key in ("date", "cpu", "cores", "ram"):
        assert info[key]
