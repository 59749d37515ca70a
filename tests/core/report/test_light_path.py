"""The Markdown/CSV/JSON path stays light: no torch, matplotlib or SQLAlchemy import (speed: a report
over 1,000 runs in well under two seconds, see bench/report.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

CODE = """
import json, sys
from core.settings import Settings
from core.report.build import ReportOptions, build_report
for fmt in ("md", "csv", "json"):
    build_report(Settings(), ReportOptions(format=fmt))
print(json.dumps([name for name in ("torch", "matplotlib", "sqlalchemy", "sqlmodel") if name in sys.modules]))
"""


def test_no_heavy_imports(known, home):
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=REPO, timeout=120,
                         env={"SVIML_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
