"""Source extracts (issue 11): the school census and Ofsted files are validated row by row (bad
rows quarantined with a readable reason, the rest staged, nothing lost; an unreadable file
quarantined whole), picked up by the landing sensor; and re-referrals C1, C2 (linked by UPN to the
school census of the same year) and F2 (LA rates around the Ofsted inspection) worked out by hand
on the tiny census of ``test_tables_re_referrals``, with their agreements failing on one wrong
figure.
"""

from __future__ import annotations

import csv

import duckdb
import pytest

from cin_pipeline import facts
from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.rows import build_ees, build_rows, run_query, window_median
from cin_pipeline.ees.store import PUBLICATION_SCHEMA, store_publication
from cin_pipeline.ingest.extracts import OFSTED, SCHOOL_CENSUS, attach_extracts, stage_extract
from cin_pipeline.tables import get
from test_tables_re_referrals import LA, YEAR, con  # noqa: F401 - the tiny census fixture

SCHOOL_CSV = """upn,fsm_eligible,sen_provision,source
A000000000001,true,EHC plan,synthetic
B12,true,None,synthetic
A000000000005,FALSE,sen support,synthetic
A000000000007,maybe,None,synthetic
A000000000008,1,Statement,synthetic
A000000000001,false,None,synthetic
A000000000009,false,None
A000000000010,false,None,synthetic,extra
 a000000000011 ,no,NONE,
"""
OFSTED_CSV = """la,inspection_date,judgement,source
330,2021-06-15,Good,synthetic
999,2021-06-15,Good,synthetic
873,2021-02-30,Outstanding,synthetic
938,2020-01-10,Excellent,synthetic
202,2019-10-01,Requires improvement to be good,synthetic
330,2021-06-15,Inadequate,synthetic
"""


def _dirs(tmp_path):
    return tmp_path / "staging", tmp_path / "quarantine", tmp_path / "audit"


def _views(staging):
    c = duckdb.connect()
    c.execute("CREATE SCHEMA staging")
    attach_extracts(c, staging)
    return c


def test_school_census_bad_rows_quarantined_row_by_row(tmp_path):
    landed = tmp_path / "landing" / "school_census" / "2024.csv"
    landed.parent.mkdir(parents=True)
    landed.write_text(SCHOOL_CSV)
    before = landed.read_bytes()
    staging, quarantine, audit = _dirs(tmp_path)
    o = stage_extract(SCHOOL_CENSUS, landed, staging, quarantine, audit)
    assert o.ok and landed.read_bytes() == before  # the received file is kept as it came
    assert (o.rows_read, o.rows_staged, o.rows_rejected) == (9, 3, 6)
    c = _views(staging)
    staged = c.execute("SELECT year, upn, fsm_eligible, sen_provision, line FROM staging.school_census "
                       "ORDER BY line").fetchall()
    assert staged == [(2024, "A000000000001", True, "EHC plan", 2),
                      (2024, "A000000000005", False, "SEN support", 4),
                      (2024, "A000000000011", False, "None", 10)]
    rejects = {line: (codes, reason) for line, codes, reason in c.execute(
        "SELECT line, reason_codes, reason FROM staging.extract_reject ORDER BY line").fetchall()}
    assert rejects[3] == ("upn_format", "upn 'B12' is not a UPN (a letter then 12 digits)")
    assert rejects[5] == ("fsm_not_boolean", "fsm_eligible 'maybe' is not true or false")
    assert rejects[6][0] == "sen_provision_unknown" and "'Statement'" in rejects[6][1]
    assert rejects[7] == ("duplicate_upn", "UPN A000000000001 is already on line 2 of this file")
    assert rejects[8][0] == "malformed_row" and rejects[9][0] == "malformed_row"
    assert "wrong number of fields" in rejects[8][1]
    # nothing lost: every data line is staged or quarantined, once
    assert sorted([r[4] for r in staged] + list(rejects)) == list(range(2, 11))
    with open(o.rejects_file, newline="") as fh:  # the readable copy for the analyst
        assert [int(r["line"]) for r in csv.DictReader(fh)] == sorted(rejects)


def test_ofsted_bad_rows_quarantined_row_by_row(tmp_path):
    landed = tmp_path / "landing" / "ofsted" / "judgements.csv"
    landed.parent.mkdir(parents=True)
    landed.write_text(OFSTED_CSV)
    staging, quarantine, audit = _dirs(tmp_path)
    o = stage_extract(OFSTED, landed, staging, quarantine, audit)
    assert o.ok and (o.rows_read, o.rows_staged, o.rows_rejected) == (6, 2, 4)
    c = _views(staging)
    assert c.execute("SELECT la, inspection_date::VARCHAR, year, judgement FROM staging.ofsted_judgement "
                     "ORDER BY line").fetchall() == [
        ("330", "2021-06-15", 2022, "Good"), ("202", "2019-10-01", 2020, "Requires Improvement")]
    rejects = dict(c.execute("SELECT line, reason_codes FROM staging.extract_reject").fetchall())
    assert rejects == {3: "la_unknown", 4: "date_invalid", 5: "judgement_unknown",
                       7: "duplicate_inspection"}
    reason = c.execute("SELECT reason FROM staging.extract_reject WHERE line = 4").fetchone()[0]
    assert reason == "inspection_date '2021-02-30' is not a date YYYY-MM-DD"


@pytest.mark.parametrize("content,code", [
    (b"", "extract_empty"),
    (b"PK\x03\x04\x00\x00binary", "extract_not_text"),
    (b"pupil,free_meals\nA000000000001,true\n", "extract_missing_columns"),
    (b"\xff\xfeupn,fsm_eligible,sen_provision\n", "extract_not_text"),
])
def test_an_unreadable_file_is_quarantined_whole(tmp_path, content, code):
    landed = tmp_path / "landing" / "school_census" / "2023.csv"
    landed.parent.mkdir(parents=True)
    landed.write_bytes(content)
    staging, quarantine, audit = _dirs(tmp_path)
    o = stage_extract(SCHOOL_CENSUS, landed, staging, quarantine, audit)
    assert not o.ok and o.reason_code == code, o
    assert not landed.exists()
    kept = quarantine / "extracts" / o.quarantined_to.split("/")[-1]
    assert kept.read_bytes() == content  # byte for byte
    assert "school census extract file" in (kept.parent / (kept.name + ".reason.txt")).read_text()
    assert not list(staging.glob("school_census/*/part.parquet"))


def test_a_line_that_is_not_text_is_quarantined_alone(tmp_path):
    landed = tmp_path / "landing" / "school_census" / "2023.csv"
    landed.parent.mkdir(parents=True)
    landed.write_bytes(b"upn,fsm_eligible,sen_provision\nA000000000001,true,None\n\xff\xfe,x,y\n")
    o = stage_extract(SCHOOL_CENSUS, landed, *_dirs(tmp_path))
    assert o.ok and (o.rows_staged, o.rows_rejected) == (1, 1)
    assert o.rejects_by_reason == {"unreadable_row": 1}


def test_a_school_census_not_named_after_its_year_is_quarantined_whole(tmp_path):
    landed = tmp_path / "landing" / "school_census" / "latest.csv"
    landed.parent.mkdir(parents=True)
    landed.write_text(SCHOOL_CSV)
    o = stage_extract(SCHOOL_CENSUS, landed, *_dirs(tmp_path))
    assert not o.ok and o.reason_code == "extract_bad_name"


# ----------------------------------------------------------------------------- the landing sensor
def test_the_landing_sensor_requests_a_run_per_extract_file(tmp_path, monkeypatch):
    import dagster as dg

    from cin_pipeline.definitions import defs as load_defs

    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    defs = load_defs()
    paths = defs.resources["cin_paths"].paths()
    (paths.landing_dir / "school_census").mkdir(parents=True)
    (paths.landing_dir / "ofsted").mkdir(parents=True)
    (paths.landing_dir / "school_census" / "2024.csv").write_text(SCHOOL_CSV)
    (paths.landing_dir / "school_census" / "census.csv").write_text(SCHOOL_CSV)
    (paths.landing_dir / "ofsted" / "judgements.csv").write_text(OFSTED_CSV)
    (paths.landing_dir / "ofsted" / "LATER.CSV").write_text(OFSTED_CSV)  # any letter case
    (paths.landing_dir / "school_census" / "2023.csv").symlink_to(tmp_path / "elsewhere.csv")
    with dg.instance_for_test() as instance:
        def tick(cursor=None):
            ctx = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs,
                                          resources={"cin_paths": defs.resources["cin_paths"]})
            r = defs.resolve_sensor_def("landing_sensor")(ctx)
            return r, r.cursor

        r, cursor = tick()
        assert not r.run_requests  # new files are acted upon once they have stopped changing
        r, cursor = tick(cursor)
        jobs = sorted((q.job_name, q.partition_key) for q in r.run_requests)
        assert jobs == [("ofsted_extract_job", None), ("ofsted_extract_job", None),
                        ("quarantine_report", None), ("quarantine_report", None),
                        ("school_census_extract_job", "2024")]
        refused = [q for q in r.run_requests if q.tags.get("cin/file", "").endswith("2023.csv")]
        assert [q.job_name for q in refused] == ["quarantine_report"]  # a link is refused, not followed
        assert not (paths.landing_dir / "school_census" / "census.csv").exists()
        assert list((paths.quarantine_dir / "extracts").glob("*census.csv"))
        r, cursor = tick(cursor)  # unchanged files: nothing new
        assert not r.run_requests
        # the run stages the file it was given
        req = next(q for q in tick(tick()[1])[0].run_requests if q.job_name == "school_census_extract_job")
        job = defs.resolve_job_def(req.job_name)
        res = job.execute_in_process(run_config=req.run_config, partition_key=req.partition_key,
                                     instance=instance, raise_on_error=False)
        assert res.success
        mat = res.asset_materializations_for_node("source_extracts__school_census")[0]
        assert mat.metadata["rows_staged"].value == 3 and mat.metadata["rows_quarantined"].value == 6


# ----------------------------------------------------------------------------- C1, C2 and F2
UPNS = {"K1": "A000000000001", "K2": "A000000000002", "K5": "A000000000005", "K7": "A000000000007"}
SCHOOL_2024 = [("A000000000001", True, "EHC plan"), ("A000000000005", False, "SEN support"),
               ("A000000000007", True, "None"), ("A000000000099", False, "None")]
INSPECTIONS = [("330", "2018-09-01", 2019, "Inadequate"), ("330", "2021-06-15", 2022, "Good"),
               ("330", "2024-05-01", 2025, "Outstanding")]


@pytest.fixture(scope="module")
def linked(con):  # noqa: F811 - the tiny census
    """The tiny census with UPNs for K1, K2, K5 and K7 in 2024, a 2024 school census holding
    K1, K5 and K7 (not K2) and three Ofsted inspections of LA 330."""
    for child, upn in UPNS.items():
        con.execute("UPDATE clean.child SET upn = ? WHERE year = 2024 AND child_id = ?", [upn, child])
    for table, cols in ((SCHOOL_CENSUS.table, SCHOOL_CENSUS.staged_columns),
                        (OFSTED.table, OFSTED.staged_columns)):
        con.execute(f"DROP VIEW IF EXISTS staging.{table}")
        con.execute(f"CREATE TABLE staging.{table} (" + ", ".join(f"{c} {t}" for c, t in cols) + ")")
    for upn, fsm, sen in SCHOOL_2024:
        con.execute("INSERT INTO staging.school_census (year, upn, fsm_eligible, sen_provision) "
                    "VALUES (2024, ?, ?, ?)", [upn, fsm, sen])
    for la, d, y, j in INSPECTIONS:
        con.execute("INSERT INTO staging.ofsted_judgement (la, inspection_date, year, judgement) "
                    "VALUES (?, ?, ?, ?)", [la, d, y, j])
    facts.build(con)
    return con


def _counts(con, code):
    spec = get(f"re_referrals.{code}")
    df, _ = run_query(con, spec)
    df = df[(df["year"] == YEAR) & (df["la"] == LA)]
    keys = [f.name for f in spec.query_filters]
    return {tuple(r[k] for k in keys): int(r["referrals"]) for _, r in df.iterrows() if r["referrals"]}


def test_c1_fsm_with_unmatched_its_own_group(linked):
    # K1 (1 referral) and K7 (1) eligible; K5's three re-referrals not eligible; K2 (UPN not in
    # the school census), K3, K4, K6 (no UPN) not matched
    assert _counts(linked, "c1") == {("Eligible for FSM", "Not a re-referral"): 2,
                                     ("Not eligible for FSM", "Re-referral"): 3,
                                     ("Not matched", "Not a re-referral"): 4}


def test_c2_sen_provision_and_the_match_rate(linked):
    assert _counts(linked, "c2") == {("EHC plan", "Not a re-referral"): 1,
                                     ("SEN support", "Re-referral"): 3,
                                     ("No SEN provision", "Not a re-referral"): 1,
                                     ("Not matched", "Not a re-referral"): 4}
    rows = build_ees(linked, get("re_referrals.c2"), YEAR).data
    nat = rows[rows["time_period"] == "2024"].set_index(["sen_provision", "re_referral"])
    # match rate 5 of 9 = 55.6%: Not matched is 44.4% of the Total group
    assert nat.loc[("Not matched", "Total"), "referrals_percent"] == "44.4"
    assert nat.loc[("Not matched", "Re-referral"), "referrals_percent"] == "0"
    assert nat.loc[("Total", "Total"), "referrals"] == "10"  # 9, rounded to 10 nationally


def test_f2_window_z_and_median(linked):
    spec = get("re_referrals.f2")
    df, _ = run_query(linked, spec)
    staged = set(range(2019, 2025))
    rows = build_rows(spec, df, YEAR, staged_years=staged).data
    cols = [i.name for i in spec.indicators]
    la = rows[rows["geographic_level"] == "Local authority"]
    # the latest inspection up to 2024 (2021-06-15, reporting year 2022, Good); the window
    # 2019-2024: 2019 x (2018 not staged), 2020 and 2022 no referrals (z), 2021 and 2023 0 of 2,
    # 2024 3 of 9: c (3 re-referrals, a count of 1-5 suppressed at LA level, as in C1)
    assert la[["time_period", "old_la_code", "ofsted"]].values.tolist() == [["2022", "330", "Good"]]
    assert la[cols].values.tolist() == [["x", "z", "0", "z", "0", "c"]]
    nat = rows[rows["geographic_level"] == "National"].set_index("ofsted")
    assert list(nat["time_period"]) == ["2024"] * 4
    assert nat.loc["Good", cols].tolist() == ["z", "z", "0", "z", "0", "z"]  # medians of numbers only
    assert (nat.loc["Inadequate", cols] == "z").all()
    # release 2023: 2024 not yet observed
    r23 = build_rows(spec, df, 2023, staged_years=staged).data
    assert r23[r23["geographic_level"] == "Local authority"][cols].values.tolist() == [
        ["x", "z", "0", "z", "0", "z"]]
    # release 2020: the 2019 inspection (Inadequate) is the latest up to 2020
    r20 = build_rows(spec, df, 2020, staged_years=staged).data
    assert r20[r20["geographic_level"] == "Local authority"][["time_period", "ofsted"]].values.tolist() == [
        ["2019", "Inadequate"]]


def test_window_median():
    assert window_median(["19.9", "20", "x", "z", "c"], 2) == "19.95"
    assert window_median(["1", "3", "2.5"], 2) == "2.5"
    assert window_median(["x", "z"], 2) == "z"
    assert window_median(["10.1", "10.2"], 1) == "10.2"  # 10.15 half-up


@pytest.fixture(scope="module")
def stored(linked):
    for tid in ("re_referrals.a1", "re_referrals.c1", "re_referrals.c2", "re_referrals.f2",
                "children_in_need.c1"):
        store_publication(linked, build_ees(linked, get(tid), YEAR))
    return linked


def _set(con, tid, where, column, value):
    table = f'{PUBLICATION_SCHEMA}."{get(tid).warehouse_name}"'
    (old,) = con.execute(f'SELECT "{column}" FROM {table} WHERE {where} AND release_year = {YEAR}').fetchone()
    con.execute(f'UPDATE {table} SET "{column}" = ? WHERE {where} AND release_year = {YEAR}', [value])
    return old


@pytest.mark.parametrize("code,column", [("c1", "fsm"), ("c2", "sen_provision")])
def test_c1_c2_agree_with_a1_and_fail_on_one_wrong_figure(stored, code, column):
    tid = f"re_referrals.{code}"
    checks = [c for c in plan(get(tid)) if c.other_table == "re_referrals.a1"]
    assert len(checks) == 2 and all(c.run(stored, YEAR).passed for c in checks)
    for check, rr in zip(checks, ("Total", "Re-referral")):
        where = (f"{column} = 'Total' AND re_referral = '{rr}' AND time_period = '2024' "
                 "AND geographic_level = 'National'")
        old = _set(stored, tid, where, "referrals", "20")
        try:
            assert not check.run(stored, YEAR).passed
        finally:
            _set(stored, tid, where, "referrals", old)
        assert check.run(stored, YEAR).passed


def test_f2_agrees_with_c1_and_its_medians_and_fails_on_one_wrong_figure(stored):
    check = next(c for c in plan(get("re_referrals.f2")) if c.name.startswith("window_agrees"))
    assert check.run(stored, YEAR).passed, check.run(stored, YEAR).description
    for where, col in (("geographic_level = 'Local authority' AND old_la_code = '330'", "re_referrals_post1"),
                       ("geographic_level = 'National' AND ofsted = 'Good'", "re_referrals_pre1")):
        old = _set(stored, "re_referrals.f2", where, col, "12.5")
        try:
            out = check.run(stored, YEAR)
            assert not out.passed and col in out.report
        finally:
            _set(stored, "re_referrals.f2", where, col, old)
    # and the other way: C1 changing one LA rate breaks the agreement
    where = "geographic_level = 'Local authority' AND old_la_code = '330' AND time_period = '2024'"
    old = _set(stored, "children_in_need.c1", where, "Re_referrals_percent", "30")
    try:
        assert not check.run(stored, YEAR).passed
    finally:
        _set(stored, "children_in_need.c1", where, "Re_referrals_percent", old)


def test_an_extract_run_refuses_a_symbolic_link_without_reading_it(tmp_path, monkeypatch):
    import dagster as dg

    from cin_pipeline.definitions import defs as load_defs

    monkeypatch.setenv("CIN_DATA_DIR", str(tmp_path / "data"))
    defs = load_defs()
    paths = defs.resources["cin_paths"].paths()
    (paths.landing_dir / "ofsted").mkdir(parents=True)
    (tmp_path / "judgements.csv").write_text(OFSTED_CSV)
    (paths.landing_dir / "ofsted" / "judgements.csv").symlink_to(tmp_path / "judgements.csv")
    with dg.instance_for_test() as instance:
        res = defs.resolve_job_def("ofsted_extract_job").execute_in_process(
            instance=instance, raise_on_error=False)
    assert not res.success
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
    assert "is a symbolic link to" in failure.event_specific_data.error.message
    assert not list(paths.staging_dir.glob("ofsted*/**/*.parquet"))
