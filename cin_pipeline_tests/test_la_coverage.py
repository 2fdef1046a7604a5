"""A census year's expected, received, quarantined and missing LAs, by code and name."""

from __future__ import annotations

import json
import os

import dagster as dg

from cin_pipeline import reference
from cin_pipeline.ingest import coverage as cov


def test_expected_las_follow_the_year_geography():
    las_2024 = reference.la_codes(2024)
    got = [la for la in las_2024 if la not in ("942", "330")] + ["909"]
    c = cov.la_coverage(2024, got, quarantined=["330"])
    by = {s.la: s for s in c}
    assert by["942"].status == cov.MISSING and by["942"].name == "Cumberland"
    assert by["330"].status == cov.QUARANTINED and by["330"].name == "Birmingham"
    assert by["909"].status == cov.UNEXPECTED          # Cumbria ended in 2023
    assert [s.status for s in c][:2] == [cov.MISSING, cov.QUARANTINED]   # the ones to chase first
    n = cov.counts(c)
    assert n == {"expected": len(las_2024), "received": len(las_2024) - 2, "quarantined": 1,
                 "missing": 1, "unexpected": 1}
    line = cov.summary(2024, c)
    assert "missing: 942 Cumberland" in line and "quarantined (no return staged): 330 Birmingham" in line
    # 2023: Cumbria expected, Cumberland not
    c23 = {s.la: s.status for s in cov.la_coverage(2023, [])}
    assert c23["909"] == cov.MISSING and "942" not in c23


def test_the_warning_check_names_the_missing_las(tmp_path, monkeypatch):
    """The non-blocking check of the real Definitions reads the staged returns on disk and the
    quarantine reasons, and names every LA without a staged return."""
    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    from cin_pipeline.definitions import defs as load_defs
    from cin_pipeline.settings import Paths

    paths = Paths.from_env()
    staged = [la for la in reference.la_codes(2024) if la not in ("942", "943", "330")]
    root = paths.staging_dir / "returns" / "year=2024"
    root.mkdir(parents=True)
    for la in staged:
        target = paths.staging_dir / ".versions" / "year=2024" / f"la={la}" / "v1"
        target.mkdir(parents=True)
        os.symlink(target, root / f"la={la}")
    paths.quarantine_dir.mkdir(parents=True, exist_ok=True)
    (paths.quarantine_dir / "330.xml.reason.json").write_text(json.dumps(
        {"year": 2024, "la": "330", "reason_code": "not_xml", "original_name": "330.xml"}))
    d = load_defs()
    job = dg.Definitions.merge(d, dg.Definitions(jobs=[dg.define_asset_job(
        "coverage_only", selection=dg.AssetSelection.checks(
            dg.AssetCheckKey(dg.AssetKey("census_year"), "every_expected_la_received")))]))
    # the UI's way of running one check of a partitioned asset: a run of the check alone, tagged
    # with the partition
    res = job.resolve_job_def("coverage_only").execute_in_process(
        tags={"dagster/partition": "2024"}, raise_on_error=False)
    (ev,) = res.get_asset_check_evaluations()
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert "missing: 942 Cumberland, 943 Westmorland and Furness" in ev.description
    assert "330 Birmingham" in ev.description
    assert ev.metadata["las_missing"].value == 2 and ev.metadata["las_quarantined"].value == 1
    assert res.success        # a warning never fails the run
