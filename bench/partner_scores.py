"""Is the paste partner a false negative of L_g? Grounding scores of the partner pair in a trained model.

Cut-and-paste fills clip i's background with its partner i+1's frames (core/data/cut_and_paste.py),
and L_g's InfoNCE treats (video i, caption i+1) as a negative. On batches of the pre-training
(training) split, pasted exactly as in training, this prints per model, for L_g's grounding scores
S [B, B] (core/losses/grounding.py) of video i against every caption:
  positive      mean S_ii
  partner       mean S_i,i+1
  other         mean S_ij over the other negatives
  partner top   share of rows where the partner is the highest-scoring negative (chance 1/(B-1))
  partner mass  the partner's share of the negatives' softmax mass at tau_g (chance 1/(B-1))
once with regions of the pasted clip (what L_g sees) and once with regions of the un-pasted clip
(the control: there the partner is an ordinary negative). Eval mode: no Gumbel noise.

    SVIML_HOME=H python bench/partner_scores.py --export RUN/export [--export ...] [--random] [--batches 8]
(H: a home with the small synthetic suite registered: `sviml data add synth --size small`.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line, print_table  # noqa: E402


def _batches(model, count: int, batch: int, seed: int) -> list[dict]:
    from core.data.prepare import noun_tables
    from core.data.registration import load_registered
    from core.data.tasks.pretrain import PretrainDataset
    from core.model.text_encoder import load_tokenizer
    from core.registry import Registry
    from core.settings import Settings

    settings = Settings()
    registry = Registry.from_settings(settings)
    video, text = model.cfg.video, model.cfg.text
    dataset = PretrainDataset([load_registered(registry, "synth-pretrain")], load_tokenizer(text), split="train",
                              num_frames=video.num_frames, size=video.image_size, max_caption_len=text.caption_len,
                              max_noun_len=text.prompt_len, seed=seed, noun_cache=noun_tables(settings),
                              extract_phrases=False)
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed)).tolist()
    collate = dataset.collate()
    return [collate([dataset[i] for i in order[b * batch:(b + 1) * batch]]) for b in range(count)]


def _row_stats(S: torch.Tensor, tau: float) -> dict[str, float]:
    """S [B, B] video x caption -> the partner's statistics (see the module docstring)."""
    B = S.shape[0]
    rows = torch.arange(B)
    partner = (rows + 1) % B
    negatives = ~torch.eye(B, dtype=torch.bool)  # [B, B]
    others = negatives.clone()
    others[rows, partner] = False
    neg_scores = S.masked_fill(~negatives, float("-inf"))  # [B, B]
    mass = (neg_scores / tau).softmax(dim=1)  # over the negatives only
    return {
        "positive": S.diagonal().mean().item(),
        "partner": S[rows, partner].mean().item(),
        "other": S[others].mean().item(),
        "partner top": (neg_scores.argmax(dim=1) == partner).float().mean().item(),
        "partner mass": mass[rows, partner].mean().item(),
    }


@torch.no_grad()
def measure(model, batches: list[dict], tau: float, seed: int) -> dict[str, dict[str, float]]:
    from core.data.cut_and_paste import cut_and_paste
    from core.losses.grounding import grounding_scores

    generator = torch.Generator().manual_seed(seed)
    sums: dict[str, dict[str, float]] = {"pasted": {}, "original": {}}
    for batch in batches:
        frames = batch["frames"]  # [B, T, 3, H, W]
        pasted, _ = cut_and_paste(frames, model.cfg.video.tubelet, generator)
        B, K = batch["noun_ids"].shape[:2]
        nouns = model.encode_text(batch["noun_ids"].flatten(0, 1), batch["noun_mask"].flatten(0, 1))
        nouns = nouns.view(B, K, -1)  # [B, K, D]
        for clip, clip_frames in (("pasted", pasted), ("original", frames)):
            regions = model.encode_video(clip_frames, None, with_regions=True).regions  # [B, M, D]
            for key, value in _row_stats(grounding_scores(regions, nouns, tau), tau).items():
                sums[clip][key] = sums[clip].get(key, 0.0) + value / len(batches)
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, action="append", default=[], help="a run's export folder")
    parser.add_argument("--random", action="store_true", help="also a randomly initialised small model")
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32, help="clips per batch (the small recipe's 32)")
    parser.add_argument("--tau", type=float, default=0.1, help="loss.tau_g")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from core.model import create_model
    from core.train.export import load_exported

    models = [(str(path), load_exported(path)) for path in args.export]
    if args.random:
        torch.manual_seed(args.seed)
        models.append(("random init (small)", create_model("small").eval()))
    if not models:
        raise SystemExit("name at least one --export folder or --random")
    batches = _batches(models[0][1], args.batches, args.batch, args.seed)
    chance = 1 / (args.batch - 1)
    rows = []
    for name, model in models:
        for clip, stats in measure(model, batches, args.tau, args.seed).items():
            rows.append([name, clip, f"{stats['positive']:.3f}", f"{stats['partner']:.3f}", f"{stats['other']:.3f}",
                         f"{100 * stats['partner top']:.1f}", f"{100 * stats['partner mass']:.1f}"])
    print(machine_line(" ".join(sys.argv)))
    print(f"{args.batches} batches of {args.batch} training clips; chance for the last two columns "
          f"{100 * chance:.1f}%")
    print_table(["model", "regions of", "S positive", "S partner", "S other neg.", "partner top neg. %",
                 "partner share of neg. mass %"], rows)


if __name__ == "__main__":
    main()
