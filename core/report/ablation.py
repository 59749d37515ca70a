"""The loss ablation in the layout of the paper's Table 6: loss-term combinations x four benchmarks.

Runs are grouped by which loss weights are on (their `w_contrast`, `w_ground`, `w_temporal`
tags > 0); each cell is the mean over the group's runs (seeds) with the sample standard
deviation and the count. Measured columns are whatever datasets of Table 6's kinds the runs were
evaluated on (MSR-VTT zero-shot R@1, MSVD-QA accuracy, UCF101 linear top-1, TAL average mAP; real
or synthetic) plus the synthetic structure metrics. The paper's Table 6 numbers sit beside them in
columns of their own, headed `(paper)`, in the same rows: never in a measured column.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.errors import UserError
from core.report.footnotes import describe_protocol, protocol_key
from core.report.known_metrics import TASKS
from core.report.paper import PAPER_ABLATION, TABLE6_COLUMNS, TABLE6_NOTE, PaperAblationRow
from core.report.table import SYNTHETIC_NOTE, build_groups, flag_best, number_footnotes, result_column
from core.report.table_model import MEASURED, PAPER_SOURCE, Cell, Column, ReportTable, Row

CellNotes = dict[tuple[str, str], tuple[str, str]]

Terms = tuple[bool, bool, bool]  # (contrastive, grounding, temporal) on
# Row labels in Table 6's order (run tags name them contrastive, +ground, +temporal, full).
VARIANTS: Mapping[Terms, str] = {
    (True, False, False): "contrastive only",
    (True, True, False): "+ L_g (grounding)",
    (True, False, True): "+ L_t (temporal)",
    (True, True, True): "all three (S-ViLM)",
}
STRUCTURE_TASKS = ("grounding", "temporal_grouping")
ABLATION_ROW_FIELDS = ["losses", "runs", "seeds"]


def loss_terms(tags: Mapping[str, Any] | None) -> Terms:
    """Which loss terms a run trained with, from its weight tags (a missing weight counts as on)."""
    tags = tags or {}

    def on(name: str) -> bool:
        try:
            return float(tags.get(name, 1.0)) > 0
        except (TypeError, ValueError):
            return True

    return on("w_contrast"), on("w_ground"), on("w_temporal")


def describe_terms(terms: Terms) -> str:
    names = [name for name, flag in zip(("L_c", "L_g", "L_t"), terms, strict=True) if flag]
    return " + ".join(names) or "none"


def select_study(runs: Sequence[Mapping[str, Any]], study: str | None) -> tuple[list[Mapping[str, Any]], str | None]:
    """The runs of one study (`tags.ablation`); without a name, the only study there is, else every run."""
    studies = sorted({str(run["tags"]["ablation"]) for run in runs if (run.get("tags") or {}).get("ablation")})
    if study is None:
        if len(studies) > 1:
            raise UserError(f"several ablation studies ({', '.join(studies)}): pick one with --study NAME")
        if not studies:
            return list(runs), None
        study = studies[0]
    chosen = [run for run in runs if str((run.get("tags") or {}).get("ablation")) == study]
    if not chosen:
        known = f" (studies: {', '.join(studies)})" if studies else " (no run carries an ablation tag)"
        raise UserError(f"no runs with results in ablation study {study!r}{known}")
    return chosen, study


def _row_key(terms: Terms) -> str:
    return f"variant:{describe_terms(terms)}"


def _wanted(column: Column) -> bool:
    """Table 6's columns, plus the structure metrics' headlines (all of them make the table unreadable)."""
    if column.task in STRUCTURE_TASKS:
        return column.metric in TASKS[column.task][2]
    return (column.task, column.kind, column.metric) in TABLE6_COLUMNS


def _mean_std(values: list[float]) -> tuple[float, float | None]:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _paper_cells(paper: Iterable[PaperAblationRow], columns: dict[str, Column], notes: CellNotes) -> dict:
    """Table 6's numbers in `paper` columns (one per Table 6 column with a number), by loss terms."""
    cells: dict[Terms, dict[str, Cell]] = defaultdict(dict)
    for entry in paper:
        terms = (entry.contrast, entry.ground, entry.temporal)
        for (task, kind, metric), value in entry.values.items():
            if value is None:
                continue
            column = Column(task, kind, metric, kind=kind, source=PAPER_SOURCE)
            columns.setdefault(column.key, column)
            cells[terms][column.key] = Cell(value=value)
            notes[(_row_key(terms), column.key)] = (TABLE6_NOTE, PAPER_SOURCE)
    return cells


def build_ablation_table(
    results: Iterable[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Any]],
    *,
    study: str | None = None,
    paper: Sequence[PaperAblationRow] = PAPER_ABLATION,
) -> ReportTable:
    """One row per loss-term combination (Table 6's four, then any other found): mean ± std over its runs
    in measured columns, Table 6's number in the `paper` columns."""
    chosen, study = select_study(runs, study)
    terms_of = {run["id"]: loss_terms(run.get("tags")) for run in chosen}
    seed_of = {run["id"]: run.get("seed") for run in chosen}
    columns: dict[str, Column] = {}
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for result in results:
        if result["run_id"] not in terms_of:
            continue
        column = result_column(result)
        if _wanted(column):
            columns.setdefault(column.key, column)
            latest[(result["run_id"], column.key)] = result

    notes: CellNotes = {}
    paper_cells = _paper_cells(paper, columns, notes)

    values: dict[tuple[Terms, str], list[float]] = defaultdict(list)
    protocols: dict[tuple[Terms, str], set[str]] = defaultdict(set)
    for (run_id, key), result in latest.items():
        values[(terms_of[run_id], key)].append(float(result["value"]))
        protocols[(terms_of[run_id], key)].add(
            describe_protocol(protocol_key(result.get("protocol") or {}, result.get("split"))))
    members: dict[Terms, list[str]] = defaultdict(list)
    for run_id, terms in terms_of.items():
        members[terms].append(run_id)
    ordered = list(VARIANTS) + sorted(set(members) - set(VARIANTS), reverse=True)
    rows = []
    for terms in ordered:
        ids = members.get(terms, [])
        label = VARIANTS.get(terms, describe_terms(terms))
        seeds = sorted({str(seed_of[i]) for i in ids if seed_of[i] is not None})
        row = Row(key=_row_key(terms), source=MEASURED, label=label,
                  fields={"losses": describe_terms(terms), "runs": str(len(ids)), "seeds": ", ".join(seeds)},
                  cells=dict(paper_cells.get(terms, {})))
        for key in columns:
            found = values.get((terms, key))
            if found:
                mean, std = _mean_std(found)
                row.cells[key] = Cell(value=mean, std=std, count=len(found))
                notes[(row.key, key)] = ("; ".join(sorted(protocols[(terms, key)])), MEASURED)
        rows.append(row)

    groups = build_groups(columns.values())
    flag_best(rows, columns.values())
    book = number_footnotes(groups, rows, notes)
    table_notes = ["Measured cells: mean ± sample standard deviation over the runs (seeds) of each "
                   "loss combination; (n=k) where fewer runs than the row's count have that number."]
    if any(column.synthetic for column in columns.values()):
        table_notes.append(SYNTHETIC_NOTE)
    title = f"Loss ablation (paper Table 6 layout){f': study {study}' if study else ''}"
    return ReportTable(
        title=title, kind="ablation", groups=groups, rows=rows, row_fields=list(ABLATION_ROW_FIELDS),
        config_keys=[], footnotes=book.footnotes, notes=table_notes, layout="single", show_source=False,
    )
