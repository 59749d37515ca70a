"""Which tower parameters a task leaves unused, frozen before DeepSpeed sees them.

A parameter that takes part in no loss gets no gradient; ZeRO partitions and reduces every
parameter it is given, so those are frozen (`requires_grad=False`) and left out of the optimizer
instead. They stay in the module and in the export, unchanged, so the exported towers are
still a complete S-ViLM.
"""

from __future__ import annotations

from torch import nn


def unused_parameters(towers: nn.Module, *, video_embedding: bool, text_tower: bool, text_embedding: bool,
                      logit_scale: bool) -> list[nn.Parameter]:
    """Parameters of `towers` (an SViLM) that a task using the given outputs never touches.

    Every task encodes video with `with_regions=False`, which skips the region projection and a
    grouping block placed after the last layer (its only use is the region features).
    """
    video = towers.video
    modules: list[nn.Module] = [video.proj_regions, video.norm_regions]
    depth = len(video.blocks)
    if depth in video.cfg.grouping_after:
        modules.append(video.grouping[str(depth)])
    if not video_embedding:
        modules.append(video.proj)
    if not text_tower:
        modules.append(towers.text)
    elif not text_embedding:
        modules.append(towers.text.proj)
    params = [p for m in modules for p in m.parameters()]
    if not logit_scale:
        params.append(towers.log_logit_scale)
    return params


def freeze(params: list[nn.Parameter]) -> int:
    """Freeze `params`; returns how many elements were frozen."""
    for param in params:
        param.requires_grad_(False)
    return sum(p.numel() for p in params)
