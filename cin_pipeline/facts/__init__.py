"""The facts layer: definitions that many tables share, written once as DuckDB views in ``facts``.

:func:`build` (re)creates them over ``clean.*`` (each year's census return, ``census.sql``) and,
once the Longitudinal CIN Dataset is built, ``lcd.*`` (``lcd.sql``). A table query reads facts and
returns its counts. docs/DEFINITIONS.md names each view once.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from cin_pipeline.census.spec import ETHNIC_GROUPS, ETHNICITIES
from cin_pipeline.ingest.extracts import ensure_extract_views
from cin_pipeline.reference.calendar import bank_holidays
from cin_pipeline.sqlutil import has_relation, literal

_HERE = Path(__file__).resolve().parent

# Assessment factor groups of the re-referrals release (D1, D2), in published order:
# (label, census codes). Factor 21 (no factors identified) and 20 (other) are not published.
FACTOR_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Alcohol misuse (any)", ("1A", "1B", "1C")),
    ("Drug misuse (any)", ("2A", "2B", "2C")),
    ("Domestic abuse (any)", ("3A", "3B", "3C")),
    ("Mental health (any)", ("4A", "4B", "4C")),
    ("Learning disability (any)", ("5A", "5B", "5C")),
    ("Physical disability or illness (any)", ("6A", "6B", "6C")),
    ("Young carer", ("7A",)),
    ("Privately fostered", ("8B", "8C", "8D", "8E", "8F")),
    ("Unaccompanied asylum seeker", ("9A",)),
    ("Going missing", ("10A",)),
    ("Child sexual exploitation", ("11A",)),
    ("Trafficking", ("12A",)),
    ("Gangs", ("13A",)),
    ("Socially unacceptable behaviour", ("14A",)),
    ("Self-harm", ("15A",)),
    ("Neglect", ("16A",)),
    ("Emotional abuse", ("17A",)),
    ("Physical abuse (any)", ("18A", "18B", "18C")),
    ("Sexual abuse (any)", ("19A", "19B", "19C")),
    ("Female genital mutilation", ("22A",)),
    ("Faith-linked abuse", ("23A",)),
    ("Child criminal exploitation", ("24A",)),
)
FACTOR_GROUP_LABELS: tuple[str, ...] = tuple(label for label, _ in FACTOR_GROUPS)
FACTOR_GROUP_FIRST_YEAR: tuple[tuple[str, int], ...] = (("Child criminal exploitation", 2022),)
"""Groups whose codes were first collected in a later year ("x" before)."""

# Ethnicity as DfE publishes it (major and minor groups): defined with the census code set, which
# the generator also calibrates on.
ETHNIC_MINOR_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (label, (code,)) for _, minors in ETHNICITIES for code, label in minors)
"""Minor ethnic groups: (label, (census code,)) (``facts.child.ethnic_minor_group``)."""
AGE_BANDS = ("Unborn", "Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over")
"""Age bands at 31 March as DfE publishes them (``facts.child.age_band``; ``Unknown`` when
neither a date of birth nor an expected one is recorded)."""

# The characteristics of a child as the national A tables publish them (facts.child_characteristic;
# the pairs are the view facts.characteristic): (characteristic, its characteristic_type values). Unborn children are their own group, not in
# the gender or age rows, so Gender + Unborn = Age + Unborn = each ethnicity group = Total.
CHARACTERISTICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Gender", ("Total", "Female", "Male", "Unknown/Indeterminate gender")),
    ("Unborn", ("Unborn",)),
    ("Age", tuple(b for b in AGE_BANDS if b != "Unborn") + ("Age unknown",)),
    ("Ethnicity major", tuple(group for group, _ in ETHNICITIES)),
    ("Ethnicity minor", tuple(label for _, minors in ETHNICITIES for _, label in minors)),
)

# Sources of referral as DfE publishes them (Children in need C5, re-referrals A5): (group, census
# ReferralSource codes), in census code order. LA services - early help (5D) is a code from 2023.
# A referral with no source recorded (allowed before April 2013 only, rule 8866) is Unknown (10).
REFERRAL_SOURCE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Individual", ("1A", "1B", "1C", "1D")),
    ("Schools", ("2A",)),
    ("Education services", ("2B",)),
    ("Health services", ("3A", "3B", "3C", "3D", "3E", "3F")),
    ("Housing", ("4",)),
    ("LA services", ("5A", "5B", "5C")),
    ("LA services - early help", ("5D",)),
    ("Police", ("6",)),
    ("Other legal agency", ("7",)),
    ("Other", ("8",)),
    ("Anonymous", ("9",)),
    ("Unknown", ("10",)),
)
REFERRAL_SOURCE_FIRST_YEAR: tuple[tuple[str, int], ...] = (("LA services - early help", 2023),)
"""Source groups whose codes were first collected in a later year ("x" before)."""

LCD_TABLES = ("referral", "referral_factor", "episode")


@lru_cache(maxsize=None)
def _sql(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8")


def _code_view(name: str, groups, code: str, group: str) -> str:
    rows = ", ".join(f"({literal(c)}, {literal(label)})" for label, codes in groups for c in codes)
    return f"CREATE OR REPLACE VIEW facts.{name} AS SELECT * FROM (VALUES {rows}) AS t({code}, {group})"


def _bank_holiday_view() -> str:
    rows = ", ".join(f"(DATE '{d.isoformat()}')" for d in sorted(bank_holidays()))
    return f"CREATE OR REPLACE VIEW facts.bank_holiday AS SELECT * FROM (VALUES {rows}) AS t(day)"


def relations(sql: str) -> set[str]:
    """The warehouse relations (``facts.*``, ``staging.*``, ``clean.*``, ``lcd.*``) that ``sql``
    names."""
    return set(re.findall(r"\b(?:facts|staging|clean|lcd)\.[a-z_0-9]+", sql))


@lru_cache(maxsize=None)
def _view_reads() -> dict[str, frozenset[str]]:
    """Each facts view -> the relations (``facts.*``, ``staging.*``, ``clean.*``, ``lcd.*``) its
    definition reads, from the SQL files."""
    out: dict[str, frozenset[str]] = {}
    for name in ("census.sql", "lcd.sql"):
        text = re.sub(r"--[^\n]*", "", _sql(name))  # comments name views they do not read
        parts = re.split(r"CREATE OR REPLACE (?:VIEW|MACRO) facts\.([a-z_0-9]+)", text)
        for view, body in zip(parts[1::2], parts[2::2]):
            out[view] = frozenset(relations(body))
    return out


def _reads(relations, found: tuple[str, ...], enter) -> set[str]:
    """The relations named ``found...`` that ``relations`` read, directly or through the facts
    views for whose name ``enter`` is true."""
    reads, seen, todo = _view_reads(), set(), list(relations)
    out: set[str] = set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        if rel.startswith(found):
            out.add(rel)
        elif rel.startswith("facts.") and enter(rel.split(".", 1)[1]):
            todo.extend(reads.get(rel.split(".", 1)[1], ()))
    return out


def staging_reads(relations) -> set[str]:
    """The ``staging.*`` relations that ``relations`` (e.g. a table query's ``facts.*`` views)
    read, directly or through other facts views: how the Dagster table assets find the source
    extracts a table depends on (``staging.school_census``...)."""
    return _reads(relations, ("staging.",), lambda view: True)


STATE = "build_state"
"""``facts.build_state``: present when the warehouse holds stored facts
(:func:`cin_pipeline.facts.store.materialise`)."""

_CREATE_VIEW = re.compile(r"^\s*(?:--[^\n]*\n\s*)*CREATE OR REPLACE VIEW facts\.([a-z_0-9]+)\b", re.I)


def _code_views() -> list[str]:
    return [
        _code_view("factor_group", FACTOR_GROUPS, "factor", "factor_group"),
        _code_view("ethnic_group", ETHNIC_GROUPS, "ethnicity", "ethnic_group"),
        _bank_holiday_view(),
        _code_view("ethnic_minor_group", ETHNIC_MINOR_GROUPS, "ethnicity", "ethnic_minor_group"),
        _code_view("characteristic", CHARACTERISTICS, "characteristic_type", "characteristic"),
        _code_view("referral_source_group", REFERRAL_SOURCE_GROUPS, "referral_source", "source_group"),
    ]


def definition_texts() -> list[str]:
    """Every text that defines the facts: the code lists' views and the two SQL files."""
    return [*_code_views(), _sql("census.sql"), _sql("lcd.sql")]


def view_names() -> list[str]:
    """The views of ``census.sql`` and ``lcd.sql``, in definition order."""
    return [m.group(1) for name in ("census.sql", "lcd.sql")
            for m in re.finditer(r"^CREATE OR REPLACE VIEW facts\.([a-z_0-9]+)", _sql(name), re.M)]


@lru_cache(maxsize=None)
def stored_names() -> tuple[str, ...]:
    """The facts views that :func:`cin_pipeline.facts.store.materialise` stores as tables, in
    definition order: those that read no ``staging.*`` relation (a source extract), directly or
    through other facts views."""
    return tuple(v for v in view_names() if v not in _VIEWS_OF_ONE_FACT and not staging_reads({f"facts.{v}"}))


_VIEWS_OF_ONE_FACT = ("episode_of_need", "child_characteristic")
"""Facts that stay views where the others are stored: a filter or an unnest of one stored fact,
as quick to read as a table and large to store (on a national 2012-2024 warehouse 9.9 and 58.8
million rows, 30 s of a 176 s build)."""


def live_reads(relations) -> set[str]:
    """The ``clean.*`` and ``staging.*`` relations that ``relations`` (a table query's) read
    directly or through facts views that are not stored: what a table step over stored facts
    still needs the staged Parquet files attached for."""
    stored = set(stored_names())
    return _reads(relations, ("staging.", "clean."), lambda view: view not in stored)


def definitions(con) -> list[tuple[str | None, str]]:
    """``(view name or None, statement)`` of every facts definition, in order: the code lists,
    ``census.sql`` and, once ``lcd.*`` exists, ``lcd.sql`` (with the source extracts' views it
    reads). DuckDB's own parser splits the files, so no comment or literal can fool it."""
    out: list[tuple[str | None, str]] = [(None, "CREATE SCHEMA IF NOT EXISTS facts")]
    out += [(None, v) for v in _code_views()]
    files = ["census.sql"]
    if all(has_relation(con, "lcd", t) for t in LCD_TABLES):
        ensure_extract_views(con)  # the facts over the source extracts read staging.*
        files.append("lcd.sql")
    for name in files:
        for s in con.extract_statements(_sql(name)):
            m = _CREATE_VIEW.match(s.query)
            out.append((m.group(1) if m else None, s.query))
    return out


class FactsOutOfDate(RuntimeError):
    """The stored facts were not built from the returns staged now, or by this SQL."""


def facts_version() -> str:
    """Hash of everything that defines the facts: stored facts built by other SQL (or other code
    lists) are rebuilt in full, and never read."""
    h = hashlib.sha256()
    for text in [*definition_texts(), *stored_names()]:
        h.update(text.encode() + b"\0")
    return h.hexdigest()[:16]


def build(con) -> None:
    """Make the ``facts`` relations ready on ``con``.

    A warehouse holding stored facts (``facts.build_state``, written by
    :func:`cin_pipeline.facts.store.materialise` with every other definition in the same
    transaction) is ready as it is; :class:`FactsOutOfDate` if they were stored by other SQL.
    Otherwise (tests, ad-hoc sessions) every definition is created as a view over ``clean``
    (which must be attached); the views over the LCD when ``lcd.*`` exists."""
    if has_relation(con, "facts", STATE):
        versions = {r[0] for r in con.execute(f"SELECT DISTINCT facts_version FROM facts.{STATE}").fetchall()}
        if versions - {facts_version()}:
            raise FactsOutOfDate("the stored facts were built by other SQL: materialise "
                                 "longitudinal_cin_dataset first")
        return
    for _, stmt in definitions(con):
        con.execute(stmt)
