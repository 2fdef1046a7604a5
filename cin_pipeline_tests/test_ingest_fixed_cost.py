"""The per-connection rule views (built once per year, reused by every ingest of the process)
find exactly what running every rule query on its own finds, whatever the order of the years."""

from __future__ import annotations

import duckdb
import pytest

from cin_pipeline.census import spec
from cin_pipeline.ingest import parse, rules, schema, staging


def _reference_findings(path, name: str) -> list[tuple]:
    """Findings of ``path`` from a fresh connection, one INSERT per rule query (no views)."""
    header = parse.read_header(path)
    con = staging.connect()
    try:
        staging.load_raw(con, path)
        staging.build_typed(con, [staging.Staged(0, header, name, None)])
        start, end = spec.census_period(header.year)
        con.execute(f"CREATE MACRO in_period(d) AS d BETWEEN DATE '{start}' AND DATE '{end}'")
        rules.write_context(con, [(0, header, name)])
        schema.create_empty(con, "validation_finding")
        for _code, q in rules.finding_queries(header.year):
            con.execute("INSERT INTO validation_finding SELECT * EXCLUDE (f) FROM (" + q + ")")
        return sorted(con.execute("SELECT * FROM validation_finding").fetchall(), key=repr)
    finally:
        con.close()


@pytest.fixture(scope="module")
def dirty_returns(tmp_path_factory):
    from cin_pipeline.synth import generate

    out = tmp_path_factory.mktemp("dirty_fixed_cost")
    generate(out, years=[2023, 2025], las=["202", "873"], scale=0.03, seed=11, dirty_rate=0.05,
             supporting=False)
    return out


def test_cached_rule_views_match_one_query_per_rule(dirty_returns, tmp_path):
    files = sorted(dirty_returns.glob("20*/*.xml"))
    assert len(files) == 4
    # alternate the years so the cached views of both years and the in_period macro are reused
    order = [files[0], files[2], files[1], files[3], files[0]]
    total = 0
    for path in order:
        result = staging.ingest_file(path, tmp_path / "staging", source_name="x'y.xml")
        got = duckdb.sql(
            f"SELECT * FROM read_parquet('{result.files['validation_finding']}', hive_partitioning=false)").fetchall()
        expected = _reference_findings(path, "x'y.xml")
        assert sorted(got, key=repr) == expected, path
        assert sum(result.findings.values()) == len(expected)
        total += len(expected)
    assert total > 0  # the dirty returns do have findings


def test_reset_keeps_the_rule_views_but_drops_the_data(dirty_returns, tmp_path):
    path = sorted(dirty_returns.glob("2025/*.xml"))[0]
    staging.ingest_file(path, tmp_path / "staging")
    con = staging.session(memory_limit=staging.memory_limit(),
                          spill_root=staging.spill_dir(tmp_path / "staging"))
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables and all(t.startswith(rules.KEEP_PREFIX) for t in tables), tables
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert any(v.startswith(rules.KEEP_PREFIX + "rules_2025_") for v in views), views
