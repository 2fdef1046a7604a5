"""The revisions report (issue 13, item 2): a publication that replaces another one of the same
release year lists every published cell that changed and names the census returns that caused it;
a republication of the same data changes nothing.

Two LAs' synthetic 2024 returns are staged and published; then LA 330 resubmits its 2024 return
(other content: the generator with another seed), is re-ingested as a new staged version, the LCD
and the tables are rebuilt and the year is published again. The expected changes are computed here
independently, row by row over the two folders' CSVs, and compared with ``revisions.csv``.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from cin_pipeline.defs.publication import revisions_metadata
from cin_pipeline.ees.rows import build_ees
from cin_pipeline.ingest.landing import ingest_many
from cin_pipeline.ingest.warehouse import staged_returns
from cin_pipeline.lcd import build_lcd
from cin_pipeline.publish.release import FIRST, REVISED, UNCHANGED, publish_year, release_folder
from cin_pipeline.publish.revisions import COLUMNS, REVISIONS_CSV, REVISIONS_MD, compare_file, render
from cin_pipeline.tables import release, tables_for_release
from cin_pipeline_tests.pipeline_helpers import stage_and_link

YEAR = 2024
RELEASES = (release("children-in-need"), release("children-in-need-re-referrals"))


def _outputs(con) -> dict:
    return {rel: {s.table_id: build_ees(con, s, YEAR) for s in tables_for_release(rel.slug)}
            for rel in RELEASES}


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> dict[str, tuple[dict, dict[str, str]]]:
    """``{"A": (outputs, returns), "B": ...}``: the year's outputs and staged returns before and
    after LA 330 resubmits its 2024 return."""
    from cin_pipeline.synth import generate

    root = tmp_path_factory.mktemp("revisions")
    generate(root / "returns", years=[YEAR], las=["330", "202"], scale=0.02, seed=7, workers=1)
    work = root / "work"
    con, _ = stage_and_link(sorted((root / "returns").glob("*/*.xml")), work, workers=1)
    staging = work / "staging"
    a = (_outputs(con), staged_returns(staging, YEAR))

    generate(root / "resubmitted", years=[YEAR], las=["330"], scale=0.02, seed=8, workers=1,
             supporting=False)
    path = root / "resubmitted" / str(YEAR) / "330.xml"
    outcomes = ingest_many([(f"330|{YEAR}", YEAR, "330", str(path), str(staging), str(work / "quarantine"),
                             str(work / "audit"))], workers=1)
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    build_lcd(con)
    b = (_outputs(con), staged_returns(staging, YEAR))
    con.close()
    assert set(a[1]) == set(b[1]) == {f"{YEAR}/202", f"{YEAR}/330"}
    assert a[1][f"{YEAR}/202"] == b[1][f"{YEAR}/202"] and a[1][f"{YEAR}/330"] != b[1][f"{YEAR}/330"]
    return {"A": a, "B": b}


def _publish(pub: Path, version: tuple[dict, dict[str, str]]) -> tuple[str, dict]:
    outputs, returns = version
    return publish_year(pub, YEAR, outputs, data_docs=False, returns=returns)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


GEO = ("time_period", "geographic_level", "country_code", "region_code", "old_la_code", "new_la_code")
GEO_NAMES = ("time_identifier", "country_name", "region_name", "la_name")


def _expected_changes(before: Path, after: Path) -> tuple[set, set]:
    """The changed cells and the rows added or removed between two release folders, by reading
    every data file row by row: cells ``(file, time, geography codes, filters, column, old, new)``
    and rows ``(file, added/removed, time, geography codes, filters)``."""
    cells, rows = set(), set()
    names = {p.name for folder in (before, after) for p in (folder / "data").glob("*.csv")
             if not p.name.endswith(".meta.csv")}
    for name in sorted(names):
        meta = _rows(after / "data" / name.replace(".csv", ".meta.csv"))
        indicators = [m["col_name"] for m in meta if m["col_type"] == "Indicator"]
        with (after / "data" / name).open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        filters = [c for c in header if c not in indicators and c not in GEO and c not in GEO_NAMES]

        def key(row, filters=filters):
            return tuple(row.get(c, "") for c in GEO) + ("; ".join(f"{f}={row[f]}" for f in filters),)

        old = {tuple(v for c, v in r.items() if c not in indicators): r for r in _rows(before / "data" / name)}
        new = {tuple(v for c, v in r.items() if c not in indicators): r for r in _rows(after / "data" / name)}
        for k in new.keys() & old.keys():
            for col in indicators:
                if old[k][col] != new[k][col]:
                    cells.add((name, *key(new[k]), col, old[k][col], new[k][col]))
        rows |= {(name, "row added", *key(new[k])) for k in new.keys() - old.keys()}
        rows |= {(name, "row removed", *key(old[k])) for k in old.keys() - new.keys()}
    return cells, rows


def _reported_changes(folder: Path) -> tuple[set, set, list[dict]]:
    lines = _rows(folder / REVISIONS_CSV)
    cells = {(r["file"], *(r[c] for c in GEO), r["filters"], r["column"], r["old_value"], r["new_value"])
             for r in lines if r["change"] == "cell changed"}
    rows = {(r["file"], r["change"], *(r[c] for c in GEO), r["filters"])
            for r in lines if r["change"] in ("row added", "row removed")}
    return cells, rows, lines


def test_resubmission_lists_every_changed_cell_and_names_the_return(tmp_path, versions):
    pub = tmp_path / "publication"
    id_a, infos = _publish(pub, versions["A"])
    for rel in RELEASES:
        folder = release_folder(pub, rel, YEAR)
        assert infos[rel]["revisions"] == {"status": FIRST}
        assert not (folder / REVISIONS_CSV).exists() and not (folder / REVISIONS_MD).exists()
        assert revisions_metadata(rel.slug, folder, infos[rel]["revisions"]) == {
            f"{rel.slug}_revisions": "first publication"}
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        assert manifest["returns"] == versions["A"][1]  # the staged returns, by content hash
    before = tmp_path / "before"
    shutil.copytree(pub, before)

    id_b, infos = _publish(pub, versions["B"])
    assert id_b != id_a
    total = 0
    for rel in RELEASES:
        folder = release_folder(pub, rel, YEAR)
        info = infos[rel]["revisions"]
        assert info["status"] == REVISED and info["replaces"] == id_a
        expected_cells, expected_rows = _expected_changes(release_folder(before, rel, YEAR), folder)
        cells, rows, lines = _reported_changes(folder)
        assert cells == expected_cells, rel.slug
        assert rows == expected_rows, rel.slug
        assert len(lines) == len(cells) + len(rows)  # one line per cell or row, nothing else
        total += len(cells)
        # the per-table counts (the asset's metadata) add up to the listed cells
        by_table: dict[str, int] = {}
        for line in lines:
            if line["change"] == "cell changed":
                by_table[line["table_id"]] = by_table.get(line["table_id"], 0) + 1
        assert info["changed_cells"] == by_table
        assert set(by_table) <= set(infos[rel]["tables_by_file"].values())
        meta = revisions_metadata(rel.slug, folder, info)
        assert meta[f"{rel.slug}_changed_cells"].value == by_table
        assert meta[f"{rel.slug}_revisions_report"].value == str(folder / REVISIONS_MD)
        # the resubmitted LA-year, and only it, is named as the cause
        assert info["returns_changed"] == [f"{YEAR}/330 resubmitted"]
        summary = (folder / REVISIONS_MD).read_text()
        assert f"publication_id `{id_a}`" in summary
        assert f"| {YEAR} | 330 | Birmingham | resubmitted | {versions['A'][1][f'{YEAR}/330'][:12]} " \
               f"| {versions['B'][1][f'{YEAR}/330'][:12]} |" in summary
        assert f"| {YEAR} | 202 |" not in summary
        assert "## Largest changes" in summary
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        assert manifest["returns"] == versions["B"][1] and manifest["publication_id"] == id_b
        assert {f["path"] for f in manifest["files"]} >= {REVISIONS_CSV, REVISIONS_MD}
    assert total > 100  # a whole LA's return changed: many cells of many tables
    cin = _rows(release_folder(pub, RELEASES[0], YEAR) / REVISIONS_CSV)
    assert {r["old_la_code"] for r in cin if r["geographic_level"] == "Local authority"} == {"330"}


def test_identical_republication_reports_no_change(tmp_path, versions):
    """The same data published again is the same publication, byte for byte: no report after a
    first publication; after a revision, the revision's report is kept as it was."""
    pub = tmp_path / "publication"
    id_a, _ = _publish(pub, versions["A"])
    trees = {rel: _tree(release_folder(pub, rel, YEAR)) for rel in RELEASES}
    assert _publish(pub, versions["A"])[0] == id_a
    for rel in RELEASES:
        assert _tree(release_folder(pub, rel, YEAR)) == trees[rel]
        assert REVISIONS_CSV not in trees[rel]

    id_b, _ = _publish(pub, versions["B"])
    revised = {rel: _tree(release_folder(pub, rel, YEAR)) for rel in RELEASES}
    again, infos = _publish(pub, versions["B"])
    assert again == id_b
    for rel in RELEASES:
        assert infos[rel]["revisions"]["status"] == UNCHANGED
        assert _tree(release_folder(pub, rel, YEAR)) == revised[rel]
        assert revisions_metadata(rel.slug, release_folder(pub, rel, YEAR), infos[rel]["revisions"]) == {
            f"{rel.slug}_revisions": "unchanged: the same publication as the folder it replaced"}

    # the same revision published elsewhere gives the same bytes, report included
    other = tmp_path / "other"
    _publish(other, versions["A"])
    assert _publish(other, versions["B"])[0] == id_b
    for rel in RELEASES:
        assert _tree(release_folder(other, rel, YEAR)) == revised[rel]


def test_a_resubmission_that_changes_no_cell_is_reported(tmp_path, versions):
    """A return resubmitted with the same figures: another publication (its manifest records
    another return), with an empty list of cells and the return named."""
    pub = tmp_path / "publication"
    outputs, returns = versions["A"]
    id_a, _ = _publish(pub, versions["A"])
    resent = {**returns, f"{YEAR}/202": "0" * 64}
    id_c, infos = _publish(pub, (outputs, resent))
    assert id_c != id_a
    for rel in RELEASES:
        folder = release_folder(pub, rel, YEAR)
        assert infos[rel]["revisions"]["changed_cells"] == {}
        assert infos[rel]["revisions"]["returns_changed"] == [f"{YEAR}/202 resubmitted"]
        assert (folder / REVISIONS_CSV).read_text().count("\n") == 1  # the header alone
        assert "No published cell of this release changed." in (folder / REVISIONS_MD).read_text()


def _write(folder: Path, name: str, text: str, meta: str) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / f"{name}.meta.csv").write_text(meta)
    path = folder / "data" / f"{name}.csv"
    path.write_text(text)
    return path


META = "col_name,col_type\nsex,Filter\nn,Indicator\nrate,Indicator\n"
HEAD = "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,sex,n,rate\n"


def test_rows_columns_and_symbols_are_compared_as_sets(tmp_path):
    """Hand-made files: a row removed, a row added (with symbols), rows reordered, a cell
    changed, a column added; the file's column lines come first, then the rows in the new
    file's order (a removed row at its place in the old one), then by column."""
    old = _write(tmp_path / "old", "t", HEAD
                 + "2024,Reporting year,National,E92000001,England,,,Total,100,1.5\n"
                 + "2024,Reporting year,Regional,E92000001,England,E12000001,North East,Total,40,2\n"
                 + "2024,Reporting year,National,E92000001,England,,,Female,7,0.1\n", META)
    new = _write(tmp_path / "new", "t", HEAD.replace(",rate\n", ",rate,share\n")
                 + "2024,Reporting year,Regional,E92000001,England,E12000001,North East,Total,40,2,z\n"
                 + "2024,Reporting year,National,E92000001,England,,,Total,105,1.5,z\n"
                 + "2024,Reporting year,National,E92000001,England,,,Male,c,x,z\n",
                 META + "share,Indicator\n")
    lines = compare_file("demo.t", "t.csv", old, new)
    got = [(r.change, r.geography_name, r.filters, r.column, r.old_value, r.new_value)
           for r in lines.itertuples()]
    assert got == [("column added", "", "", "share", "", ""),
                   ("cell changed", "England", "sex=Total", "n", "100", "105"),
                   ("row added", "England", "sex=Male", "", "", ""),
                   ("row removed", "England", "sex=Female", "", "", "")]
    assert list(lines.columns) == COLUMNS
    assert len(compare_file("demo.t", "t.csv", old, old)) == 0
    # other filter columns: the rows cannot be matched, the file is reported as a whole
    renamed = _write(tmp_path / "renamed", "t", HEAD.replace("sex", "gender"), META.replace("sex", "gender"))
    assert compare_file("demo.t", "t.csv", old, renamed)["change"].tolist() == ["layout changed"]
    assert compare_file("demo.t", "t.csv", None, new)["change"].tolist() == ["file added"]


def test_metadata_when_the_replaced_publication_recorded_no_returns(tmp_path):
    """A publication made before the manifests recorded returns: the report says so."""
    folder = tmp_path / "children-in-need" / "2024"
    info = {"status": REVISED, "replaces": "x", "changed_cells": {"children_in_need.b1": 3},
            "rows_added": 0, "rows_removed": 1, "other_changes": 0, "returns_changed": None,
            "report": [REVISIONS_CSV, REVISIONS_MD]}
    meta = revisions_metadata("children-in-need", folder, info)
    assert meta["children-in-need_revisions"] == "revised: 3 cells in 1 tables changed, 0 rows added, 1 removed"
    assert meta["children-in-need_returns_changed"] == "not recorded by the publication it replaced"
    assert meta["children-in-need_revisions_list"].value == str(folder / REVISIONS_CSV)
    lines = compare_file("demo.t", "t.csv", None, tmp_path / "t.csv")
    text = render("Demo", 2024, "x", lines, None, 1)
    assert "does not record the census returns" in text and "| demo.t | `t.csv` | 0 | 0 | 0 | 1 |" in text
