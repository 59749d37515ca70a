"""How `sviml runs rm` and `sviml gc` show what they delete: what, where, how big."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sviml_cli.output import print_table

if TYPE_CHECKING:
    from core.housekeeping.gc import GcPlan
    from core.housekeeping.removal import RemovalPlan


def print_removal_plan(plan: RemovalPlan) -> None:
    from core.housekeeping.disk import human_bytes

    rows = []
    for removal in plan.removals:
        run = removal.run
        rows.append((run.id, run.name, f"{run.recipe} ({run.status})",
                     ", ".join(f"{count} {what}" for what, count in removal.rows.items()), "", ""))
        rows += [("", "", "", "", str(path), human_bytes(size)) for path, size in removal.paths]
        if removal.keep_export is not None:
            rows.append(("", "", "", "", f"keep {removal.keep_export[0]} -> {removal.keep_export[1]}", ""))
        rows += [("", "", "", "", note, "") for note in removal.notes]
    print_table(f"to delete: {len(plan.removals)} run(s), {human_bytes(plan.bytes)}",
                ["run", "name", "recipe (status)", "rows", "files", "size"], rows, empty="Nothing to delete.")


def print_gc_plan(plan: GcPlan, applied: bool) -> None:
    from core.housekeeping.disk import human_bytes

    title = (f"{'removed' if applied else 'collectable (dry run: `sviml gc --apply` removes it)'}: "
             f"{len(plan.items)} item(s), {human_bytes(plan.bytes)}")
    print_table(title, ["kind", "run", "what", "path", "size"],
                [(item.kind, item.run_id or "", item.what, str(item.path or ""), human_bytes(item.bytes))
                 for item in plan.items], empty="Nothing to collect.")
    for line in plan.skipped:
        print(f"left alone: {line}")
