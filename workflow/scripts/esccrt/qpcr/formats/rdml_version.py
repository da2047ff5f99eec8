"""RDML 1.4 -> 1.3, in memory, for rdmlpython 1.7.2 (the newest on PyPI, which refuses 1.4).

RDML-Tools and rdmlpython 2.x write RDML 1.4. Version 1.4 only *adds* elements to 1.3 (reaction
volume and copy numbers, double-strandedness of samples, oligo and dye concentrations); nothing
that 1.3 has changed meaning. Removing exactly those additions and setting ``version="1.3"``
gives a valid 1.3 document with the same samples, targets, runs, reactions, curves and Cq values,
which rdmlpython 1.7.2 then reads and analyses unchanged (LinRegPCR, :mod:`esccrt.qpcr.curves`).
This is the list of rdmlpython 2.x's own ``Rdml.migrate_version_1_4_to_1_3`` (its repository,
MIT licence), written here against an lxml tree; the file on disk is never changed.
"""

from __future__ import annotations

RDML_NAMESPACE = "http://www.rdml.org"

#: (parent element, child element) pairs that RDML 1.4 added to 1.3 and a 1.3 reader refuses.
ADDED_IN_1_4 = (
    ("react", "vol"),
    ("data", "Ncopy"),
    ("sample", "doubleStranded"),
    ("forwardPrimer", "oligoConc"),
    ("reversePrimer", "oligoConc"),
    ("probe1", "oligoConc"),
    ("probe2", "oligoConc"),
    ("amplicon", "oligoConc"),
    ("dye", "nCopyFact"),
    ("dye", "dyeConc"),
)


def _local(element) -> str:  # an lxml element
    return str(element.tag).rsplit("}", 1)[-1]


def downgrade_to_1_3(root) -> list[str]:  # root: the lxml element <rdml>
    """Turn an RDML 1.4 tree into 1.3 in place; return what was removed (``parent/child: n``).

    A tree of version 1.3 or older is left as it is (empty list).
    """
    if root.get("version") != "1.4":
        return []
    removed: dict[str, int] = {}
    for element in list(root.iter()):
        parent = element.getparent()
        if not isinstance(element.tag, str):  # comments and processing instructions
            continue
        if parent is not None and (_local(parent), _local(element)) in ADDED_IN_1_4:
            key = f"{_local(parent)}/{_local(element)}"
            removed[key] = removed.get(key, 0) + 1
            parent.remove(element)
    root.set("version", "1.3")
    return [f"{key}: {n}" for key, n in sorted(removed.items())]
