"""Reports: result rows -> tables (rich, Markdown, CSV, JSON, HTML) and plots, beside the paper's numbers.

`build_report(settings, options)` is what `sviml report` calls. The pieces are usable alone:
`select.select_runs` (which runs), `table.build_table` (the pure pivot), `ablation.build_ablation_table`
(the paper's Table 6 layout), `paper` (the reference numbers), one `render_*` module per format,
and `plots`. Names are imported lazily so that `import core.report` costs nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ReportOptions": "core.report.build",
    "ReportOutput": "core.report.build",
    "build_report": "core.report.build",
    "build_table": "core.report.table",
    "build_ablation_table": "core.report.ablation",
    "select_runs": "core.report.select",
    "PAPER_NUMBERS": "core.report.paper",
    "PAPER_ABLATION": "core.report.paper",
    "ReportTable": "core.report.table_model",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'core.report' has no attribute {name!r}")
