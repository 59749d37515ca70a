"""Grouping: straight-through hard assignment, and the block against a naive per-token loop."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from core.model.grouping import GroupingBlock, hard_assign


def test_hard_assign_is_one_hot_and_passes_gradient() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 7, requires_grad=True)  # [B, M, L], assignment over M
    for training in (False, True):
        a = hard_assign(logits, dim=1, training=training)
        assert set(a.detach().unique().tolist()) <= {0.0, 1.0}
        torch.testing.assert_close(a.detach().sum(1), torch.ones(2, 7))
        if not training:
            assert torch.equal(a.detach().argmax(1), logits.detach().argmax(1))
    weights = torch.randn(2, 4, 7)
    (hard_assign(logits, dim=1, training=False) * weights).sum().backward()
    # The gradient is the softmax's.
    ref_logits = logits.detach().clone().requires_grad_(True)
    (ref_logits.softmax(1) * weights).sum().backward()
    torch.testing.assert_close(logits.grad, ref_logits.grad)
    assert logits.grad.abs().sum() > 0


def _linear(x: list[float], layer: torch.nn.Linear) -> list[float]:
    W = layer.weight.tolist()
    b = layer.bias.tolist() if layer.bias is not None else [0.0] * len(W)
    return [sum(W[o][i] * x[i] for i in range(len(x))) + b[o] for o in range(len(W))]


def _gelu(v: float) -> float:
    return 0.5 * v * (1 + math.erf(v / math.sqrt(2)))


def _mlp(x: list[float], mlp) -> list[float]:
    return _linear([_gelu(v) for v in _linear(x, mlp.fc1)], mlp.fc2)


def _norm(x: list[float], ln: torch.nn.LayerNorm) -> list[float]:
    mu = sum(x) / len(x)
    var = sum((v - mu) ** 2 for v in x) / len(x)
    w, b = ln.weight.tolist(), ln.bias.tolist()
    return [(v - mu) / math.sqrt(var + ln.eps) * w[i] + b[i] for i, v in enumerate(x)]


def _add(a: list[float], b: list[float]) -> list[float]:
    return [x + y for x, y in zip(a, b, strict=True)]


def _softmax(x: list[float]) -> list[float]:
    e = [math.exp(v - max(x)) for v in x]
    return [v / sum(e) for v in e]


def naive_grouping(block: GroupingBlock, tokens: list[list[float]], groups: list[list[float]]):
    """One sample, pure python: (new groups [M][C], assignment [M][L])."""
    M, C, L = len(groups), len(groups[0]), len(tokens)
    g = [_norm(x, block.norm_groups) for x in groups]
    t = [_norm(x, block.norm_tokens) for x in tokens]
    # Token mixing: the same MLP over the M values of each channel.
    mixed_cols = [_mlp([g[m][c] for m in range(M)], block.mix) for c in range(C)]
    q = [_norm([mixed_cols[c][m] for c in range(C)], block.norm_mixed) for m in range(M)]
    # Cross-attention, head by head.
    ca = block.cross_attn
    heads, hd = ca.heads, C // ca.heads
    qq = [_linear(_norm(x, block.norm_q), ca.q) for x in q]
    kk = [_linear(x, ca.k) for x in t]
    vv = [_linear(x, ca.v) for x in t]
    attended = []
    for m in range(M):
        row = []
        for h in range(heads):
            sl = slice(h * hd, (h + 1) * hd)
            scores = [sum(a * b for a, b in zip(qq[m][sl], kk[j][sl], strict=True)) / math.sqrt(hd) for j in range(L)]
            w = _softmax(scores)
            row += [sum(w[j] * vv[j][sl][d] for j in range(L)) for d in range(hd)]
        attended.append(_linear(row, ca.proj))
    q = [_add(q[m], attended[m]) for m in range(M)]
    q = [_add(q[m], _mlp(_norm(q[m], block.norm_cross), block.cross_mlp)) for m in range(M)]
    # Assignment: each token picks its best group; groups average their tokens / (count + 1).
    aa = block.assign
    aq = [_linear(x, aa.q) for x in q]
    ak = [_linear(x, aa.k) for x in t]
    av = [_linear(x, aa.v) for x in t]
    assign = [[0.0] * L for _ in range(M)]
    for j in range(L):
        scores = [sum(a * b for a, b in zip(aq[m], ak[j], strict=True)) / math.sqrt(C) for m in range(M)]
        assign[scores.index(max(scores))][j] = 1.0
    out = []
    for m in range(M):
        members = [j for j in range(L) if assign[m][j]]
        pooled = [sum(av[j][c] for j in members) / (len(members) + 1) for c in range(C)]
        o = _add(_linear(pooled, aa.proj), q[m])
        out.append(_add(o, _mlp(_norm(o, block.norm_out), block.out_mlp)))
    return out, assign


def test_grouping_block_matches_naive_loop() -> None:
    torch.manual_seed(0)
    B, M, L, C = 2, 3, 6, 8
    block = GroupingBlock(dim=C, num_groups=M, heads=2, mlp_ratio=2.0).eval()
    # Random LayerNorm affines so that every parameter matters in the comparison.
    for ln in block.modules():
        if isinstance(ln, torch.nn.LayerNorm):
            torch.nn.init.normal_(ln.weight, 1.0, 0.2)
            torch.nn.init.normal_(ln.bias, 0.0, 0.2)
    tokens, groups = torch.randn(B, L, C), torch.randn(B, M, C)
    with torch.no_grad():
        out, assign = block(tokens, groups)
        for b in range(B):
            ref_out, ref_assign = naive_grouping(block, tokens[b].tolist(), groups[b].tolist())
            torch.testing.assert_close(out[b], torch.tensor(ref_out), rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(assign[b], torch.tensor(ref_assign))


def test_video_tokens_pass_through_and_gradients_reach_the_assignment() -> None:
    torch.manual_seed(0)
    block = GroupingBlock(dim=8, num_groups=3, heads=2).train()
    tokens = torch.randn(2, 6, 8, requires_grad=True)
    out, assign = block(tokens, torch.randn(2, 3, 8))
    assert out.shape == (2, 3, 8) and assign.shape == (2, 3, 6)
    out.sum().backward()
    assert block.assign.k.weight.grad.abs().sum() > 0  # through the straight-through assignment
    assert tokens.grad.abs().sum() > 0
    assert F.one_hot(assign.detach().argmax(1), 3).transpose(1, 2).eq(assign.detach()).all()
