"""Warehouse views over the staging Parquet files: schemas ``staging`` and ``clean``.

:func:`attach_staging` (re)creates, in any DuckDB connection (normally the warehouse file, by the
year-level asset that holds the ``duckdb`` pool):

* ``staging.<table>`` for the 11 staging tables: a view over
  ``<staging_dir>/returns/*/*/<table>.parquet``, the current version of every LA-year (the
  ``returns/year=<Y>/la=<LA>`` links of :mod:`cin_pipeline.ingest.versions`), so it always shows
  the latest files; while no file exists yet, an empty view with the right column types;
* ``clean.<table>``: the same minus every child with an ``error`` finding in that LA-year (and
  records without a child id); ``clean.header`` passes through, ``clean.validation_finding``
  keeps the findings of the children that remain and LA-level findings;
* ``staging.submission_audit`` over ``<audit_dir>/submissions/*.json`` (the audit trail);
* ``staging.dq_summary``: findings per year, LA, rule and severity (the data-quality summary);
* ``staging.excluded_child``: the (year, la, child_id) that ``clean`` leaves out, and why;
* the staged source extracts (``staging.school_census``, ``staging.ofsted_judgement``) and their
  quarantined rows (``staging.extract_reject``): :func:`cin_pipeline.ingest.extracts.attach_extracts`.

Views are defined on the set of files present when called: call again after new LA-years land
(the glob then picks them up); a re-ingested LA-year is picked up without a new call.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from cin_pipeline.ingest.audit import SUBMISSION_FIELDS, submissions_dir
from cin_pipeline.ingest.extracts import attach_extracts
from cin_pipeline.ingest.schema import STAGING_TABLES, TABLE_COLUMNS
from cin_pipeline.ingest.versions import RETURNS, table_glob
from cin_pipeline.settings import Paths
from cin_pipeline.sqlutil import empty_select, literal, parquet_select, same_parquet_schema

_AUDIT_TYPES = {"arrival_time": "TIMESTAMP", "size_bytes": "BIGINT", "year": "INTEGER"}


def attach_staging(con, staging_dir: str | os.PathLike, audit_dir: str | os.PathLike | None = None) -> dict[str, int]:
    """Create or replace the ``staging`` and ``clean`` views; returns files found per table.

    ``audit_dir`` defaults to ``Paths.from_env().audit_dir``.
    """
    if audit_dir is None:
        audit_dir = Paths.from_env().audit_dir
    staging_dir = Path(staging_dir)
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute("CREATE SCHEMA IF NOT EXISTS clean")
    found: dict[str, int] = {}
    for table in STAGING_TABLES:
        cols = TABLE_COLUMNS[table]
        pattern = table_glob(staging_dir, table)
        found[table] = len(glob.glob(pattern))
        # a view over files of one schema binds on one file's footer: every view and query over
        # it (clean.*, the facts' definitions) binds in milliseconds, not a read of 1,975 footers
        body = (parquet_select(cols, pattern, union_by_name=not same_parquet_schema(con, pattern))
                if found[table] else empty_select(cols))
        con.execute(f"CREATE OR REPLACE VIEW staging.{table} AS {body}")

    _clean_views(con, "staging", "clean")

    con.execute("""CREATE OR REPLACE VIEW staging.dq_summary AS
        SELECT year, la, rule_code, severity, count(*) AS findings,
               count(DISTINCT child_id) AS children
        FROM staging.validation_finding GROUP BY ALL""")

    audit_cols = [(c, _AUDIT_TYPES.get(c, "VARCHAR")) for c in SUBMISSION_FIELDS]
    sub_dir = submissions_dir(audit_dir)
    if sub_dir.exists() and any(sub_dir.glob("*.json")):
        struct = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c, _ in audit_cols) + "}"
        select_cols = ", ".join(
            f"CAST(replace({c}, 'Z', '') AS {t}) AS {c}" if c == "arrival_time" else f"CAST({c} AS {t}) AS {c}"
            for c, t in audit_cols)
        body = (f"SELECT {select_cols}, filename AS record_file FROM read_json({literal(sub_dir / '*.json')}, "
                f"format = 'auto', columns = {struct}, filename = true)")
        found["submission_audit"] = len(list(sub_dir.glob("*.json")))
    else:
        body = empty_select(audit_cols + [("record_file", "VARCHAR")])
        found["submission_audit"] = 0
    con.execute(f"CREATE OR REPLACE VIEW staging.submission_audit AS {body}")
    found.update(attach_extracts(con, staging_dir))
    return found


def _clean_views(con, source: str, target: str) -> None:
    """``<source>.excluded_child`` and the ``<target>.<table>`` views: ``<source>.<table>``
    minus the children with an error finding (see the module docstring)."""
    con.execute(f"""CREATE OR REPLACE VIEW {source}.excluded_child AS
        SELECT year, la, child_id, count(*) AS error_findings,
               string_agg(DISTINCT rule_code, ', ' ORDER BY rule_code) AS rule_codes
        FROM {source}.validation_finding
        WHERE severity = 'error' AND child_id IS NOT NULL
        GROUP BY year, la, child_id""")
    for table in STAGING_TABLES:
        if table == "header":
            con.execute(f"CREATE OR REPLACE VIEW {target}.header AS SELECT * FROM {source}.header")
            continue
        keep_la_level = "t.child_id IS NULL OR " if table == "validation_finding" else ""
        con.execute(f"""CREATE OR REPLACE VIEW {target}.{table} AS
            SELECT t.* FROM {source}.{table} t
            WHERE {keep_la_level}(t.child_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM {source}.excluded_child x
                WHERE x.year = t.year AND x.la = t.la AND x.child_id = t.child_id))""")


CLEAN_OF_LAS = "clean_las"
"""The schema of :func:`clean_of`'s views."""


@contextmanager
def clean_of(con, staging_dir: str | os.PathLike, las) -> Iterator[str]:
    """Views ``clean_las.<table>``, like ``clean.<table>`` but over the staged files of the LAs
    ``las`` only (with ``clean_las_staging.*`` beneath them), for the block; yields the schema
    name. A file's path names its LA, so no other LA's file is opened: what an incremental build
    over a few LAs reads (a filter on ``clean.*`` would still open every staged file to read its
    statistics). The views name the files of this moment, so they are dropped on leaving."""
    raw = f"{CLEAN_OF_LAS}_staging"
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {raw}")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {CLEAN_OF_LAS}")
        for table in STAGING_TABLES:
            files = sorted(f for la in las for f in glob.glob(
                str(Path(staging_dir) / RETURNS / "*" / f"la={la}" / f"{table}.parquet")))
            con.execute(f"CREATE OR REPLACE VIEW {raw}.{table} AS {parquet_select(TABLE_COLUMNS[table], files)}")
        _clean_views(con, raw, CLEAN_OF_LAS)
        yield CLEAN_OF_LAS
    finally:
        con.execute(f"DROP SCHEMA IF EXISTS {CLEAN_OF_LAS} CASCADE")
        con.execute(f"DROP SCHEMA IF EXISTS {raw} CASCADE")


def staged_returns(staging_dir: str | os.PathLike, up_to_year: int | None = None) -> dict[str, str]:
    """``{"<year>/<la>": sha256}``: the census return each staged LA-year was ingested from (the
    SHA-256 of the XML file, ``header.file_sha256`` of the current version), for the years up to
    ``up_to_year`` (every year when None), in year and LA order.

    This identifies the staged versions by their content: a version's folder name holds the time
    of its ingest, so the same returns staged twice have other names but the same hashes (a
    publication records this, :func:`cin_pipeline.publish.release.publish_year`)."""
    pattern = table_glob(staging_dir, "header")
    if not glob.glob(pattern):
        return {}
    where = "" if up_to_year is None else f" WHERE year <= {int(up_to_year)}"
    con = duckdb.connect()
    try:
        rows = con.execute(f"SELECT DISTINCT year, la, file_sha256 FROM read_parquet({literal(pattern)})"
                           f"{where} ORDER BY year, la").fetchall()
    finally:
        con.close()
    return {f"{year}/{la}": sha for year, la, sha in rows}
