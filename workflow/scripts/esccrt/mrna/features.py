"""The annotation as htseq-count holds it: a GenomicArrayOfSets of gene ids and gene names."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Features:
    """Exons as a GenomicArrayOfSets of gene ids, and the gene names (htseq's attributes)."""

    array: object
    names: dict[str, str]
    stranded: bool


def load_features(
    gtf: str | os.PathLike[str],
    stranded: bool,
    *,
    feature_type: str,
    id_attribute: str,
    name_attribute: str,
) -> Features:
    """Read the GTF the way htseq-count does (``-t``, ``-i``, ``--additional-attr``); the three
    are the study's ``mrna.counting`` keys (defaults in the schema)."""
    import HTSeq

    scan = HTSeq.make_feature_genomicarrayofsets(
        HTSeq.GFF_Reader(str(gtf)),
        id_attribute,
        feature_type=[feature_type],
        additional_attributes=[name_attribute],
        stranded=stranded,
    )
    names = {feature: values[0] for feature, values in scan["attributes"].items()}
    return Features(array=scan["features"], names=names, stranded=stranded)
