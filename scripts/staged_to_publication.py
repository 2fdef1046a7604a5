"""Time the path from staged returns to a publication through Dagster (issue 15's measure).

Given a data folder whose ``staging/`` holds staged returns (e.g. ``data/fidelity`` after
``make fidelity``) and its warehouse, runs in process, as the demo does, on a temporary Dagster
instance: ``longitudinal_cin_dataset`` (the LCD and the stored facts), every table of one release
year with its checks, and the ``publication`` of that year (with the Data Docs), and prints each
run's seconds and the peak resident memory of this process and its children.

    PYTHONPATH=. .venv/bin/python scripts/staged_to_publication.py --data-dir data/fidelity --year 2024

It writes into that folder (the warehouse, ``publication/``, ``reports/``): point it at a copy
when the folder's publication matters.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--year", type=int, default=2024, help="release year (default 2024)")
    args = ap.parse_args(argv)
    os.environ["CIN_DATA_DIR"] = str(args.data_dir.resolve())
    warnings.filterwarnings("ignore")

    import dagster as dg

    from cin_pipeline.bench.memory import PeakMemory
    from cin_pipeline.defs.inprocess import load_definitions, run_selection

    defs = load_definitions()
    part = {"dagster/partition": str(args.year)}
    steps = [("LCD + stored facts", dg.AssetSelection.groups("longitudinal"), None),
             (f"{args.year} tables + checks", dg.AssetSelection.groups("children_in_need", "re_referrals"), part),
             (f"{args.year} publication", dg.AssetSelection.groups("publication"), part)]
    with tempfile.TemporaryDirectory(prefix="cin_dagster_home_") as home:
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        instance = dg.DagsterInstance.local_temp(home)
        t_all = time.perf_counter()
        with PeakMemory() as total:
            for name, selection, tags in steps:
                with PeakMemory() as mem:
                    t0 = time.perf_counter()
                    result = run_selection(defs, instance, name.split()[0].lower(), selection, tags=tags)
                    seconds = time.perf_counter() - t0
                print(f"{name:<28} {'ok' if result.success else 'FAILED':<6} {seconds:8.1f} s  "
                      f"peak {mem.mb} MB", flush=True)
                if not result.success:
                    return 1
        print(f"{'total':<28} {'':<6} {time.perf_counter() - t_all:8.1f} s  peak {total.mb} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
