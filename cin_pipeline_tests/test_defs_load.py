"""The whole Definitions load, validate, and keep the contracts other modules rely on."""

from __future__ import annotations

import warnings

import dagster as dg
import pytest

from cin_pipeline.definitions import defs as load_defs

warnings.filterwarnings("ignore")


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CIN_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    d = load_defs()
    yield d
    mp.undo()


def test_definitions_validate(defs):
    dg.Definitions.validate_loadable(defs)


def test_groups_and_assets(defs):
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"census_extract", "staging", "longitudinal"} <= groups
    by_key = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    assert by_key["census_return"].group_name == "census_extract"
    assert by_key["census_year"].group_name == "staging"
    assert by_key["data_quality_summary"].group_name == "staging"
    assert by_key["longitudinal_cin_dataset"].group_name == "longitudinal"
    assert by_key["longitudinal_cin_dataset"].partitions_def is None


def test_partitions(defs):
    from cin_pipeline.defs.partitions import (census_year_partitions, la_partitions, year_la_partitions,
                                              year_partitions)

    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("census_return")).partitions_def == year_la_partitions
    assert graph.get(dg.AssetKey("census_year")).partitions_def == census_year_partitions
    assert graph.get(dg.AssetKey(["children_in_need", "c1"])).partitions_def == year_partitions
    assert graph.get(dg.AssetKey(["re_referrals", "e1"])).partitions_def == year_partitions
    assert graph.get(dg.AssetKey("publication")).partitions_def == year_partitions
    # census years include the 2011-12 look-back census; releases start with the published series
    assert census_year_partitions.get_partition_keys() == [str(y) for y in range(2012, 2027)]
    assert year_partitions.get_partition_keys() == [str(y) for y in range(2013, 2027)]
    assert la_partitions.name == "la"
    assert str(dg.MultiPartitionKey({"year": "2024", "la": "330"})) == "330|2024"


def test_pools_and_resources(defs):
    from cin_pipeline.defs.resources import CinPaths

    assert isinstance(defs.resources["cin_paths"], CinPaths)
    assert type(defs.resources["duckdb"]).__name__ == "DuckDBResource"
    assert defs.resources["cin_paths"].paths().warehouse.name == "warehouse.duckdb"
    pools = {}
    for a in defs.assets:
        if isinstance(a, dg.AssetsDefinition) and not isinstance(a, dg.AssetChecksDefinition):
            for k in a.keys:
                pools[k.to_user_string()] = a.op.pool
    assert pools["census_return"] is None  # Parquet only: LA runs never contend
    for name in ("census_year", "data_quality_summary", "longitudinal_cin_dataset"):
        assert pools[name] == "duckdb"


def test_jobs_sensor_automation(defs):
    names = {j.name for j in defs.resolve_all_job_defs()}
    assert {"census_extract_job", "staging_job", "lcd_job", "quarantine_report"} <= names
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.minimum_interval_seconds == 30
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    auto = defs.resolve_sensor_def("cin_automation_sensor")
    assert auto.default_status == dg.DefaultSensorStatus.RUNNING
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("longitudinal_cin_dataset")).automation_condition is not None
    assert graph.get(dg.AssetKey("census_return")).backfill_policy == dg.BackfillPolicy.single_run()


def test_loading_the_definitions_prints_no_warning():
    """Every step process of a web-UI run imports the definitions: they load without a warning
    (the two beta APIs used on purpose are documented in cin_pipeline/defs/__init__.py)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-W", "default", "-c",
                          "from cin_pipeline.definitions import defs; defs()"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
