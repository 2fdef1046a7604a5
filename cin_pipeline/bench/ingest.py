"""Ingest benchmark: our full ingest versus a bare lxml pass over the same returns.

:func:`run_ingest_bench` times, over every file of one census year in ``returns_dir``
(``<returns_dir>/<year>/<la>.xml``, the layout of ``cin_pipeline.synth.generate``):

* ``ingest_batch`` - parse + type + validate (all rules) + write the 11 Parquet files of each
  return, the returns grouped into chunks as the ``census_return`` asset groups them
  (:func:`cin_pipeline.ingest.landing.chunk_tasks`: several small returns share one DuckDB
  session and one pass of the rules), one chunk at a time per process in a pool of ``workers``;
* ``bare_iterparse`` - ``lxml.etree.iterparse`` over the same files with the same pool, an event
  for every element in Python, clearing elements, doing nothing else;
* ``bare_iterparse_child`` - the same with events for ``<Child>`` only (``tag="Child"``), so
  Python runs once per child: the speed limit of any streaming lxml-based reader, and the
  reference of the ingest row's ratio (``of_bare_pct``: ingest children/s as a percentage of this
  row's, on the same files and pool).

Each row reports wall seconds, children/second, MB/second, CPU seconds of the workers and
children per CPU second (robust when other work shares the machine), CPU milliseconds per file
(with many small files: the fixed cost of one ingest), and memory: the peak of the summed
resident memory of this process and its children (sampled every 50 ms) and the largest
single worker's peak RSS. Run with ``python -m cin_pipeline.bench.ingest <returns_dir>``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from lxml import etree

from cin_pipeline.bench.memory import PeakMemory
from cin_pipeline.ingest.landing import chunk_tasks
from cin_pipeline.ingest.staging import IngestJob, ingest_batch


def _ingest_chunk(args) -> tuple[int, int]:
    paths, staging_dir = args
    results = ingest_batch([IngestJob(p) for p in paths], staging_dir, threads=1)
    bad = [r for r in results if isinstance(r, BaseException)]
    if bad:
        raise bad[0]
    return sum(r.rows["child"] for r in results), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _bare_pass(path, tag: str | None = None) -> tuple[int, int]:
    """One bare ``iterparse`` of ``path``: events for every element (``tag`` None) or for ``tag``
    only, each ``<Child>`` counted and cleared, nothing else done."""
    children = 0
    for _ev, el in etree.iterparse(str(path), events=("end",), tag=tag, resolve_entities=False,
                                   no_network=True, load_dtd=False, huge_tree=False):
        if el.tag == "Child":
            children += 1
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
    return children, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _pick_year(returns_dir: Path) -> int:
    years = [int(p.name) for p in returns_dir.iterdir() if p.is_dir() and p.name.isdigit()
             and any(p.glob("*.xml"))]
    if not years:
        raise FileNotFoundError(f"no <year>/<la>.xml returns under {returns_dir}")
    return max(years)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(stage: str, func, jobs, workers: int, n_bytes: int, n_files: int | None = None) -> dict:
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    with PeakMemory() as mem:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(func, jobs, chunksize=1))
    seconds = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0  # workers are reaped when the pool closes
    children = sum(r[0] for r in results)
    n_files = len(jobs) if n_files is None else n_files
    return {
        "stage": stage, "files": n_files, "children": children, "mb": round(n_bytes / 1e6, 1),
        "workers": workers, "seconds": round(seconds, 2),
        "children_per_s": round(children / seconds) if seconds else None,
        "mb_per_s": round(n_bytes / 1e6 / seconds, 1) if seconds else None,
        "cpu_seconds": round(cpu, 2),
        "children_per_cpu_s": round(children / cpu) if cpu else None,
        "cpu_ms_per_file": round(1000 * cpu / n_files, 1) if n_files else None,
        "peak_rss_total_mb": round(mem.peak_kb / 1024),
        "peak_rss_worker_mb": round(max(r[1] for r in results) / 1024) if results else 0,
    }


def run_ingest_bench(returns_dir: str | os.PathLike, workers: int = 2, year: int | None = None,
                     staging_dir: str | os.PathLike | None = None) -> list[dict]:
    """Benchmark ``ingest_batch`` and two bare ``iterparse`` passes over one year's returns (see module doc).

    ``year`` defaults to the latest year folder holding returns; ``staging_dir`` to a temporary
    folder removed afterwards. Returns one dict per stage.
    """
    returns_dir = Path(returns_dir)
    year = year or _pick_year(returns_dir)
    files = sorted((returns_dir / str(year)).glob("*.xml"), key=lambda p: -p.stat().st_size)
    n_bytes = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory(prefix="cin_bench_") as tmp:
        out = Path(staging_dir) if staging_dir else Path(tmp) / "staging"
        chunks = chunk_tasks([(str(p), year, None, str(p), str(out), None, None) for p in files], workers)
        rows = [
            _run("ingest_batch", _ingest_chunk, [([t[3] for t in c], str(out)) for c in chunks], workers,
                 n_bytes, n_files=len(files)),
            _run("bare_iterparse", _bare_pass, [str(p) for p in files], workers, n_bytes),
            _run("bare_iterparse_child", partial(_bare_pass, tag="Child"), [str(p) for p in files],
                 workers, n_bytes),
        ]
    for r in rows:
        r["year"] = year
    if rows[-1]["children_per_s"]:
        rows[0]["of_bare_pct"] = round(100 * rows[0]["children_per_s"] / rows[-1]["children_per_s"], 1)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("returns_dir")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--year", type=int)
    args = ap.parse_args(argv)
    for row in run_ingest_bench(args.returns_dir, args.workers, args.year):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
