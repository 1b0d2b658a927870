"""Shared test settings: deterministic hypothesis runs and the refset-dev location."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parents[1]
# A copy of ../shared/data/refset-dev (an independent renderer's images); never trained on.
REFSET = REPO / "tests" / "data" / "refset-dev"


@pytest.fixture(scope="session")
def refset_dir() -> Path:
    """The refset-dev folder (problems.jsonl + 128x128 PNGs)."""
    return REFSET
