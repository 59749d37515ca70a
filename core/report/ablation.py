"""The loss ablation in the layout of the paper's Table 6: loss-term combinations x four benchmarks.

Runs are grouped by which loss weights are on (their `w_contrast`, `w_ground`, `w_temporal`
tags > 0); each cell is the mean over the group's runs (seeds) with the sample standard
deviation and the count. Measured columns are whatever datasets of Table 6's kinds the runs were
evaluated on (MSR-VTT zero-shot R@1, MSVD-QA accuracy, UCF101 linear top-1, TAL average mAP; real
or synthetic) plus the synthetic structure metrics. The paper's Table 6 numbers sit beside them in
columns of their own, headed `(paper)`, in the same rows: never in a measured column. Where several
variants of a study share loss terms (e.g. `full` and `full` with another grounding option), each
gets a row of its own, labelled with its variant name.

Below the variant rows, one row per other variant holds its paired difference against the
baseline variant (the first row with runs, contrastive only in Table 6's order, or the one named):
per seed both ran, variant minus baseline; mean ± standard error and a 2-SE verdict
(`core/report/paired.py`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from core.errors import UserError
from core.report.footnotes import describe_protocol, protocol_key
from core.report.known_metrics import TASKS
from core.report.paired import paired_difference, verdict
from core.report.paper import PAPER_ABLATION, TABLE6_COLUMNS, TABLE6_NOTE, PaperAblationRow
from core.report.table import SYNTHETIC_NOTE, build_groups, flag_best, number_footnotes, result_column
from core.report.table_model import MEASURED, PAPER_SOURCE, Cell, Column, ReportTable, Row

CellNotes = dict[tuple[str, str], tuple[str, str]]

Terms = tuple[bool, bool, bool]  # (contrastive, grounding, temporal) on
Group = tuple[Terms, str | None]  # a row: loss terms, and the variant name when several variants share them
PerSeed = dict[tuple[Group, str], dict[int, float]]  # (row, column key) -> seed -> value
# Row labels in Table 6's order (run tags name them contrastive, +ground, +temporal, full).
VARIANTS: Mapping[Terms, str] = {
    (True, False, False): "contrastive only",
    (True, True, False): "+ L_g (grounding)",
    (True, False, True): "+ L_t (temporal)",
    (True, True, True): "all three (S-ViLM)",
}
STRUCTURE_TASKS = ("grounding", "temporal_grouping")
ABLATION_ROW_FIELDS = ["losses", "runs", "seeds"]
PAIRED_NOTE = ("paired difference, variant minus baseline seed by seed over the seeds both ran: mean ± "
               "standard error (sample std / sqrt(n)); (>2 SE, t=...): more than two standard errors from 0, t = mean / SE "
               "(a two-sided 95% level needs t beyond 2.78 at 5 seeds, 4.30 at 3); no SE for one seed")


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


def _row_key(group: Group) -> str:
    terms, name = group
    return f"variant:{describe_terms(terms)}" + (f" [{name}]" if name else "")


def _row_label(group: Group) -> str:
    terms, name = group
    label = VARIANTS.get(terms, describe_terms(terms))
    return f"{label}: {name}" if name else label


def _groups(chosen: Sequence[Mapping[str, Any]]) -> dict[str, Group]:
    """Each run's row: its loss terms, and its variant name where several variants share those terms
    (e.g. a study of `full` against `full` with another grounding option)."""
    terms_of = {run["id"]: loss_terms(run.get("tags")) for run in chosen}
    name_of = {run["id"]: _variant_name(run) for run in chosen}
    names: dict[Terms, set[str]] = defaultdict(set)
    for run_id, terms in terms_of.items():
        names[terms].add(name_of[run_id])
    return {run_id: (terms, name_of[run_id] if len(names[terms]) > 1 else None) for run_id, terms in terms_of.items()}


def _variant_name(run: Mapping[str, Any]) -> str:
    return str((run.get("tags") or {}).get("variant", ""))


def _group_order(group: Group) -> tuple[int, tuple[bool, ...], str]:
    """Table 6's four combinations first, in its order, then any other; variants of one combination by name."""
    terms, name = group
    rank = list(VARIANTS).index(terms) if terms in VARIANTS else len(VARIANTS)
    return rank, tuple(not flag for flag in terms), name or ""


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


def _paper_cells(paper: Iterable[PaperAblationRow], columns: dict[str, Column]) -> dict[Terms, dict[str, Cell]]:
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
    return cells


def _pick_baseline(ordered: Sequence[Group], members: Mapping[Group, list[str]], names: Mapping[Group, set[str]],
                   baseline: str | None) -> Group:
    """The row every other variant is paired against: the one named (variant tag or row label), else the
    first row with runs (contrastive only, Table 6's first, when the study has it)."""
    with_runs = [group for group in ordered if members.get(group)]
    if baseline is None:
        return with_runs[0]
    for group in with_runs:
        if baseline in names[group] or baseline in (_row_label(group), _row_key(group)):
            return group
    known = sorted({name for group in with_runs for name in names[group] if name})
    raise UserError(f"no variant {baseline!r} in this ablation study; variants: {', '.join(known)}")


def _paired_row(group: Group, base: Group, per_seed: PerSeed, columns: Mapping[str, Column],
                notes: CellNotes) -> Row:
    """`variant - baseline`, seed by seed, in every measured column both have: mean ± SE and the verdict."""
    row = Row(key=f"paired:{_row_key(group)}", source=MEASURED, label=f"{_row_label(group)} − {_row_label(base)}",
              paired_with=_row_label(base))
    seeds: set[int] = set()
    for key, column in columns.items():
        if column.source != MEASURED:
            continue
        diff = paired_difference(per_seed.get((group, key), {}), per_seed.get((base, key), {}))
        if diff is None:
            continue
        seeds.update(diff.seeds)
        row.cells[key] = Cell(value=diff.mean, se=diff.se, count=diff.n,
                              verdict=verdict(diff, column.lower_is_better))
        notes[(row.key, key)] = (PAIRED_NOTE, MEASURED)
    row.fields = {"losses": "paired", "runs": str(len(seeds)), "seeds": ", ".join(str(s) for s in sorted(seeds))}
    return row


def build_ablation_table(
    results: Iterable[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Any]],
    *,
    study: str | None = None,
    baseline: str | None = None,
    paper: Sequence[PaperAblationRow] = PAPER_ABLATION,
) -> ReportTable:
    """One row per loss-term combination (Table 6's four, then any other found): mean ± std over its runs
    in measured columns, Table 6's number in the `paper` columns; then one row per other variant with
    its paired difference against the baseline variant (`baseline`: a variant name; default the first)."""
    chosen, study = select_study(runs, study)
    group_of = _groups(chosen)
    seed_of = {run["id"]: run.get("seed") for run in chosen}
    columns: dict[str, Column] = {}
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for result in results:
        if result["run_id"] not in group_of:
            continue
        column = result_column(result)
        if _wanted(column):
            columns.setdefault(column.key, column)
            latest[(result["run_id"], column.key)] = result

    notes: CellNotes = {}
    paper_cells = _paper_cells(paper, columns)

    values: dict[tuple[Group, str], list[float]] = defaultdict(list)
    seed_values: dict[tuple[Group, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    protocols: dict[tuple[Group, str], set[str]] = defaultdict(set)
    for (run_id, key), result in latest.items():
        group = group_of[run_id]
        values[(group, key)].append(float(result["value"]))
        if seed_of[run_id] is not None:
            seed_values[(group, key)][int(seed_of[run_id])].append(float(result["value"]))
        protocols[(group, key)].add(
            describe_protocol(protocol_key(result.get("protocol") or {}, result.get("split"))))
    # Two runs of one variant and seed (a re-run) count as their mean in the pairing.
    per_seed: PerSeed = {k: {seed: sum(v) / len(v) for seed, v in by_seed.items()} for k, by_seed in seed_values.items()}
    members: dict[Group, list[str]] = defaultdict(list)
    names: dict[Group, set[str]] = defaultdict(set)
    for run in chosen:
        members[group_of[run["id"]]].append(run["id"])
        names[group_of[run["id"]]].add(_variant_name(run))
    table6 = [(terms, None) for terms in VARIANTS if (terms, None) not in members and not any(
        group[0] == terms for group in members)]
    ordered = sorted([*members, *table6], key=_group_order)
    base = _pick_baseline(ordered, members, names, baseline)
    rows = []
    for group in ordered:
        ids = members.get(group, [])
        seeds = sorted({str(seed_of[i]) for i in ids if seed_of[i] is not None})
        row = Row(key=_row_key(group), source=MEASURED, label=_row_label(group),
                  fields={"losses": describe_terms(group[0]), "runs": str(len(ids)), "seeds": ", ".join(seeds)},
                  cells=dict(paper_cells.get(group[0], {})), baseline=group == base)
        for key in row.cells:
            notes[(row.key, key)] = (TABLE6_NOTE, PAPER_SOURCE)
        for key in columns:
            found = values.get((group, key))
            if found:
                mean, std = _mean_std(found)
                row.cells[key] = Cell(value=mean, std=std, count=len(found))
                notes[(row.key, key)] = ("; ".join(sorted(protocols[(group, key)])), MEASURED)
        rows.append(row)
    paired = [_paired_row(group, base, per_seed, columns, notes) for group in ordered
              if group != base and members.get(group)]
    rows += [row for row in paired if row.cells]

    groups = build_groups(columns.values())
    flag_best(rows, columns.values())
    book = number_footnotes(groups, rows, notes)
    table_notes = ["Measured cells: mean ± sample standard deviation over the runs (seeds) of each "
                   "loss combination; (n=k) where fewer runs than the row's count have that number.",
                   f"Rows 'X − {_row_label(base)}': X's paired difference against the baseline variant, "
                   f"{_row_label(base)} (see their footnote)."]
    if any(column.synthetic for column in columns.values()):
        table_notes.append(SYNTHETIC_NOTE)
    title = f"Loss ablation (paper Table 6 layout){f': study {study}' if study else ''}"
    return ReportTable(
        title=title, kind="ablation", groups=groups, rows=rows, row_fields=list(ABLATION_ROW_FIELDS),
        config_keys=[], footnotes=book.footnotes, notes=table_notes, layout="single", show_source=False,
    )
