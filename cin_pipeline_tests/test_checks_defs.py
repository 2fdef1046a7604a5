"""The blocking asset checks: generated per table, and a failed one stops publication in the run."""

from __future__ import annotations

import duckdb
import pytest

import dagster as dg
from dagster_duckdb import DuckDBResource

from cin_pipeline.checks.screener import read_ees_csv


def test_every_table_has_its_checks():
    from cin_pipeline.defs import checks as C
    from cin_pipeline.defs.tables import table_asset_key
    from cin_pipeline.tables import all_tables

    keys = {k for c in C.table_checks for k in c.check_keys}
    for spec in all_tables():
        names = {k.name for k in keys if k.asset_key == table_asset_key(spec)}
        assert {"gx_suite", "screener", "disclosure"} <= names
        if spec.window is not None:  # F2: rates of other years and medians, no counts to sum
            assert any(n.startswith("window_agrees_with_") for n in names)
        elif "Local authority" in spec.geographic_levels:
            assert {"national_equals_la_sum", "regions_add_up"} <= names
        # additive identities come from the declared sums
        assert ("identities_hold" in names) == bool(spec.sums)
        assert {a.check_name for a in spec.agreements} <= names
    assert all(spec.blocking for c in C.table_checks for spec in c.check_specs)


def _d3_asset(db, df, year=2024):
    """The D3 table asset, partitioned by release year, storing ``df`` (published text, no
    unrounded counts) for ``year`` as the real asset does."""
    from cin_pipeline.defs.partitions import year_partitions
    from cin_pipeline.defs.tables import table_asset_key
    from cin_pipeline.ees.meta import build_meta
    from cin_pipeline.ees.rows import EesOutput
    from cin_pipeline.ees.store import store_publication
    from cin_pipeline.tables import get

    spec = get("children_in_need.d3")

    @dg.asset(key=table_asset_key(spec), partitions_def=year_partitions)
    def d3_table():
        con = duckdb.connect(db)
        store_publication(con, EesOutput(spec, year, df.astype(str), build_meta(spec)))
        con.close()

    return spec, d3_table


def _run(db, df, names):
    from cin_pipeline.checks.plan import plan
    from cin_pipeline.defs.checks import build_checks
    from cin_pipeline.defs.partitions import year_partitions

    spec, d3_table = _d3_asset(db, df)

    @dg.asset(deps=[d3_table], partitions_def=year_partitions)
    def publication():
        return 1

    checks = [build_checks(spec, [p for p in plan(spec) if p.name in names])]
    assert {k.name for k in checks[0].check_keys} == set(names)
    defs = dg.Definitions(assets=[d3_table, publication], asset_checks=checks,
                          resources={"duckdb": DuckDBResource(database=db)})
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        raise_on_error=False, partition_key="2024")


@pytest.fixture(scope="module")
def d3(shared_dir):
    return read_ees_csv(shared_dir / "reference" / "published" / "d3_cpps_subsequent_plan_2013_to_2024.csv")


def test_passing_checks_let_publication_run(tmp_path, d3):
    res = _run(str(tmp_path / "w.duckdb"), d3, {"national_equals_la_sum", "disclosure"})
    assert res.success
    evs = res.get_asset_check_evaluations()
    assert len(evs) == 2 and all(e.passed for e in evs)
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


def test_checks_know_the_release_year_of_their_run(tmp_path, d3):
    """Checks are partitioned by release year like the tables: every check evaluates exactly the
    release year of its partition (``load_table`` requires one), and says which."""
    from cin_pipeline.checks.plan import load_table
    from cin_pipeline.defs import checks as C
    from cin_pipeline.defs.partitions import year_partitions
    from cin_pipeline.tables import get

    assert C.table_checks
    for c in C.table_checks:
        assert all(s.partitions_def == year_partitions for s in c.check_specs)
    res = _run(str(tmp_path / "w.duckdb"), d3, {"disclosure"})
    (ev,) = res.get_asset_check_evaluations()
    assert ev.passed and ev.metadata["release_year"].value == 2024
    # the stored rows are those of release year 2024 only: another year is not there to check
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    text, unrounded = load_table(con, get("children_in_need.d3"), 2024)
    assert len(text) == len(d3) and unrounded is None
    with pytest.raises(LookupError, match="release year 2023"):
        load_table(con, get("children_in_need.d3"), 2023)
    con.close()


def test_table_outside_its_release_is_skipped_not_failed(tmp_path):
    """C3 starts in 2018: in the 2015 release its checks pass as "not in release" without reading
    the warehouse (which has no C3 rows), so they cannot block the 2015 publication."""
    from cin_pipeline.defs.checks import build_checks
    from cin_pipeline.defs.partitions import year_partitions
    from cin_pipeline.defs.tables import table_asset_key
    from cin_pipeline.tables import get

    spec = get("children_in_need.c3")
    assert not spec.in_release(2015) and spec.in_release(2018)

    @dg.asset(key=table_asset_key(spec), partitions_def=year_partitions)
    def c3_table():
        return None

    checks = [build_checks(spec)]
    defs = dg.Definitions(assets=[c3_table], asset_checks=checks,
                          resources={"duckdb": DuckDBResource(database=str(tmp_path / "w.duckdb"))})
    res = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        raise_on_error=False, partition_key="2015")
    assert res.success
    evs = res.get_asset_check_evaluations()
    assert len(evs) == len(checks[0].check_keys) and all(e.passed for e in evs)
    assert all("not part of the 2015 release" in (e.description or "") for e in evs)


def test_a_check_run_without_a_release_year_is_refused_in_plain_words(tmp_path, d3):
    """The UI's "Execute" on a check with no partition: the step refuses, saying so, and records
    no evaluation (so no year's result changes and no publication is held back)."""
    from cin_pipeline.defs.checks import build_checks, no_year_message
    from cin_pipeline.checks.plan import plan

    db = str(tmp_path / "w.duckdb")
    spec, d3_table = _d3_asset(db, d3)
    checks = build_checks(spec, [p for p in plan(spec) if p.name == "national_equals_la_sum"])
    job = dg.define_asset_job("check_only", selection=dg.AssetSelection.checks(checks))
    defs = dg.Definitions(assets=[d3_table], asset_checks=[checks], jobs=[job],
                          resources={"duckdb": DuckDBResource(database=db)})
    res = defs.resolve_job_def("check_only").execute_in_process(raise_on_error=False)
    assert not res.success
    assert res.get_asset_check_evaluations() == []
    (failure,) = [e for e in res.all_events if e.is_step_failure]
    assert no_year_message(spec) in str(failure.step_failure_data.user_failure_data.description)
