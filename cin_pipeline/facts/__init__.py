"""The facts layer: definitions that many tables share, written once as DuckDB views in ``facts``.

:func:`build` (re)creates them over ``clean.*`` (each year's census return, ``census.sql``) and,
once the Longitudinal CIN Dataset is built, ``lcd.*`` (``lcd.sql``). A table query reads facts and
returns its counts. docs/DEFINITIONS.md names each view once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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

# Major ethnic groups as DfE publishes them: (group, census codes). Refused and not yet obtained
# are "Unknown".
ETHNIC_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("White", ("WBRI", "WIRI", "WIRT", "WOTH", "WROM")),
    ("Mixed", ("MWBC", "MWBA", "MWAS", "MOTH")),
    ("Asian or Asian British", ("AIND", "APKN", "ABAN", "AOTH")),
    ("Black or Black British", ("BCRB", "BAFR", "BOTH")),
    ("Other ethnic groups", ("CHNE", "OOTH")),
    ("Unknown", ("REFU", "NOBT")),
)
AGE_BANDS = ("Unborn", "Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over")
"""Age bands at 31 March as DfE publishes them (``facts.child.age_band``; ``Unknown`` when
neither a date of birth nor an expected one is recorded)."""

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


def build(con) -> None:
    """Create or replace the ``facts`` views on ``con`` (``clean`` must be attached). The views
    over the LCD are created when ``lcd.*`` exists (the LCD asset builds it)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS facts")
    con.execute(_code_view("factor_group", FACTOR_GROUPS, "factor", "factor_group"))
    con.execute(_code_view("ethnic_group", ETHNIC_GROUPS, "ethnicity", "ethnic_group"))
    con.execute(_bank_holiday_view())
    con.execute(_sql("census.sql"))
    if all(has_relation(con, "lcd", t) for t in LCD_TABLES):
        con.execute(_sql("lcd.sql"))
