"""Acceptance test: a wrong figure never reaches the publication folder.

One run of the real table assets (``cin_pipeline.defs.tables``), the real blocking checks
(``cin_pipeline.defs.checks``) and the real ``publication`` asset, on the tiny hand-made census of
``test_tables_end_to_end`` and a temporary publication folder:

* with correct data every blocking check passes (the cross-checks exactly, from
  ``publication.<table>__unrounded``) and the run publishes;
* with one wrong national figure (D3 2024 ``CPP_start`` published as 20 while its LAs add up to
  8, i.e. 10 after rounding) ``national_equals_la_sum`` fails naming table, year, geography,
  column, expected and found, the publication step never starts, and the release folders
  published by the first run are byte-for-byte unchanged.

To keep the run short, ``gx_suite`` (about 3 s a table) runs on the tampered table only; every
other check of every table runs.
"""

from __future__ import annotations

import csv
import io

import dagster as dg
import duckdb
import pytest

import cin_pipeline.defs.tables as tables_mod
from cin_pipeline.defs.publication import publication
from cin_pipeline.defs.tables import TABLE_ASSETS, table_asset_key
from cin_pipeline.facts.store import materialise
from cin_pipeline.lcd import build_lcd
from cin_pipeline.tables import get
from cin_pipeline_tests.test_publication_writer import NO_DOCS, _resources, _tree
from cin_pipeline_tests.test_tables_end_to_end import tiny_census

TABLE, YEAR, COLUMN = "children_in_need.d3", "2024", "CPP_start"
D3 = table_asset_key(get(TABLE))
D3_FILE = "children-in-need/2024/data/d3_cpps_subsequent_plan_2013_to_2024.csv"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("blocked") / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    tiny_census(con, {"330": 7, "202": 1})   # D3 2024 CPP_start: 7 + 1 (shown c) -> national 10
    build_lcd(con)
    materialise(con, {})  # the facts the table assets read, as the LCD asset stores them
    con.close()
    return wh


def _checks() -> list[dg.AssetChecksDefinition]:
    """Every table's checks, the Great Expectations suite only for D3 (to keep the test short)."""
    from cin_pipeline.checks.plan import plan
    from cin_pipeline.defs.checks import build_checks
    from cin_pipeline.tables import all_tables

    return [build_checks(s, [p for p in plan(s) if p.name != "gx_suite" or list(s.key) == list(D3.path)])
            for s in all_tables()]


def _run(res, instance) -> dg.ExecuteInProcessResult:
    return dg.materialize([*TABLE_ASSETS, publication, *_checks()], partition_key="2024",
                          resources=res, instance=instance, raise_on_error=False, run_config=NO_DOCS)


def _national(csv_bytes: bytes, year: str, column: str) -> str:
    rows = csv.DictReader(io.StringIO(csv_bytes.decode("utf-8")))
    return next(r[column] for r in rows if r["time_period"] == year and r["geographic_level"] == "National")


def _publication_started(result: dg.ExecuteInProcessResult) -> bool:
    return any(e.step_key == "publication" and e.event_type == dg.DagsterEventType.STEP_START
               for e in result.all_events)


def test_wrong_figure_blocks_publication_and_correct_data_publishes(tmp_path, warehouse, monkeypatch):
    monkeypatch.setattr(tables_mod, "attach_staging", lambda *a, **k: None)
    res = _resources(tmp_path, warehouse)
    out = tmp_path / "publication"
    with dg.DagsterInstance.ephemeral() as instance:
        # --- correct data: every blocking check passes, exactly, and the run publishes
        good = _run(res, instance)
        assert good.success
        evals = {(e.asset_key, e.check_name): e for e in good.get_asset_check_evaluations()}
        assert len(evals) == sum(len(c.check_keys) for c in _checks())
        failed = [k for k, e in evals.items() if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
        assert failed == []
        exact = evals[(D3, "national_equals_la_sum")].description
        assert "round10(sum of unrounded LA values)" in exact, exact  # unrounded mode, not text bounds
        assert "publication" in {m.asset_key.to_user_string() for m in good.get_asset_materialization_events()}
        before = _tree(out)
        assert _national(before[D3_FILE], YEAR, COLUMN) == "10"
        assert "children-in-need-re-referrals/2024/MANIFEST.json" in before

        # --- the D3 query/writer publishes a wrong national figure (+10)
        real_store = tables_mod.store_publication

        def store_wrong(con, ees_out):
            if ees_out.spec.table_id == TABLE:
                d = ees_out.data
                i = d.index[(d["time_period"] == YEAR) & (d["geographic_level"] == "National")][0]
                d.loc[i, COLUMN] = str(int(d.loc[i, COLUMN]) + 10)
            return real_store(con, ees_out)

        monkeypatch.setattr(tables_mod, "store_publication", store_wrong)
        bad = _run(res, instance)
        assert not bad.success
        evals = {(e.asset_key, e.check_name): e for e in bad.get_asset_check_evaluations()}
        failed = {k[1] for k, e in evals.items() if k[0] == D3 and not e.passed}
        assert failed == {"national_equals_la_sum"}
        assert all(e.passed for k, e in evals.items() if k[0] != D3)
        ev = evals[(D3, "national_equals_la_sum")]
        assert ev.severity == dg.AssetCheckSeverity.ERROR
        # (a) a clear message: table, year, geography, column, expected and found
        assert "children_in_need.d3 2024 England CPP_start: expected 10, found 20" in ev.description, ev.description
        assert "| children_in_need.d3 | 2024 | England | CPP_start | 10 | 20 |" in ev.metadata["report"].value
        # (b) the publication asset did not run
        assert not _publication_started(bad)
        assert "publication" not in {m.asset_key.to_user_string()
                                     for m in bad.get_asset_materialization_events()}
        # (c) the previous publication is byte-for-byte untouched, no temporary folder left
        assert _tree(out) == before
        assert not [p for p in out.rglob(".*") if p.name.startswith(".2024.")]
