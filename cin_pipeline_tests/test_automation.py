"""Declarative automation of the real Definitions, tick by tick (``evaluate_automation_conditions``
on an ephemeral instance): a re-staged census year rebuilds the tables of the releases that read
it, only once every census year they read is staged and the LCD built, and the publication of a
release year follows its tables when their blocking checks passed, and not when one failed."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import (  # the check's target
    AssetCheckEvaluationTargetMaterializationData,
)

from cin_pipeline.checks.plan import plan
from cin_pipeline.definitions import defs
from cin_pipeline.defs.tables import table_asset_key
from cin_pipeline.tables import all_tables

SELECTION = dg.AssetSelection.groups("children_in_need", "re_referrals", "publication")
LCD = dg.AssetKey("longitudinal_cin_dataset")
PUBLICATION = dg.AssetKey("publication")


@pytest.fixture(scope="module")
def definitions():
    return defs()


def _staged(instance, years) -> None:
    for y in years:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="census_year", partition=str(y)))
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=LCD))


def _tables_built(instance, year: int, failing: tuple[str, str] | None = None) -> None:
    """Materialise every table of ``year`` with its checks (all passing but ``failing``)."""
    for spec in all_tables():
        key = table_asset_key(spec)
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=str(year)))
        record = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[str(year)]), limit=1).records[0]
        target = AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp)
        for check in plan(spec):
            passed = failing != (spec.table_id, check.name)
            instance.report_runless_asset_event(dg.AssetCheckEvaluation(
                asset_key=key, check_name=check.name, passed=passed, partition=str(year),
                target_materialization_data=target, severity=dg.AssetCheckSeverity.ERROR,
                blocking=True))


def _tick(definitions, instance, cursor=None):
    return dg.evaluate_automation_conditions(defs=definitions, instance=instance,
                                             asset_selection=SELECTION, cursor=cursor)


def _requested(result, key) -> list[str]:
    return sorted(result.get_requested_partitions(key))


def test_a_new_return_rebuilds_its_release_year_then_publishes(definitions):
    instance = dg.DagsterInstance.ephemeral()
    _staged(instance, range(2012, 2025))
    first = _tick(definitions, instance)
    assert first.total_requested == 0  # nothing new since the first look

    _staged(instance, [2024])  # a 2024 return arrives: census_year 2024 and the LCD rebuilt
    second = _tick(definitions, instance, first.cursor)
    for spec in all_tables():
        assert _requested(second, table_asset_key(spec)) == ["2024"], spec.table_id  # not 2025/2026
    assert _requested(second, PUBLICATION) == []  # the tables are not built yet

    _tables_built(instance, 2024)
    third = _tick(definitions, instance, second.cursor)
    assert _requested(third, PUBLICATION) == ["2024"]

    _staged(instance, [2020])  # a resubmitted 2020 return changes the series of 2020 onwards
    fourth = _tick(definitions, instance, third.cursor)
    b1 = table_asset_key(all_tables()[0])
    assert _requested(fourth, b1) == ["2020", "2021", "2022", "2023", "2024"]


def test_no_table_runs_before_its_census_years_are_staged(definitions):
    instance = dg.DagsterInstance.ephemeral()
    _staged(instance, range(2022, 2025))  # 2012-2021 never staged
    first = _tick(definitions, instance)
    _staged(instance, [2024])
    second = _tick(definitions, instance, first.cursor)
    assert second.total_requested == 0


def test_a_failed_blocking_check_holds_the_publication(definitions):
    instance = dg.DagsterInstance.ephemeral()
    _staged(instance, range(2012, 2025))
    first = _tick(definitions, instance)
    _staged(instance, [2024])
    second = _tick(definitions, instance, first.cursor)
    _tables_built(instance, 2024, failing=("children_in_need.c1", "national_equals_la_sum"))
    third = _tick(definitions, instance, second.cursor)
    assert _requested(third, PUBLICATION) == []
