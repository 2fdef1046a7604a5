"""Staging writer: returns -> a new version of each LA-year, 11 Parquet files switched in at once.

:func:`ingest_batch` is the unit of work of the ``census_return`` asset and the CLI: several
returns in one private in-memory DuckDB session (:func:`ingest_file` is a batch of one):

1. :func:`cin_pipeline.ingest.parse.read_header` of each (cheap checks; a ``CensusFileError``
   stops that return only),
2. stream each return's records into the raw (text) tables, column ``f`` numbering the returns,
3. type them into the staging tables of ``docs/ARCHITECTURE.md`` (:func:`build_typed`), one
   statement per table for the whole batch,
4. run the validation rules as SQL over those tables (:mod:`cin_pipeline.ingest.rules`: every rule
   keys on ``f``), once per batch and census year,
5. for each return, ``COPY`` its rows of every table to ``<table>.parquet`` in a fresh version
   folder, which then replaces the LA-year's current version in one atomic link swap
   (:mod:`cin_pipeline.ingest.versions`).

Batching pays DuckDB's fixed cost of a statement (about 120 rule checks, the typing, the counts)
once per batch instead of once per return: with 150 LA returns a year, most of them small, that
fixed cost was a third of an ingest. The output of a return is the same whatever else is in its
batch (``test_ingest_batch.py``).

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
import pyarrow as pa

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
    con.execute(f"CREATE MACRO cin_upn_check_digits(n, c) AS {_upn_check_digits_sql('n', 'c')}")
    con.execute(f"CREATE MACRO cin_upn_check(b) AS {_upn_check_sql('b')}")
    return con


def _upn_check_digits_sql(n: str, c: str) -> str:
    """:func:`cin_pipeline.census.spec.upn_check_letter` in SQL for a UPN whose characters 2-12 are
    digits, given as the number ``n`` they make (BIGINT), and character 13 ``c``: weights 2..13,
    sum mod 23, as a check letter; ``c`` counts as its place among the digits or among the check
    letters. Each digit comes out of ``n`` by integer arithmetic: three times faster than a
    ``substr`` and two ``instr`` per character (rule 1510 checks every UPN of a return)."""
    letters = spec.UPN_CHECK_LETTERS
    total = " + ".join(f"{i + 1} * (({n} // {10 ** (11 - i)}) % 10)" for i in range(1, 12))
    return (f"substr('{letters}', CAST(({total} + 13 * (instr('0123456789', {c}) + instr('{letters}', {c}) - 1)) "
            "% 23 AS INTEGER) + 1, 1)")


def _upn_check_sql(b: str) -> str:
    """The check letter of a UPN body ``b`` (characters 2-13): 11 digits and a valid 13th
    character, NULL otherwise; :func:`_upn_check_digits_sql` on its digits."""
    return (f"CASE WHEN regexp_full_match({b}, '[0-9]{{11}}{spec.UPN_THIRTEENTH_CLASS}') "
            f"THEN cin_upn_check_digits(TRY_CAST(substr({b}, 1, 11) AS BIGINT), substr({b}, 12, 1)) END")


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


def _raw_type(col: str) -> str:
    return _RAW_TYPES.get(col, "INTEGER" if col.endswith("_seq") else "VARCHAR")


def _create_raw_tables(con) -> None:
    """The ``raw_<table>`` tables, each led by ``f`` (the number of the row's return in the batch)."""
    con.execute(";\n".join(  # one call: nine statements
        f"CREATE OR REPLACE TABLE raw_{table} (f INTEGER, "
        + ", ".join(f"{c} {_raw_type(c)}" for c in cols)
        + ")"
        for table, cols in RAW_COLUMNS.items()
    ))


_ARROW = {"INTEGER": pa.int32(), "VARCHAR": pa.string()}
_RAW_STRUCTS = {table: pa.struct([(c, _ARROW[_raw_type(c)]) for c in cols])
                for table, cols in RAW_COLUMNS.items()}
"""Each raw table's row as an Arrow struct: the parser's row tuples become one Arrow array in a
single call (no transposing into columns in Python), which DuckDB then scans without converting
a Python object per value; twice as fast as a NumPy object array per column."""

INSERT_CHILDREN = 100_000
"""Children whose raw rows :class:`RawRows` holds (as Arrow, about 60 MB) before inserting them
into DuckDB. Every ``INSERT`` scanning an Arrow object costs DuckDB about 3 ms whatever its size,
so rows are inserted for many returns at once rather than once per table per return."""


class RawRows:
    """The raw rows of the returns being loaded into one batch, on their way to the
    ``raw_<table>`` tables of ``con``.

    :meth:`add` turns a parser batch into one Arrow record batch per table (``f`` first) and
    keeps it; once :data:`INSERT_CHILDREN` children are waiting, or on :meth:`flush`, each table's
    waiting rows go to DuckDB in one ``INSERT``. Measured on 30 national returns of 2024: 270
    inserts (one per table per return) took 0.91 CPU s, nine took 0.14 s.
    """

    def __init__(self, con, insert_children: int | None = None):
        self.con = con
        self.insert_children = INSERT_CHILDREN if insert_children is None else insert_children
        self.waiting: dict[str, list[tuple[int, pa.RecordBatch]]] = {t: [] for t in RAW_COLUMNS}
        """Per table, ``(f, record batch)`` not yet inserted."""
        self.inserted: set[int] = set()
        """Returns ``f`` with rows already in DuckDB."""

    def add(self, batch: RawBatch, f: int) -> None:
        """Keep return ``f``'s rows of one parser batch; insert everything waiting once enough is."""
        f = int(f)
        for table, rows in batch.items():
            if rows:
                rb = pa.RecordBatch.from_struct_array(pa.array(rows, type=_RAW_STRUCTS[table]))
                self.waiting[table].append((f, pa.RecordBatch.from_arrays(
                    [pa.repeat(pa.scalar(f, pa.int32()), rb.num_rows), *rb.columns],
                    names=["f", *rb.schema.names])))
        if sum(b.num_rows for _f, b in self.waiting["child"]) >= self.insert_children:
            self.flush()

    def flush(self) -> None:
        """Insert every waiting row: one ``INSERT`` per table."""
        for table, batches in self.waiting.items():
            if batches:
                self.inserted.update(f for f, _b in batches)
                _cin_rows = pa.Table.from_batches([b for _f, b in batches])
                self.con.execute(f"INSERT INTO raw_{table} SELECT * FROM _cin_rows")
                del _cin_rows
                batches.clear()

    def discard(self, f: int) -> None:
        """Drop every row of return ``f``: those waiting, and those already inserted."""
        f = int(f)
        for batches in self.waiting.values():
            batches[:] = [(g, b) for g, b in batches if g != f]
        if f in self.inserted:
            self.con.execute(";\n".join(f"DELETE FROM raw_{t} WHERE f = {f}" for t in RAW_COLUMNS))
            self.inserted.discard(f)


def _load_file(raw: RawRows, path: str | os.PathLike, batch_children: int, f: int) -> dict[str, int]:
    """Stream the records of ``path`` into ``raw`` as return ``f``; returns rows per table. If
    reading fails part way, every row of ``f`` is dropped before the error is raised."""
    counts = dict.fromkeys(RAW_COLUMNS, 0)
    try:
        for batch in parse.iter_batches(path, batch_children):
            raw.add(batch, f)
            for t, rows in batch.items():
                counts[t] += len(rows)
    except BaseException:  # also a batch inserted into some tables only
        raw.discard(f)
        raise
    return counts


def load_raw(con, path: str | os.PathLike, batch_children: int = parse.DEFAULT_BATCH_CHILDREN,
             f: int = 0, create: bool = True) -> dict[str, int]:
    """Stream the records of ``path`` into the ``raw_<table>`` tables as return ``f`` of the batch
    (``create``: make the tables first); returns rows per table. If reading fails part way, no
    row of ``f`` is left in the tables."""
    if create:
        _create_raw_tables(con)
    raw = RawRows(con)
    counts = _load_file(raw, path, batch_children, f)
    raw.flush()
    return counts


@dataclass(frozen=True)
class Staged:
    """One return of a batch as :func:`build_typed` records it: its number ``f``, header, the file
    name recorded in ``header.source_file`` and its findings, and its SHA-256."""

    f: int
    header: Header
    source_file: str
    file_sha256: str | None


def build_typed(con, returns: list[Staged], ingested_at: _dt.datetime | None = None) -> None:
    """Create the typed staging tables (``header``, ``child``, ...) from the raw tables, each led
    by ``f``; a return's year and LA come from its header."""
    ingested_at = ingested_at or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    stamp = f"TIMESTAMP '{ingested_at.isoformat(sep=' ', timespec='seconds')}'"
    con.execute("CREATE OR REPLACE TABLE header (f INTEGER, "
                + ", ".join(f"{c} {t}" for c, t in TABLE_COLUMNS["header"]) + ")")
    inserts = []
    for r in returns:
        h, year, la = r.header, int(r.header.year), r.header.la
        inserts.append(
            f"""INSERT INTO header SELECT {int(r.f)} AS f,
            {year}::INTEGER AS year, {literal(la)} AS la,
            cin_txt({literal(h.collection)}) AS collection,
            {year}::INTEGER AS header_year,
            try_cast(cin_txt({literal(h.reference_date)}) AS DATE) AS reference_date,
            {literal(la)} AS lea,
            cin_txt({literal(h.software_code)}) AS software_code,
            cin_txt({literal(h.release)}) AS release,
            cin_txt({literal(h.serial_no)}) AS serial_no,
            try_cast(replace(cin_txt({literal(h.generated_at)}), 'Z', '') AS TIMESTAMP) AS generated_at,
            {literal(r.source_file)} AS source_file,
            {literal(r.file_sha256)} AS file_sha256,
            {stamp} AS ingested_at""")
    if inserts:
        con.execute(";\n".join(inserts))
    # a return's year and LA by its number: list literals indexed by f (no join, order kept)
    n = max((r.f for r in returns), default=-1) + 1
    by_f = {r.f: r.header for r in returns}
    years = "[" + ", ".join(str(int(by_f[i].year)) if i in by_f else "NULL" for i in range(n)) + "]"
    las = "[" + ", ".join(literal(by_f[i].la) if i in by_f else "NULL" for i in range(n)) + "]"
    gender_map = "MAP {" + ", ".join(f"'{k}': '{v}'" for k, v in GENDER_CURRENT_TO_SEX.items()) + "}"
    sex_codes = literal_list(spec.codes("Sex", spec.LAST_YEAR))
    statements = []
    for table in RECORD_TABLES:
        kinds = _KIND[table]
        select = ["f"]
        for col, typ in TABLE_COLUMNS[table]:
            if col == "year":
                expr = f"{years}[f + 1]" if n else "NULL"
            elif col == "la":
                expr = f"{las}[f + 1]" if n else "NULL"
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
_FINDING_ORDER = "line NULLS FIRST, rule_code, child_id NULLS FIRST, episode_seq NULLS FIRST, message"
"""The order of a return's findings in its Parquet file: by line, then rule. The rules run over a
whole batch, so their natural order depends on the batch; this one does not."""


def write_partition(con, staging_dir: str | os.PathLike, year: int, la: str, f: int = 0) -> dict[str, Path]:
    """Write return ``f``'s rows of every staging table of ``con`` as a new version of the LA-year
    and make it current.

    Readers see all 11 tables of either the version current before or this one (see
    :func:`cin_pipeline.ingest.versions.write_version`). Returns ``{table: file}`` in the new
    version folder.
    """
    def copy_tables(folder: Path) -> None:
        for table in STAGING_TABLES:
            order = f" ORDER BY {_FINDING_ORDER}" if table == "validation_finding" else ""
            con.execute(f"COPY (SELECT * EXCLUDE (f) FROM {table} WHERE f = {int(f)}{order}) "
                        f"TO {literal(str(folder / f'{table}.parquet'))} (FORMAT parquet, COMPRESSION zstd)")

    folder = versions.write_version(staging_dir, year, la, copy_tables)
    return {table: folder / f"{table}.parquet" for table in STAGING_TABLES}


# ------------------------------------------------------------------ the unit of work
@dataclass
class IngestResult:
    """What :func:`ingest_batch` did with one return, for the Dagster asset metadata and the audit
    trail."""

    year: int
    la: str
    sha256: str
    source_file: str
    rows: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)
    """Finding counts by severity: ``{"error": n, "query": m}``."""
    children_with_errors: int = 0
    seconds: float = 0.0
    """Seconds spent on this return: reading it, plus its share (by children) of the batch's
    typing, validation and counts, plus writing it."""
    files: dict[str, Path] = field(default_factory=dict)
    """``{table: file}`` in the version folder this ingest wrote, deleted once two newer versions
    of the LA-year have been made current (the ``returns`` links always show the current one)."""

    @property
    def children(self) -> int:
        return self.rows.get("child", 0)


@dataclass(frozen=True)
class IngestJob:
    """One return to ingest (the arguments of :func:`ingest_file`)."""

    path: str | os.PathLike
    expected_year: int | None = None
    expected_la: str | None = None
    source_name: str | None = None
    sha256: str | None = None
    max_bytes: int | None = None
    claims: parse.PathClaims = parse.PathClaims()


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
    """Parse, validate and stage one return (one LA-year): :func:`ingest_batch` of one.

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
    job = IngestJob(path, expected_year, expected_la, source_name, sha256, max_bytes, claims)
    result = ingest_batch([job], staging_dir, threads=threads)[0]
    if isinstance(result, BaseException):
        raise result
    return result


def ingest_batch(jobs: list[IngestJob], staging_dir: str | os.PathLike,
                 threads: int | None = None) -> list[IngestResult | Exception]:
    """Parse, validate and stage several returns in one DuckDB session; one result per job, in
    order: an :class:`IngestResult`, or the exception that stopped that return (a
    :class:`cin_pipeline.ingest.parse.CensusFileError` for a file that cannot be ingested).

    The returns of each census year are loaded into the same tables (``f`` tells them apart),
    typed and validated together (:func:`cin_pipeline.ingest.rules.run_rules`: every rule keys on
    ``f``), then each is written as its own new version (:func:`write_partition`). A return that
    fails never stops the others: a file that breaks while being read has its rows removed, and
    if typing or validation fails for a batch of several, each return is run again on its own so
    that the error stays with the return that caused it. Nothing is written for a failed return.
    """
    results: list[IngestResult | Exception | None] = [None] * len(jobs)
    by_year: dict[int, list[tuple[int, Header]]] = {}
    for i, job in enumerate(jobs):
        try:
            header = parse.read_header(job.path, job.expected_year, job.expected_la, claims=job.claims,
                                       max_bytes=job.max_bytes)
        except Exception as exc:  # noqa: BLE001 - the error belongs to this return only
            results[i] = exc
            continue
        by_year.setdefault(int(header.year), []).append((i, header))
    for year in sorted(by_year):
        group = by_year[year]
        try:
            done = _ingest_year(jobs, group, staging_dir, threads)
        except Exception as exc:  # noqa: BLE001 - typing or validation failed for the batch
            if len(group) == 1:
                done = {group[0][0]: exc}
            else:  # run each on its own: the error stays with the return that caused it
                done = {i: ingest_batch([jobs[i]], staging_dir, threads)[0] for i, _h in group}
        for i, r in done.items():
            results[i] = r
    return results  # type: ignore[return-value]


def _ingest_year(jobs: list[IngestJob], group: list[tuple[int, Header]], staging_dir,
                 threads: int | None) -> dict[int, IngestResult | Exception]:
    """:func:`ingest_batch` for the returns of one census year; ``group`` is ``(job index,
    header)``. Raises only if typing or validation fails for the batch as a whole."""
    out: dict[int, IngestResult | Exception] = {}
    con = session(threads=threads, memory_limit=memory_limit(), spill_root=spill_dir(staging_dir))
    try:
        _create_raw_tables(con)
        staged: list[Staged] = []
        own_seconds: dict[int, float] = {}
        raw = RawRows(con)
        for f, (i, header) in enumerate(group):
            t0 = time.perf_counter()
            job = jobs[i]
            try:
                digest = job.sha256 or file_sha256(job.path)
                _load_file(raw, job.path, parse.DEFAULT_BATCH_CHILDREN, f)
            except Exception as exc:  # noqa: BLE001 - this return only; its rows are gone
                out[i] = exc
                continue
            staged.append(Staged(f, header, job.source_name or Path(job.path).name, digest))
            own_seconds[f] = time.perf_counter() - t0
        if not staged:
            return out
        t0 = time.perf_counter()
        raw.flush()
        build_typed(con, staged)
        rules.run_rules(con, staged[0].header.year, [(s.f, s.header, s.source_file) for s in staged])
        figures = _figures(con)
        shared = time.perf_counter() - t0
        children = {s.f: figures.get(s.f, {}).get("child", 0) for s in staged}
        total_children = sum(children.values()) or 1
        for s in staged:
            i = group[s.f][0]
            t0 = time.perf_counter()
            try:
                files = write_partition(con, staging_dir, s.header.year, s.header.la, f=s.f)
            except Exception as exc:  # noqa: BLE001 - this return's version is not switched in
                out[i] = exc
                continue
            got = figures.get(s.f, {})
            out[i] = IngestResult(
                year=s.header.year, la=s.header.la, sha256=s.file_sha256, source_file=s.source_file,
                rows={t: got.get(t, 0) for t in STAGING_TABLES},
                findings={"error": got.get("_error", 0), "query": got.get("_query", 0)},
                children_with_errors=got.get("_bad_children", 0),
                seconds=round(own_seconds[s.f] + shared * children[s.f] / total_children
                              + time.perf_counter() - t0, 3),
                files=files)
    finally:
        reset(con)  # free the memory now rather than at the next ingest
    return out


def _figures(con) -> dict[int, dict[str, int]]:
    """Rows per staging table, findings by severity and children with an error, by return ``f``
    (one statement for the whole batch)."""
    parts = [f"SELECT f, '{t}' AS k, count(*) AS n FROM {t} GROUP BY f" for t in STAGING_TABLES]
    parts += ["SELECT f, '_error', count(*) FROM validation_finding WHERE severity = 'error' GROUP BY f",
              "SELECT f, '_query', count(*) FROM validation_finding WHERE severity = 'query' GROUP BY f",
              "SELECT f, '_bad_children', count(DISTINCT child_id) FROM validation_finding "
              "WHERE severity = 'error' AND child_id IS NOT NULL GROUP BY f"]
    out: dict[int, dict[str, int]] = {}
    for f, k, n in con.execute(" UNION ALL ".join(parts)).fetchall():
        out.setdefault(int(f), {})[k] = int(n)
    return out


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
        build_typed(con, [Staged(0, header, path.name, None)])
        tables = {t: con.sql(f"SELECT * EXCLUDE (f) FROM {t}").df() for t in DATA_TABLES}
    finally:
        con.close()
    return ParsedReturn(header=header, tables=tables, path=path)
