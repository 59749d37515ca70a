"""How `sviml runs compare` looks in a terminal: three tables and a sparkline per loss and run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sviml_cli.output import print_table

if TYPE_CHECKING:
    from core.report.compare import Comparison


def _cell(value: float | None, base: float | None, first: bool) -> str:
    from core.report.compare import delta

    if value is None:
        return ""
    change = delta(value, base)
    return f"{value:.2f}" if first or change is None else f"{value:.2f} ({change:+.2f})"


def print_comparison(comparison: Comparison) -> None:
    from rich.console import Console

    from core.report.sparkline import sparkline

    labels = [run["name"] or run["id"] for run in comparison.runs]
    print_table("runs", ["", "id", "name", "recipe", "status"],
                [(f"#{i + 1}", run["id"], run["name"], f"{run['recipe']}/{run['config_name']}", run["status"])
                 for i, run in enumerate(comparison.runs)], empty="")
    print_table("config keys that differ", ["key", *labels], [(key, *values) for key, values in comparison.config],
                empty="The configs are identical.")
    print_table("results (delta against the first run)", ["task/dataset/metric", *labels],
                [(key, *(_cell(v, values[0], i == 0) for i, v in enumerate(values)))
                 for key, values in comparison.results], empty="No results to compare.")
    console = Console()
    if not comparison.curves:
        console.print("No training curves (TensorBoard logs) to compare.")
        return
    width = max(len(label) for label in labels)
    for tag, per_run in comparison.curves.items():
        present = [values for curve in per_run if curve is not None for values in [curve[1]]]
        low, high = min(map(min, present)), max(map(max, present))  # common bounds: curves compare by eye
        console.print(f"[bold]{tag}[/bold]  ({low:.3f} .. {high:.3f})")
        for label, curve in zip(labels, per_run, strict=True):
            if curve is None:
                console.print(f"  {label:<{width}}  (no curve)", markup=False)
                continue
            steps, values = curve
            console.print(f"  {label:<{width}}  {sparkline(values, 40, low, high)}  "
                          f"{values[0]:.3f} -> {values[-1]:.3f} at step {steps[-1]}", markup=False)
