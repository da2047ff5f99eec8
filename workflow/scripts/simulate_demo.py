"""Write the SIMULATED demo data (reads, references, truth tables, qPCR/clinical cohort).

Usage::

    .venv/bin/python workflow/scripts/simulate_demo.py --outdir resources/demo --cohort-dir config
    .venv/bin/python workflow/scripts/simulate_demo.py --cohort-only --cohort-dir config

Same seed and parameters -> byte-identical files. ``<outdir>/.complete`` is written last.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from esccrt.simulate.demo import (
    DEFAULT_MRNA_PAIRS,
    DEFAULT_SEED,
    DEFAULT_SMALLRNA_READS,
    simulate_demo,
    write_cohort,
)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default="resources/demo", help="reads and references")
    parser.add_argument("--cohort-dir", default="config", help="qPCR and clinical tables")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--smallrna-reads", type=int, default=DEFAULT_SMALLRNA_READS)
    parser.add_argument("--mrna-pairs", type=int, default=DEFAULT_MRNA_PAIRS)
    parser.add_argument(
        "--cohort-only",
        action="store_true",
        help="write only the qPCR/clinical cohort tables of --cohort-dir (no reads)",
    )
    args = parser.parse_args(argv)
    if args.cohort_only:
        write_cohort(Path(args.cohort_dir), args.seed)
        return 0
    if args.smallrna_reads < 100 or args.mrna_pairs < 100:
        parser.error("--smallrna-reads and --mrna-pairs must be at least 100")
    simulate_demo(args.outdir, args.cohort_dir, args.seed, args.smallrna_reads, args.mrna_pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
