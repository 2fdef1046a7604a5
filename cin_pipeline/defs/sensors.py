"""``landing_sensor``: new or changed returns in the landing folder -> one census_return run each.

Every 30 s it lists the returns under ``<landing>`` (``*.xml`` in any letter case). Nothing is
acted upon while it may still be being copied in: the cursor keeps ``path -> [size, mtime_ns,
sha256, pending]``, and a new or changed file is only recorded as pending; it is hashed and acted
upon at a later tick at which its size and mtime are still the same (so 30 to 60 s after it stops
changing). Only a new *hash* counts as a new version (a touched-but-unchanged file triggers
nothing). For each new version it reads the XML header for year and LA, then:

* a symbolic link -> refused without reading what it points to (audit: rejected) and a failing
  ``quarantine_report`` run is requested that says so;
* a hostile or unusable header (not XML, DOCTYPE/entities, no LEA/Year, unknown LA, ...), or a
  header that disagrees with the file's place (a ``<landing>/<year>/`` folder of another year, a
  ``<la>.xml`` name of another LA: :func:`cin_pipeline.ingest.landing.path_claims`) or with itself
  (a ``ReferenceDate`` in another year than ``Year``) -> the file is quarantined with a reason file
  (audit: quarantined) and a ``quarantine_report`` run is requested, which fails with the reason so
  the rejection is visible in the UI; no partition is created;
* several new versions for one LA-year in one tick -> only the newest (header ``<DateTime>``,
  then file name: :func:`cin_pipeline.ingest.landing.version_order`) goes on; each other one is
  quarantined with a reason naming the newest (or, if identical to it, recorded as a duplicate);
* the same content as the version of that LA-year already in staging -> nothing (audit: duplicate);
* otherwise the LA partition is added if new, and a ``census_extract_job`` run is requested for
  exactly that (year, LA), with the file path in run config. ``run_key`` contains the sha256 (and
  mtime), so a lost cursor cannot cause a second run for the same version. Runs carry the tag
  ``cin/year_la``, which ``dagster.yaml`` limits to one run in progress per value, so versions of
  one LA-year that arrive at different ticks are ingested in the order requested.

A quarantined file is removed from the landing folder only if it was copied whole; one that
changed while being copied is kept, stays in the cursor, and is looked at again once it changes.

Source extracts (``<landing>/school_census/<year>.csv``, ``<landing>/ofsted/*.csv``;
:mod:`cin_pipeline.ingest.extracts`) are picked up the same way: a new version of a file requests
a run of its extract's job (for a school census, the partition of its year), which validates it
row by row; a school census file not named after a census year is quarantined whole by the sensor.
"""

import json
from pathlib import Path

import dagster as dg

from cin_pipeline.defs.extracts import EXTRACT_JOBS
from cin_pipeline.defs.jobs import census_extract_job, quarantine_report
from cin_pipeline.defs.partitions import CENSUS_YEAR_KEYS
from cin_pipeline.defs.partitions import la_partitions, year_la_key
from cin_pipeline.defs.resources import CinPaths
from cin_pipeline.ingest import (
    CensusFileError, Header, is_known_version, landing, quarantine, read_header, record_submission,
)

YEAR_LA_TAG = "cin/year_la"
"""Run tag of a census_return run requested by the sensor: its partition key. ``dagster.yaml``
allows one run in progress per value (``tag_concurrency_limits``)."""


def _load_cursor(raw: str | None) -> dict[str, list]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dg.sensor(
    jobs=[census_extract_job, quarantine_report, *EXTRACT_JOBS.values()],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the landing folder for new or changed CIN returns (by content hash, once "
                "a file has stopped changing).",
)
def landing_sensor(context: dg.SensorEvaluationContext, cin_paths: CinPaths):
    paths = cin_paths.paths()
    seen, cursor = landing.scan_landing(paths.landing_dir, _load_cursor(context.cursor))
    run_requests: list[dg.RunRequest] = []
    accepted: list[tuple[Header, str]] = []
    for f in (s for s in seen if s.changed):
        if f.link is not None:
            run_requests.append(_symlink_request(context, paths, f))
            continue
        try:
            header = read_header(f.path, claims=landing.path_claims(f.path))
        except CensusFileError as exc:
            run_requests.append(_quarantine_request(
                context, paths, f, exc.reason_code, exc.message, exc.line, paths.quarantine_dir))
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. unreadable: look again after it settles
            context.log.warning(f"{f.path}: could not read header ({exc!r}); will retry")
            cursor.pop(f.path, None)
            continue
        accepted.append((header, f.path))
    files = {f.path: f for f in seen}
    new_las: set[str] = set()
    known_las = set(context.instance.get_dynamic_partitions(la_partitions.name))
    duplicates: list[str] = []
    for (year, la), versions in landing.by_year_la(accepted).items():
        winner = versions[-1]
        for loser in versions[:-1]:
            run_requests += _superseded_requests(context, paths, files, loser, winner)
        if _is_staged_duplicate(paths, files[winner[1]], year, la):
            duplicates.append(f"{la}/{year}")
        else:
            run_requests.append(_census_request(files[winner[1]], year, la))
            new_las |= {la} - known_las
    if duplicates:  # one line, however many (the first tick after the demo sees every return)
        more = f" and {len(duplicates) - 10} more" if len(duplicates) > 10 else ""
        context.log.info(f"{len(duplicates)} file(s) identical to the staged version of their LA-year, "
                         f"not ingested again (recorded in the audit): {', '.join(duplicates[:10])}{more}")
    extract_seen, extract_cursor = landing.scan_extract_files(paths.landing_dir, _load_cursor(context.cursor))
    cursor.update(extract_cursor)
    for extract, f in (x for x in extract_seen if x[1].changed):
        run_requests.append(_symlink_request(context, paths, f) if f.link is not None
                            else _extract_request(context, paths, extract, f))
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[la_partitions.build_add_request(sorted(new_las))] if new_las else [],
        cursor=json.dumps(cursor, sort_keys=True),
        skip_reason=None if run_requests else dg.SkipReason(
            f"{len(seen) + len(extract_seen)} file(s) in landing, no new version that has stopped changing"),
    )


def _is_staged_duplicate(paths, f, year: int, la: str) -> bool:
    """Whether ``f`` is byte for byte the version of (year, LA) now in staging (audited if so)."""
    if not (is_known_version(paths.audit_dir, f.sha256, landing.INGESTED)
            and landing.latest_ingested_sha(paths.audit_dir, year, la) == f.sha256):
        return False
    record_submission(paths.audit_dir, f.path, f.sha256, year, la, "duplicate",
                      "identical to the version already staged for this LA-year")
    return True


def _census_request(f, year: int, la: str) -> dg.RunRequest:
    """The ``census_extract_job`` run of one new version of the return of (year, LA)."""
    key = str(year_la_key(year, la))
    return dg.RunRequest(
        job_name=census_extract_job.name,
        run_key=f"{key}:{f.sha256}:{f.mtime_ns}",
        partition_key=key,
        run_config={"ops": {"census_return": {"config": {"source_paths": {key: f.path}}}}},
        tags={"cin/file": f.path, "cin/sha256": f.sha256, "cin/la": la, "cin/year": str(year),
              YEAR_LA_TAG: key},
    )


def _superseded_requests(context, paths, files, loser: tuple[Header, str],
                         winner: tuple[Header, str]) -> list[dg.RunRequest]:
    """A return that arrived in the same tick as a newer one for its LA-year: identical to it ->
    audited as a duplicate; otherwise quarantined, naming the winner, with a failing report run."""
    f, won = files[loser[1]], files[winner[1]]
    header = loser[0]
    if f.sha256 == won.sha256:
        record_submission(paths.audit_dir, f.path, f.sha256, header.year, header.la, "duplicate",
                          f"identical to {won.path}, which arrived with it and is the version used")
        return []
    return [_quarantine_request(context, paths, f, landing.SUPERSEDED,
                                landing.superseded_message(loser, winner), None, paths.quarantine_dir,
                                year=header.year, la=header.la)]


def _quarantine_request(context, paths, f, reason_code: str, message: str, line, quarantine_dir,
                        year: int | None = None, la: str | None = None, **quarantine_kw) -> dg.RunRequest:
    """Quarantine a landed file the sensor cannot pass on (copied byte for byte with its reason;
    the original stays if it changed while being copied), record it in the audit trail and
    request the failing ``quarantine_report`` run that shows it in the UI."""
    where = f" line {line}" if line else ""
    record_submission(paths.audit_dir, f.path, f.sha256, year, la, "quarantined",
                      f"[{reason_code}]{where}: {message}")
    dest = quarantine(f.path, reason_code, message, quarantine_dir, line, year=year, la=la, **quarantine_kw)
    context.log.warning(f"Quarantined {f.path} -> {dest}: [{reason_code}] {message}")
    return _report_request(f, f"quarantine:{f.sha256}:{f.mtime_ns}", reason_code, message, line, str(dest))


def _symlink_request(context, paths, f) -> dg.RunRequest:
    """Refuse a symbolic link without reading its target: an audit record and a failing report run."""
    message = landing.symlink_message(f.path, f.link)
    record_submission(paths.audit_dir, f.path, "", None, None, "rejected", f"[{landing.SYMBOLIC_LINK}] {message}")
    context.log.warning(f"Refused {f.path}: {message}")
    return _report_request(f, f"link:{f.path}:{f.mtime_ns}", landing.SYMBOLIC_LINK, message, None, "")


def _report_request(f, run_key: str, reason_code: str, message: str, line, quarantined_to: str) -> dg.RunRequest:
    """The failing ``quarantine_report`` run for a landed file the sensor did not pass on."""
    return dg.RunRequest(
        job_name=quarantine_report.name,
        run_key=run_key,
        run_config={"ops": {"report_quarantined_file": {"config": {
            "file": f.path, "reason_code": reason_code, "message": message,
            "line": int(line or 0), "quarantined_to": quarantined_to, "sha256": f.sha256 or ""}}}},
        tags={"cin/file": f.path, "cin/reason": reason_code},
    )


def _extract_request(context, paths, extract, f) -> dg.RunRequest:
    """The run for a new version of a source-extract file: its extract's job (a school census:
    the partition of its year), or, for a school census not named after a census year, the file
    quarantined whole and a failing ``quarantine_report`` run."""
    stem = Path(f.path).stem
    if extract.year_from_name and stem not in CENSUS_YEAR_KEYS:
        message = (f"{extract.title}: '{Path(f.path).name}' is not named after a census year "
                   f"({CENSUS_YEAR_KEYS[0]}-{CENSUS_YEAR_KEYS[-1]}), e.g. 2024.csv")
        return _quarantine_request(
            context, paths, f, "extract_bad_name", message, None, paths.quarantine_dir / "extracts",
            kind=extract.title.lower() + " file",
            fix="Name the school census file after its census year, e.g. 2024.csv.")
    key = stem if extract.year_from_name else None
    return dg.RunRequest(
        job_name=EXTRACT_JOBS[extract.name].name,
        run_key=f"{extract.name}:{f.path}:{f.sha256}:{f.mtime_ns}",
        partition_key=key,
        run_config={"ops": {f"source_extracts__{extract.name}": {"config": {
            "source_paths": {key or Path(f.path).name: f.path}}}}},
        tags={"cin/file": f.path, "cin/sha256": f.sha256, "cin/extract": extract.name})


# Declarative automation (census_year, data_quality_summary, the LCD, and any other asset with an
# automation condition) needs an automation-condition sensor running; Dagster's default one starts
# STOPPED, so this one is declared RUNNING.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "cin_automation_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Evaluates every asset's AutomationCondition (eager year views and LCD after new returns).",
)
