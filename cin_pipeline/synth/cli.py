"""``cin-pipeline synth``: write synthetic CIN census returns.

Example::

    cin-pipeline synth --scale 0.1 --years 2012-2024 --las all --seed 1 --out data/landing
    cin-pipeline synth --years 2019,2021-2023 --las 202,330 --dirty 0.02 --out /tmp/returns
"""

from __future__ import annotations

import argparse
import logging
import sys


def register(subparsers) -> None:
    """Add the ``synth`` sub-command to ``subparsers`` (``func`` returns an exit code)."""
    p = subparsers.add_parser("synth", help="write synthetic CIN census XML returns",
                              description="Simulate children's journeys per LA and write one CIN census "
                                          "XML return per LA and reporting year: OUT/<year>/<la>.xml.")
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = England's real volumes (default 1.0)")
    p.add_argument("--years", default="2012-2024",
                   help="reporting years: ranges and comma lists, e.g. 2013-2016,2019 (default 2012-2024: "
                        "2012, the 2011-12 census, is the 12-month look-back of the 2013 re-referrals)")
    p.add_argument("--las", default="all", help="'all' or comma-separated 3-digit LA codes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--dirty", type=float, default=0.0, metavar="RATE",
                   help="fault-injection rate after writing clean returns (default 0)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default 2)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--measures-only", action="store_true",
                   help="simulate and count the published measures (OUT/generation_measures.csv) "
                        "without writing returns: for cin-pipeline attribute")
    p.set_defaults(func=func)


def func(args: argparse.Namespace) -> int:
    """Run the generator for parsed ``args``; 0 on success, 2 on bad arguments."""
    from cin_pipeline.synth import generate, parse_las, parse_years

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        years = parse_years(args.years)
        las = parse_las(args.las)
    except ValueError as exc:
        print(f"synth: bad argument: {exc}", file=sys.stderr)
        return 2
    if not years or args.scale <= 0 or not (0.0 <= args.dirty <= 1.0):
        print("synth: need at least one year, --scale > 0 and 0 <= --dirty <= 1", file=sys.stderr)
        return 2
    res = generate(args.out, years, las=las, scale=args.scale, seed=args.seed, dirty_rate=args.dirty,
                   progress=not args.no_progress, workers=args.workers, measures_only=args.measures_only)
    if args.measures_only:
        print(f"synth: counted {len(res.measures)} LA-years to {res.out_dir / 'generation_measures.csv'} "
              f"in {res.elapsed:.1f} s")
        return 0
    total = sum(c["children"] for c in res.counts.values())
    print(f"synth: wrote {len(res.files)} returns ({total} child records) to {res.out_dir} "
          f"in {res.elapsed:.1f} s")
    return 0
