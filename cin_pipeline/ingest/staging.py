"""Staging writer: one return -> a new version of its LA-year, 11 Parquet files switched in at once.

:func:`ingest_file` is the per-(year, LA) unit of work the Dagster asset and the CLI call:

1. :func:`cin_pipeline.ingest.parse.read_header` (cheap checks; raises ``CensusFileError``),
2. stream the records into raw (text) tables of a private in-memory DuckDB connection,
3. type them into the staging tables of ``docs/ARCHITECTURE.md`` (:func:`build_typed`),
4. run the validation rules as SQL over those tables (:mod:`cin_pipeline.ingest.rules`),
5. ``COPY`` every table to ``<table>.parquet`` in a fresh version folder, which then replaces the
   LA-year's current version in one atomic link swap (:mod:`cin_pipeline.ingest.versions`).

No DuckDB database file is opened, so any number of processes can ingest different LA-years
at once. Re-ingesting an LA-year (a resubmission) replaces all 11 tables or none, even if the
process is killed; a per-LA-year lock serialises two writers of the *same* LA-year.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from cin_pipeline.census import spec
from cin_pipeline.ingest import parse, rules, versions
from cin_pipeline.ingest.audit import file_sha256
from cin_pipeline.ingest.parse import Header
from cin_pipeline.ingest.schema import (
    DATA_TABLES, RAW_COLUMNS, RECORD_TABLES, STAGING_TABLES, TABLE_COLUMNS, RawBatch, create_empty,
)
from cin_pipeline.sqlutil import literal, literal_list

# ------------------------------------------------------------------ typing
GENDER_CURRENT_TO_SEX = {"1": "M", "2": "F", "0": "U", "9": "U"}
"""Harmonisation of the pre-2025 ``GenderCurrent`` codes onto ``Sex`` (M/F/U); 9 (indeterminate)
and 0 (not recorded or unborn) both become U, the 2024-25 code for unknown."""

_KIND = {  # typed column -> how to derive it from the raw text of the same name
    "child": {"la_child_id_raw": "raw", "upn": "code", "former_upn": "code", "upn_unknown": "code",
              "birth_date": "date", "expected_birth_date": "date", "sex_raw": "code",
              "death_date": "date", "ethnicity": "code"},
    "disability": {"disability": "code"},
    "episode": {"referral_date": "date", "referral_source": "code", "primary_need": "code",
                "closure_date": "date", "reason_for_closure": "code", "icpc_date": "date",
                "referral_nfa": "bool"},
    "assessment": {"start_date": "date", "internal_review_date": "date", "authorisation_date": "date"},
    "assessment_factor": {"factor": "code"},
    "cin_plan": {"start_date": "date", "end_date": "date"},
    "section47": {"start_date": "date", "icpc_target_date": "date", "icpc_date": "date",
                  "icpc_not_required": "bool"},
    "cpp": {"start_date": "date", "end_date": "date", "initial_category": "code",
            "latest_category": "code", "number_of_previous_cpp": "int"},
    "cpp_review": {"review_date": "date"},
}

_RAW_TYPES = {"child_id": "VARCHAR", "line": "INTEGER", "has_identifiers": "INTEGER",
              "empty_reviews": "INTEGER"}


def _bool_sql(x: str) -> str:
    return (f"CASE WHEN lower(cin_txt({x})) IN {tuple(sorted(spec.BOOLEAN_TRUE))} THEN true "
            f"WHEN lower(cin_txt({x})) IN {tuple(sorted(spec.BOOLEAN_FALSE))} THEN false END")


def typed_expr(kind: str, col: str) -> str:
    """SQL turning raw text column ``col`` into its typed staging value (one place for all)."""
    if kind == "raw":
        return col
    if kind in ("code", "date", "bool", "int"):
        return f"cin_{kind}({col})"  # macros defined by connect()
    raise ValueError(kind)


# ------------------------------------------------------------------ connection and loading
def connect(threads: int | None = None, memory_limit: str | None = None,
            temp_directory: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection with the helper macros the ingest SQL uses.

    ``memory_limit`` (e.g. ``"1GB"``) caps DuckDB's buffer memory; beyond it, operators spill to
    ``temp_directory``.
    """
    config = {}
    if threads:
        config["threads"] = int(threads)
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        # DuckDB creates the folder itself on the first spill (and removes it on close)
        Path(temp_directory).parent.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_directory)
    con = duckdb.connect(":memory:", config=config)
    # space, tab, line feed, carriage return as one literal: DuckDB binds every function call of
    # an expanded macro in every query, so ' ' || chr(9) || ... cost more than the rules' work.
    # trim() with a set of characters costs about 0.6 us a value, most of the typing and rules'
    # time; a value whose first and last characters are past the space (code > 32) has nothing
    # to trim and is taken as it is (the same result: the four trimmed characters are 9, 10, 13, 32)
    con.execute("CREATE MACRO cin_txt(x) AS CASE WHEN ascii(x) > 32 AND ascii(right(x, 1)) > 32 THEN x "
                "ELSE nullif(trim(x, ' \t\n\r'), '') END")
    con.execute("CREATE MACRO cin_code(x) AS upper(cin_txt(x))")
    con.execute("CREATE MACRO cin_date(x) AS try_cast(cin_txt(x) AS DATE)")
    con.execute("CREATE MACRO cin_int(x) AS try_cast(cin_txt(x) AS INTEGER)")
    con.execute(f"CREATE MACRO cin_bool(x) AS {_bool_sql('x')}")
    con.execute("CREATE MACRO cin_v(x) AS coalesce(CAST(x AS VARCHAR), 'missing')")
    con.execute("CREATE MACRO cin_in(l, x) AS coalesce(list_contains(l, x), false)")
    con.execute(f"CREATE MACRO cin_upn_check(b) AS {_upn_check_sql('b')}")
    return con


def _upn_check_sql(b: str) -> str:
    """:func:`cin_pipeline.census.spec.upn_check_letter` in SQL, for a body ``b`` of 12
    characters, each a digit or a letter of ``spec.UPN_CHECK_LETTERS`` (NULL otherwise): weights
    2..13, sum mod 23, as that letter. A character's value is its place among the digits or among
    the letters, whichever holds it. Vectorised: a Python function called once a row cost 190 ms on
    24,000 children, this about 50 ms."""
    letters = spec.UPN_CHECK_LETTERS
    total = " + ".join(
        f"{i + 1} * (greatest(instr('0123456789', substr({b}, {i}, 1)), instr('{letters}', substr({b}, {i}, 1))) - 1)"
        for i in range(1, 13))
    allowed = "".join(sorted(set("0123456789" + letters)))
    return (f"CASE WHEN regexp_full_match({b}, '[{allowed}]{{12}}') "
            f"THEN substr('{letters}', CAST(({total}) % 23 AS INTEGER) + 1, 1) END")


DEFAULT_MEMORY_LIMIT = "1GB"
"""DuckDB memory limit of one ingest (env ``CIN_INGEST_MEMORY_LIMIT`` overrides it, DuckDB
syntax: ``"512MB"``, ``"2GB"``). DuckDB spills what does not fit (the in-memory tables included)
to :func:`spill_dir`, so with the parser holding one batch of children at a time an ingest stays
within about 2 GB however large the file."""

_SESSIONS: dict[tuple[int, int, int | None], tuple[tuple, duckdb.DuckDBPyConnection]] = {}


def memory_limit() -> str:
    """The DuckDB memory limit for an ingest: ``CIN_INGEST_MEMORY_LIMIT`` or ``1GB``."""
    return os.environ.get("CIN_INGEST_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT


def spill_dir(staging_dir: str | os.PathLike) -> Path:
    """Folder holding the ingests' spill folders: ``<parent of staging_dir>/tmp/duckdb_spill``.
    Each connection of :func:`session` spills to its own ``<pid>-<thread>`` subfolder, so
    parallel ingests never share (or delete) each other's temporary files."""
    return Path(staging_dir).resolve().parent / "tmp" / "duckdb_spill"


def session(threads: int | None = None, memory_limit: str | None = None,
            spill_root: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """This process's (and thread's) private in-memory connection, reused across ingests.

    Opening an in-memory database and defining the macros costs tens of milliseconds, which
    matters with 150 LA files a year; a cached connection per (process, thread) avoids it and is
    as isolated as a fresh one (nothing is shared with other processes or threads). Every ingest
    starts by dropping the tables the previous one left (:func:`reset`). A different memory limit
    or spill folder replaces the cached connection (DuckDB cannot move a used spill folder).
    """
    key = (os.getpid(), threading.get_ident(), threads)
    temp_directory = None if spill_root is None else Path(spill_root) / f"{key[0]}-{key[1]}-{threads or 0}"
    settings = (memory_limit, None if temp_directory is None else str(temp_directory))
    cached = _SESSIONS.get(key)
    if cached is not None and cached[0] == settings:
        con = cached[1]
    else:
        if cached is not None:
            cached[1].close()
        con = connect(threads=threads, memory_limit=memory_limit, temp_directory=temp_directory)
        _SESSIONS[key] = (settings, con)
    reset(con)
    return con


def reset(con) -> None:
    """Drop every table of ``con`` (macros, functions, views and the rule tables named
    ``rules.KEEP_PREFIX...``, which are built once per connection, stay)."""
    drops = [f'DROP TABLE IF EXISTS "{name}"' for (name,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()
        if not name.startswith(rules.KEEP_PREFIX)]
    if drops:
        con.execute(";\n".join(drops))


def _create_raw_tables(con) -> None:
    con.execute(";\n".join(  # one call: nine statements
        f"CREATE OR REPLACE TABLE raw_{table} ("
        + ", ".join(f"{c} {_RAW_TYPES.get(c, 'INTEGER' if c.endswith('_seq') else 'VARCHAR')}" for c in cols)
        + ")"
        for table, cols in RAW_COLUMNS.items()
    ))


def _insert_batch(con, batch: RawBatch) -> None:
    """One ``INSERT`` per non-empty table, scanning one NumPy object array per column (no pandas
    frame, no register/unregister round trips)."""
    for table, rows in batch.items():
        if not rows:
            continue
        _cin_batch = {c: np.array(v, dtype=object) for c, v in zip(RAW_COLUMNS[table], zip(*rows))}
        con.execute(f"INSERT INTO raw_{table} SELECT * FROM _cin_batch")
        del _cin_batch


def load_raw(con, path: str | os.PathLike, batch_children: int = parse.DEFAULT_BATCH_CHILDREN) -> dict[str, int]:
    """Stream the records of ``path`` into ``raw_<table>`` tables; returns rows per table."""
    _create_raw_tables(con)
    counts = dict.fromkeys(RAW_COLUMNS, 0)
    for batch in parse.iter_batches(path, batch_children):
        _insert_batch(con, batch)
        for t, rows in batch.items():
            counts[t] += len(rows)
    return counts


def build_typed(con, header: Header, source_file: str, file_sha256: str | None,
                ingested_at: _dt.datetime | None = None) -> None:
    """Create the typed staging tables (``header``, ``child``, ...) from the raw tables."""
    year, la = int(header.year), header.la
    ingested_at = ingested_at or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    create_empty(con, "header")
    con.execute(
        f"""INSERT INTO header SELECT
            {year}::INTEGER AS year, {literal(la)} AS la,
            cin_txt({literal(header.collection)}) AS collection,
            {year}::INTEGER AS header_year,
            try_cast(cin_txt({literal(header.reference_date)}) AS DATE) AS reference_date,
            {literal(la)} AS lea,
            cin_txt({literal(header.software_code)}) AS software_code,
            cin_txt({literal(header.release)}) AS release,
            cin_txt({literal(header.serial_no)}) AS serial_no,
            try_cast(replace(cin_txt({literal(header.generated_at)}), 'Z', '') AS TIMESTAMP) AS generated_at,
            {literal(source_file)} AS source_file,
            {literal(file_sha256)} AS file_sha256,
            TIMESTAMP '{ingested_at.isoformat(sep=' ', timespec='seconds')}' AS ingested_at"""
    )
    gender_map = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in GENDER_CURRENT_TO_SEX.items()) + "}"
    sex_codes = literal_list(spec.codes("Sex", spec.LAST_YEAR))
    statements = []
    for table in RECORD_TABLES:
        kinds = _KIND[table]
        select = []
        for col, typ in TABLE_COLUMNS[table]:
            if col == "year":
                expr = f"{year}::INTEGER"
            elif col == "la":
                expr = literal(la)
            elif col == "sex":
                expr = (f"CASE WHEN sex_element = 'Sex' AND list_contains({sex_codes}, upper(cin_txt(sex_raw))) "
                        f"THEN upper(cin_txt(sex_raw)) WHEN sex_element = 'GenderCurrent' "
                        f"THEN {gender_map}[cin_txt(sex_raw)] END")
            elif col in kinds:
                expr = typed_expr(kinds[col], col)
            else:
                expr = col
            select.append(f"CAST({expr} AS {typ}) AS {col}")
        statements.append(f"CREATE OR REPLACE TABLE {table} AS SELECT {', '.join(select)} FROM raw_{table}")
    con.execute(";\n".join(statements))  # one call for the nine tables


# ------------------------------------------------------------------ writing
def write_partition(con, staging_dir: str | os.PathLike, year: int, la: str) -> dict[str, Path]:
    """Write every staging table of ``con`` as a new version of the LA-year and make it current.

    Readers see all 11 tables of either the version current before or this one (see
    :func:`cin_pipeline.ingest.versions.write_version`). Returns ``{table: file}`` in the new
    version folder.
    """
    def copy_tables(folder: Path) -> None:
        for table in STAGING_TABLES:
            con.execute(f"COPY {table} TO {literal(str(folder / f'{table}.parquet'))} "
                        "(FORMAT parquet, COMPRESSION zstd)")

    folder = versions.write_version(staging_dir, year, la, copy_tables)
    return {table: folder / f"{table}.parquet" for table in STAGING_TABLES}


# ------------------------------------------------------------------ the unit of work
@dataclass
class IngestResult:
    """What :func:`ingest_file` did, for the Dagster asset metadata and the audit trail."""

    year: int
    la: str
    sha256: str
    source_file: str
    rows: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)
    """Finding counts by severity: ``{"error": n, "query": m}``."""
    children_with_errors: int = 0
    seconds: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)
    """``{table: file}`` in the version folder this ingest wrote, deleted once two newer versions
    of the LA-year have been made current (the ``returns`` links always show the current one)."""

    @property
    def children(self) -> int:
        return self.rows.get("child", 0)


def ingest_file(
    path: str | os.PathLike,
    staging_dir: str | os.PathLike,
    expected_year: int | None = None,
    expected_la: str | None = None,
    source_name: str | None = None,
    *,
    sha256: str | None = None,
    threads: int | None = None,
    max_bytes: int | None = None,
    claims: parse.PathClaims = parse.PathClaims(),
) -> IngestResult:
    """Parse, validate and stage one return (one LA-year); see the module docstring.

    ``expected_year``, ``expected_la`` and ``claims`` (what the file's folder and name say) are
    checked against the header by :func:`cin_pipeline.ingest.parse.check_header`.
    ``source_name`` is the file name recorded in ``header.source_file`` and in every finding
    (default: the name of ``path``; pass the original name when ``path`` is a landing copy).
    ``sha256`` skips re-hashing when the caller already has it. ``threads`` caps DuckDB's
    threads (use 1 when running several ingests in parallel). DuckDB memory is capped by
    :func:`memory_limit` and spills to :func:`spill_dir` (beside ``staging_dir``).

    Raises :class:`cin_pipeline.ingest.parse.CensusFileError` when the file cannot be ingested;
    nothing is written in that case.
    """
    t0 = time.perf_counter()
    path = Path(path)
    header = parse.read_header(path, expected_year, expected_la, claims=claims, max_bytes=max_bytes)
    digest = sha256 or file_sha256(path)
    name = source_name or path.name
    con = session(threads=threads, memory_limit=memory_limit(), spill_root=spill_dir(staging_dir))
    try:
        load_raw(con, path)
        build_typed(con, header, source_file=name, file_sha256=digest)
        rules.run_rules(con, header, name)
        counts = con.execute(  # one statement for every figure of the result
            "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in STAGING_TABLES)
            + ", (SELECT count(*) FROM validation_finding WHERE severity = 'error')"
            ", (SELECT count(*) FROM validation_finding WHERE severity = 'query')"
            ", (SELECT count(DISTINCT child_id) FROM validation_finding"
            " WHERE severity = 'error' AND child_id IS NOT NULL)").fetchone()
        rows = dict(zip(STAGING_TABLES, counts))
        findings = {"error": counts[-3], "query": counts[-2]}
        bad_children = counts[-1]
        files = write_partition(con, staging_dir, header.year, header.la)
    finally:
        reset(con)  # free the memory now rather than at the next ingest
    return IngestResult(
        year=header.year, la=header.la, sha256=digest, source_file=name, rows=rows,
        findings={"error": findings.get("error", 0), "query": findings.get("query", 0)},
        children_with_errors=bad_children, seconds=round(time.perf_counter() - t0, 3), files=files,
    )


# ------------------------------------------------------------------ a whole return in memory
@dataclass
class ParsedReturn:
    """A whole return, parsed and typed: ``tables`` maps each staging table name to a DataFrame
    with exactly the columns of ``docs/ARCHITECTURE.md`` (``validation_finding`` not included:
    validation runs in :func:`ingest_file`)."""

    header: Header
    tables: dict
    path: Path

    @property
    def year(self) -> int:
        return self.header.year

    @property
    def la(self) -> str:
        return self.header.la


def parse_return(
    path: str | os.PathLike,
    expected_year: int | None = None,
    expected_la: str | None = None,
    *,
    max_bytes: int | None = None,
) -> ParsedReturn:
    """Parse a whole return into typed DataFrames (one per staging table except findings).

    Meant for tests, notebooks and small files; :func:`ingest_file` streams large files into
    DuckDB instead of holding DataFrames.
    """
    path = Path(path)
    header = parse.read_header(path, expected_year, expected_la, max_bytes=max_bytes)
    con = connect()
    try:
        load_raw(con, path)
        build_typed(con, header, source_file=path.name, file_sha256=None)
        tables = {t: con.table(t).df() for t in DATA_TABLES}
    finally:
        con.close()
    return ParsedReturn(header=header, tables=tables, path=path)
