"""One tiny synthetic suite per test session (a second one for the determinism test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.synth import generate_suite


@pytest.fixture(scope="session")
def suite_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "suite"
    generate_suite(root, "tiny", seed=0, workers=2)
    return root


@pytest.fixture(scope="session")
def parts(suite_root: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(suite_root.iterdir()) if p.is_dir()}
