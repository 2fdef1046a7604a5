"""Several returns ingested in one DuckDB session (issue 15) give each return exactly what ingesting
it on its own gives: the same staged rows in the same order and the same findings, byte for byte,
whatever else is in the batch, even returns that share every child ID; a return that breaks or
fails stops no other."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from cin_pipeline.ingest import CensusFileError, landing, parse, rules, staging
from cin_pipeline.ingest.staging import IngestJob, ingest_batch, ingest_file


@pytest.fixture(scope="module")
def dirty_batch(tmp_path_factory):
    """Dirty returns of two census years, plus for each 202 return two that share its child IDs:
    a copy filed as LA 204, and a copy filed as LA 205 without assessments, with fewer plans and
    without the first 30 episodes (so a rule that looked across returns would find, or miss,
    records of the other)."""
    from cin_pipeline.synth import generate

    out = tmp_path_factory.mktemp("dirty_batch")
    generate(out, years=[2023, 2025], las=["202", "873", "330"], scale=0.03, seed=11, dirty_rate=0.05,
             supporting=False)
    files = sorted(out.glob("20*/*.xml"))
    twins = out / "twins"
    twins.mkdir()
    for path in [p for p in files if p.stem == "202"]:
        text = path.read_text(encoding="utf-8")
        copy = twins / f"{path.parent.name}_204.xml"
        copy.write_text(text.replace("<LEA>202</LEA>", "<LEA>204</LEA>"), encoding="utf-8")
        cut = re.sub(r"<Assessments>.*?</Assessments>", "", text.replace("<LEA>202</LEA>", "<LEA>205</LEA>"),
                     flags=re.S)
        cut = re.sub(r"<ChildProtectionPlans>.*?</ChildProtectionPlans>", "", cut, count=25, flags=re.S)
        cut = re.sub(r"<CINdetails>.*?</CINdetails>", "", cut, count=30, flags=re.S)
        (twins / f"{path.parent.name}_205.xml").write_text(cut, encoding="utf-8")
        files += [copy, twins / f"{path.parent.name}_205.xml"]
    # a half-copied file: its header is whole, its records stop mid-way
    big = max(files, key=lambda p: p.stat().st_size)
    half = twins / "half.xml"
    half.write_bytes(big.read_bytes()[: big.stat().st_size * 2 // 3])
    return files + [half]


def _staged(result) -> dict[str, list[tuple]]:
    """Every staged table of a result as rows in file order (``ingested_at`` left out)."""
    out = {}
    for table, path in result.files.items():
        rows = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
        out[table] = [r[:-1] for r in rows] if table == "header" else rows
    return out


@pytest.mark.parametrize("insert_children", [None, 3])
def test_a_batch_stages_each_return_exactly_as_alone(dirty_batch, tmp_path, monkeypatch, insert_children):
    """``insert_children`` 3: the raw rows go to DuckDB every few children, in the middle of a
    return (and of the half-copied one, whose rows already inserted must go)."""
    alone = []
    for k, path in enumerate(dirty_batch):
        try:
            alone.append(ingest_file(path, tmp_path / f"alone{k}", threads=1))
        except CensusFileError as exc:
            alone.append(exc)
    if insert_children:
        monkeypatch.setattr(staging, "INSERT_CHILDREN", insert_children)
        monkeypatch.setattr(parse, "DEFAULT_BATCH_CHILDREN", 7)
    together = ingest_batch([IngestJob(p) for p in dirty_batch], tmp_path / "together", threads=1)
    assert len(together) == len(dirty_batch)
    findings = 0
    for path, one, batch in zip(dirty_batch, alone, together):
        if isinstance(one, CensusFileError):
            assert isinstance(batch, CensusFileError) and batch.reason_code == one.reason_code, path
            assert batch.line == one.line and batch.message == one.message
            continue
        assert not isinstance(batch, BaseException), (path, batch)
        assert (batch.rows, batch.findings, batch.children_with_errors) == (
            one.rows, one.findings, one.children_with_errors), path
        assert _staged(batch) == _staged(one), path
        findings += sum(one.findings.values())
    assert isinstance(alone[-1], CensusFileError) and alone[-1].reason_code == "malformed_xml"
    assert findings > 100  # the returns are dirty: the rules had something to find
    # the twins share every child ID with 202 and yet have their own findings
    by_la = {(r.year, r.la): r for r in together if not isinstance(r, BaseException)}
    assert by_la[(2023, "204")].findings == by_la[(2023, "202")].findings
    assert by_la[(2023, "205")].rows["assessment"] == 0 < by_la[(2023, "202")].rows["assessment"]


def test_a_return_that_breaks_part_way_leaves_no_raw_row(dirty_batch):
    """Rows of a return already inserted, and rows still waiting, are all dropped when it breaks;
    the rows of the return before it stay."""
    good = next(p for p in dirty_batch if p.parent.name == "2025")
    half = dirty_batch[-1]
    con = staging.connect(threads=1)
    try:
        staging._create_raw_tables(con)
        raw = staging.RawRows(con, insert_children=5)
        counts = staging._load_file(raw, good, 5, 0)
        with pytest.raises(CensusFileError) as info:
            staging._load_file(raw, half, 5, 1)
        assert info.value.reason_code == "malformed_xml"
        assert raw.inserted == {0}  # `half` had batches of 5 children inserted before it broke
        raw.flush()
        for table, n in counts.items():
            assert con.execute(f"SELECT f, count(*) FROM raw_{table} GROUP BY f").fetchall() == (
                [(0, n)] if n else []), table
    finally:
        con.close()


def test_every_rule_keys_on_the_return():
    """Static check of :data:`rules.RULES`: a check that joins, groups or partitions by the child
    (or by UPN) without ``f`` would mix the returns of a batch."""
    for rule in rules.RULES:
        if not rule.sql:
            continue
        sql = " ".join(rule.sql.split())
        assert re.match(r"(WITH .*?\) )?SELECT (DISTINCT )?(\w+\.)?f, ", sql) or sql.startswith("WITH"), rule.code
        for a, b in re.findall(r"(\w+)\.child_id (?:=|IS NOT DISTINCT FROM) (\w+)\.child_id", sql):
            assert f"{a}.f = {b}.f" in sql or f"{b}.f = {a}.f" in sql, (rule.code, a, b)
        for cols in re.findall(r"USING \(([^)]*)\)", sql):
            assert cols.split(",")[0].strip() == "f", (rule.code, cols)
        for cols in re.findall(r"(?:GROUP|PARTITION) BY (\w+)", sql):
            assert cols in ("f", "ALL"), (rule.code, cols)
        for agg in re.findall(r"FROM \(SELECT (?:f, )?count\(", sql):
            assert agg.startswith("FROM (SELECT f,"), rule.code  # LA-level: one row per return
    for code, table, col, element, check in rules.STRUCTURAL:
        assert rules._structural_sql(table, col, element, check).startswith("SELECT f, ")


def test_a_failing_return_fails_alone(dirty_batch, tmp_path, monkeypatch):
    """If validation fails for a batch, each return is run again on its own: only the return that
    makes it fail fails, the others are staged."""
    files = [p for p in dirty_batch if p.parent.name == "2025"]
    real = rules.run_rules

    def fails_on_873(con, year, returns, la_codes=None):
        if any(h.la == "873" for _f, h, _name in returns):
            raise RuntimeError("validation rule 8500 failed: boom")
        return real(con, year, returns, la_codes)

    monkeypatch.setattr(staging.rules, "run_rules", fails_on_873)
    results = ingest_batch([IngestJob(p) for p in files], tmp_path / "staging", threads=1)
    failed = [p.stem for p, r in zip(files, results) if isinstance(r, BaseException)]
    assert failed == ["873"]
    assert all(r.files["child"].exists() for r in results if not isinstance(r, BaseException))


def test_chunks_keep_a_year_and_a_size(dirty_batch, tmp_path, monkeypatch):
    monkeypatch.setattr(landing, "CHUNK_BYTES", 1)  # every return its own chunk
    tasks = [(str(p), int(p.parent.name), p.stem, str(p), "s", "q", "a")
             for p in dirty_batch if p.parent.name.isdigit()]
    assert all(len(c) == 1 for c in landing.chunk_tasks(tasks, workers=2))
    monkeypatch.setattr(landing, "CHUNK_BYTES", 10**9)
    chunks = landing.chunk_tasks(tasks, workers=1)
    assert sorted(len(c) for c in chunks) == [3, 3]  # one chunk per census year (the returns are
    assert all(len({t[1] for t in c}) == 1 for c in chunks)  # less than MIN_CHUNK_BYTES)
    assert sorted(t for c in chunks for t in c) == sorted(tasks)


def test_ingest_many_quarantines_the_broken_file_of_a_chunk(dirty_batch, tmp_path):
    """Through the asset's path: a half-copied return in a chunk is quarantined byte for byte with
    its reason, and every other return of the chunk is staged."""
    folder = tmp_path / "landing" / "2025"
    folder.mkdir(parents=True)
    for p in [p for p in dirty_batch if p.parent.name == "2025"]:
        shutil.copy(p, folder / p.name)
    whole = (folder / "330.xml").read_bytes()
    (folder / "330.xml").write_bytes(whole[: len(whole) // 2])
    dirs = [str(tmp_path / d) for d in ("staging", "quarantine", "audit")]
    tasks = [(f"{p.stem}|2025", 2025, p.stem, str(p), *dirs) for p in sorted(folder.glob("*.xml"))]
    outcomes = landing.ingest_many(tasks, workers=1)
    assert [(o.la, o.ok) for o in outcomes] == [("202", True), ("330", False), ("873", True)]
    bad = outcomes[1]
    assert bad.reason_code == "malformed_xml" and bad.quarantined_to
    from pathlib import Path
    assert Path(bad.quarantined_to).read_bytes() == whole[: len(whole) // 2]
