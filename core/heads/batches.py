"""Moving a batch's tensors to the model's device (strings and lists stay where they are)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def on_device(batch: dict[str, Any], module: nn.Module) -> dict[str, Any]:
    """`batch` with every tensor on the device of `module`'s first parameter."""
    device = next(module.parameters()).device
    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
