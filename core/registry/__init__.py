"""The registry: SQLModel tables and the query API over one SQLAlchemy database.

Names are imported lazily: `core.registry.sqlite_read` (the fast read path of `runs ls`) must
not pay the ~0.4 s import of SQLModel/SQLAlchemy that the rest of the registry needs.
"""

from __future__ import annotations

from core.lazy import lazy_exports

_EXPORTS = {
    "Registry": "core.registry.api",
    "new_run_id": "core.registry.tables",
    "RunStatus": "core.registry.schema",
    "SCHEMA_VERSION": "core.registry.schema",
    "Checkpoint": "core.registry.tables",
    "Dataset": "core.registry.tables",
    "EvalResult": "core.registry.tables",
    "Run": "core.registry.tables",
    "RunLease": "core.registry.tables",
    "RunNote": "core.registry.tables",
    "PendingDeletion": "core.registry.tables",
    "open_reader": "core.registry.sqlite_read",
    "shown_status": "core.registry.schema",
}

__all__ = list(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
