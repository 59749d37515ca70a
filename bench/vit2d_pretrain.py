"""A 2D ViT pre-trained on single frames of the synthetic scenes: the stand-in for an ImageNet ViT.

The experiment "does a 2D-ViT initialisation speed up S-ViLM's pre-training?" (bench/vit_init.py,
docs/ablation.md) needs a 2D checkpoint of the `small` video tower's shape that has learned
something about the images it will see, as ImageNet-21k ViTs have for real video. This script
trains one with `transformers` and saves it as users get theirs (`save_pretrained` +
`preprocessor_config.json`), so the experiment goes through the real loading path.

Task: multi-label recognition of the words naming the objects visible in a frame. Frames: the
middle frame of every captioned segment of `synth-pretrain`'s train clips (decoded at 64 px);
labels: the words (articles dropped) of the caption phrases whose object the ground-truth mask
shows in that frame. Same architecture as the `small` preset's video tower: width 128, 4 layers,
4 heads, patch 8, 64 px, MLP 512; pixel mean/std the preset's.

    python bench/vit2d_pretrain.py --data DIR/synth-pretrain --out DIR [--epochs 8] [--clips N] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_line  # noqa: E402

ARTICLES = {"a", "an", "the"}


def frames_and_labels(root: Path, max_clips: int | None = None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """uint8 frames [N, 3, 64, 64] and multi-hot labels [N, V] over the phrase vocabulary."""
    from core.data.video import Video

    captions = json.loads((root / "groundtruth" / "captions.json").read_text())
    clips = sorted(captions)[:max_clips]
    items: list[tuple[np.ndarray, set[str]]] = []
    for clip in clips:
        video = Video(root / "videos" / f"{clip}.mp4")
        masks = np.load(root / "groundtruth" / f"{clip}.npz")["labels"]  # [T, 64, 64] object id per pixel
        fps, count = video.info.fps, min(video.info.num_frames, masks.shape[0])
        for entry in captions[clip]:
            start = entry["start"] if entry["start"] is not None else 0.0
            end = entry["end"] if entry["end"] is not None else count / fps
            t = min(count - 1, int((start + end) / 2 * fps))
            visible = set(np.unique(masks[t]).tolist())
            words = {w.lower().strip(".,") for p in entry["phrases"] if p["object"] in visible for w in p["text"].split()}
            words -= ARTICLES
            if words:
                items.append((video.frames([t])[0], words))
    vocab = sorted(set().union(*(w for _, w in items)))
    index = {w: i for i, w in enumerate(vocab)}
    frames = torch.from_numpy(np.stack([f for f, _ in items])).permute(0, 3, 1, 2).contiguous()  # [N, 3, H, W]
    labels = torch.zeros(len(items), len(vocab))
    for i, (_, words) in enumerate(items):
        labels[i, [index[w] for w in words]] = 1.0
    return frames, labels, vocab


def average_precision(scores: np.ndarray, truth: np.ndarray) -> float:
    """Non-interpolated AP of one label: mean precision at the ranks of its positives."""
    order = np.argsort(-scores, kind="stable")
    hits = truth[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / max(hits.sum(), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the synth-pretrain folder of a small suite")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clips", type=int, default=None, help="use the first N clips only (a quicker run)")
    args = parser.parse_args()
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    from core.model.config import VideoConfig

    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    frames, labels, vocab = frames_and_labels(args.data, args.clips)
    decode_s = time.perf_counter() - t0
    small = VideoConfig()  # the small preset's video tower
    config = ViTConfig(hidden_size=small.width, num_hidden_layers=small.depth, num_attention_heads=small.heads,
                       intermediate_size=int(small.width * small.mlp_ratio), image_size=small.image_size,
                       patch_size=small.patch, num_labels=len(vocab), layer_norm_eps=small.norm_eps,
                       hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                       id2label=dict(enumerate(vocab)), label2id={w: i for i, w in enumerate(vocab)})
    model = ViTForImageClassification(config).train()
    mean, std = torch.tensor(small.mean).view(1, 3, 1, 1), torch.tensor(small.std).view(1, 3, 1, 1)
    held = torch.randperm(len(frames), generator=torch.Generator().manual_seed(args.seed))
    test, train = held[: len(frames) // 10], held[len(frames) // 10:]
    steps = args.epochs * (len(train) // args.batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    step, t1 = 0, time.perf_counter()
    for epoch in range(args.epochs):
        order = train[torch.randperm(len(train))]
        for i in range(len(train) // args.batch):
            idx = order[i * args.batch:(i + 1) * args.batch]
            x = (frames[idx].float() / 255.0 - mean) / std  # [B, 3, H, W]
            flip = torch.rand(len(idx)) < 0.5  # flips keep every label (names, not directions)
            x[flip] = x[flip].flip(-1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(pixel_values=x).logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f}", flush=True)
    train_s = time.perf_counter() - t1
    model.eval()
    with torch.no_grad():
        logits = model(pixel_values=(frames[test].float() / 255.0 - mean) / std).logits
    truth = labels[test] > 0
    present = [k for k in range(len(vocab)) if 0 < truth[:, k].sum() < len(test)]
    mean_ap = float(np.mean([average_precision(logits[:, k].numpy(), truth[:, k].numpy()) for k in present]))
    chance_ap = float(np.mean([truth[:, k].float().mean().item() for k in present]))  # AP of a random ranking
    model.save_pretrained(args.out)
    ViTImageProcessor(image_mean=list(small.mean), image_std=list(small.std),
                      size={"height": small.image_size, "width": small.image_size}).save_pretrained(args.out)
    summary = {"frames": len(frames), "train": len(train), "test": len(test), "labels": len(vocab), "steps": step,
               "decode_s": round(decode_s, 1), "train_s": round(train_s, 1), "test_mAP": round(100 * mean_ap, 1),
               "chance_mAP": round(100 * chance_ap, 1), "seed": args.seed, "machine": machine_line(" ".join(sys.argv))}
    (args.out / "pretraining.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
