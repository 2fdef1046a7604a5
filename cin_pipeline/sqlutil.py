"""Small helpers for the SQL text the pipeline builds for DuckDB (one definition each)."""

from __future__ import annotations


def literal(value) -> str:
    """A SQL string literal (quotes doubled), or ``NULL`` for ``None``."""
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def literal_list(values) -> str:
    """A DuckDB list literal of strings: ``['a', 'b']``."""
    return "[" + ", ".join(literal(v) for v in values) + "]"


def in_list(values) -> str:
    """The inside of ``IN (...)`` for strings: ``'a', 'b'``."""
    return ", ".join(literal(v) for v in values)


def has_relation(con, schema: str, name: str) -> bool:
    """Whether table or view ``schema.name`` exists in the connection's catalog."""
    return con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, name]).fetchall()[0][0] > 0


def empty_select(columns) -> str:
    """A SELECT of no rows with the ``(name, type)`` columns ``columns``."""
    return "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in columns) + " WHERE false"


def parquet_select(columns, files, union_by_name: bool = True) -> str:
    """A SELECT of the ``(name, type)`` columns ``columns``, each cast to its type, from the
    Parquet ``files`` (a glob, or a list of paths; read by column name, no hive partitioning);
    :func:`empty_select` when the list is empty. ``union_by_name=False`` when the files are known
    to share one schema (:func:`same_parquet_schema`): DuckDB then reads the schema of one file
    when it binds the query, not of every file."""
    if not isinstance(files, str) and not files:
        return empty_select(columns)
    source = literal(files) if isinstance(files, str) else literal_list(files)
    cols = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns)
    union = "true" if union_by_name else "false"
    return f"SELECT {cols} FROM read_parquet({source}, hive_partitioning = false, union_by_name = {union})"


def same_parquet_schema(con, files) -> bool:
    """Whether every Parquet file of ``files`` (a glob) has the same columns, by name, with the
    same types: one read of every file's footer. Files written by one version of the pipeline do;
    a warehouse holding files staged by an older version may not."""
    schemas = con.execute(
        "SELECT count(DISTINCT columns) FROM (SELECT file_name, string_agg(concat_ws(' ', name, type, "
        "logical_type, converted_type), ', ' ORDER BY name) AS columns "
        f"FROM parquet_schema({literal(files)}) GROUP BY file_name)").fetchone()[0]
    return schemas <= 1
