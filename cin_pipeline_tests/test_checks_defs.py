"""The blocking asset checks: generated per table, and a failed one stops publication in the run."""

from __future__ import annotations

import duckdb
import pytest

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.checks.screener import read_ees_csv


def test_every_table_has_its_checks():
    from cin_pipeline.defs import checks as C

    keys = {k for c in C.table_checks for k in c.check_keys}
    for spec in C.all_specs().values():
        names = {k.name for k in keys if k.asset_key == dg.AssetKey(["tables", spec.table_id])}
        assert {"gx_suite", "screener", "disclosure"} <= names
        if "Local authority" in spec.geographic_levels:
            assert {"national_equals_la_sum", "regions_add_up"} <= names
    assert all(spec.blocking for c in C.table_checks for spec in c.check_specs)


def _run(db, df, names):
    from cin_pipeline.defs.checks import build_table_checks
    from cin_pipeline.tables.registry import get

    spec = get("d3")

    @dg.asset(key=["tables", "d3"])
    def d3_table():
        con = duckdb.connect(db)
        con.execute("create schema if not exists publication")
        con.register("df", df)
        con.execute("create or replace table publication.d3 as select * from df")
        con.close()

    @dg.asset(deps=[d3_table])
    def publication():
        return 1

    checks = [c for c in build_table_checks(spec) if next(iter(c.check_keys)).name in names]
    defs = dg.Definitions(assets=[d3_table, publication], asset_checks=checks,
                          resources={"duckdb": DuckDBResource(database=db)})
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(raise_on_error=False)


@pytest.fixture(scope="module")
def d3(shared_dir):
    return read_ees_csv(shared_dir / "reference" / "published" / "d3_cpps_subsequent_plan_2013_to_2024.csv")


def test_passing_checks_let_publication_run(tmp_path, d3):
    res = _run(str(tmp_path / "w.duckdb"), d3, {"national_equals_la_sum", "disclosure"})
    assert res.success
    assert all(e.passed for e in res.get_asset_check_evaluations())
    assert dg.AssetKey(["publication"]) in {m.asset_key for m in res.get_asset_materialization_events()}


def test_failed_blocking_check_stops_publication(tmp_path, d3):
    bad = d3.copy()
    i = bad.index[(bad["time_period"] == "2024") & (bad["la_name"] == "Darlington")][0]
    bad.loc[i, "CPP_start"] = "3"        # unsuppressed small number, and national != sum of LAs
    res = _run(str(tmp_path / "w.duckdb"), bad, {"national_equals_la_sum", "disclosure"})
    assert not res.success
    ev = {e.check_name: e for e in res.get_asset_check_evaluations()}
    assert not ev["national_equals_la_sum"].passed and not ev["disclosure"].passed
    assert ev["disclosure"].severity == dg.AssetCheckSeverity.ERROR
    assert "Darlington (841) CPP_start" in ev["disclosure"].description
    assert dg.AssetKey(["publication"]) not in {m.asset_key for m in res.get_asset_materialization_events()}
