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
