"""Library behind the ESCC radiotherapy exosome-miRNA workflow.

Rule scripts in ``workflow/scripts`` stay thin: they read Snakemake's inputs and call the small,
typed functions of this package, which the tests in ``tests/`` import directly.
"""
