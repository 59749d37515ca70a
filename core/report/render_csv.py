"""CSV: one line per number (tidy form), so that each value carries its protocol note.

Columns: source (`paper` for the paper's numbers, also in the ablation's paper columns), row (run id, or paper/variant key), label, task, dataset, metric, value (full
precision), std, count, n, delta, best, footnote, protocol, se, verdict, paired_with (the ablation's
paired-difference rows: standard error, better/worse/tie at 2 SE, the baseline variant), then the row's identity fields and
differing config keys. A missing result has no line; pivot it back in a spreadsheet or pandas.
"""

from __future__ import annotations

import csv
import io

from core.report.table_model import MEASURED, ReportTable

FIXED = ["source", "row", "label", "task", "dataset", "synthetic", "metric", "value", "std", "count", "n",
         "delta", "best", "footnote", "protocol", "se", "verdict", "paired_with"]


def _plain(value: object) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def render_csv(table: ReportTable) -> str:
    notes = {note.number: note.text for note in table.footnotes}
    extra = [*table.row_fields, *(f"config.{key}" for key in table.config_keys)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIXED + extra)
    for row in table.rows:
        identity = [row.fields.get(name, "") for name in table.row_fields]
        identity += [row.config.get(key, "") for key in table.config_keys]
        row_source = f"{row.source} (baseline)" if row.baseline else row.source
        for column in table.columns:
            cell = row.cells.get(column.key)
            if cell is None:
                continue
            writer.writerow([
                column.source if column.source != MEASURED else row_source, row.key, row.label, column.task, column.dataset, int(column.synthetic), column.metric,
                _plain(cell.value), _plain(cell.std), _plain(cell.count), _plain(cell.n), _plain(cell.delta),
                int(cell.best), _plain(cell.footnote), notes.get(cell.footnote, ""), _plain(cell.se),
                _plain(cell.verdict), _plain(row.paired_with), *identity,
            ])
    return out.getvalue()
