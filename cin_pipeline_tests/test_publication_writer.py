"""Publication: atomic release folders, their contents, the Dagster table/publication assets and
the explicit guard against failed blocking checks."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from cin_pipeline.defs.partitions import year_partitions
from cin_pipeline.defs.publication import publication
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.defs.tables import TABLE_ASSETS, table_asset_key
from cin_pipeline.facts.store import materialise
from cin_pipeline.lcd import build_lcd
from cin_pipeline.publish import writer
from cin_pipeline.bench.publish import run_publication_bench
from cin_pipeline.ees.rows import build_ees
from cin_pipeline.ees.store import store_publication
from cin_pipeline.publish.release import bulk_upload_problems, publish_release
from cin_pipeline.settings import Paths
from cin_pipeline.tables import all_tables, get, release, tables_for_release
from cin_pipeline_tests.test_tables_end_to_end import tiny_census


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_atomic_publish_failure_leaves_previous_untouched(tmp_path):
    target = tmp_path / "children-in-need" / "2024"

    def good(folder: Path, text: str = "v1"):
        (folder / "data").mkdir()
        (folder / "data" / "a.csv").write_text(text)

    writer.publish_atomically(target, good)
    before = _tree(target)
    assert "MANIFEST.json" in before

    def bad(folder: Path):
        good(folder, "v2-partial")
        (folder / "data" / "b.csv").write_text("half")
        raise RuntimeError("disk full mid-write")

    with pytest.raises(RuntimeError):
        writer.publish_atomically(target, bad)
    assert _tree(target) == before
    assert [p.name for p in target.parent.iterdir()] == ["2024"]     # no temp folder left behind
    writer.publish_atomically(target, lambda f: good(f, "v2"))
    assert (target / "data" / "a.csv").read_text() == "v2"


def test_interrupted_swap_is_recovered(tmp_path):
    target = tmp_path / "r" / "2024"
    writer.publish_atomically(target, lambda f: (f / "x.csv").write_text("old"))
    # simulate a crash between the two renames: target moved away, new one never arrived
    target.rename(target.parent / ".2024.old-deadbeef")
    (target.parent / ".2024.tmp-cafebabe").mkdir()
    writer.recover(target)
    assert (target / "x.csv").read_text() == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["2024"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pub")
    wh = folder / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    tiny_census(con, {"330": 7, "202": 1})
    build_lcd(con)
    materialise(con, {})  # the facts the table assets read, as the LCD asset stores them
    con.close()
    return wh


def test_release_folder_contents(tmp_path, warehouse):
    con = duckdb.connect(str(warehouse))
    outs = {s.table_id: build_ees(con, s, 2024) for s in tables_for_release("children-in-need")}
    con.close()
    assert outs and all(o.spec.release is release("children-in-need") for o in outs.values())
    folder, info = publish_release(tmp_path, release("children-in-need"), 2024, outs, data_docs=False)
    assert folder == tmp_path / "children-in-need" / "2024"
    names = sorted(p.name for p in (folder / "data").iterdir())
    assert "b1_children_in_need_2013_to_2024.csv" in names
    assert "b1_children_in_need_2013_to_2024.meta.csv" in names
    # every table's data and meta file, and the release's population file (not a table)
    pop = "ons_mid-year_population_estimates_2012_to_2023"
    assert names == sorted([n for o in outs.values() for n in (o.file_name, o.meta_file_name)]
                           + [f"{pop}.csv", f"{pop}.meta.csv"])
    assert "headline_figures.csv" in names and "b7_children_in_need_plans_2022_to_2024.csv" in names
    assert len([n for n in names if not n.endswith(".meta.csv")]) == 30  # the 2024 release's 30
    text = (folder / "data" / "b1_children_in_need_2013_to_2024.csv").read_text()
    assert text.startswith("time_period,time_identifier,geographic_level,country_code,country_name,"
                           "region_code,region_name,old_la_code,new_la_code,la_name,category,")
    assert "\r\n" not in text and '"Herefordshire, County of"' in text
    # EES's "download all" layout: data files (no meta files) and the guidance in data-guidance/
    with zipfile.ZipFile(folder / "all-data.zip") as z:
        assert set(z.namelist()) == ({f"data/{n}" for n in names if not n.endswith(".meta.csv")}
                                     | {"data-guidance/data-guidance.txt"})
        assert z.read("data-guidance/data-guidance.txt") == (folder / "data-guidance.md").read_bytes()
    # EES's bulk upload layout: dataset_names.csv, one row per data file, and every data and meta
    # file at the top level; nothing EES would refuse
    with zipfile.ZipFile(folder / "ees-bulk-upload.zip") as z:
        assert set(z.namelist()) == set(names) | {"dataset_names.csv"}
        index = z.read("dataset_names.csv").decode("utf-8").splitlines()
        for n in names:
            assert z.read(n) == (folder / "data" / n).read_bytes()
    assert index[0] == "file_name,dataset_name"
    data_files = [n for n in names if not n.endswith(".meta.csv")]
    assert sorted(r.split(",", 1)[0] for r in index[1:]) == sorted(n[:-4] for n in data_files)
    assert "b1_children_in_need_2013_to_2024,B1: Children in need and episodes of need by local authority" in index
    assert bulk_upload_problems(folder / "ees-bulk-upload.zip") == []
    guide = (folder / "data-guidance.md").read_text()
    assert "### B1: Children in need and episodes of need by local authority" in guide
    html_text = (folder / "index.html").read_text()
    for n in names:  # every data file has a guidance entry and a line in the preview
        if not n.endswith(".meta.csv"):
            assert f"* File: `data/{n}`" in guide and f'href="data/{n}"' in html_text, n
    assert "mid-years 2012 to 2023" in guide
    assert "Hampshire" in guide and "nearest 10" in guide
    html = (folder / "index.html").read_text()
    # no external resource: the only address is the SVG namespace (of the charts and the LA
    # view's script); the one script is inline, beside its JSON data
    assert "<svg" in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count("<script") == 2 and "<script src" not in html
    assert '<script type="application/json" id="la-view-data">' in html
    assert not (folder / "gx").exists()  # Data Docs live beside the release (and were not asked for)
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert {f["path"] for f in manifest["files"]} >= {f"data/{n}" for n in names}


NO_DOCS = {"ops": {"publication": {"config": {"data_docs": False}}}}


def _resources(tmp_path: Path, warehouse: Path) -> dict:
    paths = Paths(data_dir=tmp_path, landing_dir=tmp_path / "landing", warehouse=warehouse,
                  staging_dir=tmp_path / "staging", quarantine_dir=tmp_path / "q",
                  audit_dir=tmp_path / "audit", publication_dir=tmp_path / "publication")
    return {"duckdb": DuckDBResource(database=str(warehouse)), "cin_paths": CinPaths.from_paths(paths)}




def test_table_assets_and_publication_asset(tmp_path, warehouse, monkeypatch):
    import cin_pipeline.defs.tables as tables_mod

    monkeypatch.setattr(tables_mod, "attach_staging", lambda *a, **k: None)
    res = _resources(tmp_path, warehouse)
    d3 = next(a for a in TABLE_ASSETS if a.key == table_asset_key(get("children_in_need.d3")))
    assert d3.group_names_by_key[d3.key] == "children_in_need"
    assert d3.partitions_def == year_partitions
    with dg.instance_for_test() as instance:
        # nothing built yet for 2024: the publication refuses rather than publish missing tables
        r0 = dg.materialize([publication, *TABLE_ASSETS], selection=[publication.key],
                            partition_key="2024", resources=res, run_config=NO_DOCS,
                            instance=instance, raise_on_error=False)
        assert not r0.success
        assert not (tmp_path / "publication" / "children-in-need" / "2024").exists()
        r = dg.materialize(TABLE_ASSETS, partition_key="2024", resources=res, instance=instance)
        assert r.success
        mat = r.asset_materializations_for_node("children_in_need__d3")[0]
        assert mat.metadata["dagster/row_count"].value == 1967
        assert "CPP_start" in mat.metadata["headline"].value
        # the publication asset reads publication.* and writes both release folders
        r2 = dg.materialize([publication, *TABLE_ASSETS], selection=[publication.key],
                            partition_key="2024", resources=res, run_config=NO_DOCS, instance=instance)
        assert r2.success
    out = tmp_path / "publication"
    assert (out / "children-in-need" / "2024" / "data" / "d3_cpps_subsequent_plan_2013_to_2024.csv").exists()
    assert (out / "children-in-need-re-referrals" / "2024" / "data"
            / "e1_re_referrals_by_level_of_intervention_2017_to_2024.csv").exists()
    cond = publication.automation_conditions_by_key[publication.key]
    assert [ch.get_label() for ch in cond.children] == ["eager", "all_deps_blocking_checks_passed"]


def test_publication_refuses_when_blocking_check_failed(tmp_path, warehouse, monkeypatch):
    import cin_pipeline.defs.tables as tables_mod

    monkeypatch.setattr(tables_mod, "attach_staging", lambda *a, **k: None)
    res = _resources(tmp_path, warehouse)
    con = duckdb.connect(str(warehouse))
    for s in all_tables():
        store_publication(con, build_ees(con, s, 2024))
    con.close()
    state = {"pass": True}

    # partitioned by release year like the real checks: the guard reads the evaluations of the
    # release year it publishes
    @dg.asset_check(asset=table_asset_key(get("children_in_need.d3")), blocking=True, name="always_state",
                    partitions_def=year_partitions)
    def d3_check():
        return dg.AssetCheckResult(passed=state["pass"])

    d3 = next(a for a in TABLE_ASSETS if a.key == table_asset_key(get("children_in_need.d3")))
    with dg.instance_for_test() as instance:
        everything = [publication, *TABLE_ASSETS, d3_check]
        assert dg.materialize(TABLE_ASSETS, partition_key="2024", resources=res,
                              instance=instance).success
        assert dg.materialize(everything, selection=[publication.key], partition_key="2024",
                              resources=res, instance=instance, run_config=NO_DOCS).success
        folder = tmp_path / "publication" / "children-in-need" / "2024"
        before = _tree(folder)
        # the check fails on the latest evaluation of children_in_need/d3 for 2024
        state["pass"] = False
        dg.materialize([d3, d3_check], partition_key="2024", resources=res, instance=instance,
                       raise_on_error=False)
        # publication alone (as from the UI): in-run blocking does not apply, the guard does
        r = dg.materialize(everything, selection=[publication.key], partition_key="2024",
                           resources=res, instance=instance, raise_on_error=False, run_config=NO_DOCS)
        assert not r.success
        assert _tree(folder) == before
        state["pass"] = True
        dg.materialize([d3, d3_check], partition_key="2024", resources=res, instance=instance)
        assert dg.materialize(everything, selection=[publication.key], partition_key="2024",
                              resources=res, instance=instance, run_config=NO_DOCS).success


def test_bench_runs(tmp_path, warehouse):
    steps = run_publication_bench(warehouse, 2024, staging_dir=tmp_path / "none",
                                  out_dir=tmp_path / "bench", rebuild_lcd=False, data_docs=False, gx=False)
    total = steps[-1]
    assert total["step"] == "total" and total["seconds"] > 0
    assert {s["step"] for s in steps} >= {f"table_{s.table_id}" for s in all_tables()}
    assert all(s["peak_mb"] > 0 for s in steps)   # each table's peak memory is measured
    assert all(s["spill_mb"] == 0 for s in steps)  # and what it spilled to disk: nothing here
    assert (tmp_path / "bench" / "children-in-need" / "2024" / "index.html").exists()


def test_peak_memory_measures_what_duckdb_spills(tmp_path):
    """The bench's spill figure is what DuckDB writes to its temporary folder: a sort of more
    rows than its memory cap holds spills, and is measured; a small query spills nothing."""
    from cin_pipeline.bench.memory import PeakMemory

    spill = tmp_path / "spill"
    spill.mkdir()
    con = duckdb.connect(config={"memory_limit": "40MB", "temp_directory": str(spill), "threads": 1})
    with PeakMemory(interval=0.01, spill_dir=spill) as small:
        con.execute("SELECT count(*) FROM range(1000)").fetchall()
    with PeakMemory(interval=0.01, spill_dir=spill) as big:
        con.execute("CREATE TABLE t AS SELECT (i * 7919) % 3000017 AS k, repeat('x', 40) || i AS v "
                    "FROM range(3000000) r(i) ORDER BY k").fetchall()
    con.close()
    assert small.spill_mb == 0
    assert big.spill_mb > 0



def test_same_data_same_bytes_and_data_docs_beside_the_release(tmp_path, warehouse):
    """Two publications of the same data are byte-identical (no build time in any file, the zip
    included); the Data Docs, which record when they ran, are written beside the release and the
    preview links to them."""
    con = duckdb.connect(str(warehouse))
    outs = {s.table_id: build_ees(con, s, 2024) for s in tables_for_release("children-in-need-re-referrals")}
    con.close()
    rel = release("children-in-need-re-referrals")
    first, info = publish_release(tmp_path / "a" / "publication", rel, 2024, outs, data_docs=True)
    time.sleep(1.1)  # a build time would now differ in the second
    second, _ = publish_release(tmp_path / "b" / "publication", rel, 2024, outs, data_docs=True)
    a, b = _tree(first), _tree(second)
    assert a.keys() == b.keys() and "all-data.zip" in a and "MANIFEST.json" in a
    assert [k for k in a if a[k] != b[k]] == []
    docs = tmp_path / "a" / "reports" / "gx" / rel.slug / "2024" / "index.html"
    assert info["gx"] == "built" and docs.is_file()
    assert f'href="../../../reports/gx/{rel.slug}/2024/index.html"' in (first / "index.html").read_text()
    for name in ("all-data.zip", "ees-bulk-upload.zip"):
        with zipfile.ZipFile(first / name) as z:
            assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
            assert z.namelist() == sorted(z.namelist())
