"""PretrainObjective: gradients reach exactly the expected parameters; golden loss values."""

from __future__ import annotations

import pytest
import torch

from core.errors import UserError
from core.losses import LossConfig, PretrainObjective
from core.model import create_model


def _grads(cfg: LossConfig, batch: dict) -> tuple[dict[str, torch.Tensor], set[str], set[str]]:
    torch.manual_seed(0)
    model = create_model("tiny")
    out = PretrainObjective(model, cfg, generator=torch.Generator().manual_seed(0))(batch)
    out["loss"].backward()
    # A gradient is "received" above float noise (relative to the largest one). BERT's key biases
    # are exempt: the softmax over keys removes them, so their exact gradient is 0.
    grads = {n: p.grad.abs().max().item() for n, p in model.named_parameters() if p.grad is not None}
    floor = 1e-9 * max(grads.values())
    with_grad = {n for n, g in grads.items() if g > floor or n.endswith("attention.self.key.bias")}
    return out, with_grad, {n for n, _ in model.named_parameters()}


def test_every_parameter_gets_a_gradient_from_the_full_objective(batch: dict) -> None:
    out, with_grad, names = _grads(LossConfig(), batch)
    assert names - with_grad == set()
    for key in ("loss", "loss_contrast", "loss_ground", "loss_temporal", "logit_scale", "fg_acc"):
        assert out[key].ndim == 0 and torch.isfinite(out[key]), key
    assert out["loss"].requires_grad and not out["loss_contrast"].requires_grad
    total = out["loss_contrast"] + out["loss_ground"] + out["loss_temporal"]
    torch.testing.assert_close(out["loss"].detach(), total)


REGIONS_ONLY = {"video.grouping.2.", "video.norm_regions.", "video.proj_regions."}
GLOBAL_ONLY = {"video.proj.", "logit.log_logit_scale"}


@pytest.mark.parametrize(
    ("weights", "without_grad"),
    [
        ({"w_ground": 0.0}, REGIONS_ONLY),
        ({"w_contrast": 0.0}, GLOBAL_ONLY),
        ({"w_temporal": 0.0}, set()),
        ({"w_ground": 0.0, "w_contrast": 0.0}, REGIONS_ONLY | GLOBAL_ONLY | {"text."}),
    ],
)
def test_zero_weights_skip_their_terms(batch: dict, weights: dict, without_grad: set[str]) -> None:
    out, with_grad, names = _grads(LossConfig(**weights), batch)
    expected_missing = {n for n in names if any(n.startswith(p) for p in without_grad)}
    assert names - with_grad == expected_missing
    for w, key in (("w_ground", "loss_ground"), ("w_contrast", "loss_contrast"), ("w_temporal", "loss_temporal")):
        if w in weights:
            assert out[key].item() == 0.0


# Seeded tiny model, seeded batch, seeded paste and Gumbel draws (fp32, CPU).
GOLDEN = {
    "loss": 3.4029245376586914,
    "loss_contrast": 2.013514995574951,
    "loss_ground": 1.3883883953094482,
    "loss_temporal": 0.0010212273336946964,
}


def _golden_run(make_batch) -> dict[str, float]:
    torch.manual_seed(0)
    model = create_model("tiny")
    objective = PretrainObjective(model, LossConfig(), generator=torch.Generator().manual_seed(0))
    torch.manual_seed(1)  # Gumbel noise
    out = objective(make_batch(seed=0))
    return {k: out[k].item() for k in GOLDEN}


def test_golden_loss_values_are_reproduced(make_batch) -> None:
    first, second = _golden_run(make_batch), _golden_run(make_batch)
    assert first == second  # deterministic run to run
    for key, value in GOLDEN.items():
        assert first[key] == pytest.approx(value, rel=1e-4, abs=1e-5), key


def test_exclude_partner_changes_only_the_grounding_term(batch: dict) -> None:
    out, with_grad, names = _grads(LossConfig(grounding_negatives="exclude_partner"), batch)
    assert names - with_grad == set()  # every parameter still learns
    default, _, _ = _grads(LossConfig(), batch)
    assert out["loss_contrast"] == default["loss_contrast"] and out["loss_temporal"] == default["loss_temporal"]
    assert out["loss_ground"] < default["loss_ground"]  # one negative fewer per row


def test_ground_clip_original_grounds_in_the_unpasted_clip(batch: dict) -> None:
    out, with_grad, names = _grads(LossConfig(ground_clip="original"), batch)
    assert names - with_grad == set()
    default, _, _ = _grads(LossConfig(), batch)
    # The pasted pass still makes u and z: L_c and L_t are unchanged; L_g sees other regions.
    assert out["loss_contrast"] == default["loss_contrast"] and out["loss_temporal"] == default["loss_temporal"]
    assert out["loss_ground"] != default["loss_ground"]
    # Without Gumbel noise, L_g over the un-pasted clip is exactly L_g of a run that does not paste.
    losses = []
    for cfg in (LossConfig(ground_clip="original", w_temporal=0.0), LossConfig(paste=False, w_temporal=0.0)):
        torch.manual_seed(0)
        model = create_model("tiny").eval()
        losses.append(PretrainObjective(model, cfg, generator=torch.Generator().manual_seed(0))(batch)["loss_ground"])
    torch.testing.assert_close(losses[0], losses[1], rtol=0, atol=1e-6)


def test_ground_text_grad_off_keeps_grounding_out_of_the_text_tower(batch: dict) -> None:
    """Same losses; with L_c off, the text tower then gets no gradient at all (L_g's stops at the
    noun embeddings), while with it on (the default) L_g alone trains the text tower."""
    base = {"w_contrast": 0.0, "w_temporal": 0.0}
    on, with_on, names = _grads(LossConfig(**base), batch)
    off, with_off, _ = _grads(LossConfig(**base, ground_text_grad=False), batch)
    text = {n for n in names if n.startswith("text.")}
    assert text and text <= with_on  # the paper's L_g trains the text tower
    assert not text & with_off  # detached: no text parameter learns from L_g
    assert with_off == with_on - text  # the video side is untouched
    assert off["loss_ground"] == on["loss_ground"]  # the forward pass is the same


def _ground_loss(cfg: LossConfig, batch: dict) -> float:
    torch.manual_seed(0)
    model = create_model("tiny").eval()  # eval: no Gumbel noise, so configs compare exactly
    return PretrainObjective(model, cfg, generator=torch.Generator().manual_seed(0))(batch)["loss_ground"].item()


def test_ground_nce_tau_sets_only_the_infonce_temperature(batch: dict) -> None:
    """ground_nce_tau = tau_g is the default loss; another value changes L_g as the InfoNCE scale
    alone would (the assignment softmax keeps tau_g), i.e. like the learnable scale set to 1/tau."""
    default = _ground_loss(LossConfig(w_temporal=0.0), batch)
    assert _ground_loss(LossConfig(w_temporal=0.0, ground_nce_tau=0.1), batch) == pytest.approx(default, rel=1e-6)
    sharper = _ground_loss(LossConfig(w_temporal=0.0, ground_nce_tau=1 / 14.285714), batch)
    learnable = _ground_loss(LossConfig(w_temporal=0.0, ground_logit_scale=True), batch)  # starts at 1/0.07
    assert sharper != pytest.approx(default, rel=1e-3)
    assert sharper == pytest.approx(learnable, rel=1e-5)
    with pytest.raises(ValueError, match="give one"):
        LossConfig(ground_nce_tau=0.05, ground_logit_scale=True)


def test_paste_off_pools_the_whole_clip(batch: dict) -> None:
    torch.manual_seed(0)
    model = create_model("tiny").eval()
    out = PretrainObjective(model, LossConfig(paste=False, w_temporal=0.0))(batch)
    assert torch.isfinite(out["loss"]) and "fg_acc" not in out


def test_inconsistent_configs_are_refused(batch: dict) -> None:
    from core.config import validate_config

    model = create_model("tiny")
    with pytest.raises(UserError, match="needs loss.paste=true"):
        validate_config(LossConfig, {"paste": False}, "loss")  # L_t needs the paste mask
    with pytest.raises(UserError, match="exclude_partner needs loss.paste=true"):
        validate_config(LossConfig, {"paste": False, "w_temporal": 0, "grounding_negatives": "exclude_partner"}, "loss")
    with pytest.raises(UserError, match="ground_clip=original needs loss.paste=true"):
        validate_config(LossConfig, {"paste": False, "w_temporal": 0, "ground_clip": "original"}, "loss")
    with pytest.raises(UserError, match="does not apply with loss.ground_clip=original"):
        validate_config(LossConfig, {"ground_clip": "original", "grounding_negatives": "exclude_partner"}, "loss")
    with pytest.raises(UserError, match="all loss weights are 0"):
        validate_config(LossConfig, {"w_contrast": 0, "w_ground": 0, "w_temporal": 0}, "loss")
    with pytest.raises(UserError, match="loss.w_ground: input should be greater than or equal to 0"):
        validate_config(LossConfig, {"w_ground": -1}, "loss")
    with pytest.raises(ValueError):
        PretrainObjective(model, LossConfig(num_nouns=3))(batch)


def test_one_or_two_text_calls_give_the_same_losses(batch: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.losses.objective as objective_module

    results = []
    for slack in (0.0, 100.0):  # never / always one joint call
        monkeypatch.setattr(objective_module, "JOINT_SLACK", slack)
        torch.manual_seed(0)
        model = create_model("tiny").eval()
        out = PretrainObjective(model, LossConfig(), generator=torch.Generator().manual_seed(0))(batch)
        results.append(torch.stack([out["loss_contrast"], out["loss_ground"], out["loss_temporal"]]))
    torch.testing.assert_close(results[0], results[1], rtol=1e-5, atol=1e-6)


def test_with_several_ranks_every_batch_makes_the_same_text_calls(batch: dict) -> None:
    """ZeRO-3 gathers the text tower's parameters per call: ranks must agree on the number of calls
    whatever their own batch's lengths (one joint call vs two hung a 2-process run)."""
    torch.manual_seed(0)
    model = create_model("tiny").eval()
    calls: list[int] = []
    encode = model.encode_text

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(args[0].shape[0])
        return encode(*args, **kwargs)

    model.encode_text = counting
    short = dict(batch, caption_mask=batch["caption_mask"].clone())
    short["caption_mask"][:, 6:] = 0  # captions as short as the prompts: one joint call would be cheapest
    counts = {}
    for world_size in (1, 2):
        objective = PretrainObjective(model, LossConfig(), world_size=world_size)
        for name, b in (("long", batch), ("short", short)):
            calls.clear()
            objective._encode_text(b, True, True, torch.device("cpu"))
            counts[world_size, name] = len(calls)
    assert counts[1, "short"] == 1  # one process: the cheaper joint call
    assert counts[2, "long"] == counts[2, "short"] == 2
