"""The MultiQC report's title names only the sequencing arms that ran (the rule's planned
command: tests/workflow/test_multiqc_title.py)."""

from __future__ import annotations

import pytest
from esccrt.multiqc import multiqc_title


@pytest.mark.parametrize(
    ("arms", "title"),
    [
        (["smallrna"], "Sequencing QC: small-RNA arm"),
        (["mrna"], "Sequencing QC: mRNA arm"),
        # The demo's title, unchanged; the order is the sheet's, not the caller's.
        (["smallrna", "mrna"], "Sequencing QC: small-RNA and mRNA arms"),
        (["mrna", "smallrna"], "Sequencing QC: small-RNA and mRNA arms"),
    ],
)
def test_title_names_the_arms_that_ran(arms, title):
    assert multiqc_title(arms) == title


def test_small_rna_only_title_does_not_mention_mrna():
    assert "mRNA" not in multiqc_title(["smallrna"])


@pytest.mark.parametrize("arms", [[], ["qpcr"]])
def test_title_refuses_no_or_unknown_arms(arms):
    with pytest.raises(ValueError, match="MultiQC title"):
        multiqc_title(arms)
