# The workflow's final targets (rule all), from the stages that run. Included last.
# Needs from the files before: paths, ARMS, qpcr_enabled, diffexp_outputs.


def final_outputs():
    """Every final target: counts, DE of each arm, survival and the report."""
    targets = expand(paths.ARM_COUNTS, arm=ARMS)
    targets += diffexp_outputs()
    if qpcr_enabled():
        targets += [paths.QPCR_FOLD_CHANGES, paths.SURVIVAL_TABLE1]
    targets += [paths.PROVENANCE, paths.REPORT_HTML]
    return targets
