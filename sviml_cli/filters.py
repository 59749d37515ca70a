"""The run filters that `runs ls`, `report` and `export` share: `--tag`, `--status`, `--recipe`, `--name`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from core.registry.schema import RunFilter

TAG_FILTER = typer.Option(None, "--tag", metavar="KEY=VALUE",
                          help="Only runs with this tag (repeat: all must hold; numbers match any spelling).")
STATUS_FILTER = typer.Option(None, "--status",
                             help="Only runs with this status: pending, running, stale, finished, failed, interrupted.")
RECIPE_FILTER = typer.Option(None, "--recipe", help="Only runs of this recipe (pretrain, finetune_qa, ...).")
NAME_FILTER = typer.Option(None, "--name", help="Only runs whose name matches this glob (`sweep-*`).")


def run_filter(*, recipe: str | None = None, status: str | None = None, name: str | None = None,
               tags: list[str] | None = None, last: int | None = None) -> RunFilter:
    """The `RunFilter` of these options (a malformed tag or unknown status is a `UserError`)."""
    from core.registry.schema import RunFilter
    from core.registry.tags import parse_tags

    return RunFilter(recipe=recipe, status=status, name_glob=name, tags=parse_tags(tags or []), limit=last)
