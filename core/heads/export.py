"""A head run's exported weights: safetensors + config.json, like pre-training's, rebuilt without DeepSpeed.

`config.json` holds `task` (qa, action, tal, retrieval), `model` (the towers' resolved config),
`head` (the head's config), what the output layer means (`answers` for QA, `classes` for action
and localization), `init_checkpoint` (the pre-trained weights it started from), `run_id`,
`parent_id`, `dataset`, `step` and `recipe`.

Weight names: QA and action models are `model.*` (the towers, a complete S-ViLM) and `head.*`;
the retrieval export is a plain S-ViLM (no prefix: `core.train.export.load_exported` reads it);
the localizer's is `head.*` alone, since its towers stay frozen and are named by `init_checkpoint`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from torch import nn

from core.config import validate_config
from core.errors import UserError


def read_head_export(folder: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(config, weights) of an exported head run."""
    from core.train.export import WEIGHTS, read_export_config

    folder = Path(folder)
    config = read_export_config(folder)
    if not (folder / WEIGHTS).is_file():
        raise UserError(f"{folder} has no {WEIGHTS}")
    return config, load_file(str(folder / WEIGHTS), device="cpu")


def towers_from_config(config: dict[str, Any], folder: Path) -> nn.Module:
    """An S-ViLM built from an export's `model` section and its `text/` files (weights loaded by the caller)."""
    from core.model.svilm import SViLM
    from core.train.export import export_model_config

    return SViLM(export_model_config(config["model"], folder), pretrained=False)


def build_task_model(config: dict[str, Any], folder: Path) -> nn.Module:
    """The task module the export in `folder` describes (`config`: its config.json), freshly initialised."""
    task = config.get("task")
    if task == "qa":
        from core.heads.qa import QAFusionHead, QAHeadConfig, QAModel

        towers = towers_from_config(config, folder)
        head = QAFusionHead(validate_config(QAHeadConfig, config["head"], "head"), towers.video.cfg.width, towers.text.width,
                            len(config["answers"]))
        return QAModel(towers, head)
    if task == "action":
        from core.heads.action import ActionClassifier, ActionHeadConfig, ActionModel

        towers = towers_from_config(config, folder)
        vcfg = towers.video.cfg
        head = ActionClassifier(validate_config(ActionHeadConfig, config["head"], "head"), vcfg.width,
                                vcfg.num_frames // vcfg.tubelet, len(config["classes"]))
        return ActionModel(towers, head)
    if task == "tal":
        from core.heads.localization import Localizer, LocalizerConfig
        from core.heads.localization_loss import LocalizerObjective

        return LocalizerObjective(Localizer(validate_config(LocalizerConfig, config["head"], "head"), int(config["in_width"]),
                                            len(config["classes"])))
    if task == "retrieval":
        return towers_from_config(config, folder)
    raise UserError(f"unknown head export task {task!r}")


def load_task_model(folder: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """(the exported task module in eval mode, its config)."""
    config, state = read_head_export(folder)
    module = build_task_model(config, Path(folder))
    missing, unexpected = module.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise UserError(f"{folder} does not match its config: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return module.to(device).eval(), config
