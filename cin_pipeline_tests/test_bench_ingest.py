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
