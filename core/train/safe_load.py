"""Loading checkpoints without unpickling arbitrary objects.

DeepSpeed's own checkpoint engine calls `torch.load(weights_only=False)`, which runs whatever
code a tampered file carries. `SafeCheckpointEngine` loads with `weights_only=True` and allows
only the three plain-data DeepSpeed classes its ZeRO optimizer states contain; anything else is
refused with a clear error. Installed on every engine the recipes build (`install`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from core.errors import UserError

if TYPE_CHECKING:
    from deepspeed import DeepSpeedEngine

# Bound at import: callers may patch `torch.load` itself to route third-party code through here.
_TORCH_LOAD = torch.load


def _allowed_globals() -> list[Any]:
    from deepspeed.runtime.fp16.loss_scaler import LossScaler
    from deepspeed.runtime.zero.config import ZeroStageEnum
    from deepspeed.utils.tensor_fragment import fragment_address

    return [LossScaler, ZeroStageEnum, fragment_address]


def safe_torch_load(path: str | Path, map_location: Any = None) -> Any:
    """`torch.load` with `weights_only=True` and DeepSpeed's plain-data classes allowed."""
    try:
        with torch.serialization.safe_globals(_allowed_globals()):
            return _TORCH_LOAD(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError...
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"refusing to load checkpoint file {path}: not a plain tensor file ({first})") from err


def install(engine: DeepSpeedEngine) -> None:
    """Make `engine.load_checkpoint` read every file through `safe_torch_load`."""
    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    current = engine.checkpoint_engine
    if not isinstance(current, TorchCheckpointEngine):
        raise RuntimeError(f"unexpected DeepSpeed checkpoint engine {type(current).__name__}")

    class SafeCheckpointEngine(type(current)):
        def load(self, path: str, map_location: Any = None) -> Any:  # noqa: D102
            return safe_torch_load(path, map_location=map_location)

    current.__class__ = SafeCheckpointEngine
