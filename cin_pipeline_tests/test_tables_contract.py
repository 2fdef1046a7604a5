"""The contract every declared table keeps, checked table by table (parametrised over the
declarations, so a new table is tested by adding its file pair and its golden CSV).

On a small census that the generator writes and the ingest accepts without an error (4 LAs, one
of them a London borough, 2019-2024), staged and linked as the pipeline does:

* the formatted file has exactly the declared columns, and its meta file one row per filter and
  indicator;
* every check the table gets (:func:`cin_pipeline.checks.plan.plan`: the GX suite, the EES
  screener, disclosure, national and regional sums, identities, percentages, agreements with
  other tables) passes on it;
* its declared identities hold exactly on the query's unrounded counts;
* its rows with a figure equal the reviewed golden CSV ``golden/<release group>/<code>.csv``
  (written with ``CIN_UPDATE_GOLDENS=1`` for every table, or ``CIN_UPDATE_GOLDENS=<table id>,...``
  for some, e.g. ``children_in_need.b3``; review the diff before committing).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from cin_pipeline.checks.plan import plan
from cin_pipeline.ees.rows import build_ees, to_csv_text
from cin_pipeline.ees.store import store_publication
from cin_pipeline.tables import all_tables
from cin_pipeline_tests.pipeline_helpers import stage_and_link

RELEASE_YEAR = 2024
GOLDEN = Path(__file__).resolve().parent / "golden"
TABLES = all_tables()


@pytest.fixture(scope="module")
def built(small_returns, tmp_path_factory):
    """Every declared table built and stored for the 2024 release: ``(connection, outputs)``."""
    files = sorted(small_returns.glob("*/*.xml"))
    con, _ = stage_and_link(files, tmp_path_factory.mktemp("contract"))
    errors = con.execute("SELECT count(*) FROM staging.validation_finding WHERE severity = 'error'").fetchone()[0]
    assert errors == 0, "the contract census must be valid under the rules"
    outputs = {}
    for spec in TABLES:
        out = build_ees(con, spec, RELEASE_YEAR)
        store_publication(con, out)
        outputs[spec.table_id] = out
    yield con, outputs
    con.close()


def _rows_with_figures(out) -> str:
    """The published rows that hold at least one figure (not only ``x``), as CSV text."""
    indicators = [i.name for i in out.spec.indicators]
    keep = ~(out.data[indicators] == "x").all(axis=1)
    return to_csv_text(out.data[keep])


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.table_id)
def test_columns_are_the_declaration(built, spec):
    _, outputs = built
    out = outputs[spec.table_id]
    assert list(out.data.columns) == spec.columns()
    assert list(out.meta["col_name"]) == [f.name for f in spec.filters] + [i.name for i in spec.indicators]
    years = {int(y) for y in out.data["time_period"]}
    if spec.window is not None:  # LA rows at their event years only; national rows the release year
        assert RELEASE_YEAR in years and years <= set(spec.years(RELEASE_YEAR))
    else:
        assert years == set(spec.years(RELEASE_YEAR))


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.table_id)
def test_every_check_passes(built, spec):
    con, _ = built
    failed = {}
    for check in plan(spec):
        outcome = check.run(con, RELEASE_YEAR)
        if not outcome.passed:
            failed[check.name] = outcome.description
    assert not failed, failed


@pytest.mark.parametrize("spec", [s for s in TABLES if s.sums], ids=lambda s: s.table_id)
def test_identities_hold_on_unrounded_counts(built, spec):
    _, outputs = built
    counts = outputs[spec.table_id].counts
    for total, parts in spec.sums:
        assert (counts[list(parts)].sum(axis=1) == counts[total]).all(), (total, parts)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.table_id)
def test_output_equals_golden(built, spec):
    _, outputs = built
    text = _rows_with_figures(outputs[spec.table_id])
    path = GOLDEN / spec.release.group / f"{spec.code.lower()}.csv"
    update = os.environ.get("CIN_UPDATE_GOLDENS", "")
    if update == "1" or spec.table_id in update.split(","):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"no golden file {path}: run with CIN_UPDATE_GOLDENS=1 and review it"
    golden = path.read_text(encoding="utf-8")
    if text != golden:
        got = list(csv.reader(io.StringIO(text)))
        want = list(csv.reader(io.StringIO(golden)))
        diff = [(i, w, g) for i, (w, g) in enumerate(zip(want, got)) if w != g][:5]
        pytest.fail(f"{spec.table_id} differs from {path.name}: {len(want)} golden rows, {len(got)} now; "
                    f"first differences (row, golden, now): {diff}")


def test_every_table_has_a_golden_file():
    declared = {GOLDEN / s.release.group / f"{s.code.lower()}.csv" for s in TABLES}
    present = set(GOLDEN.glob("*/*.csv"))
    assert present <= declared, f"golden files of tables that are not declared: {sorted(present - declared)}"


def test_the_tables_count_what_the_generator_put_in_the_returns(built, small_returns):
    """Every published measure the generator counts on its own simulated histories (as the tables
    define them) equals the tables' unrounded count of the same returns, in every LA-year: the
    queries count what the returns hold, so a difference from the published figures is the
    synthetic population's, not a definition's (``cin-pipeline attribute``)."""
    from cin_pipeline.cli.attribute import pipeline_vs_generator, read_measures

    con, _ = built
    res = pipeline_vs_generator(con, read_measures(small_returns / "generation_measures.csv"))
    assert len(res) >= 60, res  # B1, C1, C3, C4, D3, D5 counts
    assert res["LA-years differing"].sum() == 0, res[res["LA-years differing"] > 0].to_string()
