"""Shared fixtures: a small synthetic census, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only reference folder beside the project (conformance checks only)."""
    if not SHARED.exists():
        pytest.skip("../shared is not available")
    return SHARED


@pytest.fixture(scope="session")
def small_returns(tmp_path_factory) -> Path:
    """Clean synthetic returns: 4 LAs (incl. one London borough), 2019-2024, small scale."""
    from cin_pipeline.synth import generate

    out = tmp_path_factory.mktemp("returns")
    generate(out, years=range(2019, 2025), las=["202", "330", "873", "938"], scale=0.05, seed=7)
    return out
