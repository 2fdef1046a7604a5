"""``landing_sensor``: new or changed returns in the landing folder -> one census_return run each.

Every 30 s it lists ``<landing>/**/*.xml``. The cursor keeps ``path -> [size, mtime_ns, sha256]`` so
only files whose size or mtime moved are re-hashed, and only a new *hash* counts as a new version
(a touched-but-unchanged file triggers nothing). For each new version it reads the XML header (not
the file name) for year and LA, then:

* the same content as the version of that LA-year already in staging -> nothing (audit: duplicate);
* a hostile or unusable header (not XML, DOCTYPE/entities, no LEA/Year, unknown LA, ...) -> the file
  is quarantined with a reason file (audit: quarantined) and a ``quarantine_report`` run is requested,
  which fails with the reason so the rejection is visible in the UI; no partition is created;
* otherwise the LA partition is added if new, and a ``census_extract_job`` run is requested for
  exactly that (year, LA), with the file path in run config. ``run_key`` contains the sha256 (and
  mtime), so a lost cursor cannot cause a second run for the same version.

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
    CensusFileError, is_known_version, landing, quarantine, read_header, record_submission,
)


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
    description="Watches the landing folder for new or changed CIN returns (by content hash).",
)
def landing_sensor(context: dg.SensorEvaluationContext, cin_paths: CinPaths):
    paths = cin_paths.paths()
    seen, cursor = landing.scan_landing(paths.landing_dir, _load_cursor(context.cursor))
    run_requests: list[dg.RunRequest] = []
    new_las: set[str] = set()
    known_las = set(context.instance.get_dynamic_partitions(la_partitions.name))
    for f in (s for s in seen if s.changed):
        try:
            header = read_header(f.path)
        except CensusFileError as exc:
            run_requests.append(_quarantine_request(
                context, paths, f, cursor, exc.reason_code, exc.message, exc.line,
                f"[{exc.reason_code}] line {exc.line}: {exc.message}", paths.quarantine_dir))
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. still being copied: look again next tick
            context.log.warning(f"{f.path}: could not read header yet ({exc!r}); will retry")
            cursor.pop(f.path, None)
            continue
        year, la = int(header.year), str(header.la)
        if (is_known_version(paths.audit_dir, f.sha256, landing.INGESTED)
                and landing.latest_ingested_sha(paths.audit_dir, year, la) == f.sha256):
            record_submission(paths.audit_dir, f.path, f.sha256, year, la, "duplicate",
                              "identical to the version already staged for this LA-year")
            context.log.info(f"{f.path}: exact duplicate of the staged {la}/{year} version, skipped")
            continue
        key = year_la_key(year, la)
        if la not in known_las:
            new_las.add(la)
        run_requests.append(dg.RunRequest(
            job_name=census_extract_job.name,
            run_key=f"{key}:{f.sha256}:{f.mtime_ns}",
            partition_key=key,
            run_config={"ops": {"census_return": {"config": {"source_paths": {str(key): f.path}}}}},
            tags={"cin/file": f.path, "cin/sha256": f.sha256, "cin/la": la, "cin/year": str(year)},
        ))
    extract_seen, extract_cursor = landing.scan_extract_files(paths.landing_dir, _load_cursor(context.cursor))
    cursor.update(extract_cursor)
    for extract, f in (x for x in extract_seen if x[1].changed):
        run_requests.append(_extract_request(context, paths, extract, f, cursor))
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[la_partitions.build_add_request(sorted(new_las))] if new_las else [],
        cursor=json.dumps(cursor, sort_keys=True),
        skip_reason=None if run_requests else dg.SkipReason(
            f"{len(seen) + len(extract_seen)} file(s) in landing, no new version"),
    )


def _quarantine_request(context, paths, f, cursor, reason_code: str, message: str, line, audit_note: str,
                        quarantine_dir, **quarantine_kw) -> dg.RunRequest:
    """Quarantine a landed file the sensor cannot pass on (kept byte for byte with its reason),
    record it in the audit trail, forget it in the cursor (a new version is seen again) and request
    the failing ``quarantine_report`` run that shows it in the UI."""
    record_submission(paths.audit_dir, f.path, f.sha256, None, None, "quarantined", audit_note)
    dest = quarantine(f.path, reason_code, message, quarantine_dir, line, **quarantine_kw)
    cursor.pop(f.path, None)
    context.log.warning(f"Quarantined {f.path} -> {dest}: [{reason_code}] {message}")
    return dg.RunRequest(
        job_name=quarantine_report.name,
        run_key=f"quarantine:{f.sha256}:{f.mtime_ns}",
        run_config={"ops": {"report_quarantined_file": {"config": {
            "file": f.path, "reason_code": reason_code, "message": message,
            "line": int(line or 0), "quarantined_to": str(dest), "sha256": f.sha256}}}},
        tags={"cin/file": f.path, "cin/reason": reason_code},
    )


def _extract_request(context, paths, extract, f, cursor) -> dg.RunRequest:
    """The run for a new version of a source-extract file: its extract's job (a school census:
    the partition of its year), or, for a school census not named after a census year, the file
    quarantined whole and a failing ``quarantine_report`` run."""
    stem = Path(f.path).stem
    if extract.year_from_name and stem not in CENSUS_YEAR_KEYS:
        message = (f"{extract.title}: '{Path(f.path).name}' is not named after a census year "
                   f"({CENSUS_YEAR_KEYS[0]}-{CENSUS_YEAR_KEYS[-1]}), e.g. 2024.csv")
        return _quarantine_request(
            context, paths, f, cursor, "extract_bad_name", message, None, f"[extract_bad_name] {message}",
            paths.quarantine_dir / "extracts", kind=extract.title.lower() + " file",
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
