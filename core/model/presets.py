"""Named model presets, as partial trees over `ModelConfig`'s defaults (plain data, no torch).

- `tiny`: unit tests (under 2M parameters, 4 frames at 32 px, tubelet 1x8x8 -> Nt 4, Ns 16).
- `small`: the CPU demo (8 frames at 64 px, tubelet 2x8x8 -> Nt 4, Ns 64). Width 128 x 4 layers
  keeps the whole objective's fwd+bwd at batch 32 near 0.4 s on 2 cores (256 video tokens + 8
  groups). Text tower: a 2-layer scratch BERT (width 128) rather than MiniLM: with MiniLM the step
  takes ~0.57 s (4 of 6 layers frozen) or ~0.48 s (all frozen), and the synthetic captions' few
  dozen words need no pretrained tower.
- `base`: the paper's model (ViT-B/16 video tower, BERT-base-sized text tower, 32 group tokens,
  32 frames, the paper's main setting) at 224 px ([choice]: the paper gives no resolution);
  `base16` is the same with 16 frames, the paper's appendix variant.
Presets are architectures; where the weights start from (the `base` recipe's ViT-B/16 and
BERT-base-uncased) is the recipe's `model.video.pretrained` / `model.text.pretrained`.
"""

from __future__ import annotations

from typing import Any

_BASE: dict[str, Any] = {
    "video": {"num_frames": 32, "image_size": 224, "tubelet": 2, "patch": 16, "width": 768, "depth": 12,
              "heads": 12, "num_groups": 32, "grouping_after": [6, 9, 12]},
    "text": {"width": 768, "depth": 12, "heads": 12, "mlp_dim": 3072, "max_positions": 512, "caption_len": 40,
             "prompt_len": 16},
    "embed_dim": 512,
}

PRESET_TREES: dict[str, dict[str, Any]] = {
    "tiny": {
        "video": {"num_frames": 4, "image_size": 32, "tubelet": 1, "patch": 8, "width": 64, "depth": 2, "heads": 4,
                  "num_groups": 4, "grouping_after": [1, 2]},
        "text": {"width": 32, "depth": 2, "heads": 2, "mlp_dim": 64, "max_positions": 32, "caption_len": 16,
                 "prompt_len": 12},
        "embed_dim": 32,
    },
    "small": {},  # the defaults of `ModelConfig` are the CPU demo model
    "base": _BASE,
    "base16": {**_BASE, "video": {**_BASE["video"], "num_frames": 16}},
}
