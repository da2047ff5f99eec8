"""Bench hook of section persample_cost (bench/persample_cost.py), on the PYTHONPATH of its runs.

In a Snakemake rule-script process (``python .snakemake/scripts/tmpXXXX.<script>.py``) and only
when ``BENCH_HOOK_DIR`` is set: at exit, write the names of the modules the process loaded (in
load order) to ``<dir>/<script>.modules`` and its CPU time (user + system, s, its own and its
finished children's, e.g. bowtie's) to ``<dir>/<script>.cpu``; with ``BENCH_HOOK_PROFILE``
set, also profile the whole process (cProfile, from interpreter start-up) into
``<dir>/<script>.prof``. Every other process (Snakemake itself, tools) is left alone.
"""

import os
import sys

_DIR = os.environ.get("BENCH_HOOK_DIR")


def _script_name() -> str | None:
    """The rule script's name when this process runs a Snakemake script copy, else None."""
    argv = getattr(sys, "orig_argv", sys.argv)
    for arg in argv[1:2]:
        head, name = os.path.split(arg)
        if os.path.basename(head) == "scripts" and name.startswith("tmp") and name.count(".") >= 2:
            return name.split(".", 1)[1].removesuffix(".py")
    return None


_SCRIPT = _script_name() if _DIR else None
if _SCRIPT:
    import atexit

    _profile = None
    if os.environ.get("BENCH_HOOK_PROFILE"):
        import cProfile

        _profile = cProfile.Profile()
        _profile.enable()

    def _dump() -> None:
        if _profile is not None:
            _profile.disable()
            _profile.dump_stats(os.path.join(_DIR, f"{_SCRIPT}.prof"))
        with open(os.path.join(_DIR, f"{_SCRIPT}.modules"), "w") as handle:
            handle.write("\n".join(name for name in list(sys.modules) if name != "__main__"))
        import resource

        used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        with open(os.path.join(_DIR, f"{_SCRIPT}.cpu"), "w") as handle:
            handle.write(f"{sum(u.ru_utime + u.ru_stime for u in used):.3f}\n")

    atexit.register(_dump)
