"""Temporal action localization head: ActionFormer-style, anchor-free, over a feature pyramid.

Shape letters: B videos, T snippets per video (100), C feature width, W head width, L pyramid
levels, P points over all levels (sum of ceil(T / 2^l)), K classes.

Following ActionFormer (Zhang, Wu and Li, "ActionFormer: Localizing Moments of Actions with
Transformers", ECCV 2022): snippet features are embedded by 1-D convolutions, mixed by
transformer layers, and downsampled by 2 per level into a temporal pyramid (strides 1, 2, 4, ...).
Every pyramid position is a candidate action centre ("point"): a classification head scores the
K classes there (sigmoid, focal loss) and a regression head gives the distances to the action's
start and end in units of the level's stride (DIoU loss). Each level is responsible for one
range of action lengths, so short actions are found at fine levels and long ones at coarse levels.
Detections are decoded from all points, then suppressed per class with soft-NMS (what ActionFormer,
BMN and G-TAD use on ActivityNet).

Two modes (`mode`):
- `multiclass`: the head classifies every point into the K classes itself (sigmoid per class) and
  suppresses per class. It handles videos holding several different actions (the synthetic suite's
  localization videos do).
- `agnostic`: the two-stage protocol ActivityNet localizers report with. The head scores
  class-agnostic "action" proposals (K = 1), a video-level classifier trained on the same frozen
  snippet features (mean and max over time -> MLP -> softmax over the K classes) names them, and the
  scores are fused as ActionFormer's ActivityNet evaluation does: each proposal is repeated for the
  video's top-2 classes with score sqrt(proposal score x class probability). ActionFormer's released
  ActivityNet config trains one class and fuses an external video classifier's scores (CUHK's);
  G-TAD and BMN also label all of a video's proposals with its top video-level classes (G-TAD
  multiplies the two scores). ActivityNet's videos mostly hold one action class, which is why this works there.

Why this head rather than the paper's G-TAD: ActionFormer is a published, stronger head on the same
features: with TSP features ActivityNet v1.3 average mAP 36.6 (ActionFormer, two-stage, with the
external classifier) against 35.8 (G-TAD, TSP paper); G-TAD's own 34.1 is with TSN features. Both
numbers come from the two-stage protocol, so `agnostic` is the mode whose numbers compare with
theirs; it is small enough to train on cached features in seconds on a CPU.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import Tensor, nn

from core.config import ConfigModel
from core.heads.blocks import FusionBlock


class LocalizerConfig(ConfigModel):
    """The head's shape, its training targets and its post-processing."""

    snippets: int = 100  # T: features rescaled to this many snippets per video
    width: int = 128  # W
    embed_layers: int = Field(2, ge=1)  # 1-D convolutions (kernel 3) on the snippet features
    stem_layers: int = Field(1, ge=0)  # transformer layers at full resolution
    levels: int = 5  # pyramid levels, strides 1, 2, 4, ... (one transformer layer each after the first)
    heads: int = 4
    mlp_ratio: float = 2.0
    head_layers: int = Field(3, ge=1)  # convolutions of each prediction head, the last one predicting
    dropout: float = 0.1
    position: bool = True  # add sinusoidal snippet positions before the transformer
    center_sample: float = 1.5  # a point is positive within this many strides of an action's centre
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    reg_weight: float = 1.0
    prior: float = 0.01  # initial foreground probability of the classifier (focal-loss init)
    pre_nms_threshold: float = 0.001  # candidates below this score are dropped before NMS
    pre_nms_topk: int = Field(500, ge=1)  # at most this many candidates per video enter NMS
    nms: Literal["soft", "hard"] = "soft"  # soft (Gaussian soft-NMS, as ActionFormer/BMN/G-TAD) or hard
    nms_sigma: float = 0.5  # soft-NMS decay
    nms_threshold: float = 0.5  # hard NMS tIoU
    max_detections: int = Field(100, ge=1)  # per video, after NMS (ActivityNet's usual limit)
    mode: Literal["multiclass", "agnostic"] = "multiclass"  # see the module docstring
    video_topk: int = Field(2, ge=1)  # agnostic: each proposal is labelled with the video's top-k classes
    video_loss_weight: float = Field(1.0, ge=0)  # agnostic: weight of the video-level classifier's loss

    @model_validator(mode="after")
    def _consistent(self) -> LocalizerConfig:
        if self.width % self.heads:
            raise ValueError(f"head.width={self.width} is not divisible by head.heads={self.heads}")
        if self.levels < 1 or 2 ** (self.levels - 1) > self.snippets:
            raise ValueError(f"head.levels={self.levels} needs 2^(levels-1) <= head.snippets={self.snippets}")
        return self


class ConvNorm(nn.Module):
    """Conv1d (kernel 3, same length) -> LayerNorm over channels -> ReLU, on [B, Cin, T]."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 3, padding=1)
        self.norm = nn.LayerNorm(c_out)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)  # [B, Cout, T]
        return F.relu(self.norm(x.transpose(1, 2)).transpose(1, 2))


class PredictionHead(nn.Module):
    """Shared over levels: (head_layers - 1) ConvNorm layers, then a Conv1d to `out` channels."""

    def __init__(self, width: int, out: int, layers: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*(ConvNorm(width, width) for _ in range(layers - 1)))
        self.out = nn.Conv1d(width, out, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.body(x))  # [B, out, T_l]


def sinusoid(length: int, width: int) -> Tensor:
    """Fixed sinusoidal positions [length, width] (width even)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq[: width // 2])
    return table


def point_layout(cfg: LocalizerConfig) -> dict[str, Tensor]:
    """Every pyramid point: centre x [P] (snippet units), stride [P], regression range lo/hi [P].

    Level l has ceil(T / 2^l) points at x = 2^l * j + 0.5 (the centre of the first snippet of its
    stride block, which is where the max-pooled receptive field is centred). Level l regresses
    actions whose farther boundary lies within [2^(l+1), 2^(l+2)) snippets of the point (level 0
    from 0; the last level without an upper bound), as ActionFormer's regression ranges.
    """
    xs, strides, lo, hi = [], [], [], []
    length = cfg.snippets
    for level in range(cfg.levels):
        stride = 2**level
        xs.append(torch.arange(length, dtype=torch.float32) * stride + 0.5)
        strides.append(torch.full((length,), float(stride)))
        lo.append(torch.full((length,), 0.0 if level == 0 else float(2 ** (level + 1))))
        hi.append(torch.full((length,), float("inf") if level == cfg.levels - 1 else float(2 ** (level + 2))))
        length = (length + 1) // 2  # max-pool kernel 3, stride 2, padding 1
    return {"x": torch.cat(xs), "stride": torch.cat(strides), "lo": torch.cat(lo), "hi": torch.cat(hi)}


class VideoClassifier(nn.Module):
    """Snippet features [B, T, C] -> video-level class logits [B, K] (the `agnostic` mode's second stage)."""

    def __init__(self, in_width: int, width: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(2 * in_width)
        self.hidden = nn.Linear(2 * in_width, width)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(width, num_classes)

    def forward(self, features: Tensor) -> Tensor:
        pooled = torch.cat([features.mean(1), features.amax(1)], -1)  # [B, 2C]: what happens, and its peak
        return self.out(self.dropout(F.gelu(self.hidden(self.norm(pooled)))))  # [B, K]


class Localizer(nn.Module):
    """Snippet features [B, T, C] -> class logits [B, P, K'] and boundary distances [B, P, 2] (strides).

    K' = K in `multiclass` mode; 1 (action or not) in `agnostic` mode, where `classify_video` gives
    the video-level logits [B, K].
    """

    def __init__(self, cfg: LocalizerConfig, in_width: int, num_classes: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_classes = num_classes
        W = cfg.width
        self.embed = nn.Sequential(*(ConvNorm(in_width if i == 0 else W, W) for i in range(cfg.embed_layers)))
        self.stem = nn.ModuleList(FusionBlock(W, cfg.heads, cfg.mlp_ratio, cfg.dropout) for _ in range(cfg.stem_layers))
        self.branch = nn.ModuleList(FusionBlock(W, cfg.heads, cfg.mlp_ratio, cfg.dropout)
                                    for _ in range(cfg.levels - 1))
        self.level_norm = nn.LayerNorm(W)
        self.cls_head = PredictionHead(W, 1 if cfg.mode == "agnostic" else num_classes, cfg.head_layers)
        self.video_head = VideoClassifier(in_width, W, num_classes, cfg.dropout) if cfg.mode == "agnostic" else None
        self.reg_head = PredictionHead(W, 2, cfg.head_layers)
        self.reg_scale = nn.Parameter(torch.ones(cfg.levels))  # per-level scale of the distances
        self.register_buffer("positions", sinusoid(cfg.snippets, W), persistent=False)
        # Focal-loss initialisation: every class starts at probability `prior`, so the many
        # background points do not swamp the first steps.
        nn.init.constant_(self.cls_head.out.bias, -math.log((1 - cfg.prior) / cfg.prior))

    def classify_video(self, features: Tensor) -> Tensor:
        """features [B, T, C] -> video-level class logits [B, K] (`agnostic` mode only)."""
        assert self.video_head is not None, "only the agnostic mode has a video-level classifier"
        return self.video_head(features.to(self.embed[0].conv.weight.dtype))

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """features [B, T, C] -> (logits [B, P, K'], distances [B, P, 2] >= 0, in strides)."""
        features = features.to(self.embed[0].conv.weight.dtype)  # cached fp32 features, bf16 weights under bf16
        x = self.embed(features.transpose(1, 2)).transpose(1, 2)  # [B, T, W]
        if self.cfg.position:
            x = x + self.positions[: x.shape[1]]
        for block in self.stem:
            x = block(x)  # [B, T, W]
        levels = [x]
        for block in self.branch:
            x = F.max_pool1d(x.transpose(1, 2), 3, stride=2, padding=1).transpose(1, 2)  # [B, T_l, W]
            x = block(x)
            levels.append(x)
        logits, distances = [], []
        for level, feats in enumerate(levels):
            feats = self.level_norm(feats).transpose(1, 2)  # [B, W, T_l]
            logits.append(self.cls_head(feats).transpose(1, 2))  # [B, T_l, K]
            distances.append(F.relu(self.reg_scale[level] * self.reg_head(feats)).transpose(1, 2))  # [B, T_l, 2]
        return torch.cat(logits, 1), torch.cat(distances, 1)
