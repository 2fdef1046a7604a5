"""The ``cin-pipeline`` command (``cin_pipeline.cli:main``).

Sub-commands, in data-flow order: ``synth`` (:mod:`cin_pipeline.synth.cli`), ``demo``
(:mod:`cin_pipeline.cli.demo`), ``ui`` (:mod:`cin_pipeline.cli.ui`), ``files``
(:mod:`cin_pipeline.cli.files`: the publication and reports over HTTP, started by ``ui``), ``postgres``
(:mod:`cin_pipeline.cli.postgres`: the project's own PostgreSQL server for the instance), ``bench``
(:mod:`cin_pipeline.bench`), ``compare`` (:mod:`cin_pipeline.cli.compare`) and ``reference``
(:mod:`cin_pipeline.cli.reference`). Each one's heavy
imports (Dagster, the pipeline stages) happen when it runs, so ``--help`` and ``synth`` start fast.
"""

from __future__ import annotations

import argparse

from cin_pipeline.cli import attribute, compare, demo, files, postgres, reference, ui
from cin_pipeline.synth import cli as synth_cli

DEFAULT_YEARS = "2022-2024"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cin-pipeline",
        description="England's Children in need statistics from CIN census returns.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    synth_cli.register(sub)

    p = sub.add_parser(
        "demo", help="generate synthetic returns and run the whole pipeline through Dagster",
        description="Generate synthetic CIN returns into the landing folder, register the LA "
                    "partitions and materialise every asset (census_return for every LA-year as a "
                    "single-run backfill, staging, data quality, LCD, tables, checks, publication) "
                    "through the real Dagster definitions, in process, on the .dagster_home instance.")
    p.add_argument("--scale", type=float, default=0.03, help="size relative to the real census (default 0.03)")
    p.add_argument("--years", default=DEFAULT_YEARS,
                   help="reporting years (default 2022-2024, which keeps the demo to a few minutes on 2 cores; "
                        "earlier years of each published series show x, and so do the re-referral figures "
                        "of the first year, which has no previous census to look back into. Use 2012-2024 "
                        "for every CIN time series (2012, the 2011-12 census, is the look-back of 2013 "
                        "and is not published))")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--las", default=None, help="comma-separated 3-digit LA codes (default: all)")
    p.add_argument("--workers", type=int, default=2, help="ingest processes (default 2)")
    p.add_argument("--keep", action="store_true",
                   help="keep existing landing/staging/warehouse data instead of starting clean")
    p.add_argument("--use-landing", action="store_true",
                   help="do not generate: run the pipeline on the returns already in the landing folder")
    p.add_argument("--postgres", action="store_true",
                   help="run the instance on PostgreSQL, as `cin-pipeline ui --postgres` does")
    p.set_defaults(func=_demo)

    p = sub.add_parser("ui", help="start the Dagster web UI (dagster dev) on the demo data")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--postgres", action="store_true",
                   help="run the instance on PostgreSQL: $CIN_DAGSTER_POSTGRES_URL, or else the project's "
                        "own server in data/postgres (started if needed; see `cin-pipeline postgres`)")
    p.set_defaults(func=_ui)

    p = sub.add_parser("bench", help="time every stage (generation, ingest, LCD resubmission, ...)")
    p.add_argument("--scale", type=float, default=None, help="synthetic scale (default 0.1, --quick 0.02)")
    p.add_argument("--quick", action="store_true", help="small and fast (CI)")
    p.add_argument("--national", action="store_true",
                   help="national size: every LA, 2012-2024, scale 1.0 (about 12 million child records; "
                        "long: 1-2 hours on 2 cores)")
    p.set_defaults(func=_bench)

    files.register(sub)
    postgres.register(sub)
    compare.register(sub)
    attribute.register(sub)
    reference.register(sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    las = [s.strip() for s in args.las.split(",") if s.strip()] if args.las else None
    if args.postgres:
        ui.use_local_postgres()
    return demo.run_demo(scale=args.scale, years=args.years, seed=args.seed, las=las,
                         workers=args.workers, keep=args.keep, use_landing=args.use_landing)


def _ui(args: argparse.Namespace) -> int:
    return ui.run_ui(port=args.port, host=args.host, postgres=args.postgres)


def _bench(args: argparse.Namespace) -> int:
    from cin_pipeline.bench.run import run_bench  # Dagster and every stage: only when benchmarking

    return run_bench(scale=args.scale, quick=args.quick, national=args.national)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
