"""``cin-pipeline reference PUBLISHED [--out DIR]``: re-derive the committed reference CSVs
(``data/reference/``) from the real published DfE files.

The published data sets read are the ones the declared tables take their LAs' ``x``/``u`` status
from (``TableSpec.status_from``), so a new table with its own published file is picked up from
its declaration (:func:`cin_pipeline.reference.build.build_all` does the work)."""

from __future__ import annotations

from pathlib import Path

from cin_pipeline.settings import REFERENCE_DIR
from cin_pipeline.tables import all_tables


def published_datasets() -> tuple[str, ...]:
    return tuple(sorted({t.status_from for t in all_tables() if t.status_from}))


def run(published: Path, out: Path) -> int:
    from cin_pipeline.reference.build import build_all  # pandas: only when the command runs

    out.mkdir(parents=True, exist_ok=True)
    for name, df in build_all(published, published_datasets()).items():
        path = out / f"{name}.csv"
        df.to_csv(path, index=False, lineterminator="\n")
        print(f"{path}: {len(df)} rows")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "reference", help="re-derive data/reference/*.csv from the published DfE files",
        description=__doc__.splitlines()[0])
    p.add_argument("published", type=Path,
                   help="folder of the published DfE files (../shared/reference/published)")
    p.add_argument("--out", type=Path, default=REFERENCE_DIR, help="output folder (default data/reference)")
    p.set_defaults(func=lambda args: run(args.published, args.out))
