"""The HTML report opens from disk in headless Chromium (no server, no network) with the numbers
in the rendered DOM and the plots drawn. Skips where /usr/bin/chromium is absent."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium not installed at /usr/bin/chromium (Debian: apt-get install -y chromium)",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    env = dict(os.environ, HOME=str(tmp_path))  # keep Chromium's caches out of the real home
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=90, env=env)


def test_html_report_renders_in_chromium(report, known, home, tmp_path):
    from tests.core.report.helpers import write_eval_files, write_tb

    for key in ("a", "b"):
        run_dir = home / "runs" / f"run-{key}"
        write_tb(run_dir / "tb")
        write_eval_files(run_dir)
    output = report(format="html")
    page = home / "report" / "report.html"
    assert output.path == page and page.is_file()
    assert output.plots and all(p.parent == home / "report" / "plots" for p in output.plots)

    # Moved away from its plots folder, the page still shows everything: nothing is linked.
    alone = tmp_path / "alone" / "report.html"
    alone.parent.mkdir()
    shutil.copy(page, alone)
    dom = _chromium(tmp_path, "--dump-dom", alone.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    for number in ("28.6", "65.1", "15.0", "12.0", "20.0", "0.0", "sweep-a", "sweep-b"):
        assert number in dom.stdout, number
    assert dom.stdout.count("data:image/png;base64,") == len(output.plots)

    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, "--window-size=1200,1600", f"--screenshot={shot}", alone.as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.std() > 0.05  # text, tables and plots, not a blank page
