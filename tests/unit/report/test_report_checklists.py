"""The TRIPOD+AI and REMARK checklists: complete, pointing only to parts the page has."""

from __future__ import annotations

from pathlib import Path

import pytest
from esccrt.errors import InputError
from esccrt.report.checklists import (
    MAIN_ITEMS,
    USER,
    checklist_status,
    checklists_section,
    load_checklists,
    main_item,
)
from esccrt.report.html import SECTIONS


def test_every_main_item_of_both_checklists_is_listed_once() -> None:
    items = load_checklists()
    assert set(items["checklist"]) == set(MAIN_ITEMS)
    for checklist, count in MAIN_ITEMS.items():
        rows = items[items["checklist"] == checklist]
        assert rows["item"].is_unique, checklist
        assert sorted({main_item(i) for i in rows["item"]}) == list(range(1, count + 1))
    assert len(items[items["checklist"] == "TRIPOD+AI"]) == 52  # 27 items, 52 with sub-items
    assert (items["asks"] != "").all() and (items["topic"] != "").all()


def test_an_item_is_answered_only_where_its_part_is_on_the_page() -> None:
    items = load_checklists()
    titles = {anchor: title or anchor for anchor, title in SECTIONS.items()}
    sections = [
        ("survival", "<h3>Table 1: patients and log-rank tests (secondary)</h3><p>...</p>"),
        ("methods", '<p class="methods">...</p>'),
    ]
    status = checklist_status(items, sections, titles).set_index(["checklist", "item"])
    # Table 1 is on the page: REMARK 13 links to it.
    assert status.loc[("REMARK", "13"), "anchor"] == "survival"
    assert status.loc[("REMARK", "13"), "answered_in"] == "survival: Table 1"
    assert status.loc[("REMARK", "10"), "answered_in"] == "Methods"
    # The Cox models' part is not: REMARK 16 is the user's, and so are items with no part.
    assert status.loc[("REMARK", "16"), "answered_in"] == USER
    assert status.loc[("REMARK", "16"), "anchor"] == ""
    assert status.loc[("TRIPOD+AI", "17"), "answered_in"] == USER
    html = checklists_section(status.reset_index())
    assert '<a href="#survival">survival: Table 1</a>' in html
    assert "REMARK (McShane et al., J Natl Cancer Inst 2005;97:1180): 4 of 20" in html


def test_a_checklist_pointing_to_no_section_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "checklists.tsv"
    bad.write_text(
        "checklist\titem\ttopic\tasks\tsection\tpart\n"
        "REMARK\t1\tIntroduction\tthe marker\tsurvival\tDesign\n"
        "REMARK\t2\tPatients\tthe patients\tsurvivall\tTable 1\n"
    )
    with pytest.raises(InputError, match="line 3: section 'survivall' is no report section"):
        load_checklists(bad)
