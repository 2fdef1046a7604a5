"""Generation benchmark: speed and peak memory of the synthetic return generator.

``run_generation_bench(years, scale, out_dir)`` returns one row per measured case:
``what, seconds, peak_rss_mb, children, files`` (plus ``returns_seconds``, the time to simulate
and write the returns before the supporting files). ``peak_rss_mb`` is the largest of this
process and its worker processes (``resource.getrusage`` ``RUSAGE_SELF``/``RUSAGE_CHILDREN``;
Linux reports kilobytes). Cases:

(a) one national year (the last of ``years``) at ``scale``, every LA;
(b) all of ``years`` at ``scale`` when more than one year is given (e.g. 2013-2024).
"""

from __future__ import annotations

import resource
import shutil
import time
from pathlib import Path

from cin_pipeline.synth import generate, parse_years


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024.0, 1)


def run_generation_bench(years, scale: float = 1.0, out_dir: str | Path = "data/bench/synth",
                         keep: bool = False) -> list[dict]:
    """Time :func:`cin_pipeline.synth.generate` (see the module docstring); output under ``out_dir``."""
    years = parse_years(years)
    cases = [(f"synth one national year {years[-1]} scale {scale}", [years[-1]])]
    if len(years) > 1:
        cases.append((f"synth {years[0]}-{years[-1]} scale {scale}", years))
    rows = []
    for i, (what, ys) in enumerate(cases):
        out = Path(out_dir) / f"case{i}"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        res = generate(out, ys, scale=scale, seed=0)
        rows.append({"what": what, "seconds": round(time.perf_counter() - t, 1), "peak_rss_mb": _peak_mb(),
                     "children": sum(c["children"] for c in res.counts.values()), "files": len(res.files),
                     "returns_seconds": res.params.get("returns_seconds")})
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
    return rows
