"""Source extracts beside the census returns: the school census and Ofsted's judgements.

Each extract is declared once (:data:`EXTRACTS`, an :class:`Extract`): its landing sub-folder,
the CSV columns it accepts (docs/EXTRACTS.md is written from the same words), the row checks (SQL
conditions, each with a readable reason) and the typed staging columns. :func:`stage_extract` is
the unit of work the Dagster assets call for one landed file:

1. file-level checks: a file that is empty, binary, not UTF-8 text, lacks a required column or (a
   school census) is not named ``<year>.csv`` is **quarantined whole** (moved byte for byte with
   a ``.reason.txt``, :func:`cin_pipeline.ingest.quarantine.quarantine`); nothing is staged;
2. otherwise DuckDB reads it as text (``store_rejects``: a row with too few or too many fields
   is kept as a rejected line, not dropped) and every row is checked in SQL; a row failing any
   check is **quarantined row by row**: written with its line number, reason codes and readable
   reasons to ``staging/extract_reject/<extract>/<partition>/part.parquet`` (the view
   ``staging.extract_reject``) and to a readable CSV ``quarantine/extracts/<stamp>_<sha8>_<file>
   .rows.csv``; the other rows are typed and staged to
   ``staging/<table>/<partition>/part.parquet``. Staged + rejected = rows read (nothing lost);
3. the file version is recorded in the audit trail; the landing file is left as received.

Re-staging a file (a new version) replaces exactly its partition (a school-census year, or one
Ofsted file). No Dagster here.
"""

from __future__ import annotations

import csv
import datetime as _dt
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cin_pipeline.ingest.audit import file_sha256, record_submission, utc_stamp
from cin_pipeline.ingest.quarantine import quarantine
from cin_pipeline.reference import all_la_codes
from cin_pipeline.sqlutil import empty_select, in_list, literal, parquet_select

SEN_PROVISION = ("EHC plan", "SEN support", "None")
"""The school census SEN provision values accepted (staged as given, canonical case)."""
OFSTED_JUDGEMENTS = ("Inadequate", "Requires Improvement", "Good", "Outstanding")
"""Ofsted's overall judgements of LA children's services, as F2 publishes them (accepted in any
case; "Requires improvement to be good", Ofsted's full wording, is accepted as Requires
Improvement)."""
FSM_TRUE, FSM_FALSE = ("true", "1", "yes", "y"), ("false", "0", "no", "n")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning: str


@dataclass(frozen=True)
class Check:
    """A row check: ``bad`` is a SQL condition over the text columns (and ``dup_line``), true
    when the row fails; ``reason`` a SQL text expression saying why, for the LA analyst."""

    code: str
    bad: str
    reason: str


@dataclass(frozen=True)
class Extract:
    name: str                 # e.g. "school_census": landing sub-folder and Dagster asset stem
    title: str
    table: str                # staging view, e.g. "school_census"
    columns: tuple[Column, ...]
    checks: tuple[Check, ...]
    typed: tuple[tuple[str, str, str], ...]  # (staged column, DuckDB type, SQL over text columns)
    key: tuple[str, ...]      # a row whose key (SQL expressions) repeats an earlier row is rejected
    year_from_name: bool      # the file is <year>.csv and holds that year (school census)
    description: str

    @property
    def landing(self) -> str:
        return self.name

    @property
    def staged_columns(self) -> tuple[tuple[str, str], ...]:
        """Every column of ``staging.<table>``, in order."""
        return (tuple((c, t) for c, t, _ in self.typed)
                + (("source_file", "VARCHAR"), ("file_sha256", "VARCHAR"), ("line", "INTEGER"),
                   ("ingested_at", "TIMESTAMP")))

    def partition(self, path: str | os.PathLike) -> str:
        """The staging partition of a landed file: ``year=<Y>`` (school census) or
        ``file=<stem>`` (one Ofsted file)."""
        stem = Path(path).stem
        return f"year={stem}" if self.year_from_name else "file=" + re.sub(r"[^A-Za-z0-9_.-]", "_", stem)


def _t(col: str) -> str:
    return f"trim(coalesce({col}, ''))"


_UPN = f"upper({_t('upn')})"
_FSM = f"lower({_t('fsm_eligible')})"
_SEN = f"lower({_t('sen_provision')})"
_JUDGE = f"lower({_t('judgement')})"
_DATE = f"try_strptime({_t('inspection_date')}, '%Y-%m-%d')::DATE"
_shown = lambda c: f"'''' || coalesce({c}, '') || ''''"  # noqa: E731 - the value as sent, quoted

SCHOOL_CENSUS = Extract(
    name="school_census",
    title="School census extract",
    table="school_census",
    columns=(
        Column("upn", True, "the pupil's Unique Pupil Number: a letter then 12 digits (13 "
                            "characters; case and surrounding spaces ignored)"),
        Column("fsm_eligible", True, "eligible for free school meals on census day: true/false "
                                     "(also 1/0, yes/no, y/n; any case)"),
        Column("sen_provision", True, "special educational needs provision: 'EHC plan', "
                                      "'SEN support' or 'None' (any case)"),
        Column("source", False, "where the row comes from (the synthetic files say 'synthetic')"),
    ),
    checks=(
        Check("upn_format", f"NOT regexp_full_match({_UPN}, '[A-Z][0-9]{{12}}')",
              f"'upn ' || {_shown('upn')} || ' is not a UPN (a letter then 12 digits)'"),
        Check("fsm_not_boolean", f"{_FSM} NOT IN ({in_list(FSM_TRUE + FSM_FALSE)})",
              f"'fsm_eligible ' || {_shown('fsm_eligible')} || ' is not true or false'"),
        Check("sen_provision_unknown", f"{_SEN} NOT IN ({in_list(v.lower() for v in SEN_PROVISION)})",
              f"'sen_provision ' || {_shown('sen_provision')} || "
              f"' is not one of {', '.join(SEN_PROVISION)}'"),
        Check("duplicate_upn", "dup_line IS NOT NULL",
              f"'UPN ' || {_UPN} || ' is already on line ' || dup_line || ' of this file'"),
    ),
    typed=(
        ("year", "INTEGER", "file_year"),
        ("upn", "VARCHAR", _UPN),
        ("fsm_eligible", "BOOLEAN", f"{_FSM} IN ({in_list(FSM_TRUE)})"),
        ("sen_provision", "VARCHAR",
         "CASE " + " ".join(f"WHEN {_SEN} = {literal(v.lower())} THEN {literal(v)}" for v in SEN_PROVISION)
         + " END"),
        ("source", "VARCHAR", "nullif(trim(source), '')"),
    ),
    key=(_UPN,),
    year_from_name=True,
    description="One file per census year, landing/school_census/<year>.csv: one row per pupil "
                "(UPN) with free-school-meal eligibility and SEN provision on census day. Tables "
                "C1 and C2 of the re-referrals release link each referral's child to it by UPN "
                "in the referral's year.",
)

OFSTED = Extract(
    name="ofsted",
    title="Ofsted judgements of LA children's services",
    table="ofsted_judgement",
    columns=(
        Column("la", True, "the LA's 3-digit DfE code (a code of any year in "
                           "data/reference/la_lookup.csv)"),
        Column("inspection_date", True, "the date of the inspection's judgement, YYYY-MM-DD"),
        Column("judgement", True, "the overall effectiveness judgement: Inadequate, Requires "
                                  "Improvement (or 'Requires improvement to be good'), Good or "
                                  "Outstanding (any case)"),
        Column("source", False, "where the row comes from (the synthetic files say 'synthetic')"),
    ),
    checks=(
        Check("la_unknown", f"{_t('la')} NOT IN ({in_list(all_la_codes())})",
              f"'la ' || {_shown('la')} || ' is not a 3-digit DfE LA code'"),
        Check("date_invalid", f"{_DATE} IS NULL",
              f"'inspection_date ' || {_shown('inspection_date')} || ' is not a date YYYY-MM-DD'"),
        Check("judgement_unknown",
              f"{_JUDGE} NOT IN ({in_list([v.lower() for v in OFSTED_JUDGEMENTS] + ['requires improvement to be good'])})",
              f"'judgement ' || {_shown('judgement')} || ' is not one of {', '.join(OFSTED_JUDGEMENTS)}'"),
        Check("duplicate_inspection", "dup_line IS NOT NULL",
              f"'LA ' || {_t('la')} || ' inspection of ' || {_t('inspection_date')} || "
              "' is already on line ' || dup_line || ' of this file'"),
    ),
    typed=(
        ("la", "VARCHAR", _t("la")),
        ("inspection_date", "DATE", _DATE),
        ("year", "INTEGER", f"year({_DATE}) + CASE WHEN month({_DATE}) >= 4 THEN 1 ELSE 0 END"),
        ("judgement", "VARCHAR",
         "CASE " + " ".join(f"WHEN {_JUDGE} = {literal(v.lower())} THEN {literal(v)}" for v in OFSTED_JUDGEMENTS)
         + f" WHEN {_JUDGE} = 'requires improvement to be good' THEN 'Requires Improvement' END"),
        ("source", "VARCHAR", "nullif(trim(source), '')"),
    ),
    key=(_t("la"), _t("inspection_date")),
    year_from_name=False,
    description="Any number of files, landing/ofsted/*.csv: one row per inspection judgement "
                "(`year` staged = the reporting year, ending 31 March, of the inspection date). "
                "Table F2 uses each LA's latest judgement up to the release year.",
)

EXTRACTS: tuple[Extract, ...] = (SCHOOL_CENSUS, OFSTED)
REJECT_TABLE = "extract_reject"
REJECT_COLUMNS = (("extract", "VARCHAR"), ("source_file", "VARCHAR"), ("file_sha256", "VARCHAR"),
                  ("line", "INTEGER"), ("reason_codes", "VARCHAR"), ("reason", "VARCHAR"),
                  ("row_text", "VARCHAR"), ("ingested_at", "TIMESTAMP"))

_FILE_FIXES = {
    "extract_empty": "Export the extract again and put the new file in the landing folder.",
    "extract_not_text": "Send the extract as a UTF-8 CSV file (not a spreadsheet, zip or PDF).",
    "extract_missing_columns": "Send a CSV whose first line names the columns of docs/EXTRACTS.md.",
    "extract_bad_name": "Name the school census file after its census year, e.g. 2024.csv.",
    "extract_unreadable": "Export the extract again as a plain CSV and resubmit it.",
}


class ExtractFileError(Exception):
    """A landed extract that cannot be read as a whole (quarantined whole)."""

    def __init__(self, reason_code: str, message: str):
        super().__init__(f"[{reason_code}] {message}")
        self.reason_code, self.message = reason_code, message


@dataclass
class ExtractOutcome:
    """What happened to one landed extract file (the asset's metadata)."""

    extract: str
    path: str
    partition: str
    sha256: str
    ok: bool                  # False: quarantined whole
    rows_read: int = 0
    rows_staged: int = 0
    rows_rejected: int = 0
    rejects_by_reason: dict | None = None
    reason_code: str | None = None
    message: str | None = None
    quarantined_to: str | None = None
    rejects_file: str | None = None


def landed_files(landing_dir: str | os.PathLike, extract: Extract) -> list[Path]:
    """The ``*.csv`` files (any letter case) of an extract's landing sub-folder, by name: regular
    files and symbolic links, which are listed but not followed (the landing sensor refuses them)."""
    folder = Path(landing_dir) / extract.landing
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.name.lower().endswith(".csv") and (p.is_symlink() or p.is_file()))


def extract_for(landing_dir: str | os.PathLike, path: str | os.PathLike) -> Extract | None:
    """The extract whose landing sub-folder holds ``path`` (directly), if any."""
    parent = Path(path).resolve().parent
    for e in EXTRACTS:
        if parent == (Path(landing_dir) / e.landing).resolve():
            return e
    return None


def _header(path: Path, extract: Extract) -> list[str]:
    """The column names of the file's first line, after the file-level checks."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise ExtractFileError("extract_empty", "the file is empty")
    if b"\x00" in head:
        raise ExtractFileError("extract_not_text", "the file is binary, not a CSV text file")
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExtractFileError("extract_not_text", "the first line is not UTF-8 text") from None
    names = [c.strip().lower() for c in next(csv.reader([first]))]
    need = [c.name for c in extract.columns if c.required]
    missing = [c for c in need if c not in names]
    if missing:
        raise ExtractFileError("extract_missing_columns",
                               f"the first line names {', '.join(names) or 'no columns'}; "
                               f"missing {', '.join(missing)} (the columns are "
                               f"{', '.join(c.name for c in extract.columns)})")
    if len(set(names)) != len(names):
        raise ExtractFileError("extract_missing_columns", f"a column is named twice: {', '.join(names)}")
    if extract.year_from_name and not re.fullmatch(r"(19|20)\d\d", path.stem):
        raise ExtractFileError("extract_bad_name", f"'{path.name}' is not named <year>.csv")
    return names


def _write_parquet(con, sql: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{uuid.uuid4().hex}.parquet"
    con.execute(f"COPY ({sql}) TO {literal(str(tmp))} (FORMAT parquet)")
    os.replace(tmp, target)


def stage_extract(extract: Extract, path: str | os.PathLike, staging_dir: str | os.PathLike,
                  quarantine_dir: str | os.PathLike, audit_dir: str | os.PathLike) -> ExtractOutcome:
    """Validate one landed extract file, stage its good rows and quarantine the rest (see the
    module docstring). Never raises for bad data."""
    path = Path(path)
    sha = file_sha256(path)
    part = extract.partition(path)
    out = ExtractOutcome(extract.name, str(path), part, sha, ok=False)
    try:
        names = _header(path, extract)
        return _stage_rows(extract, path, names, sha, part, Path(staging_dir), Path(quarantine_dir),
                           audit_dir, out)
    except ExtractFileError as exc:
        code, message = exc.reason_code, exc.message
    record_submission(audit_dir, path, sha, None, None, "quarantined",
                      f"[{code}] {extract.title}: {message}")
    dest = quarantine(path, code, f"{extract.title}: {message}", Path(quarantine_dir) / "extracts",
                      fix=_FILE_FIXES.get(code), kind=extract.title.lower() + " file")
    out.reason_code, out.message, out.quarantined_to = code, message, str(dest)
    return out


def _stage_rows(extract, path, names, sha, part, staging_dir, quarantine_dir, audit_dir, out):
    con = duckdb.connect()
    try:
        cols = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
        try:
            con.execute(f"""CREATE TEMP TABLE raw AS SELECT * FROM read_csv({literal(str(path))},
                header = true, auto_detect = false, columns = {cols}, delim = ',', quote = '"',
                escape = '"', store_rejects = true, encoding = 'utf-8')""")
        except duckdb.Error as exc:  # e.g. invalid UTF-8 after the first line
            raise ExtractFileError("extract_unreadable", f"the file cannot be read as CSV: {exc}") from None
        for c in extract.columns:  # optional columns the file does not have
            if c.name not in names:
                con.execute(f"ALTER TABLE raw ADD COLUMN {c.name} VARCHAR")
        # line numbers: the rejected lines are known; the parsed rows take the other lines in order
        con.execute("""CREATE TEMP TABLE rej AS SELECT line::INTEGER AS line,
                any_value(csv_line) AS row_text,
                string_agg(DISTINCT error_message, '; ') AS message,
                bool_and(error_type::VARCHAR IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')) AS wrong_fields
            FROM reject_errors GROUP BY line""")
        n_raw = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        n_rej = con.execute("SELECT count(*) FROM rej").fetchone()[0]
        con.execute(f"""CREATE TEMP TABLE parsed AS
            WITH lines AS (SELECT l::INTEGER AS line, row_number() OVER (ORDER BY l) AS k
                           FROM range(2, {n_raw + n_rej + 2}) t(l)
                           WHERE l NOT IN (SELECT line FROM rej)),
                 numbered AS (SELECT *, row_number() OVER (ORDER BY rowid) AS k FROM raw)
            SELECT n.* EXCLUDE (k), l.line FROM numbered n JOIN lines l USING (k)""")
        file_year = int(path.stem) if extract.year_from_name else "NULL"
        key = ", ".join(extract.key)
        reasons = ", ".join(f"CASE WHEN {c.bad} THEN {c.reason} END" for c in extract.checks)
        codes = ", ".join(f"CASE WHEN {c.bad} THEN {literal(c.code)} END" for c in extract.checks)
        row_text = "concat_ws(',', " + ", ".join(f"coalesce({n}, '')" for n in names) + ")"
        con.execute(f"""CREATE TEMP TABLE checked AS
            WITH d AS (SELECT *, {file_year} AS file_year,
                              CASE WHEN line > min(line) OVER (PARTITION BY {key})
                                   THEN min(line) OVER (PARTITION BY {key}) END AS dup_line
                       FROM parsed)
            SELECT *, nullif(concat_ws(', ', {codes}), '') AS reason_codes,
                   nullif(concat_ws('; ', {reasons}), '') AS reason, {row_text} AS row_text
            FROM d""")
        now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
        meta = (f"{literal(path.name)} AS source_file, {literal(sha)} AS file_sha256, line, "
                f"TIMESTAMP '{now.isoformat(sep=' ')}' AS ingested_at")
        typed = ", ".join(f"CAST({expr} AS {t}) AS {c}" for c, t, expr in extract.typed)
        _write_parquet(con, f"SELECT {typed}, {meta} FROM checked WHERE reason IS NULL ORDER BY line",
                       staging_dir / extract.table / part / "part.parquet")
        rejects = f"""SELECT {literal(extract.name)} AS extract, {literal(path.name)} AS source_file,
                {literal(sha)} AS file_sha256, line, reason_codes, reason, row_text,
                TIMESTAMP '{now.isoformat(sep=' ')}' AS ingested_at
            FROM checked WHERE reason IS NOT NULL
            UNION ALL
            SELECT {literal(extract.name)}, {literal(path.name)}, {literal(sha)}, line,
                CASE WHEN wrong_fields THEN 'malformed_row' ELSE 'unreadable_row' END,
                CASE WHEN wrong_fields THEN 'the line has the wrong number of fields ('
                     ELSE 'the line cannot be read as CSV text (' END || message || ')',
                row_text, TIMESTAMP '{now.isoformat(sep=' ')}' FROM rej"""
        _write_parquet(con, rejects + " ORDER BY line", staging_dir / REJECT_TABLE / extract.name / part
                       / "part.parquet")
        staged = con.execute("SELECT count(*) FROM checked WHERE reason IS NULL").fetchone()[0]
        by_reason = dict(con.execute(f"""SELECT code, count(*) FROM (
                SELECT unnest(string_split(reason_codes, ', ')) AS code FROM checked
                WHERE reason IS NOT NULL
                UNION ALL SELECT CASE WHEN wrong_fields THEN 'malformed_row' ELSE 'unreadable_row' END FROM rej)
            GROUP BY code ORDER BY code""").fetchall())
        out.rows_read, out.rows_staged = n_raw + n_rej, staged
        out.rows_rejected = n_raw + n_rej - staged
        out.rejects_by_reason = {k: int(v) for k, v in by_reason.items()}
        if out.rows_rejected:
            folder = quarantine_dir / "extracts"
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / f"{utc_stamp()}_{sha[:8]}_{path.name}.rows.csv"
            con.execute(f"COPY ({rejects} ORDER BY line) TO {literal(str(dest))} (HEADER, DELIMITER ',')")
            out.rejects_file = str(dest)
    finally:
        con.close()
    out.ok = True
    record_submission(audit_dir, path, sha, int(path.stem) if extract.year_from_name else None, None,
                      "ingested_with_errors" if out.rows_rejected else "ingested",
                      {"extract": extract.name, "rows_read": out.rows_read,
                       "rows_staged": out.rows_staged, "rows_rejected": out.rows_rejected,
                       "rejects_by_reason": out.rejects_by_reason})
    return out


def ensure_extract_views(con) -> None:
    """Create an empty ``staging.<table>`` for every extract that has none on ``con`` yet (a
    connection whose staging was not attached by :func:`attach_extracts`, e.g. a hand-made test
    census), so the facts views over the extracts can be defined."""
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging'").fetchall()}
    for e in EXTRACTS:
        if e.table not in have:
            con.execute(f"CREATE VIEW staging.{e.table} AS {empty_select(e.staged_columns)}")


def attach_extracts(con, staging_dir: str | os.PathLike) -> dict[str, int]:
    """Create or replace ``staging.<table>`` of every extract and ``staging.extract_reject`` (its
    quarantined rows) over the Parquet files; returns the files found per view."""
    found: dict[str, int] = {}
    root = Path(staging_dir)
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    views = [(e.table, e.staged_columns, f"{e.table}/*/part.parquet") for e in EXTRACTS]
    views.append((REJECT_TABLE, REJECT_COLUMNS, f"{REJECT_TABLE}/*/*/part.parquet"))
    for table, columns, pattern in views:
        found[table] = len(list(root.glob(pattern)))
        body = parquet_select(columns, str(root / pattern)) if found[table] else empty_select(columns)
        con.execute(f"CREATE OR REPLACE VIEW staging.{table} AS {body}")
    return found
