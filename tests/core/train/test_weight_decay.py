"""Weight-decay groups: the no-decay names of every preset, and the head recipes' groups.

No decay (CLIP-style): parameters with fewer than 2 dimensions, norms, biases, position embeddings,
group tokens and the logit scale. The expected names are written out per module kind below.
"""

from __future__ import annotations

import pytest
import torch

from core.model import build_config, create_model
from core.model.svilm import SViLM
from core.train.steps import decay_groups, decays, no_decay_names, parameter_groups

VIDEO_BLOCK = ["norm1.weight", "norm1.bias", "attn.qkv.bias", "attn.proj.bias", "norm2.weight", "norm2.bias",
               "mlp.fc1.bias", "mlp.fc2.bias"]
GROUPING_BLOCK = ["norm_groups.weight", "norm_groups.bias", "norm_tokens.weight", "norm_tokens.bias", "mix.fc1.bias",
                  "norm_mixed.weight", "norm_mixed.bias", "norm_q.weight", "norm_q.bias", "cross_attn.q.bias",
                  "cross_attn.v.bias", "cross_attn.proj.bias", "norm_cross.weight", "norm_cross.bias",
                  "cross_mlp.fc1.bias", "cross_mlp.fc2.bias", "assign.k.bias", "assign.v.bias", "assign.proj.bias",
                  "norm_out.weight", "norm_out.bias", "out_mlp.fc1.bias", "out_mlp.fc2.bias"]
BERT_LAYER = ["attention.self.query.bias", "attention.self.key.bias", "attention.self.value.bias",
              "attention.output.dense.bias", "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
              "intermediate.dense.bias", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"]


def expected_no_decay(preset: str) -> list[str]:
    cfg = build_config(preset)
    video, text = cfg.video, cfg.text
    names = ["video.group_tokens", "video.patch_embed.proj.bias", "video.pos_embed.temporal", "video.pos_embed.spatial"]
    names += [f"video.blocks.{i}.{n}" for i in range(video.depth) for n in VIDEO_BLOCK]
    names += [f"video.grouping.{g}.{n}" for g in sorted(video.grouping_after) for n in GROUPING_BLOCK]
    names += ["video.norm.weight", "video.norm.bias", "video.norm_regions.weight", "video.norm_regions.bias"]
    names += ["text.bert.embeddings.position_embeddings.weight", "text.bert.embeddings.LayerNorm.weight",
              "text.bert.embeddings.LayerNorm.bias"]
    names += [f"text.bert.encoder.layer.{i}.{n}" for i in range(text.depth) for n in BERT_LAYER]
    return names + ["logit.log_logit_scale"]


@pytest.mark.parametrize("preset", ["tiny", "small", "base", "base16"])
def test_the_no_decay_names_of_each_preset(preset: str) -> None:
    with torch.device("meta"):
        model = SViLM(build_config(preset), pretrained=False)
    assert no_decay_names(model) == expected_no_decay(preset)
    decayed = [n for n, p in model.named_parameters() if decays(n, p)]
    assert all(n.endswith(".weight") and "norm" not in n.lower() for n in decayed)
    assert "video.patch_embed.proj.weight" in decayed and "text.bert.embeddings.word_embeddings.weight" in decayed
    assert "text.proj.weight" in decayed and "video.proj_regions.weight" in decayed


def test_pretraining_groups_carry_the_decay_and_skip_frozen_parameters() -> None:
    model = create_model("tiny", **{"text.frozen_layers": -1})
    groups = decay_groups(list(model.named_parameters()), 0.05)
    assert [g["weight_decay"] for g in groups] == [0.05, 0.0]
    by_id = {id(p): n for n, p in model.named_parameters()}
    no_decay = {by_id[id(p)] for p in groups[1]["params"]}
    assert "logit.log_logit_scale" in no_decay and "video.group_tokens" in no_decay
    assert not any(n.startswith("text.bert.") for g in groups for n in (by_id[id(p)] for p in g["params"]))


def test_head_recipe_groups_split_head_and_towers_by_decay() -> None:
    from core.heads.localization import Localizer, LocalizerConfig
    from core.heads.localization_loss import LocalizerObjective

    module = LocalizerObjective(Localizer(LocalizerConfig(snippets=16, width=16, levels=2, heads=2), 8, 3))
    groups = parameter_groups(module, lr=1e-3, tower_lr_scale=0.1, weight_decay=0.05)
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [(1e-3, 0.05), (1e-3, 0.0)]  # all of it is head
    by_id = {id(p): n for n, p in module.named_parameters()}
    no_decay = {by_id[id(p)] for p in groups[1]["params"]}
    assert "head.reg_scale" in no_decay and "head.level_norm.weight" in no_decay and "head.cls_head.out.bias" in no_decay
    assert all(by_id[id(p)].endswith("weight") for p in groups[0]["params"])

    from core.heads.action import ActionClassifier, ActionHeadConfig, ActionModel

    towers = create_model("tiny")
    action = ActionModel(towers, ActionClassifier(ActionHeadConfig(), towers.video.cfg.width, 4, 5))
    groups = parameter_groups(action, lr=1e-3, tower_lr_scale=0.1, weight_decay=0.05)
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [(1e-3, 0.05), (1e-3, 0.0), (1e-4, 0.05), (1e-4, 0.0)]
