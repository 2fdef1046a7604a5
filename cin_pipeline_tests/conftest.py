"""Shared fixtures: a small synthetic census, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def _no_ees_data_dictionary(monkeypatch):
    """Tests never read an EES data dictionary from the developer's environment
    (``CIN_EES_DATA_DICTIONARY``): without one the screener's dictionary checks are NOT RUN; the
    screener tests write their own small dictionary when they need one."""
    monkeypatch.delenv("CIN_EES_DATA_DICTIONARY", raising=False)


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
