"""The ``cin-pipeline`` command. Each stage of the data flow registers its own sub-command."""

from __future__ import annotations

import argparse
import importlib
import sys

# (sub-command module, in data-flow order). Each module exposes ``register(subparsers)`` which adds
# its parser and sets ``func`` (called with the parsed arguments, returning an exit code).
_COMMAND_MODULES = (
    "cin_pipeline.synth.cli",
    "cin_pipeline.ops.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cin-pipeline",
        description="England's Children in need statistics from CIN census returns.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
