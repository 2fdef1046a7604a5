"""Nothing lost, never wrong at the landing folder (issue 14, items 1, 4 and 9), on the real
Definitions: files still being copied, quarantined originals that change, ``*.XML`` names,
symbolic links, misfiled returns (sensor and census_return paths), two versions of one LA-year in
one tick, the per-LA-year run limit in ``dagster.yaml``, and libxml2's limits in plain words."""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from cin_pipeline.defs.sensors import YEAR_LA_TAG
from cin_pipeline.ingest import CensusFileError, file_sha256, parse_return, quarantine, read_header
from test_sensor_landing import audit, env, settled_tick, tick, xml_return  # noqa: F401 - env is a fixture

PROJECT_ROOT = Path(__file__).resolve().parents[1]
QUARANTINE = importlib.import_module("cin_pipeline.ingest.quarantine")  # the module, not the function


def _quarantined(paths) -> list[Path]:
    folder = paths.quarantine_dir
    return sorted(p for p in folder.glob("*") if p.is_file() and ".reason." not in p.name) if folder.exists() else []


def _report(request) -> dict:
    assert request.job_name == "quarantine_report"
    return request.run_config["ops"]["report_quarantined_file"]["config"]


def _census_file(request) -> str:
    assert request.job_name == "census_extract_job"
    return next(iter(request.run_config["ops"]["census_return"]["config"]["source_paths"].values()))


# ------------------------------------------------------------------ item 1: still being copied
def test_slow_writer_is_neither_quarantined_nor_lost(env):
    defs, paths, instance = env
    f = paths.landing_dir / "2024" / "330.xml"
    f.parent.mkdir()
    complete = xml_return(2024, "330", children=400).encode()
    assert 100 < complete.index(b"</Header>") < 20_000 < len(complete)
    cursor = None
    for size in (0, 100, 20_000):  # empty, cut inside the header, header complete
        f.write_bytes(complete[:size])
        r, cursor = tick(defs, instance, cursor)
        assert not r.run_requests, size
    f.write_bytes(complete)
    r, cursor = tick(defs, instance, cursor)
    assert not r.run_requests  # just changed: pending
    r, cursor = tick(defs, instance, cursor)
    assert [_census_file(q) for q in r.run_requests] == [str(f)]
    assert r.run_requests[0].tags["cin/sha256"] == file_sha256(f)
    assert f.read_bytes() == complete and not _quarantined(paths) and not audit(paths)


def test_quarantine_keeps_an_original_that_changes_while_copied(tmp_path, monkeypatch):
    src = tmp_path / "landing" / "330.xml"
    src.parent.mkdir()
    src.write_text("<Message>")
    copy = shutil.copyfile

    def copy_then_writer_appends(a, b):
        copy(a, b)
        with open(a, "a") as fh:
            fh.write("<Header/></Message>")

    monkeypatch.setattr(QUARANTINE.shutil, "copyfile", copy_then_writer_appends)
    kept = quarantine(src, "malformed_xml", "cut short", tmp_path / "q")
    assert src.read_text() == "<Message><Header/></Message>"  # the original was not removed
    assert kept.read_text() == "<Message>"
    assert "changed while it was being copied" in Path(f"{kept}.reason.txt").read_text()
    assert json.loads(Path(f"{kept}.reason.json").read_text())["original_changed_while_copied"]


def test_a_quarantined_original_that_changes_is_picked_up_again(env, monkeypatch):
    defs, paths, instance = env
    f = paths.landing_dir / "2024" / "330.xml"
    f.parent.mkdir()
    f.write_text(xml_return(2024, "330")[:60])  # a copy that stalled for a whole tick
    copy = shutil.copyfile

    def copy_then_copy_resumes(a, b):
        copy(a, b)
        Path(a).write_text(xml_return(2024, "330"))

    monkeypatch.setattr(QUARANTINE.shutil, "copyfile", copy_then_copy_resumes)
    r, cursor = settled_tick(defs, instance)
    assert [_report(q)["reason_code"] for q in r.run_requests] == ["malformed_xml"]
    monkeypatch.undo()
    assert f.exists() and len(_quarantined(paths)) == 1
    r, cursor = tick(defs, instance, cursor)
    assert not r.run_requests  # changed since: pending, not quarantined again
    r, cursor = tick(defs, instance, cursor)
    assert [_census_file(q) for q in r.run_requests] == [str(f)]
    r, cursor = tick(defs, instance, cursor)
    assert not r.run_requests and len(_quarantined(paths)) == 1


# ------------------------------------------------------------------ item 1: names and links
def test_upper_case_xml_name_is_a_return(env):
    defs, paths, instance = env
    f = paths.landing_dir / "2024" / "212.XML"
    f.parent.mkdir()
    f.write_text(xml_return(2024, "212"))
    r, _ = settled_tick(defs, instance)
    assert [(q.partition_key, _census_file(q)) for q in r.run_requests] == [("212|2024", str(f))]
    instance.add_dynamic_partitions("la", ["212"])
    res = dg.materialize([_census_return(defs)], partition_key="212|2024", instance=instance,
                         resources=defs.resources)  # found by the landing convention, no run config
    assert res.success
    (mat,) = res.get_asset_materialization_events()
    assert mat.materialization.metadata["source_path"].value == str(f)


def test_symbolic_link_refused_without_reading_its_target(env, tmp_path):
    defs, paths, instance = env
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it to read would block: the tick would never end
    link = paths.landing_dir / "2024" / "330.xml"
    link.parent.mkdir()
    link.symlink_to(fifo)
    r, cursor = settled_tick(defs, instance)
    (req,) = r.run_requests
    cfg = _report(req)
    assert cfg["reason_code"] == "symbolic_link" and str(fifo) in cfg["message"]
    assert "Copy the file itself into the landing folder" in cfg["message"]
    assert link.is_symlink() and not _quarantined(paths)
    assert [(a["file_name"], a["status"]) for a in audit(paths)] == [("330.xml", "rejected")]
    r, _ = tick(defs, instance, cursor)
    assert not r.run_requests  # reported once
    res = defs.resolve_job_def("quarantine_report").execute_in_process(
        run_config=req.run_config, instance=instance, raise_on_error=False)
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
    assert "Nothing was read from it" in failure.event_specific_data.user_failure_data.description

    instance.add_dynamic_partitions("la", ["330"])  # the backfill path refuses it too
    res = dg.materialize([_census_return(defs)], partition_key="330|2024", instance=instance,
                         resources=defs.resources, raise_on_error=False)
    assert not res.success and link.is_symlink()


# ------------------------------------------------------------------ item 4: misfiled returns
def _misfiled(year: int, la: str, ref: str) -> str:
    text = xml_return(2024, "330").replace("<Year>2024</Year>", f"<Year>{year}</Year>")
    return text.replace("<ReferenceDate>2024-03-31", f"<ReferenceDate>{ref}").replace(
        "<LEA>330</LEA>", f"<LEA>{la}</LEA>")


MISFILED = [
    # (landing path, header year, LEA, ReferenceDate, partition a backfill asks for, reason, both values)
    ("2024/330.xml", 2023, "330", "2023-03-31", "330|2024", "folder_year_mismatch", ("2023", "2024")),
    ("2021/330.xml", 2021, "330", "2024-03-31", "330|2021", "reference_date_mismatch", ("2021", "2024-03-31")),
    ("2024/213.xml", 2024, "208", "2024-03-31", "208|2024", "file_name_la_mismatch", ("208", "213")),
]


@pytest.mark.parametrize("where,year,la,ref,partition,reason,values", MISFILED)
def test_misfiled_return_quarantined_by_the_sensor(env, where, year, la, ref, partition, reason, values):
    defs, paths, instance = env
    f = paths.landing_dir / where
    f.parent.mkdir()
    f.write_text(_misfiled(year, la, ref))
    r, _ = settled_tick(defs, instance)
    assert not r.dynamic_partitions_requests
    (req,) = r.run_requests
    cfg = _report(req)
    assert cfg["reason_code"] == reason and all(v in cfg["message"] for v in values), cfg["message"]
    assert not f.exists() and Path(cfg["quarantined_to"]).read_text() == _misfiled(year, la, ref)


@pytest.mark.parametrize("where,year,la,ref,partition,reason,values", MISFILED)
def test_misfiled_return_quarantined_by_census_return(env, where, year, la, ref, partition, reason, values):
    """The asset (a UI backfill, or the demo CLI's) locates the file by convention or header scan."""
    defs, paths, instance = env
    f = paths.landing_dir / where
    f.parent.mkdir()
    f.write_text(_misfiled(year, la, ref))
    instance.add_dynamic_partitions("la", [partition.split("|")[0]])
    res = dg.materialize([_census_return(defs)], partition_key=partition, instance=instance,
                         resources=defs.resources, raise_on_error=False)
    assert not res.success
    data = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data
    meta = data.user_failure_data.metadata
    assert meta["reason_code"].value == reason
    assert all(v in meta["message"].value for v in values), meta["message"].value
    assert not f.exists() and Path(meta["quarantined_to"].value).read_text() == _misfiled(year, la, ref)
    assert not (paths.staging_dir / "child").exists()


def test_a_wrong_day_in_the_right_year_stays_a_rule_100_finding(tmp_path):
    f = tmp_path / "2024" / "330.xml"
    f.parent.mkdir()
    f.write_text(_misfiled(2024, "330", "2024-03-28"))
    assert read_header(f).reference_date == "2024-03-28"


# ------------------------------------------------------------------ item 5: two versions in one drop
def _generated(text: str, stamp: str, serial: str) -> str:
    return text.replace("<DateTime>2024-05-01T10:00:00", f"<DateTime>{stamp}").replace(
        "<SerialNo>001", f"<SerialNo>{serial}")


def test_two_versions_in_one_tick_newest_wins_loser_reported(env):
    defs, paths, instance = env
    (paths.landing_dir / "2024").mkdir()
    newer = paths.landing_dir / "2024" / "330.xml"
    older = paths.landing_dir / "2024" / "330_resent.xml"  # later name, earlier <DateTime>
    newer.write_text(_generated(xml_return(2024, "330"), "2024-05-02T09:00:00", "002"))
    older.write_text(_generated(xml_return(2024, "330"), "2024-05-01T10:00:00", "001"))
    r, _ = settled_tick(defs, instance)
    runs = [q for q in r.run_requests if q.job_name == "census_extract_job"]
    assert [(_census_file(q), q.tags[YEAR_LA_TAG]) for q in runs] == [(str(newer), "330|2024")]
    (report,) = [_report(q) for q in r.run_requests if q.job_name == "quarantine_report"]
    assert report["reason_code"] == "superseded" and report["file"] == str(older)
    assert "'330.xml'" in report["message"] and "2024-05-02T09:00:00" in report["message"]
    assert newer.exists() and not older.exists()
    assert [(a["file_name"], a["status"], a["la"], a["year"]) for a in audit(paths)] == [
        ("330_resent.xml", "quarantined", "330", 2024)]


def test_an_older_version_landing_with_the_staged_one_is_not_loaded(env):
    from cin_pipeline.ingest import record_submission

    defs, paths, instance = env
    (paths.landing_dir / "2024").mkdir()
    staged = paths.landing_dir / "2024" / "330.xml"
    older = paths.landing_dir / "2024" / "330_old.xml"
    staged.write_text(_generated(xml_return(2024, "330"), "2024-05-02T09:00:00", "002"))
    older.write_text(_generated(xml_return(2024, "330"), "2024-05-01T10:00:00", "001"))
    record_submission(paths.audit_dir, staged, file_sha256(staged), 2024, "330", "ingested", "test")
    r, _ = settled_tick(defs, instance)
    (report,) = [_report(q) for q in r.run_requests]  # no census run
    assert report["reason_code"] == "superseded" and report["file"] == str(older)
    assert [(a["file_name"], a["status"]) for a in audit(paths)][1:] == [
        ("330_old.xml", "quarantined"), ("330.xml", "duplicate")]


def test_two_identical_copies_in_one_tick_one_run_no_quarantine(env):
    defs, paths, instance = env
    (paths.landing_dir / "2024").mkdir()
    for name in ("330.xml", "330 (1).xml"):
        (paths.landing_dir / "2024" / name).write_text(xml_return(2024, "330"))
    r, _ = settled_tick(defs, instance)
    assert [_census_file(q) for q in r.run_requests] == [str(paths.landing_dir / "2024" / "330.xml")]
    assert not _quarantined(paths)
    assert [(a["file_name"], a["status"]) for a in audit(paths)] == [("330 (1).xml", "duplicate")]


def test_dagster_yaml_runs_one_ingest_per_la_year_at_a_time(tmp_path, monkeypatch):
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert {"key": YEAR_LA_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


# ------------------------------------------------------------------ item 9: libxml2's limits
def _deep(levels: int) -> str:
    return "<a>" * levels + "</a>" * levels


@pytest.mark.parametrize("where", ["header", "body"])
def test_deep_xml_reason_in_plain_words(tmp_path, where):
    text = xml_return(2024, "330")
    anchor = "</Source>" if where == "header" else "<Children>"
    f = tmp_path / "330.xml"
    f.write_text(text.replace(anchor, anchor + _deep(300)))
    with pytest.raises(CensusFileError) as err:
        parse_return(f)
    assert err.value.reason_code == "resource_limit"
    assert "more than 256 levels deep" in err.value.message and "XML_PARSE_HUGE" not in err.value.message


def test_huge_value_reason_in_plain_words(tmp_path):
    f = tmp_path / "330.xml"
    f.write_text(xml_return(2024, "330").replace("<Children>", "<Children><Note>" + "x" * 11_000_000 + "</Note>"))
    with pytest.raises(CensusFileError) as err:
        parse_return(f)
    assert err.value.reason_code == "resource_limit"
    assert "over 10 MB" in err.value.message and "XML_PARSE_HUGE" not in err.value.message


def _census_return(defs) -> dg.AssetsDefinition:
    return next(a for a in defs.assets if isinstance(a, dg.AssetsDefinition)
                and dg.AssetKey("census_return") in a.keys)
