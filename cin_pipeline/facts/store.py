"""The facts stored as DuckDB tables, once per build of the Longitudinal CIN Dataset.

A table query reads ``facts.*``. As views (:func:`cin_pipeline.facts.build` on a connection
without stored facts: tests, ad-hoc sessions) every table step would recompute the shared
definitions from the staged Parquet files: on a national 2012-2024 warehouse ``facts.episode``
alone joins 13 million episodes across returns, and each of the 48 tables paid for it again.

:func:`materialise` (called by the LCD asset after it rebuilds ``lcd.*``) stores every facts view
of ``census.sql`` and ``lcd.sql`` that reads only the census returns and the LCD as a table of
the same name, in definition order, so each view reads the tables stored before it. A view that
reads a staged source extract (``staging.school_census``, ``staging.ofsted_judgement``) stays a
view: the extracts are re-staged on their own, without a new LCD build.

Like the LCD, the stored facts of an LA depend only on that LA's staged returns, so a build
replaces only the LAs whose staged returns changed (``facts.build_state``: one signature per LA,
:func:`cin_pipeline.lcd.staged_signatures`, and the hash of the facts SQL); everything when the
SQL changed. The whole build, rows and state, is one transaction: a reader, or a crash, sees the
old facts or the new ones. :func:`require_current` is how a table step refuses to publish from
facts built from other returns than those staged now.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import nullcontext

from cin_pipeline.facts import STATE, FactsOutOfDate, definitions, facts_version, stored_names
from cin_pipeline.ingest.warehouse import clean_of
from cin_pipeline.lcd import changed_las
from cin_pipeline.sqlutil import has_relation, in_list

DEFINITIONS_SCHEMA = "facts_def"
"""Where :func:`materialise` defines the stored views (``facts_def.<name>``) before it stores them
as ``facts.<name>``."""


def is_stored(con) -> bool:
    """Whether ``con``'s warehouse holds stored facts (written by :func:`materialise`)."""
    return has_relation(con, "facts", STATE)


def stored_state(con) -> dict[str, str] | None:
    """``{la: staged_signature}`` of the stored facts, or None when they must be built in full
    (none stored, or built by other SQL)."""
    if not is_stored(con) or not all(_is_table(con, n) for n in stored_names()):
        return None
    rows = con.execute(f"SELECT la, staged_signature, facts_version FROM facts.{STATE}").fetchall()
    version = facts_version()
    if any(v != version for _, _, v in rows):
        return None
    return {la: sig for la, sig, _ in rows}


def require_current(con, signatures: dict[str, str]) -> None:
    """Raise :class:`FactsOutOfDate` unless the stored facts were built by this SQL from exactly
    the returns staged now (``signatures``: :func:`cin_pipeline.lcd.staged_signatures`)."""
    state = stored_state(con)
    if state is None:
        why = ("no facts are stored" if not is_stored(con)
               else "the stored facts were built by other SQL")
        raise FactsOutOfDate(f"{why}: materialise longitudinal_cin_dataset first")
    changed = changed_las(state, signatures)
    if changed:
        shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more" if len(changed) > 10 else "")
        raise FactsOutOfDate(
            f"the stored facts were built from other staged returns than those staged now "
            f"(LAs {shown}): materialise longitudinal_cin_dataset first")


def _is_table(con, name: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'facts' "
        "AND table_name = ? AND table_type = 'BASE TABLE'", [name]).fetchall()[0][0] > 0


def _table_has_la(con, name: str) -> bool:
    return "la" in [r[0] for r in con.execute(f"DESCRIBE facts.{name}").fetchall()]


def _only_las(stmt: str, las: list[str], facts_with_la: set[str], clean: str = "clean") -> str:
    """``stmt`` with every read of ``clean.*`` (read from schema ``clean`` instead, e.g. the views
    over the LAs' own files), ``lcd.*`` and the stored facts with an ``la`` column limited to
    ``las`` (a macro call such as ``facts.working_days(`` is left alone)."""
    where = f"WHERE la IN ({in_list(las)})"
    stored = "|".join(sorted(facts_with_la)) or "(?!)"
    pattern = re.compile(rf"\b(?:clean|lcd)\.[a-z_0-9]+\b(?!\s*\()|\bfacts\.(?:{stored})\b(?!\s*\()")

    def read(m: re.Match) -> str:
        rel = m.group(0)
        if rel.startswith("clean."):
            rel = f"{clean}.{rel.split('.', 1)[1]}"
        return f"(SELECT * FROM {rel} {where})"

    return pattern.sub(read, stmt)


def materialise(con, signatures: dict[str, str], staging_dir: str | os.PathLike | None = None) -> dict:
    """Store the facts for the returns staged now (``clean`` attached, ``lcd`` built).

    ``signatures`` (:func:`cin_pipeline.lcd.staged_signatures`) decides which LAs to rebuild:
    those whose signature differs from the stored state; all when no state or other SQL. With
    ``staging_dir``, a rebuild of some LAs reads only their staged files
    (:func:`cin_pipeline.ingest.warehouse.clean_of`), else ``clean.*`` filtered. Returns
    ``{"las": rebuilt LAs or None for all, "rows": {name: rows}, "seconds": s,
    "seconds_by_fact": {name: s}}``."""
    t0 = time.perf_counter()
    las = changed_las(stored_state(con), signatures)
    names = set(stored_names())
    seconds: dict[str, float] = {}
    # a rebuild of some LAs reads only their staged files (with a staging folder)
    scoped = clean_of(con, staging_dir, las) if las and staging_dir is not None else nullcontext("clean")
    with scoped as clean:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS facts")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {DEFINITIONS_SCHEMA}")
            per_la = {n for n in names if _is_table(con, n) and _table_has_la(con, n)} if las else set()
            for name, stmt in definitions(con):
                if name not in names:
                    if name is not None and _is_table(con, name):
                        con.execute(f"DROP TABLE facts.{name}")  # stored by an earlier version
                    con.execute(stmt)  # a code list, macro or view (over a source extract, or cheap)
                    continue
                t1 = time.perf_counter()
                con.execute(stmt.replace(f"VIEW facts.{name}", f"VIEW {DEFINITIONS_SCHEMA}.{name}", 1))
                if las is None or name not in per_la:
                    if not _is_table(con, name):
                        con.execute(f"DROP VIEW IF EXISTS facts.{name}")
                    con.execute(f"CREATE OR REPLACE TABLE facts.{name} AS SELECT * FROM {DEFINITIONS_SCHEMA}.{name}")
                else:
                    # the definition over the changed LAs' rows only: every input read is filtered
                    # (the rows of an LA's facts depend on that LA's rows alone)
                    con.execute(_only_las(stmt.replace(f"VIEW facts.{name}", f"TEMP VIEW _facts_las_{name}", 1),
                                          las, per_la, clean))
                    con.execute(f"DELETE FROM facts.{name} WHERE la IN ({in_list(las)})")
                    con.execute(f"INSERT INTO facts.{name} BY NAME SELECT * FROM _facts_las_{name}")
                    con.execute(f"DROP VIEW _facts_las_{name}")
                seconds[name] = round(time.perf_counter() - t1, 2)
            _write_state(con, signatures)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    rows = {n: con.execute(f"SELECT count(*) FROM facts.{n}").fetchone()[0] for n in stored_names()}
    return {"las": las, "rows": rows, "seconds": round(time.perf_counter() - t0, 2), "seconds_by_fact": seconds}


def _write_state(con, signatures: dict[str, str]) -> None:
    con.execute(f"CREATE OR REPLACE TABLE facts.{STATE} (la VARCHAR PRIMARY KEY, staged_signature VARCHAR, "
                "built_at TIMESTAMP, facts_version VARCHAR)")
    rows = [(la, sig, facts_version()) for la, sig in sorted(signatures.items())]
    if rows:
        con.executemany(f"INSERT INTO facts.{STATE} VALUES (?, ?, current_localtimestamp(), ?)", rows)
