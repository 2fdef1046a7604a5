"""The formatted tables in the warehouse: ``publication.<table>`` (the published text) and
``publication.<table>__unrounded`` (the query's unrounded counts, for the exact checks)."""

from __future__ import annotations

import pandas as pd

from cin_pipeline.ees.meta import build_meta
from cin_pipeline.ees.rows import EesOutput
from cin_pipeline.tables.declare import TableSpec

PUBLICATION_SCHEMA = "publication"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


UNROUNDED_SUFFIX = "__unrounded"


def _ensure_table(con, name: str, columns: list[tuple[str, str]]) -> str:
    """``publication.<name>`` with exactly ``columns`` (rebuilt when the declaration changed)."""
    table = f"{PUBLICATION_SCHEMA}.{_q(name)}"
    existing = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [PUBLICATION_SCHEMA, name]).fetchall()
    if existing and [c for (c,) in existing] != [c for c, _ in columns]:
        con.execute(f"DROP TABLE {table}")
        existing = []
    if not existing:
        con.execute(f"CREATE TABLE {table} (" + ", ".join(f"{_q(c)} {t}" for c, t in columns) + ")")
    return table


def _replace_rows(con, table: str, release_year: int, df: pd.DataFrame) -> None:
    con.execute(f"DELETE FROM {table} WHERE release_year = ?", [release_year])
    if len(df):
        con.register("_ees_rows", df)
        con.execute(f"INSERT INTO {table} SELECT * FROM _ees_rows")
        con.unregister("_ees_rows")


def store_publication(con, out: EesOutput) -> int:
    """Replace the rows of ``release_year`` in ``publication.<warehouse_name>``: the published cells as
    text (exactly the CSV content, in file order: column ``row_number``) plus ``release_year``.

    In the same transaction, ``publication.<warehouse_name>__unrounded`` gets the query's unrounded
    output for that release year (``release_year, year, la, <filters>, <counts>``; every row the
    query returned, carried-forward source years included), which the cross-checks
    (``cin_pipeline.defs.checks``) read to be exact. Without ``out.counts`` (e.g. rows re-stored
    from :func:`load_publication`) that release year's unrounded rows are removed, so the checks
    never compare text with stale counts."""
    spec = out.spec
    cols = spec.columns()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLICATION_SCHEMA}")
    table = _ensure_table(con, spec.warehouse_name, [("release_year", "INTEGER"), ("row_number", "INTEGER")]
                          + [(c, "VARCHAR") for c in cols])
    ucols = ["year", "la", *[f.name for f in spec.query_filters], *spec.count_columns]
    utable = _ensure_table(con, spec.warehouse_name + UNROUNDED_SUFFIX,
                           [("release_year", "INTEGER"), ("year", "INTEGER"), ("la", "VARCHAR")]
                           + [(f.name, "VARCHAR") for f in spec.query_filters]
                           + [(c, "BIGINT") for c in spec.count_columns])
    df = out.data.copy()
    df.insert(0, "row_number", range(1, len(df) + 1))
    df.insert(0, "release_year", out.release_year)
    udf = (out.counts[ucols].copy() if out.counts is not None
           else pd.DataFrame({c: [] for c in ucols}))
    udf.insert(0, "release_year", out.release_year)
    con.execute("BEGIN TRANSACTION")
    try:
        _replace_rows(con, table, out.release_year, df)
        _replace_rows(con, utable, out.release_year, udf)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(df)


def load_publication(con, spec: TableSpec, release_year: int) -> EesOutput:
    """The stored rows of ``spec`` for ``release_year`` (as written by :func:`store_publication`)."""
    cols = spec.columns()
    df = con.execute(
        f"SELECT {', '.join(_q(c) for c in cols)} FROM {PUBLICATION_SCHEMA}.{_q(spec.warehouse_name)} "
        "WHERE release_year = ? ORDER BY row_number", [release_year]).df()
    if df.empty:
        raise LookupError(f"publication.{spec.warehouse_name} has no rows for release year {release_year}")
    df = df.astype(object).where(df.notna(), "")
    return EesOutput(spec, release_year, df.astype(str), build_meta(spec))
