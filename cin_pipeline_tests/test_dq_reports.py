"""Data-quality reports per LA-year and their national index, on a tiny census built here:

* LA 201, 2024: three children, two of them with a closure date after the census year (8620);
* LA 201, 2025: GOOD, BAD (8620) and a child whose ID ``X<script>`` breaks 1580 (and tests the
  escaping), plus a second file for the same LA-year that is cut short and quarantined;
* LA 202, 2025: one clean child;
* a file of no known LA-year, quarantined.

The reports are built with the library (:mod:`cin_pipeline.ingest.dq_report`) and, once, through
the real Definitions (``dq_report`` for a single-run backfill of the LA-years, then
``dq_report_index``).
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cin_pipeline.ingest import attach_staging, quarantine, rules
from cin_pipeline.ingest.dq_report import (
    FINDINGS_CSV, INDEX_CSV, INDEX_HTML, REPORT_HTML, build_index, build_reports, report_dir,
)
from cin_pipeline.ingest.landing import ingest_one
from cin_pipeline.ingest.quarantine import read_reasons

from cin_pipeline_tests.test_ingest_rules import _child, _episode, _line_of, _return

warnings.filterwarnings("ignore")

G24 = "<GenderCurrent>2</GenderCurrent>"  # the 2024 layout's sex item


def _closed_late_2024(cid: str) -> str:
    return _child(cid, sex=G24, episodes=[_episode(referral="2023-06-03", closure="2024-06-01", reason="RC7")])


def _tiny_census(data: Path) -> dict:
    """Landing files, staged and quarantined under ``data`` as the pipeline does; returns the paths."""
    landing, staging, quar, audit = (data / n for n in ("landing", "staging", "quarantine", "audit"))

    def put(year: int, name: str, text: str) -> Path:
        p = landing / str(year) / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    bad = _child("BAD", episodes=[_episode(closure="2025-06-01", reason="RC7")])
    text_2025 = _return(_child("GOOD") + bad + _child("X&lt;script&gt;"))
    files = {
        (2025, "201"): put(2025, "201.xml", text_2025),
        (2024, "201"): put(2024, "201.xml", _return(
            _closed_late_2024("P1") + _closed_late_2024("P2")
            + _child("P3", sex=G24, episodes=[_episode(referral="2023-06-03")]), year=2024)),
        (2025, "202"): put(2025, "202.xml", _return(_child("Z"), la="202")),
    }
    for (year, la), path in files.items():
        o = ingest_one(f"{la}|{year}", year, la, str(path), str(staging), str(quar), str(audit))
        assert o.ok, o.message
    cut = put(2025, "201_resent.xml", "<?xml version='1.0'?>\n<Message>\n  <Header>\n")
    o = ingest_one("201|2025", 2025, "201", str(cut), str(staging), str(quar), str(audit))
    assert not o.ok and o.reason_code == "malformed_xml"
    stray = data / "elsewhere" / "notes.xml"
    stray.parent.mkdir(parents=True)
    stray.write_text("not a return")
    quarantine(stray, "not_xml", "The file is not XML.", quar)
    return {"landing": landing, "staging": staging, "quarantine": quar, "audit": audit,
            "reports": data / "reports", "lines_2025": text_2025.splitlines()}


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    data = tmp_path_factory.mktemp("dq") / "data"
    env = _tiny_census(data)
    con = duckdb.connect()
    attach_staging(con, env["staging"], env["audit"])
    keys = [(2025, "201"), (2024, "201"), (2025, "202"), (2023, "201")]
    env["results"] = build_reports(con, keys, env["reports"], env["staging"], env["quarantine"])
    env["index"] = build_index(con, env["reports"], env["quarantine"])
    con.close()
    return env


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_a_finding_with_file_line_child_rule_text_and_fix(census):
    folder = report_dir(census["reports"], 2025, "201")
    rows = _csv(folder / FINDINGS_CSV)
    r8620 = rules.rule("8620")
    (row,) = [r for r in rows if r["rule_code"] == "8620"]
    assert row["file"] == "201.xml"
    assert int(row["line"]) == _line_of(census["lines_2025"], "<CINdetails>", 2)  # BAD's episode
    assert row["child_id"] == "BAD" and row["severity"] == "error" and row["episode_seq"] == "1"
    assert row["rule_text"] == r8620.message.rstrip(".")  # the rule's own text, not a copy
    assert row["detail"] == "CINclosureDate 2025-06-01"
    assert row["fix"] == r8620.fix
    assert {r["rule_code"] for r in rows} == {"8620", "1580"}  # every finding of the LA-year
    page = (folder / REPORT_HTML).read_text(encoding="utf-8")
    for text in ("201.xml", "BAD", r8620.message.rstrip("."), r8620.fix, "CINclosureDate 2025-06-01"):
        assert _escaped(text) in page, text
    # every value is escaped: the child ID X<SCRIPT> is shown, never as markup
    assert "X&lt;SCRIPT&gt;" in page
    assert "<script" not in page.lower()


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_counts_against_previous_year_and_england(census):
    res = census["results"][(2025, "201")]
    t = res.totals
    assert (t.children, t.errors, t.queries, t.excluded) == (3, 2, 0, 2)
    assert (t.prev_staged, t.prev_children, t.prev_errors) == (True, 3, 2)
    assert (t.england_children, t.england_errors, t.england_las) == (4, 2, 2)
    by_rule = {r[0]: r for r in res.by_rule}
    # (code, severity, text, findings, children, findings the year before, England findings, children)
    assert by_rule["8620"][3:] == (1, 1, 2, 1, 4)
    assert by_rule["1580"][3:] == (1, 1, 0, 1, 4)  # 1580 applies from 2025 only
    prev = census["results"][(2024, "201")]
    assert {r[0]: r[3:6] for r in prev.by_rule} == {"8620": (2, 2, 0)}
    assert prev.totals.prev_staged is False
    page = res.html.read_text(encoding="utf-8")
    # the 8620 row: 1 finding (333.3 per 1,000 of 3 children) against 2 in 2024 (666.7) and England's 250.0
    row = re.search(r"<tr><td>8620</td>.*?</tr>", page).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[3:] == ["1", "1", "333.3", "2", "666.7", "250.0"]


def test_excluded_children_and_quarantined_file(census):
    page = (report_dir(census["reports"], 2025, "201") / REPORT_HTML).read_text(encoding="utf-8")
    excluded = page.split("What was excluded")[1].split("<h2>")[0]
    assert "<td>BAD</td>" in excluded and "<td>8620</td>" in excluded
    assert "<td>X&lt;SCRIPT&gt;</td>" in excluded and "<td>GOOD</td>" not in excluded
    (reason,) = [r for r in read_reasons(census["quarantine"]) if r["original_name"] == "201_resent.xml"]
    assert (reason["year"], reason["la"], reason["reason_code"]) == (2025, "201", "malformed_xml")
    for text in ("201_resent.xml", reason["quarantined_as"], "malformed_xml", reason["message"], reason["fix"]):
        assert _escaped(text) in excluded, text
    assert census["results"][(2025, "201")].quarantined == 1
    other = (report_dir(census["reports"], 2025, "202") / REPORT_HTML).read_text(encoding="utf-8")
    assert "201_resent.xml" not in other and "No file of this LA-year was set aside" in other
    # an LA-year with nothing staged or quarantined gets no report
    assert census["results"][(2023, "201")] is None
    assert not report_dir(census["reports"], 2023, "201").exists()


def test_index_links_every_report(census):
    reports = census["reports"]
    page = (reports / INDEX_HTML).read_text(encoding="utf-8")
    links = set(re.findall(r'href="(\d{4}/\d{3}/report\.html)"', page))
    written = {str(p.relative_to(reports)) for p in reports.glob(f"*/*/{REPORT_HTML}")}
    assert links == written == {"2025/201/report.html", "2024/201/report.html", "2025/202/report.html"}
    assert all((reports / link).is_file() for link in links)
    rows = {(r["year"], r["la"]): r for r in _csv(reports / INDEX_CSV)}
    assert set(rows) == {("2025", "201"), ("2024", "201"), ("2025", "202")}
    r = rows[("2025", "201")]
    assert (r["la_name"], r["children"], r["errors"], r["children_excluded"], r["quarantined_files"]) == (
        "City of London", "3", "2", "2", "1")
    assert (r["findings_per_1000"], r["previous_year_findings_per_1000"], r["england_findings_per_1000"]) == (
        "666.7", "666.7", "500.0")
    # the file of no known LA-year is listed on the index
    assert census["index"].unplaced_quarantined == 1 and "notes.xml" in page
    # files were renamed into place: no temporary file is left
    assert not list(reports.rglob("*.tmp"))


def test_assets_through_the_definitions(tmp_path, monkeypatch):
    """``dq_report`` as a single-run backfill over LA-years (one with nothing: skipped), then the
    index, through the real Definitions, into ``<data>/reports``."""
    from cin_pipeline.definitions import defs as load_defs

    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    defs = load_defs()
    paths = defs.resources["cin_paths"].paths()
    _tiny_census(paths.data_dir)
    dq = defs.get_assets_def("dq_report")
    index = defs.get_assets_def("dq_report_index")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("la", ["201", "202"])
        res = dg.materialize([dq], instance=instance, resources=defs.resources, tags={
            "dagster/asset_partition_range_start": "201|2023", "dagster/asset_partition_range_end": "202|2025"})
        assert res.success
        done = sorted(str(e.partition) for e in res.get_asset_materialization_events())
        assert done == ["201|2024", "201|2025", "202|2025"]
        res = dg.materialize([index], instance=instance, resources=defs.resources)
        assert res.success
        (mat,) = res.get_asset_materialization_events()
        meta = mat.materialization.metadata
        assert meta["la_years"].value == meta["reports_linked"].value == 3
    assert (paths.reports_dir / "2025" / "201" / REPORT_HTML).is_file()
    assert (paths.reports_dir / INDEX_HTML).is_file()
