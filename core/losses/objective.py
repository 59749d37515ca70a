"""`PretrainObjective`: the model plus the weighted S-ViLM losses, one module for the engine.

Shape letters: B per-rank batch, T frames, Nt temporal positions, L caption tokens,
K nouns per caption, Ln prompt tokens, M regions, D joint embedding dim.

Batch keys (all others are ignored):
  frames        uint8 [B, T, 3, H, W]
  caption_ids   long  [B, L]      caption_mask long [B, L]
  noun_ids      long  [B, K, Ln]  noun_mask    long [B, K, Ln]   ("A photo of a {noun}.")

Per step: cut-and-paste (if `cfg.paste`) -> video tower (u pooled over the foreground when
`cfg.pool == "foreground"`; a second pass over the un-pasted clip for L_g's regions when
`cfg.ground_clip == "original"`) -> text tower on captions and noun prompts (one call when their
lengths are close) -> L = w_t L_t + w_g L_g + w_c L_contrast, each loss in fp32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from core.data.cut_and_paste import cut_and_paste
from core.losses.config import LossConfig
from core.losses.contrastive import contrastive_loss
from core.losses.grounding import grounding_loss
from core.losses.temporal import foreground_probability
from core.model.svilm import SViLM
from core.model.text_encoder import pad_to

# On CPU, one text-tower call for captions and prompts while padding adds at most this share of tokens.
JOINT_SLACK = 1.25


class PretrainObjective(nn.Module):
    """`forward(batch) -> {"loss", "loss_contrast", "loss_ground", "loss_temporal", diagnostics}`.

    Only "loss" carries gradient. A term with weight 0 is not computed and reported as 0.
    Diagnostics: "logit_scale"; "fg_acc" (share of positions whose foreground probability is on
    the right side of 0.5, when L_t is on).
    """

    def __init__(
        self,
        model: SViLM,
        cfg: LossConfig,
        rank: int = 0,
        world_size: int = 1,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.cfg = cfg
        self.rank = rank
        self.world_size = world_size
        self.generator = generator  # cut-and-paste draws; None = the global RNG

    def _autocast(self, device: torch.device) -> contextlib.AbstractContextManager:
        p = self.cfg.precision
        if p == "bf16" or (p == "auto" and device.type == "cuda"):
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _encode_text(
        self, batch: Mapping[str, Tensor], captions: bool, nouns: bool, device: torch.device
    ) -> tuple[Tensor | None, Tensor | None]:
        """Caption embeddings [B, D] and noun-prompt embeddings [B, K, D].

        Padding columns are cut first (one host read of the masks for both). On CUDA captions
        and prompts share one text-tower call (small text batches are launch-bound there). On
        CPU they share one only while padding the prompts to the captions' length adds at most
        `JOINT_SLACK` more tokens: prompts ("A photo of a red circle.", ~9 tokens) are usually
        half as long as captions, and padding them would add ~50% to the text tower's work.
        With several ranks the choice must not depend on a rank's own batch: under ZeRO-3 every
        text-tower call gathers its parameters collectively, so ranks making one call and two
        calls wait on each other forever (a 2-process ZeRO-3 `small` run hung at step 8). There
        every rank makes two calls on CPU.
        """
        if not (captions or nouns):
            return None, None
        B = batch["frames"].shape[0]
        parts: list[tuple[Tensor, Tensor]] = []  # (ids [N, L], mask [N, L])
        if captions:
            parts.append((batch["caption_ids"], batch["caption_mask"]))  # [B, L]
        if nouns:
            noun_ids = batch["noun_ids"]  # [B, K, Ln]
            K = noun_ids.shape[1]
            if K != self.cfg.num_nouns:
                raise ValueError(f"batch has {K} noun prompts per caption, loss.num_nouns is {self.cfg.num_nouns}")
            parts.append((noun_ids.flatten(0, 1), batch["noun_mask"].flatten(0, 1)))  # [B*K, Ln]
        # Real lengths, read while the masks may still be on the host (no device sync then).
        lengths = torch.stack([mask.sum(1).max().cpu() for _, mask in parts]).clamp_min(1).tolist()
        parts = [(ids[:, :n].to(device), mask[:, :n].to(device)) for (ids, mask), n in zip(parts, lengths, strict=True)]
        rows = [ids.shape[0] for ids, _ in parts]
        tokens_two_calls = sum(r * n for r, n in zip(rows, lengths, strict=True))
        joint = device.type == "cuda" or (
            self.world_size == 1 and sum(rows) * max(lengths) <= JOINT_SLACK * tokens_two_calls)
        pooling = self.cfg.text_pooling
        if joint:
            length = max(lengths)
            all_ids = torch.cat([pad_to(ids, length) for ids, _ in parts])  # [B + B*K, max(L', Ln')]
            all_mask = torch.cat([pad_to(mask, length) for _, mask in parts])
            embs = self.model.encode_text(all_ids, all_mask, pooling, trim=False).split(rows)  # [B, D], [B*K, D]
        else:
            embs = [self.model.encode_text(ids, mask, pooling, trim=False) for ids, mask in parts]
        caption_emb = embs[0] if captions else None  # [B, D]
        noun_emb = embs[-1].view(B, self.cfg.num_nouns, -1) if nouns else None  # [B, K, D]
        return caption_emb, noun_emb

    def forward(self, batch: Mapping[str, Tensor]) -> dict[str, Tensor]:
        cfg = self.cfg
        device = self.model.log_logit_scale.device
        frames = original = batch["frames"].to(device, non_blocking=True)  # [B, T, 3, H, W]
        mask = None
        if cfg.paste:
            frames, mask = cut_and_paste(frames, self.model.cfg.video.tubelet, self.generator)  # mask [B, Nt]
        pool_mask = mask if cfg.pool == "foreground" else None
        use_c, use_g, use_t = cfg.w_contrast > 0, cfg.w_ground > 0, cfg.w_temporal > 0
        ground_original = use_g and cfg.ground_clip == "original"

        with self._autocast(device):
            # Text first: its host read of the masks then waits on nothing queued on the device.
            caption_emb, noun_emb = self._encode_text(batch, use_c, use_g, device)
            video = self.model.encode_video(frames, pool_mask, with_regions=use_g and not ground_original)
            regions = video.regions  # [B, M, D] or None
            if ground_original:  # L_g's regions from the un-pasted clip: no partner in its background
                regions = self.model.encode_video(original, None, with_regions=True).regions  # [B, M, D]

        logit_scale = self.model.logit_scale()
        zero = torch.zeros((), device=device)
        out: dict[str, Tensor] = {}
        loss = zero
        l_c = l_g = l_t = zero
        if use_c:
            l_c = contrastive_loss(video.embedding, caption_emb, logit_scale, self.rank, self.world_size)
            loss = loss + cfg.w_contrast * l_c
        if use_g:
            scale = logit_scale if cfg.ground_logit_scale else None  # None: 1 / (ground_nce_tau or tau_g)
            nouns_for_g = noun_emb if cfg.ground_text_grad else noun_emb.detach()  # [B, K, D]
            l_g = grounding_loss(regions, nouns_for_g, cfg.tau_g, self.rank, self.world_size, scale,
                                 exclude_partner=cfg.grounding_negatives == "exclude_partner",
                                 nce_tau=cfg.ground_nce_tau)
            loss = loss + cfg.w_ground * l_g
        if use_t:
            p = foreground_probability(video.clip, mask, cfg.tau_t)  # [B, Nt]
            l_t = ((p - mask) ** 2).mean()
            loss = loss + cfg.w_temporal * l_t
            out["fg_acc"] = ((p > 0.5).float() == mask).float().mean().detach()
        out.update(
            loss=loss,
            loss_contrast=l_c.detach(),
            loss_ground=l_g.detach(),
            loss_temporal=l_t.detach(),
            logit_scale=logit_scale.detach(),
        )
        return out
