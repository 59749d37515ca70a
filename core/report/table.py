"""The pivot: result rows + run records + the paper's numbers -> a `ReportTable`. Pure: no I/O.

Rows are the paper's reference rows (first, marked `paper`) and one row per run (marked
`measured`); columns are task/dataset/metric. A paper number goes only into columns of REAL
datasets of its kind: a synthetic dataset (`synth-msrvtt`) gets its own column, so a synthetic
number never sits under the paper's number as if it were the same benchmark. When a run has
several results for one column (re-evaluations), the newest row (highest id order) wins.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from core.report.config_diff import differing_keys, show_value
from core.report.footnotes import FootnoteBook, describe_protocol, protocol_key
from core.report.known_metrics import (
    dataset_kind,
    dataset_order,
    is_headline,
    is_synthetic,
    lower_is_better,
    metric_order,
    task_order,
    task_title,
)
from core.report.paper import PaperNumber
from core.report.table_model import (
    MEASURED,
    PAPER_SOURCE,
    Cell,
    Column,
    ColumnGroup,
    ReportTable,
    Row,
)

RESULT_ROW_FIELDS = ["id", "recipe", "checkpoint"]
SYNTHETIC_NOTE = (
    "Columns marked (synthetic) are measured on the synthetic suite: the same metric on a different "
    "benchmark, never comparable with the paper's number on the real dataset."
)
NO_RUNS_NOTE = "No measured results yet: the paper's numbers only (`sviml eval` adds measured rows)."
CellNotes = dict[tuple[str, str], tuple[str, str]]  # (row key, column key) -> (footnote text, source)


def metric_selector(metrics: str | Iterable[str] = "headline") -> Callable[[str, str], bool]:
    """`headline` (default), `all`, or metric names (comma-separated or a list; may include `headline`)."""
    tokens = {t.strip() for t in (metrics.split(",") if isinstance(metrics, str) else metrics) if t.strip()}
    if "all" in tokens:
        return lambda task, metric: True
    headline = "headline" in tokens or not tokens
    return lambda task, metric: metric in tokens or (headline and is_headline(task, metric))


def result_column(result: Mapping[str, Any]) -> Column:
    protocol = result.get("protocol") or {}
    dataset = result["dataset"]
    return Column(
        task=result["task"], dataset=dataset, metric=result["metric"], kind=dataset_kind(dataset, protocol),
        synthetic=is_synthetic(dataset, protocol), lower_is_better=lower_is_better(result["metric"]),
    )


def build_groups(columns: Iterable[Column]) -> list[ColumnGroup]:
    """One group per task in the paper's order; datasets real-first; metrics in catalogue order."""
    by_task: dict[str, list[Column]] = defaultdict(list)
    for column in columns:
        by_task[column.task].append(column)
    groups = []
    for task in sorted(by_task, key=task_order):
        ordered = sorted(
            by_task[task],
            key=lambda c: (c.source == MEASURED, dataset_order(c.dataset, c.kind, c.synthetic),
                           metric_order(c.task, c.metric)),
        )
        groups.append(ColumnGroup(task=task, title=task_title(task), columns=tuple(ordered)))
    return groups


def flag_best(rows: Sequence[Row], columns: Iterable[Column]) -> None:
    """Mark the best measured value of each column (ties all marked); needs two values to compare."""
    measured = [row for row in rows if row.source == MEASURED and row.paired_with is None]  # not differences
    for column in columns:
        if column.source != MEASURED:
            continue
        cells = [row.cells[column.key] for row in measured
                 if column.key in row.cells and math.isfinite(row.cells[column.key].value)]
        if len(cells) < 2:
            continue
        pick = min if column.lower_is_better else max
        best = pick(cell.value for cell in cells)
        for cell in cells:
            cell.best = abs(cell.value - best) <= 1e-9 * max(1.0, abs(best))


def number_footnotes(groups: Sequence[ColumnGroup], rows: Sequence[Row], notes: CellNotes,
                     book: FootnoteBook | None = None) -> FootnoteBook:
    """Give every cell its footnote number, in reading order (group, row, column)."""
    book = book or FootnoteBook()
    for group in groups:
        keys = [column.key for column in group.columns]
        for row in rows:
            for key in keys:
                cell = row.cells.get(key)
                if cell is not None and (row.key, key) in notes:
                    text, source = notes[(row.key, key)]
                    cell.footnote = book.number(text, source)
    return book


def _unique_labels(runs: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        counts[run.get("name") or run["id"]] += 1
    labels = {}
    for run in runs:
        name = run.get("name") or run["id"]
        labels[run["id"]] = name if counts[name] == 1 else f"{name} ({run['id']})"
    return labels


def _checkpoint_label(value: Any) -> str:
    text = str(value)
    return text.rstrip("/").rsplit("/", 1)[-1] if "/" in text else text


def _paper_rows(paper: Sequence[PaperNumber], keep: Callable[[str, str], bool], tasks: set[str] | None,
                real_by_kind: Mapping[str, set[str]], columns: dict[str, Column],
                notes: CellNotes) -> list[Row]:
    rows: dict[str, Row] = {}
    for number in paper:
        if (tasks and number.task not in tasks) or not keep(number.task, number.metric):
            continue
        key = f"paper:{number.model}"
        row = rows.get(key)
        if row is None:
            label = f"{number.model} (paper{'' if not number.baseline else ', baseline'})"
            row = rows[key] = Row(key=key, source=PAPER_SOURCE, label=label)
        for dataset in sorted(real_by_kind.get(number.kind) or {number.kind}):
            column = Column(number.task, dataset, number.metric, kind=number.kind, synthetic=False,
                            lower_is_better=lower_is_better(number.metric))
            columns.setdefault(column.key, column)
            row.cells[column.key] = Cell(value=number.value)
            notes[(key, column.key)] = (number.note, PAPER_SOURCE)
    return list(rows.values())


def _apply_baseline(rows: Sequence[Row], baseline: str) -> None:
    base = next((row for row in rows if row.key == baseline and row.source == MEASURED), None)
    if base is None:
        raise ValueError(f"baseline run {baseline!r} is not among the rows")
    base.baseline = True
    for row in rows:
        if row.source != MEASURED or row is base:
            continue
        for key, cell in row.cells.items():
            if key in base.cells:
                cell.delta = cell.value - base.cells[key].value


def _mixed_annotation_notes(latest: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[str]:
    hashes: dict[str, set[str]] = defaultdict(set)
    for (_run, key), result in latest.items():
        value = (result.get("protocol") or {}).get("annotation_hash")
        if value:
            hashes[key].add(str(value))
    return [
        f"{key}: results come from {len(found)} different annotation versions "
        f"({', '.join(sorted(h[:8] for h in found))}); compare with care."
        for key, found in sorted(hashes.items()) if len(found) > 1
    ]


def build_table(
    results: Iterable[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Any]],
    paper: Sequence[PaperNumber] = (),
    *,
    tasks: Iterable[str] | None = None,
    metrics: str | Iterable[str] = "headline",
    baseline: str | None = None,
    title: str = "Results",
) -> ReportTable:
    """Pivot results into rows (paper rows, then `runs` in the given order) and task/dataset/metric columns.

    `runs` are run records (id, name, recipe, config_name, and `config` for the differing keys);
    results of runs not listed are ignored. `baseline` (a run id among `runs`) adds deltas.
    """
    keep = metric_selector(metrics)
    task_set = set(tasks) if tasks else None
    run_ids = {run["id"] for run in runs}
    columns: dict[str, Column] = {}
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    checkpoints: dict[str, set[str]] = defaultdict(set)
    for result in results:
        run_id, task = result["run_id"], result["task"]
        if run_id not in run_ids or (task_set and task not in task_set) or not keep(task, result["metric"]):
            continue
        key = f"{task}/{result['dataset']}/{result['metric']}"
        if key not in columns:
            columns[key] = result_column(result)
        latest[(run_id, key)] = result
    for (run_id, _key), result in latest.items():  # only the results shown: not superseded ones
        checkpoint = (result.get("protocol") or {}).get("checkpoint")
        if checkpoint is not None:
            checkpoints[run_id].add(_checkpoint_label(checkpoint))
        elif result.get("checkpoint_id") is not None:
            checkpoints[run_id].add(f"#{result['checkpoint_id']}")

    real_by_kind: dict[str, set[str]] = defaultdict(set)
    for column in columns.values():
        if not column.synthetic and column.kind:
            real_by_kind[column.kind].add(column.dataset)
    notes: CellNotes = {}
    rows = _paper_rows(paper, keep, task_set, real_by_kind, columns, notes)

    config_keys, flat = differing_keys([run.get("config") or {} for run in runs])
    labels = _unique_labels(runs)
    measured: dict[str, Row] = {}
    for run, config in zip(runs, flat, strict=True):
        row = Row(
            key=run["id"], source=MEASURED, label=labels[run["id"]],
            fields={"id": run["id"], "recipe": f"{run.get('recipe', '')}/{run.get('config_name', '')}",
                    "checkpoint": ", ".join(sorted(checkpoints.get(run["id"], ())))},
            config={key: show_value(config[key]) if key in config else "" for key in config_keys},
        )
        measured[run["id"]] = row
        rows.append(row)
    described: dict[tuple[str, ...], str] = {}  # thousands of cells share a handful of protocols
    for (run_id, key), result in latest.items():
        measured[run_id].cells[key] = Cell(value=float(result["value"]), n=result.get("n"))
        protocol = protocol_key(result.get("protocol") or {}, result.get("split"))
        text = described.get(protocol) or described.setdefault(protocol, describe_protocol(protocol))
        notes[(run_id, key)] = (text, MEASURED)

    if baseline is not None:
        _apply_baseline(rows, baseline)
    groups = build_groups(columns.values())
    flag_best(rows, columns.values())
    book = number_footnotes(groups, rows, notes)
    table_notes = _mixed_annotation_notes(latest)
    if any(column.synthetic for column in columns.values()):
        table_notes.insert(0, SYNTHETIC_NOTE)
    if not runs:
        table_notes.insert(0, NO_RUNS_NOTE)
    return ReportTable(
        title=title, kind="results", groups=groups, rows=rows, row_fields=list(RESULT_ROW_FIELDS),
        config_keys=config_keys, footnotes=book.footnotes, notes=table_notes, baseline=baseline,
    )
