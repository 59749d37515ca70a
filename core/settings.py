"""Process-wide settings from the environment (`SVIML_*`) and an optional `.env` file.

Built once at the entry point (the CLI, a recipe's `main`) and passed down: nothing below the
entry point reads `os.environ` for these values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where sviml keeps its registry and runs, where datasets live, which device to use."""

    model_config = SettingsConfigDict(env_prefix="SVIML_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("runs"), description="Registry file and run folders live here.")
    db_url: str | None = Field(
        default=None,
        description="Any SQLAlchemy URL; default sqlite:///<home>/sviml.db. Use PostgreSQL across nodes.",
    )
    data: Path | None = Field(
        default=None, description="Where `data add KIND` looks for a dataset without --root: <data>/<kind>."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(default="auto", description="Compute device.")

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        # Run folders are recorded in the registry: store absolute paths so they survive a `cd`.
        return value.expanduser().resolve()

    @property
    def database_url(self) -> str:
        """The registry URL: `db_url` if set, else a SQLite file under `home`."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.home / 'sviml.db'}"

    @property
    def runs_dir(self) -> Path:
        """Parent folder of every new run's folder: `<home>/train/<run id>`."""
        return self.home / "train"

    @property
    def run_parent_dirs(self) -> tuple[Path, ...]:
        """Every folder of this home that holds run folders: `train/`, and `runs/` where earlier
        versions put them (the registry records each run's absolute folder, so those runs keep working)."""
        return (self.runs_dir, self.home / "runs")

    @property
    def exports_dir(self) -> Path:
        """Where `sviml runs rm --keep-export` moves a deleted run's exported weights."""
        return self.home / "exports"

    @property
    def deletion_log(self) -> Path:
        """Every file and row that `sviml runs rm` and `sviml gc --apply` deleted, one line each."""
        return self.home / "deletions.log"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def resolved_device(self) -> str:
        """`cuda` when asked for or (with `auto`) available, else `cpu`."""
        if self.device != "auto":
            return self.device
        import torch  # lazily: `sviml --help` must not pay for torch

        return "cuda" if torch.cuda.is_available() else "cpu"
