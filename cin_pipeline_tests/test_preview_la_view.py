"""The LA view of the release preview (``cin_pipeline.publish.la_view``): the JSON embedded in
``index.html`` holds, for an LA, its region and England, exactly the cells of the published CSV
files (symbols included); the page, opened from disk in headless Chromium, shows the LA picked.

A small release is published from a tiny census (Birmingham 330 with 7 copies of four children,
Camden 202 with one): its 2024 cells are numbers and ``c``, every earlier year ``x``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path

import duckdb
import pytest

from cin_pipeline.ees.rows import build_ees
from cin_pipeline.lcd import build_lcd
from cin_pipeline.publish import la_view
from cin_pipeline.publish.release import publish_release
from cin_pipeline.tables import get, release
from cin_pipeline_tests.test_tables_end_to_end import tiny_census

TABLES = ("children_in_need.b1", "children_in_need.c1", "children_in_need.d5", "children_in_need.headline")
DATA_BLOCK = re.compile(r'<script type="application/json" id="la-view-data">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The release folder of a few children-in-need tables (the headline table: national only)."""
    root = tmp_path_factory.mktemp("laview")
    con = duckdb.connect()
    tiny_census(con, {"330": 7, "202": 1})
    build_lcd(con)
    outs = {t: build_ees(con, get(t), 2024) for t in TABLES}
    con.close()
    folder, _ = publish_release(root / "publication", release("children-in-need"), 2024, outs,
                                data_docs=False)
    return folder


def embedded(folder: Path) -> dict:
    found = DATA_BLOCK.findall((folder / "index.html").read_text(encoding="utf-8"))
    assert len(found) == 1
    return json.loads(found[0])


def csv_cells(path: Path, column: str) -> dict[tuple[str, int], str]:
    """(area code, year) -> the published cell: England by country code, regions by region code,
    LAs by old_la_code."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            level = row["geographic_level"]
            code = (row["country_code"] if level == "National" else
                    row["region_code"] if level == "Regional" else row["old_la_code"])
            out[(code, int(row["time_period"]))] = row[column]
    return out


def test_embedded_cells_are_the_published_cells(published):
    data = embedded(published)
    # the LA tables' headline measures, in table order; the national-only headline table has none
    assert [(m["table"], m["column"]) for m in data["measures"]] == [
        (get(t).code, h.column) for t in TABLES[:3] for h in get(t).headline]
    assert data["england"] == "E92000001"
    las = {la: (name, regions) for la, name, regions in data["las"]}
    assert las["330"] == ("Birmingham", ["E12000005"])
    assert las["202"] == ("Camden", ["E13000001", "E12000007"])  # Inner London, then London
    symbols = set()
    for k, m in enumerate(data["measures"]):
        cells = csv_cells(published / "data" / m["file"], m["column"])
        assert m["years"] == list(range(2013, 2025))
        for area in ("330", "E12000005", "202", "E13000001", "E12000007", "E92000001"):
            got = data["areas"][area]["values"][k]
            assert got == [cells[(area, y)] for y in m["years"]], (m["column"], area)
            symbols |= set(got)
    assert {"c", "x"} <= symbols  # suppressed and not-available cells are carried as published
    # D5 CPP_At31 of Birmingham 2024 is suppressed; every earlier year had no return
    d5 = next(k for k, m in enumerate(data["measures"]) if (m["table"], m["column"]) == ("D5", "CPP_At31"))
    assert data["areas"]["330"]["values"][d5] == ["x"] * 11 + ["c"]
    assert data["areas"]["E92000001"]["values"][d5][-1] not in ("c", "x")


def test_select_lists_every_la_grouped_by_region(published):
    page = (published / "index.html").read_text(encoding="utf-8")
    data = embedded(published)
    select = re.search(r'<select id="la-pick">(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', select)
    assert [code for code, _ in options] == [la for la, _, _ in data["las"]]
    assert ("873", "Cambridgeshire") in options and len(options) >= 150
    groups = re.findall(r'<optgroup label="([^"]*)">', select)
    assert groups[0] == "North East" and "Inner London" in groups and len(groups) == len(set(groups))
    assert "Herefordshire, County of" in select


def test_json_is_escaped_for_a_script_block():
    data = {"name": "</script><script>alert('x')</script> & <!-- \u2028"}
    text = la_view.embedded_json(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == data


def _browser_skip_reason() -> str | None:
    from ui_helpers import find_chromium

    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if find_chromium() is None:
        return "Chromium (/usr/bin/chromium) is not installed: run scripts/ensure_chromium.sh"
    return None


@pytest.mark.ui
def test_la_view_in_chromium(published):
    """Open the release's index.html from disk, pick an LA, read its table."""
    reason = _browser_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    from ui_helpers import CHROMIUM_ARGS, find_chromium

    data = embedded(published)
    k = next(k for k, m in enumerate(data["measures"]) if (m["table"], m["column"]) == ("C1", "Referrals"))
    requests, errors = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((published / "index.html").as_uri())
            page.select_option("#la-pick", "330")
            measure = page.locator('section[data-measure="C1.Referrals"]')
            for area in ("330", "E12000005", "E92000001"):
                row = measure.locator(f'tr[data-area="{area}"]')
                expect(row).to_have_count(1)
                cells = [c.strip() for c in row.locator("td").all_inner_texts()]
                assert cells == data["areas"][area]["values"][k], area
            expect(measure.locator('tr[data-area="330"] th')).to_have_text("Birmingham")
            assert measure.locator("svg polyline, svg circle").count() > 0
            # another LA: its rows replace Birmingham's, with London beside Inner London
            page.select_option("#la-pick", "202")
            expect(measure.locator('tr[data-area="202"] th')).to_have_text("Camden")
            expect(measure.locator('tr[data-area="330"]')).to_have_count(0)
            expect(measure.locator('tr[data-area="E12000007"] th')).to_have_text("London")
            cells = [c.strip() for c in measure.locator('tr[data-area="202"] td').all_inner_texts()]
            assert cells == data["areas"]["202"]["values"][k] and cells[-1] == "c"
            assert page.locator("section.measure").count() == len(data["measures"])
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith("file://") for u in requests), requests  # nothing from the network
