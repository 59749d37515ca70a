"""JSON: the whole table model (`ReportTable.to_dict`), for scripts; values at full precision."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from core.report.table_model import ReportTable

SCHEMA = "sviml.report/1"


def render_json(table: ReportTable, plots: Sequence[Path] = ()) -> str:
    data = {"schema": SCHEMA, **table.to_dict(), "plots": [str(path) for path in plots]}
    return json.dumps(data, indent=1, allow_nan=True) + "\n"
