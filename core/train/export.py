"""Consolidated fp32 weights as safetensors + config.json, loadable without DeepSpeed.

Exports of models with a text tower also hold `text/`: the BERT config and the tokenizer the model
was trained with, so that loading an export never reads the pretrained folder (or hub snapshot) it
started from: the export folder alone is enough to evaluate.

ZeRO-1/2/3 keep the fp32 master weights partitioned across ranks (and, with bf16, the module
holds bf16 copies), so they are consolidated from the just-written checkpoint with DeepSpeed's
`zero_to_fp32`, reading its files through the weights-only loader. Without ZeRO the module's own
fp32 parameters are the weights.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import torch
from safetensors.torch import load_file, save_file

from core.errors import UserError
from core.train.export_layout import CONFIG, WEIGHTS

if TYPE_CHECKING:
    from deepspeed import DeepSpeedEngine

    from core.model.config import ModelConfig
    from core.model.svilm import SViLM

__all__ = ["CONFIG", "TEXT_DIR", "WEIGHTS", "consolidated_state_dict", "export_model_config", "load_exported",
           "read_export_config", "text_files_of", "write_export"]

TEXT_DIR = "text"  # the text tower's BERT config and tokenizer


def text_files_of(model: SViLM) -> Callable[[Path], None]:
    """What writes `model`'s text-tower files (BERT config + tokenizer) into an export folder."""
    from core.model.text_encoder import load_tokenizer

    def write(folder: Path) -> None:
        model.text.bert.config.save_pretrained(folder / TEXT_DIR)
        load_tokenizer(model.cfg.text).save_pretrained(folder / TEXT_DIR)

    return write


def export_model_config(model: dict[str, Any], folder: Path) -> ModelConfig:
    """The `model` section of an export as a config whose text tower reads `folder/text` (exports
    written before `text/` existed keep their original sources)."""
    from core.model.config import ModelConfig

    cfg = ModelConfig.from_dict(model, where="model")
    text_dir = Path(folder) / TEXT_DIR
    if text_dir.is_dir():
        cfg.text = cfg.text.model_copy(update={"tokenizer": str(text_dir),
                                               "pretrained": str(text_dir) if cfg.text.pretrained else None})
    return cfg


def consolidated_state_dict(engine: DeepSpeedEngine, zero_stage: int, checkpoint_dir: Path | None) -> dict[str, torch.Tensor]:
    """Full fp32 weights (call on rank 0 after the final checkpoint is complete)."""
    if zero_stage == 0 and not engine.bfloat16_enabled():
        return {k: v.detach().float().cpu().clone() for k, v in engine.module.state_dict().items()}
    if checkpoint_dir is None:
        raise ValueError("ZeRO or bf16 weights are consolidated from a checkpoint folder")
    from deepspeed.utils import zero_to_fp32

    from core.train.safe_load import safe_torch_load

    def load(path: Any, map_location: Any = None, **_: Any) -> Any:
        return safe_torch_load(path, map_location=map_location)

    # zero_to_fp32 calls torch.load(weights_only=False): route it through the safe loader.
    with mock.patch.object(zero_to_fp32.torch, "load", load):
        state = zero_to_fp32.get_fp32_state_dict_from_zero_checkpoint(
            str(checkpoint_dir.parent), tag=checkpoint_dir.name
        )
    return {k: v.float().contiguous() for k, v in state.items()}


def write_export(state: dict[str, torch.Tensor], config: dict[str, Any], folder: Path,
                 extra: Callable[[Path], None] | None = None) -> int:
    """Write `folder/model.safetensors`, `folder/config.json` (and what `extra` writes into the folder,
    e.g. `text_files_of(model)`) atomically; returns bytes written."""
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_file(state, str(tmp / WEIGHTS), metadata={"format": "pt"})
    (tmp / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True))
    if extra is not None:
        extra(tmp)
    files = [p for p in tmp.rglob("*") if p.is_file()]
    for path in files:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    if folder.exists():
        shutil.rmtree(folder)
    tmp.replace(folder)
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def read_export_config(folder: Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise UserError(f"{folder} is not an exported model (no {CONFIG})") from err
    except json.JSONDecodeError as err:
        raise UserError(f"{path} is not valid JSON: {err}") from err


def load_exported(folder: Path, device: str | torch.device = "cpu"):  # -> core.model.SViLM
    """The exported model in eval mode, built from its config and its own `text/` files; no DeepSpeed,
    no pickle, no read of the checkpoints it was initialised from."""
    from core.model.svilm import SViLM

    folder = Path(folder)
    config = read_export_config(folder)
    model = SViLM(export_model_config(config["model"], folder), pretrained=False)  # the weights come next
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise UserError(f"{folder} has no {WEIGHTS}")
    state = load_file(str(weights), device="cpu")
    # Exports from before the logit scale moved into its own child module (see svilm.py).
    if "log_logit_scale" in state and "logit.log_logit_scale" not in state:
        state["logit.log_logit_scale"] = state.pop("log_logit_scale").reshape(1)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise UserError(f"{weights} does not match its config: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.to(device).eval()
