"""What every command shares: the settings (built once at the entry) and the registry (opened lazily)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from core.registry import Registry
    from core.registry.sqlite_read import SqliteReader
    from core.settings import Settings
    from recipes.launch import Launcher


@dataclass
class AppState:
    """Carried on the Typer context: `ctx.obj`."""

    _settings: Settings | None = None
    _registry: Registry | None = field(default=None, repr=False)
    _reader: SqliteReader | Registry | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from pydantic import ValidationError

            from core.errors import UserError
            from core.settings import Settings

            try:
                self._settings = Settings()
            except ValidationError as err:
                first = err.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                raise UserError(f"bad setting SVIML_{where.upper()}: {first['msg']}") from err
        return self._settings

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            from core.registry import Registry

            self._registry = Registry.from_settings(self.settings)
        return self._registry


def state(ctx: typer.Context) -> AppState:
    """The shared state of this invocation (created by the root callback)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = AppState()
    return root.obj


def launcher(ctx: typer.Context) -> Launcher:
    """Starts recipes by name for this invocation's settings and registry."""
    from recipes.launch import Launcher

    app_state = state(ctx)
    return Launcher(app_state.settings, app_state.registry)


def reader(ctx: typer.Context) -> SqliteReader | Registry:
    """The fast read-only view of the registry (run listings and result queries)."""
    app_state = state(ctx)
    if app_state._reader is None:
        from core.registry.sqlite_read import open_reader

        app_state._reader = open_reader(app_state.settings.database_url)
    return app_state._reader
