"""Stored facts (``cin_pipeline.facts.store``): the tables the LCD asset stores hold exactly what
the views compute, a resubmission rebuilds only its LA, a table step refuses facts built from other
returns, and a failed build leaves the old facts."""

from __future__ import annotations

import pytest

from cin_pipeline import facts
from cin_pipeline.ees.rows import run_query
from cin_pipeline.facts import FactsOutOfDate
from cin_pipeline.facts.store import DEFINITIONS_SCHEMA, materialise, require_current
from cin_pipeline.ingest import ingest_file
from cin_pipeline.ingest.warehouse import clean_of
from cin_pipeline.lcd import LCD_TABLES, build_lcd, staged_signatures
from cin_pipeline.tables import all_tables
from cin_pipeline_tests.pipeline_helpers import stage_and_link


def _canon(df):
    """Rows in one order (a query's order within a year and LA is not defined)."""
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _counts(con) -> dict:
    return {spec.table_id: run_query(con, spec) for spec in all_tables()}


def _differences(con) -> dict[str, int]:
    """Per stored fact: rows of the table not in its definition's result, and the reverse."""
    out = {}
    for name in facts.stored_names():
        n = con.execute(f"""SELECT (SELECT count(*) FROM (SELECT * FROM facts.{name} EXCEPT ALL
                                    SELECT * FROM {DEFINITIONS_SCHEMA}.{name}))
                                 + (SELECT count(*) FROM (SELECT * FROM {DEFINITIONS_SCHEMA}.{name} EXCEPT ALL
                                    SELECT * FROM facts.{name}))""").fetchone()[0]
        if n:
            out[name] = n
    return out


def _table_type(con, name: str) -> str:
    return con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'facts' "
                       "AND table_name = ?", [name]).fetchone()[0]


@pytest.fixture(scope="module")
def staged(small_returns, tmp_path_factory):
    work = tmp_path_factory.mktemp("facts_store")
    con, _ = stage_and_link(sorted(small_returns.glob("*/*.xml")), work)
    yield con, work
    con.close()


def test_stored_facts_give_every_table_the_same_counts(staged):
    con, work = staged
    views = _counts(con)                       # every definition a view over clean.*
    assert _table_type(con, "episode") == "VIEW"
    info = materialise(con, staged_signatures(work / "staging"))
    assert info["las"] is None                 # nothing stored yet: a full build
    assert info["rows"]["episode"] > 1000
    for name in facts.stored_names():
        assert _table_type(con, name) == "BASE TABLE", name
    assert _table_type(con, "referral_school_census") == "VIEW"   # reads a source extract
    assert _differences(con) == {}
    stored = _counts(con)
    for table_id, (counts, dists) in views.items():
        got, got_dists = stored[table_id]
        assert _canon(counts).equals(_canon(got)), table_id
        assert dists.keys() == got_dists.keys()
        for k in dists:
            assert _canon(dists[k]).equals(_canon(got_dists[k])), (table_id, k)
    # nothing changed: nothing rebuilt
    assert materialise(con, staged_signatures(work / "staging"))["las"] == []


def test_a_resubmission_rebuilds_its_la_and_tables_refuse_stale_facts(staged, small_returns):
    con, work = staged
    staging = work / "staging"
    if not facts.store.is_stored(con):
        materialise(con, staged_signatures(staging))
    require_current(con, staged_signatures(staging))   # built from what is staged: no error
    before = con.execute("SELECT la, count(*) FROM facts.child WHERE year = 2024 GROUP BY la").fetchall()
    # LA 330 resubmits 2024 without its last child
    src = small_returns / "2024" / "330.xml"
    text = src.read_text(encoding="utf-8")
    last = text.rindex("<Child>")
    fewer = work / "330_resubmitted.xml"
    fewer.write_text(text[:last] + text[text.index("</Child>", last) + len("</Child>"):], encoding="utf-8")
    ingest_file(fewer, staging, expected_year=2024, expected_la="330")
    with pytest.raises(FactsOutOfDate, match="LAs 330"):
        require_current(con, staged_signatures(staging))
    # as the LCD asset does: the LCD and the facts of LA 330 from its own staged files only
    with clean_of(con, staging, ["330"]) as src:
        build_lcd(con, src=src, las=["330"])
    info = materialise(con, staged_signatures(staging), staging)
    assert info["las"] == ["330"]
    build_lcd(con, out="lcd_full")                   # a full build from every staged file
    for t in LCD_TABLES:
        assert con.execute(f"""SELECT count(*) FROM (
            (SELECT * FROM lcd.{t} EXCEPT ALL SELECT * FROM lcd_full.{t})
            UNION ALL (SELECT * FROM lcd_full.{t} EXCEPT ALL SELECT * FROM lcd.{t}))""").fetchone()[0] == 0, t
    require_current(con, staged_signatures(staging))
    assert _differences(con) == {}              # the incremental build equals the definitions
    after = dict(con.execute("SELECT la, count(*) FROM facts.child WHERE year = 2024 GROUP BY la").fetchall())
    assert after["330"] == dict(before)["330"] - 1
    assert {la: n for la, n in before if la != "330"} == {la: n for la, n in after.items() if la != "330"}


def test_a_failed_build_leaves_the_old_facts(staged, monkeypatch):
    con, work = staged
    staging = work / "staging"
    materialise(con, staged_signatures(staging))
    rows = con.execute("SELECT count(*) FROM facts.episode").fetchone()[0]
    state = con.execute("SELECT * FROM facts.build_state ORDER BY la").fetchall()
    real = facts.definitions

    def broken(c):  # the last definition fails, after every table was replaced
        return [*real(c), ("la_rereferral", "CREATE OR REPLACE VIEW facts.la_rereferral AS SELECT * FROM nowhere")]

    monkeypatch.setattr(facts.store, "definitions", broken)
    with pytest.raises(Exception, match="nowhere"):
        materialise(con, {la: "changed" for la, *_ in state})
    assert con.execute("SELECT count(*) FROM facts.episode").fetchone()[0] == rows
    assert con.execute("SELECT * FROM facts.build_state ORDER BY la").fetchall() == state


def test_facts_stored_by_other_sql_are_never_read(staged, monkeypatch):
    con, work = staged
    materialise(con, staged_signatures(work / "staging"))
    facts.build(con)   # stored and current: nothing to do
    monkeypatch.setattr(facts, "facts_version", lambda: "other")
    monkeypatch.setattr(facts.store, "facts_version", lambda: "other")
    with pytest.raises(FactsOutOfDate, match="other SQL"):
        facts.build(con)
    with pytest.raises(FactsOutOfDate, match="other SQL"):
        require_current(con, staged_signatures(work / "staging"))


def test_a_table_reads_the_staged_files_only_through_views_that_are_not_stored():
    assert facts.live_reads({"facts.episode_of_need", "lcd.referral"}) == set()
    assert facts.live_reads({"facts.referral_school_census"}) == {"staging.school_census"}
    assert facts.live_reads({"clean.cpp"}) == {"clean.cpp"}
