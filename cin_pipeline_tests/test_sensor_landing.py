"""landing_sensor ticks (dg.build_sensor_context on the real Definitions): new, unchanged, touched,
changed, duplicate and hostile files. A new or changed file is acted upon at the tick after the one
that first sees it (:func:`settled_tick`)."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import dagster as dg
import pytest

from cin_pipeline.definitions import defs as load_defs

warnings.filterwarnings("ignore")


def xml_return(year: int, la: str, serial: str = "001", children: int = 2) -> str:
    sex = "<GenderCurrent>1</GenderCurrent>" if year <= 2024 else "<Sex>M</Sex>"
    kids = "".join(f"""
    <Child>
      <ChildIdentifiers><LAchildID>C{i:04d}</LAchildID><PersonBirthDate>2015-01-0{i % 9 + 1}</PersonBirthDate>{sex}</ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity><Disabilities><Disability>NONE</Disability></Disabilities></ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>{year - 1}-06-0{i % 9 + 1}</CINreferralDate><ReferralSource>2A</ReferralSource>
        <CINclosureDate>{year - 1}-06-1{i % 9 + 1}</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure>
        <ReferralNFA>1</ReferralNFA>
      </CINdetails>
    </Child>""" for i in range(1, children + 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>{year}</Year><ReferenceDate>{year}-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>{la}</LEA><SoftwareCode>test</SoftwareCode><Release>1</Release><SerialNo>{serial}</SerialNo><DateTime>{year}-05-01T10:00:00</DateTime></Source>
  </Header>
  <Children>{kids}
  </Children>
</Message>
"""


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Message><Header><CollectionDetails><Year>&lol2;</Year></CollectionDetails></Header></Message>
"""


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    defs = load_defs()
    paths = defs.resources["cin_paths"].paths()
    paths.landing_dir.mkdir(parents=True)
    with dg.instance_for_test() as instance:
        yield defs, paths, instance


def tick(defs, instance, cursor=None):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                  resources={"cin_paths": defs.resources["cin_paths"]})
    result = defs.resolve_sensor_def("landing_sensor")(ctx)
    return result, result.cursor


def settled_tick(defs, instance, cursor=None):
    """Two ticks: the first only records new or changed files as pending (no run), the second acts
    on those that have not changed since."""
    r, cursor = tick(defs, instance, cursor)
    assert not r.run_requests and not r.dynamic_partitions_requests
    return tick(defs, instance, cursor)


def audit(paths) -> list[dict]:
    folder = paths.audit_dir / "submissions"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


def test_new_unchanged_touched_changed(env):
    defs, paths, instance = env
    f = paths.landing_dir / "2024" / "any_name.xml"  # year and LA come from the header
    f.parent.mkdir()
    f.write_text(xml_return(2024, "330"))

    r, cursor = settled_tick(defs, instance)
    assert len(r.run_requests) == 1
    req = r.run_requests[0]
    assert req.partition_key == "330|2024" and req.job_name == "census_extract_job"
    assert req.run_config["ops"]["census_return"]["config"]["source_paths"] == {"330|2024": str(f)}
    sha = json.loads(cursor)[str(f)][2]
    assert sha in req.run_key
    assert [(d.partitions_def_name, list(d.partition_keys)) for d in r.dynamic_partitions_requests] == [("la", ["330"])]

    r, cursor = tick(defs, instance, cursor)  # unchanged
    assert not r.run_requests and not r.dynamic_partitions_requests

    st = f.stat()  # touched, same bytes
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    r, cursor = settled_tick(defs, instance, cursor)
    assert not r.run_requests
    assert json.loads(cursor)[str(f)][1] == st.st_mtime_ns + 5_000_000_000  # cursor follows mtime

    f.write_text(xml_return(2024, "330", serial="002"))  # a resubmission
    instance.add_dynamic_partitions("la", ["330"])
    r, cursor2 = settled_tick(defs, instance, cursor)
    assert len(r.run_requests) == 1 and r.run_requests[0].run_key != req.run_key
    assert not r.dynamic_partitions_requests  # LA already known
    assert json.loads(cursor2)[str(f)][2] != sha


def test_exact_duplicate_of_staged_version(env):
    from cin_pipeline.ingest import file_sha256, record_submission

    defs, paths, instance = env
    f = paths.landing_dir / "2023" / "873.xml"
    f.parent.mkdir()
    f.write_text(xml_return(2023, "873"))
    sha = file_sha256(f)
    record_submission(paths.audit_dir, f, sha, 2023, "873", "ingested", "test")
    copy = paths.landing_dir / "2023" / "873_resent.xml"
    copy.write_bytes(f.read_bytes())
    r, _ = settled_tick(defs, instance)
    assert not r.run_requests
    statuses = [(a["file_name"], a["status"]) for a in audit(paths)]
    assert ("873.xml", "duplicate") in statuses and ("873_resent.xml", "duplicate") in statuses


@pytest.mark.parametrize("name,content,reason", [
    ("lol.xml", BILLION_LAUGHS, None),
    ("notxml.xml", "LAchildID,UPN\nA1,X\n", "not_xml"),
    ("unknown_la.xml", xml_return(2024, "999"), "unknown_la"),
])
def test_hostile_file_quarantined(env, name, content, reason):
    defs, paths, instance = env
    f = paths.landing_dir / name
    f.write_text(content)
    original = f.read_bytes()
    r, cursor = settled_tick(defs, instance)
    assert not r.dynamic_partitions_requests
    assert [q.job_name for q in r.run_requests] == ["quarantine_report"]
    cfg = r.run_requests[0].run_config["ops"]["report_quarantined_file"]["config"]
    if reason:
        assert cfg["reason_code"] == reason
    else:
        assert cfg["reason_code"] in ("doctype_forbidden", "entity_forbidden")
    kept = Path(cfg["quarantined_to"])
    assert kept.read_bytes() == original  # byte for byte
    assert not f.exists()  # moved out of the landing folder
    assert cfg["reason_code"] in Path(str(kept) + ".reason.txt").read_text()
    assert any(a["status"] == "quarantined" for a in audit(paths))
    # the quarantine report job fails with a clear message
    job = defs.resolve_job_def("quarantine_report")
    res = job.execute_in_process(run_config=r.run_requests[0].run_config, instance=instance,
                                 raise_on_error=False)
    assert not res.success
    failure = [e for e in res.all_events if e.event_type_value == "STEP_FAILURE"][0]
    assert name in failure.event_specific_data.error.message or name in str(
        failure.event_specific_data.user_failure_data.description)
    # nothing left in landing, so the next tick is quiet
    r2, _ = tick(defs, instance, cursor)
    assert not r2.run_requests


def test_many_staged_duplicates_are_one_log_line(env, capfd):
    """The first tick after the demo sees every staged return again: one log line says so, not
    one per file, and each file is still recorded in the audit."""
    from cin_pipeline.ingest import file_sha256, record_submission

    defs, paths, instance = env
    las = ["873", "330", "202", "201", "204", "205", "206", "207", "208", "209", "210", "211"]
    for la in las:
        f = paths.landing_dir / "2023" / f"{la}.xml"
        f.parent.mkdir(exist_ok=True)
        f.write_text(xml_return(2023, la))
        record_submission(paths.audit_dir, f, file_sha256(f), 2023, la, "ingested", "test")
    capfd.readouterr()
    r, _ = settled_tick(defs, instance)
    assert not r.run_requests
    out = capfd.readouterr()
    lines = [m for m in (out.out + out.err).splitlines() if "identical to the staged version" in m]
    assert len(lines) == 1 and "INFO - 12 file(s)" in lines[0] and lines[0].endswith("and 2 more")
    assert sum(a["status"] == "duplicate" for a in audit(paths)) == len(las)
