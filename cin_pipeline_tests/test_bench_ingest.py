"""``make bench``'s ingest rows: the full ingest and two bare lxml passes read the same returns,
and the ingest row states its rate against the faster bare pass (issue 15's ratio)."""

from __future__ import annotations

from cin_pipeline.bench.ingest import run_ingest_bench
from cin_pipeline.bench.run import _rows_from
from cin_pipeline.synth import generate


def test_ingest_bench_compares_with_a_per_child_bare_parse(tmp_path):
    generate(tmp_path / "returns", years=[2024], las=["330", "202"], scale=0.01, seed=3, workers=1)
    rows = run_ingest_bench(tmp_path / "returns", workers=1, year=2024)
    assert [r["stage"] for r in rows] == ["ingest_batch", "bare_iterparse", "bare_iterparse_child"]
    assert len({r["children"] for r in rows}) == 1 and rows[0]["children"] > 0  # the same files
    ingest, _, bare = rows
    assert ingest["of_bare_pct"] == round(100 * ingest["children_per_s"] / bare["children_per_s"], 1)
    (line, *_) = _rows_from("ingest", rows, "stage", mb="peak_rss_total_mb", rate="children_per_s")
    assert line["note"].startswith(f"{ingest['of_bare_pct']}% of bare_iterparse_child")


def test_bench_rows_say_where_a_step_spilled():
    """A publication step that spilled to disk says how much in its note; one that did not says
    nothing of it."""
    steps = [{"step": "table_a", "seconds": 1.0, "rows": 3, "peak_mb": 900, "spill_mb": 250},
             {"step": "table_b", "seconds": 1.0, "rows": 3, "peak_mb": 400, "spill_mb": 0}]
    a, b = _rows_from("publication", steps, "step", mb="peak_mb")
    assert a["note"] == "spilled 250 MB"
    assert "spill" not in b["note"]
