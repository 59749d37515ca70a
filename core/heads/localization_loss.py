"""Training targets and losses of the ActionFormer-style localizer (see localization.py).

Shape letters: B videos, P pyramid points, G ground-truth actions of a video, K classes.

Label assignment (ActionFormer's): a point is positive for an action when it lies within
`center_sample` strides of the action's centre (and inside the action), and the farther of its two
distances to the boundaries falls in its level's regression range. A point positive for several
actions takes the shortest. Targets: the action's class (one-hot) and its distances to the
start and end in strides. Losses: sigmoid focal loss over every point and class, and the 1-D
distance-IoU loss over positive points, both divided by the number of positive points.

In `agnostic` mode every action is one class ("action") for the points, and the video-level
classifier learns the classes present in the video: cross-entropy against the uniform distribution
over them (one class for most ActivityNet videos).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from core.heads.batches import on_device
from core.heads.localization import LocalizerConfig, point_layout


def assign_targets(points: dict[str, Tensor], segments: Tensor, labels: Tensor, num_classes: int,
                   center_sample: float) -> tuple[Tensor, Tensor, Tensor]:
    """One video: segments [G, 2] (snippet units), labels [G] -> (cls [P, K], reg [P, 2], positive [P])."""
    P = points["x"].shape[0]
    cls = torch.zeros(P, num_classes)
    reg = torch.zeros(P, 2)
    if segments.numel() == 0:
        return cls, reg, torch.zeros(P, dtype=torch.bool)
    x, stride = points["x"][:, None], points["stride"][:, None]  # [P, 1]
    start, end = segments[None, :, 0], segments[None, :, 1]  # [1, G]
    left, right = x - start, end - x  # [P, G]
    centre = 0.5 * (start + end)
    radius = center_sample * stride  # [P, 1]
    inside = (x - torch.maximum(centre - radius, start) >= 0) & (torch.minimum(centre + radius, end) - x >= 0)
    farther = torch.maximum(left, right)  # [P, G]
    in_range = (farther >= points["lo"][:, None]) & (farther <= points["hi"][:, None])
    length = (end - start).expand(P, -1)  # [P, G]
    length = torch.where(inside & in_range, length, torch.full_like(length, float("inf")))
    shortest, chosen = length.min(dim=1)  # [P]
    positive = torch.isfinite(shortest)
    rows = torch.arange(P)
    cls[positive, labels[chosen[positive]]] = 1.0
    reg = torch.stack([left[rows, chosen], right[rows, chosen]], dim=1) / points["stride"][:, None]  # [P, 2]
    reg[~positive] = 0.0
    return cls, reg, positive


def sigmoid_focal_loss(logits: Tensor, target: Tensor, alpha: float, gamma: float) -> Tensor:
    """Summed focal loss (Lin et al. 2017) of logits and 0/1 targets of the same shape."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    weight = (alpha * target + (1 - alpha) * (1 - target)) * (1 - p_t) ** gamma
    return (weight * ce).sum()


def diou_loss_1d(pred: Tensor, target: Tensor, eps: float = 1e-6) -> Tensor:
    """Summed 1-D distance-IoU loss of (left, right) distances [N, 2] from the same points."""
    lp, rp = pred[:, 0], pred[:, 1]
    lt, rt = target[:, 0], target[:, 1]
    inter = torch.minimum(lp, lt) + torch.minimum(rp, rt)  # the overlap (both segments hold the point)
    union = (lp + rp) + (lt + rt) - inter
    iou = inter / union.clamp_min(eps)
    enclosing = torch.maximum(lp, lt) + torch.maximum(rp, rt)
    centre_gap = 0.5 * ((rp - lp) - (rt - lt))  # distance between the two segments' centres
    return (1 - iou + (centre_gap / enclosing.clamp_min(eps)) ** 2).sum()


def video_loss(video_logits: Tensor, video_target: Tensor) -> Tensor:
    """Mean cross-entropy of video logits [B, K] against the classes present [B, K] (0/1), spread evenly."""
    present = video_target.sum(-1, keepdim=True)  # [B, 1]
    target = video_target / present.clamp_min(1)  # [B, K]
    loss = -(target * F.log_softmax(video_logits.float(), -1)).sum(-1)  # [B]
    return (loss * (present[:, 0] > 0)).sum() / (present > 0).sum().clamp_min(1)


def localization_loss(logits: Tensor, distances: Tensor, cls_target: Tensor, reg_target: Tensor,
                      positive: Tensor, cfg: LocalizerConfig) -> dict[str, Tensor]:
    """logits [B, P, K], distances [B, P, 2], targets [B, P, K] / [B, P, 2], positive [B, P]."""
    num_pos = positive.sum().clamp_min(1).float()
    loss_cls = sigmoid_focal_loss(logits.float(), cls_target, cfg.focal_alpha, cfg.focal_gamma) / num_pos
    if positive.any():
        loss_reg = diou_loss_1d(distances.float()[positive], reg_target[positive]) / num_pos
    else:  # no action in the batch: a zero that still reaches the regression head
        loss_reg = distances.sum() * 0.0
    loss = loss_cls + cfg.reg_weight * loss_reg
    return {"loss": loss, "loss_cls": loss_cls.detach(), "loss_reg": loss_reg.detach()}


class LocalizerObjective(torch.nn.Module):
    """The localizer under training: `forward(batch)` -> {"loss", "loss_cls", "loss_reg"}.

    batch: features [B, T, C], cls_target [B, P, K], reg_target [B, P, 2], positive [B, P]
    (from `LocalizerCollate`).
    """

    def __init__(self, head: torch.nn.Module) -> None:
        super().__init__()
        self.head = head

    def forward(self, batch: dict) -> dict[str, Tensor]:
        batch = on_device(batch, self)
        logits, distances = self.head(batch["features"])  # [B, P, K'], [B, P, 2]
        out = localization_loss(logits, distances, batch["cls_target"], batch["reg_target"], batch["positive"],
                                self.head.cfg)
        if self.head.cfg.mode == "agnostic":
            loss_video = video_loss(self.head.classify_video(batch["features"]), batch["video_target"])  # [B, K] in
            out["loss"] = out["loss"] + self.head.cfg.video_loss_weight * loss_video
            out["loss_video"] = loss_video.detach()
        return out


class LocalizerCollate:
    """Items -> features [B, T, C] and the head's targets: cls [B, P, K'], reg [B, P, 2], positive [B, P]
    (and in `agnostic` mode the classes present in each video, video_target [B, K])."""

    def __init__(self, cfg: LocalizerConfig, num_classes: int):
        self.cfg = cfg
        self.num_classes = num_classes
        self.agnostic = cfg.mode == "agnostic"
        self.points = point_layout(cfg)

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        point_classes = 1 if self.agnostic else self.num_classes
        targets = [assign_targets(self.points, it["segments"],
                                  torch.zeros_like(it["labels"]) if self.agnostic else it["labels"],  # one "action" class
                                  point_classes, self.cfg.center_sample) for it in items]
        extra = {}
        if self.agnostic:
            video_target = torch.zeros(len(items), self.num_classes)  # [B, K]
            for row, it in enumerate(items):
                video_target[row, it["labels"]] = 1.0
            extra["video_target"] = video_target
        return {**extra,
            "features": torch.stack([it["features"] for it in items]),  # [B, T, C]
            "cls_target": torch.stack([t[0] for t in targets]),  # [B, P, K]
            "reg_target": torch.stack([t[1] for t in targets]),  # [B, P, 2]
            "positive": torch.stack([t[2] for t in targets]),  # [B, P]
            "index": torch.tensor([it["index"] for it in items], dtype=torch.long),  # [B]
        }
