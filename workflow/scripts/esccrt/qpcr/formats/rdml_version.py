"""RDML 1.4 documents as rdmlpython 1.7.2 (the newest on PyPI) reads them: an in-memory 1.3.

rdmlpython 1.7.2 knows RDML 1.0-1.3 and refuses a 1.4 root; RDML-Tools writes 1.4. Version 1.4
adds elements (:data:`ADDED_IN_1_4`: reaction volume, copy numbers, double-strandedness, oligo
and dye concentrations; the list of rdmlpython 2.x's own ``migrate_version_1_4_to_1_3``) and
leaves every element the calculations read as 1.3 defines it (``cq``, ``N0``, ``ampEff``,
``ampEffSE``, ``corrF``, ``quantFluor``, ``excl``, sample types, amplification data).
:func:`as_version_1_3` removes the 1.4-only elements and writes version 1.3 on the root: the
result validates against rdmlpython's bundled RDML 1.3 schema (checked on the RDML-Tools
examples in the tests), so rdmlpython's own computations run unchanged on it. The file on disk
is never changed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from esccrt.errors import InputError

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


def rdml_xml_text(path: str | Path) -> str:
    """The RDML document of a zipped (``rdml_data.xml`` or the single member) or plain file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: RDML file not found. Check qpcr.ct_table in config/config.yaml.")
    try:
        if not zipfile.is_zipfile(path):
            return path.read_bytes().decode("utf-8-sig")
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            xml = [n for n in names if n.lower().endswith(".xml")]
            name = "rdml_data.xml" if "rdml_data.xml" in names else (xml or names or [""])[0]
            if not name:
                raise InputError(f"{path}: the RDML archive is empty.")
            return archive.read(name).decode("utf-8-sig")
    except (UnicodeDecodeError, zipfile.BadZipFile) as error:
        raise InputError(f"{path}: not a readable RDML file ({error}).") from None


def _version(root, where: str) -> tuple[int, ...]:  # root: lxml element
    text = root.get("version", "")
    if not text.replace(".", "").isdigit():
        raise InputError(f"{where}: RDML root has no version number (version='{text}').")
    return tuple(int(part) for part in text.split("."))


def as_version_1_3(text: str, where: str = "RDML document") -> str:
    """``text`` (an RDML document) as RDML 1.3; documents of 1.3 or older are returned as is.

    Raises :class:`InputError` for a document that is not RDML or is newer than 1.4 (its changes
    are unknown here).
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        raise InputError(f"{where}: not a readable RDML file ({error}).") from None
    if root.tag != f"{{{RDML_NAMESPACE}}}rdml":
        raise InputError(f"{where}: not an RDML file (root element '{root.tag}').")
    version = _version(root, where)
    if version <= (1, 3):
        return text
    if version > (1, 4):
        raise InputError(
            f"{where}: RDML version {root.get('version')} is newer than 1.4; rdmlpython 1.7.2 "
            "reads 1.0-1.3 and this workflow converts 1.4 only. Save the file as RDML 1.4 or 1.3 "
            "(RDML-Tools, LinRegPCR)."
        )
    downgrade_to_1_3(root)
    return etree.tostring(root, encoding="unicode")


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


def load_rdml_document(path: str | Path):  # -> rdmlpython.Rdml (untyped library)
    """rdmlpython's document of ``path`` (zipped or plain RDML): 1.4 converted in memory to
    1.3, 1.0 migrated to 1.1 as rdmlpython does. The one loader of every RDML reader (Cq import,
    melt curves, LinRegPCR), so all of them accept and refuse the same files."""
    from rdmlpython import Rdml  # imported here: only RDML input needs it
    from rdmlpython.rdml import RdmlError

    document = Rdml()
    try:
        document.loadXMLString(as_version_1_3(rdml_xml_text(path), str(path)))
        if document.version() == "1.0":
            document.migrate_version_1_0_to_1_1()
    except RdmlError as error:
        raise InputError(f"{path}: not a readable RDML file ({error}).") from None
    return document
