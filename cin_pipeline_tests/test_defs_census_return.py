"""census_return / census_year / LCD materialised through the real Definitions on synthetic returns.

Staged row counts are checked against an independent count of the XML elements with lxml.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from lxml import etree

from cin_pipeline.definitions import defs as load_defs
from cin_pipeline.ingest.versions import current_link

warnings.filterwarnings("ignore")

# staging table -> the XML element that makes one row of it
ELEMENT_OF = {
    "child": "Child", "disability": "Disability", "episode": "CINdetails", "assessment": "Assessments",
    "assessment_factor": "AssessmentFactors", "cin_plan": "CINPlanDates", "section47": "Section47",
    "cpp": "ChildProtectionPlans", "cpp_review": "CPPreviewDate",
}


def count_elements(path: Path) -> dict[str, int]:
    counts = dict.fromkeys(ELEMENT_OF.values(), 0)
    for _, el in etree.iterparse(str(path), events=("end",)):
        if el.tag in counts:
            counts[el.tag] += 1
    return {table: counts[tag] for table, tag in ELEMENT_OF.items()}


def staged_counts(staging: Path, year: int, la: str) -> dict[str, int]:
    con = duckdb.connect()
    link = current_link(staging, year, la)
    out = {t: con.execute(f"SELECT count(*) FROM read_parquet('{link}/{t}.parquet')").fetchone()[0]
           for t in ELEMENT_OF}
    con.close()
    return out


@pytest.fixture
def env(tmp_path, monkeypatch, small_returns):
    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    defs = load_defs()
    paths = defs.resources["cin_paths"].paths()
    for year, la in ((2023, "330"), (2024, "330"), (2024, "202")):
        dest = paths.landing_dir / str(year) / f"{la}.xml"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(small_returns / str(year) / f"{la}.xml", dest)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("la", ["202", "330"])
        yield defs, paths, instance


def _asset(defs, name):
    return next(a for a in defs.assets if isinstance(a, dg.AssetsDefinition)
                and dg.AssetKey(name) in a.keys)


def test_materialize_partitions_counts_match_xml(env):
    defs, paths, instance = env
    census_return = _asset(defs, "census_return")
    baseline = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    for key in ("330|2024", "202|2024"):
        res = dg.materialize([census_return], partition_key=key, instance=instance, resources=defs.resources)
        assert res.success
        (mat,) = res.get_asset_materialization_events()
        meta = mat.materialization.metadata
        la, year = key.split("|")
        xml = paths.landing_dir / year / f"{la}.xml"
        expected = count_elements(xml)
        assert staged_counts(paths.staging_dir, int(year), la) == expected
        assert meta["children"].value == expected["child"]
        assert meta["episodes"].value == expected["episode"]
        assert len(meta["sha256"].value) == 64
        assert meta["source_path"].value == str(xml)
    # declarative automation: the new LA-years make their year and the LCD due
    ev = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
    assert ev.get_num_requested(dg.AssetKey("census_year")) == 1  # year 2024 only
    assert ev.get_num_requested(dg.AssetKey("longitudinal_cin_dataset")) == 1
    status = {(a["la"], a["status"]) for a in _audit(paths)}
    assert {("330", "ingested"), ("202", "ingested")} <= {(la, s.replace("_with_errors", "")) for la, s in status}


def _audit(paths):
    import json

    return [json.loads(p.read_text()) for p in (paths.audit_dir / "submissions").glob("*.json")]


def test_single_run_backfill_bad_file_fails_only_its_partition(env):
    defs, paths, instance = env
    bad = paths.landing_dir / "2023" / "202.xml"  # header fine, body cut short
    text = (paths.landing_dir / "2024" / "202.xml").read_text().replace(
        "<Year>2024</Year>", "<Year>2023</Year>").replace("<ReferenceDate>2024-03-31", "<ReferenceDate>2023-03-31")
    bad.write_text(text[: len(text) // 2])
    job = defs.resolve_job_def("census_extract_job")
    res = job.execute_in_process(instance=instance, raise_on_error=False, tags={
        "dagster/asset_partition_range_start": "202|2023", "dagster/asset_partition_range_end": "330|2024"})
    assert not res.success
    done = instance.get_materialized_partitions(dg.AssetKey("census_return"))
    assert done == {"202|2024", "330|2023", "330|2024"}
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
    data = failure.event_specific_data.user_failure_data
    assert "202.xml" in data.description and "line" in data.description
    assert data.metadata["line"].value > 0 and data.metadata["failed_partitions"].value == ["202|2023"]
    assert not bad.exists()  # moved to quarantine, byte for byte
    kept = Path(data.metadata["quarantined_to"].value)
    assert kept.read_text() == text[: len(text) // 2]

    # the year-level assets and the LCD run on what was staged
    res = defs.resolve_job_def("staging_job").execute_in_process(instance=instance, tags={
        "dagster/asset_partition_range_start": "2023", "dagster/asset_partition_range_end": "2024"})
    assert res.success
    by_year = {e.partition: e.materialization.metadata for e in res.get_asset_materialization_events()
               if e.asset_key == dg.AssetKey("census_year")}
    assert by_year["2024"]["las_staged"].value == 2 and by_year["2023"]["las_staged"].value == 1
    res = defs.resolve_job_def("lcd_job").execute_in_process(instance=instance)
    assert res.success
    meta = res.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_referral"].value > 0
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    # every referral key once; referrals open across 31 March 2023 in LA 330 are in both returns
    dup = con.execute("SELECT count(*) - count(DISTINCT (la, child_id, referral_date)) FROM lcd.referral").fetchone()[0]
    both = con.execute("SELECT count(*) FROM lcd.episode WHERE la = '330' AND first_year = 2023 AND last_year = 2024").fetchone()[0]
    con.close()
    assert dup == 0 and both > 0


def test_staging_range_run_materialises_data_quality_summary(env):
    """A range run of census_year + data_quality_summary (what the demo and a single-run backfill
    launch) materialises both assets for every year, each year with its own metadata: the
    downstream step is not skipped because census_year logged its partitions as events only."""
    defs, paths, instance = env
    res = defs.resolve_job_def("census_extract_job").execute_in_process(instance=instance, tags={
        "dagster/asset_partition_range_start": "202|2023", "dagster/asset_partition_range_end": "330|2024"},
        raise_on_error=False)
    # 202|2023 has no return in the fixture: only that partition fails, the three others are staged
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.event_specific_data.user_failure_data.metadata["failed_partitions"].value == ["202|2023"]
    res = defs.resolve_job_def("staging_job").execute_in_process(instance=instance, tags={
        "dagster/asset_partition_range_start": "2023", "dagster/asset_partition_range_end": "2024"})
    assert res.success
    assert not [e.step_key for e in res.all_events if e.event_type_value == "STEP_SKIPPED"]
    mats: dict = {}
    for e in res.get_asset_materialization_events():
        mats.setdefault(e.asset_key.path[-1], []).append((e.partition, e.materialization.metadata))
    for name in ("census_year", "data_quality_summary"):
        # exactly one materialisation per year
        assert sorted(p for p, _ in mats.get(name, [])) == ["2023", "2024"], name
        assert instance.get_materialized_partitions(dg.AssetKey(name)) == {"2023", "2024"}
    staged = dict(mats["census_year"])
    assert staged["2024"]["las_staged"].value == 2 and staged["2023"]["las_staged"].value == 1
    dq = dict(mats["data_quality_summary"])
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    by_year = dict(con.execute("SELECT year, count(DISTINCT la) FROM dq.findings_by_rule GROUP BY 1").fetchall())
    con.close()
    for year in ("2023", "2024"):
        assert dq[year]["las_with_findings"].value == by_year.get(int(year), 0)
        assert "by_la" in dq[year]


def test_backfill_of_a_year_covers_the_las_of_its_geography(env):
    """A backfill over every LA of 2023 meets Cumberland (942, created in 2024): it is recorded as
    outside the 2023 geography (a materialisation saying so), not skipped without a status (which
    left the backfill waiting for it). An LA of the geography with no return fails its partition
    with the reason; the others are staged."""
    defs, paths, instance = env
    instance.add_dynamic_partitions("la", ["942"])
    (paths.landing_dir / "2024" / "202.xml").unlink()       # 202 existed in 2024: missing return
    job = defs.resolve_job_def("census_extract_job")
    res = job.execute_in_process(instance=instance, raise_on_error=False, tags={
        "dagster/asset_partition_range_start": "202|2023", "dagster/asset_partition_range_end": "942|2024"})
    done = instance.get_materialized_partitions(dg.AssetKey("census_return"))
    # 202|2023 has no file either (202 is in the 2023 geography, so it fails like 202|2024), nor
    # has Cumberland 2024
    assert done == {"330|2023", "330|2024", "942|2023"}
    outside = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("census_return"), asset_partitions=["942|2023"]),
        limit=1).records[0].asset_materialization.metadata
    assert outside["in_geography"].value is False and "not part of the 2023 LA geography" in outside["note"].value
    assert not res.success
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
    data = failure.event_specific_data.user_failure_data
    assert sorted(data.metadata["failed_partitions"].value) == ["202|2023", "202|2024", "942|2024"]
    assert "[file_not_found]" in data.description and "Put the return in the landing folder" in data.description
