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


def test_checks_know_the_release_year_of_their_run():
    """Asset checks run unpartitioned in Dagster 1.13; they read the release year from the run's
    partition tags (a single partition, or a one-year range as the demo and backfills launch)."""
    from types import SimpleNamespace as NS

    from cin_pipeline.defs.checks import _release_year

    def ctx(tags):
        return NS(has_partition_key=False, run=NS(tags=tags))

    assert _release_year(ctx({"dagster/partition": "2024"})) == 2024
    assert _release_year(ctx({"dagster/asset_partition_range_start": "2015",
                              "dagster/asset_partition_range_end": "2015"})) == 2015
    assert _release_year(ctx({"dagster/asset_partition_range_start": "2015",
                              "dagster/asset_partition_range_end": "2016"})) is None
    assert _release_year(ctx({})) is None
    assert _release_year(NS(has_partition_key=True, partition_key="2019")) == 2019


def test_table_outside_its_release_is_skipped_not_failed(tmp_path):
    """C3 starts in 2018: in the 2015 release its checks pass as "not in release" without reading
    the warehouse (which has no C3 rows), so they cannot block the 2015 publication."""
    from cin_pipeline.defs.checks import build_table_checks
    from cin_pipeline.tables.registry import get

    spec = get("c3")
    assert not spec.in_release(2015) and spec.in_release(2018)

    @dg.asset(key=["tables", "c3"])
    def c3_table():
        return None

    checks = build_table_checks(spec, known={"c3"})
    defs = dg.Definitions(assets=[c3_table], asset_checks=checks,
                          resources={"duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb"))})
    res = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        raise_on_error=False, tags={"dagster/partition": "2015"})
    assert res.success
    evs = res.get_asset_check_evaluations()
    assert evs and all(e.passed for e in evs)
    assert all("not part of the 2015 release" in (e.description or "") for e in evs)
