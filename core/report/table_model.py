"""The report's table model: what every renderer (rich, Markdown, CSV, JSON, HTML) draws.

Rows are runs (or ablation variants) and the paper's reference rows; columns are
task/dataset/metric, grouped per task (one benchmark per group). A cell absent from a row's
`cells` is a missing result and renders blank; a present cell always carries a footnote number
that says how it was measured.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MEASURED = "measured"
PAPER_SOURCE = "paper"


@dataclass(frozen=True)
class Column:
    """One metric of one task on one dataset."""

    task: str
    dataset: str
    metric: str
    kind: str | None = None  # the benchmark the dataset belongs to (msrvtt, ucf101, ...)
    synthetic: bool = False
    lower_is_better: bool = False
    source: str = MEASURED  # PAPER_SOURCE: a column of the paper's numbers (the ablation's Table 6)

    @property
    def key(self) -> str:
        key = f"{self.task}/{self.dataset}/{self.metric}"
        return key if self.source == MEASURED else f"{self.source}:{key}"

    @property
    def dataset_label(self) -> str:
        if self.source != MEASURED:
            return f"{self.dataset} ({self.source})"
        return f"{self.dataset} (synthetic)" if self.synthetic else self.dataset


@dataclass(frozen=True)
class ColumnGroup:
    """The columns of one task: one benchmark per table section."""

    task: str
    title: str
    columns: tuple[Column, ...]


@dataclass
class Cell:
    """A number and how it was measured; ablation cells also carry the spread over seeds."""

    value: float
    footnote: int | None = None
    best: bool = False
    delta: float | None = None  # value minus the baseline run's value
    std: float | None = None  # ablation: standard deviation over seeds
    count: int | None = None  # ablation: runs (seeds) behind the mean; paired rows: seeds paired
    se: float | None = None  # ablation paired rows: standard error of the mean paired difference
    verdict: str | None = None  # ablation paired rows: "better" | "worse" | "tie" (2 SE), None without an SE
    n: int | None = None  # queries or videos behind the number


@dataclass
class Row:
    """A measured run (or ablation variant) or one of the paper's reference rows."""

    key: str
    source: str  # MEASURED | PAPER_SOURCE
    label: str
    fields: dict[str, str] = field(default_factory=dict)  # identity columns: id, recipe, checkpoint, ...
    config: dict[str, str] = field(default_factory=dict)  # the config keys that differ between runs
    cells: dict[str, Cell] = field(default_factory=dict)  # column key -> cell; absent = missing
    baseline: bool = False
    paired_with: str | None = None  # ablation: this row is (variant - the named baseline row), seed by seed


@dataclass
class Footnote:
    number: int
    text: str
    source: str  # MEASURED | PAPER_SOURCE


@dataclass
class ReportTable:
    """Everything a renderer needs; `to_dict` is the JSON format."""

    title: str
    kind: str  # "results" | "ablation"
    groups: list[ColumnGroup]
    rows: list[Row]
    row_fields: list[str]  # names of the identity columns, in order
    config_keys: list[str]
    footnotes: list[Footnote]
    notes: list[str] = field(default_factory=list)
    baseline: str | None = None
    show_source: bool = True  # the ablation's rows are all measured: no source column
    # "sections": an identity table, then one table per task (wide results); "single": one table
    # with identity and every column (the ablation, which has few columns).
    layout: str = "sections"

    @property
    def measured_rows(self) -> list[Row]:
        return [row for row in self.rows if row.source == MEASURED]

    @property
    def columns(self) -> list[Column]:
        return [column for group in self.groups for column in group.columns]

    def rows_with_values(self, group: ColumnGroup) -> list[Row]:
        """The rows that have a number in this group: one table section."""
        keys = {column.key for column in group.columns}
        return [row for row in self.rows if keys & row.cells.keys()]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        keys = iter(column.key for column in self.columns)
        for group in data["groups"]:
            for column in group["columns"]:
                column["key"] = next(keys)
        return data
