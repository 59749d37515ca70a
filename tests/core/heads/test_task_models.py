"""QA, action and retrieval models on the tiny towers: shapes, and every trainable parameter gets a gradient.

ZeRO reduces the gradient of every parameter it is given, so the parameters a task leaves unused
must be exactly the ones `unused_parameters` freezes: after freezing, one backward pass must reach
every trainable parameter and no frozen one.
"""

from __future__ import annotations

import pytest
import torch

from core.heads.action import ActionClassifier, ActionHeadConfig, ActionModel
from core.heads.freezing import freeze, unused_parameters
from core.heads.qa import QAFusionHead, QAHeadConfig, QAModel
from core.heads.retrieval import RetrievalObjective
from core.model import create_model

B, A, K = 3, 7, 5


def _frames(model, views: int | None = None) -> torch.Tensor:
    v = model.cfg.video
    shape = (B, v.num_frames, 3, v.image_size, v.image_size)
    if views:
        shape = (B, views, *shape[1:])
    return torch.randint(0, 256, shape, dtype=torch.uint8)


def _tokens(length: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(1000, 2000, (B, length))
    mask = torch.ones_like(ids)
    mask[0, 3:] = 0  # one shorter question
    return ids, mask


def _check_gradients(module: torch.nn.Module) -> None:
    trainable = {n for n, p in module.named_parameters() if p.requires_grad}
    reached = {n for n, p in module.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert trainable - reached == set(), f"trainable without gradient: {sorted(trainable - reached)[:5]}"
    frozen_with_grad = {n for n, p in module.named_parameters() if not p.requires_grad and p.grad is not None}
    assert not frozen_with_grad


def _qa_model(cfg: QAHeadConfig | None = None) -> QAModel:
    torch.manual_seed(0)
    towers = create_model("tiny")
    freeze(unused_parameters(towers, video_embedding=False, text_tower=True, text_embedding=False, logit_scale=False))
    head = QAFusionHead(cfg or QAHeadConfig(width=32, depth=2, heads=2, dropout=0.0), towers.video.cfg.width,
                        towers.text.width, A)
    return QAModel(towers, head)


def test_qa_shapes_loss_and_gradients() -> None:
    model = _qa_model()
    ids, mask = _tokens()
    batch = {"frames": _frames(model.model), "question_ids": ids, "question_mask": mask,
             "answer_index": torch.tensor([0, 3, -1])}
    assert model.logits(batch["frames"], ids, mask).shape == (B, A)
    out = model(batch)
    assert out["loss"].ndim == 0 and torch.isfinite(out["loss"])
    out["loss"].backward()
    _check_gradients(model)


def test_qa_ignores_padding_tokens_and_pools_space() -> None:
    model = _qa_model(QAHeadConfig(width=32, depth=1, heads=2, dropout=0.0, spatial_pool=2)).eval()
    ids, mask = _tokens()
    frames = _frames(model.model)
    other = ids.clone()
    other[0, 3:] = 1234  # only padding positions change
    with torch.no_grad():
        torch.testing.assert_close(model.logits(frames, ids, mask), model.logits(frames, other, mask))
        tokens = model.model.encode_video(frames, with_regions=False).tokens  # [B, Nt, Ns, C]
    Nt, Ns = tokens.shape[1:3]
    assert model.head.pool_video(tokens).shape == (B, Nt * Ns // 4, tokens.shape[-1])


def test_qa_all_out_of_vocabulary_batch_gives_a_zero_loss_with_gradients() -> None:
    model = _qa_model()
    ids, mask = _tokens()
    out = model({"frames": _frames(model.model), "question_ids": ids, "question_mask": mask,
                 "answer_index": torch.full((B,), -1)})
    assert out["loss"].item() == 0.0 and out["acc"].item() == 0.0
    out["loss"].backward()  # reaches the parameters (zero gradients): no ZeRO hook waits forever


def test_action_views_average_and_gradients() -> None:
    torch.manual_seed(0)
    towers = create_model("tiny")
    freeze(unused_parameters(towers, video_embedding=False, text_tower=False, text_embedding=False, logit_scale=False))
    v = towers.video.cfg
    model = ActionModel(towers, ActionClassifier(ActionHeadConfig(grid=2, keep_time=True), v.width,
                                                 v.num_frames // v.tubelet, K))
    out = model({"frames": _frames(towers), "label": torch.tensor([0, 4, 2])})
    out["loss"].backward()
    _check_gradients(model)
    model.eval()
    views = _frames(towers, views=2)
    with torch.no_grad():
        averaged = model.logits(views)  # [B, K]
        separate = torch.stack([model.logits(views[:, v]) for v in range(2)], 1).mean(1)
    assert averaged.shape == (B, K)
    torch.testing.assert_close(averaged, separate)


def test_retrieval_objective_gradients() -> None:
    torch.manual_seed(0)
    towers = create_model("tiny")
    freeze(unused_parameters(towers, video_embedding=True, text_tower=True, text_embedding=True, logit_scale=True))
    objective = RetrievalObjective(towers)
    ids, mask = _tokens()
    out = objective({"frames": _frames(towers), "caption_ids": ids, "caption_mask": mask})
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
    _check_gradients(objective)


@pytest.mark.parametrize("bad", [dict(width=30, heads=4), dict(depth=0), dict(dropout=1.0)])
def test_bad_qa_head_config_is_a_user_error(bad) -> None:
    from core.config import validate_config
    from core.errors import UserError

    with pytest.raises(UserError, match="head"):
        validate_config(QAHeadConfig, bad, "head")


def test_grid_pool_layouts() -> None:
    from core.heads.pooling import grid_pool, pooled_width

    tokens = torch.arange(2 * 3 * 16 * 5, dtype=torch.float32).reshape(2, 3, 16, 5)  # [B, Nt, Ns=4x4, C]
    assert torch.equal(grid_pool(tokens, 1, False), tokens.mean((1, 2)))
    assert torch.equal(grid_pool(tokens, 1, True), tokens.mean(2).flatten(1))
    cells = grid_pool(tokens, 2, True).view(2, 3, 4, 5)
    top_left = tokens.view(2, 3, 4, 4, 5)[:, :, :2, :2].mean((2, 3))  # [B, Nt, C]
    torch.testing.assert_close(cells[:, :, 0], top_left)
    for grid, keep in ((1, False), (2, True), (4, False)):
        assert grid_pool(tokens, grid, keep).shape[1] == pooled_width(5, 3, grid, keep)
