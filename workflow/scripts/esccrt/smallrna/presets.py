"""Protocol presets of small-RNA libraries: the 3' adapter, random bases and UMI of each kit.

The ``protocol`` (and ``adapter``) columns of units.tsv pick a :class:`TrimPreset`; the trimming
settings shared by all presets come from the config section ``smallrna`` (:class:`TrimSettings`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esccrt.errors import InputError

#: 3' adapters of the protocol presets (the ``protocol`` column of units.tsv).
ILLUMINA_ADAPTER = "TGGAATTCTCGGGTGCCAAGG"
QIASEQ_ADAPTER = "AACTGTAGGCACCATCAAT"
QIASEQ_UMI_LENGTH = 12
#: Read-name field of the UMI: ``umi=<adapter match incl. UMI>`` (cutadapt's ``--rename``).
UMI_TAG = "umi="
NEXTFLEX_RANDOM_NT = 4
PROTOCOLS = ("illumina", "nextflex", "qiaseq", "custom")
_ADAPTER = re.compile(r"^[ACGTN]+$")


@dataclass(frozen=True)
class TrimPreset:
    """What a protocol needs from cutadapt.

    ``adapter`` is the 3' adapter as given to ``-a`` (may start with ``N`` wildcards standing for
    random bases to remove together with the adapter), ``cut5`` the bases removed from the 5' end,
    ``umi_length`` the UMI that follows the adapter (0 = none), ``force_discard_untrimmed`` is set
    when reads without an adapter cannot be used at all (no UMI without the adapter).
    """

    protocol: str
    adapter: str
    cut5: int = 0
    umi_length: int = 0
    force_discard_untrimmed: bool = False


@dataclass(frozen=True)
class TrimSettings:
    """Configurable cutadapt settings shared by all presets (config section ``smallrna``; the
    schema holds their defaults, so none here)."""

    error_rate: float
    min_overlap: int
    quality_cutoff: int
    discard_untrimmed: bool

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> TrimSettings:
        """The settings of the validated ``smallrna`` section (or of any mapping with its keys)."""
        return cls(
            error_rate=section["error_rate"],
            min_overlap=section["min_overlap"],
            quality_cutoff=section["quality_cutoff"],
            discard_untrimmed=section["discard_untrimmed"],
        )


def trim_preset(protocol: str, adapter: str = "") -> TrimPreset:
    """The preset for a protocol of units.tsv; ``adapter`` is used by ``custom`` only.

    - illumina: TruSeq small RNA 3' adapter.
    - nextflex: same adapter; 4 random nt removed at both ends of the insert (the 3' ones as
      ``NNNN`` in front of the adapter, so they go only where the adapter is found).
    - qiaseq: QIAseq miRNA 3' adapter followed by a 12-nt UMI; reads without the full
      adapter + UMI are discarded (their UMI is unknown).
    - custom: the ``adapter`` column.
    """
    if protocol == "illumina":
        return TrimPreset(protocol, ILLUMINA_ADAPTER)
    if protocol == "nextflex":
        return TrimPreset(
            protocol, "N" * NEXTFLEX_RANDOM_NT + ILLUMINA_ADAPTER, cut5=NEXTFLEX_RANDOM_NT
        )
    if protocol == "qiaseq":
        return TrimPreset(
            protocol,
            QIASEQ_ADAPTER + "N" * QIASEQ_UMI_LENGTH,
            umi_length=QIASEQ_UMI_LENGTH,
            force_discard_untrimmed=True,
        )
    if protocol == "custom":
        sequence = (adapter or "").strip().upper()
        if not _ADAPTER.match(sequence):
            raise InputError(
                f"protocol 'custom' needs a 3' adapter sequence (A, C, G, T, N) in the 'adapter' "
                f"column of units.tsv; found '{adapter}'."
            )
        return TrimPreset(protocol, sequence)
    raise InputError(f"unknown small-RNA protocol '{protocol}'; choose one of {list(PROTOCOLS)}.")
