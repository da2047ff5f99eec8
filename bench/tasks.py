"""The survival comparison's measured step, run as its own process (its time and memory).

Called by the survival section as ``python bench/tasks.py survival-project [options]``; not
meant for users. The small-RNA, mRNA and DE sections run the workflow's rules instead
(bench/rule_sections.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def survival_project(args: argparse.Namespace) -> None:
    """esccrt.survival: log-rank test and Cox model of one endpoint by a two-level group."""
    import pandas as pd
    from esccrt.survival.cox import fit_cox
    from esccrt.survival.logrank import logrank

    table = pd.read_csv(args.table, sep="\t")
    result: dict[str, float] = {}
    started = time.perf_counter()
    for _ in range(args.loops):
        test = logrank(table["time"], table["event"], table["group"])
        cox, _fit = fit_cox(table, "time", "event", ["high"])
        result = {
            "logrank_chisq": float(test.chisq),
            "logrank_p": float(test.p),
            "cox_coef": float(cox.loc["high", "coef"]),
            "cox_hr": float(cox.loc["high", "hr"]),
            "cox_p": float(cox.loc["high", "p"]),
        }
    result["seconds_per_analysis"] = (time.perf_counter() - started) / args.loops
    Path(args.out).write_text(json.dumps(result))


def main(argv: list[str] | None = None) -> int:
    """Dispatch one task."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="task", required=True)
    p = sub.add_parser("survival-project")
    p.add_argument("--table", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--loops", type=int, default=1)
    p.set_defaults(function=survival_project)
    args = parser.parse_args(argv)
    args.function(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
