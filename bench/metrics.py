"""Benchmark the vectorised metrics against straightforward loop implementations.

Run: `.venv/bin/python bench/metrics.py` (from the repository root). Prints a Markdown table
(machine, command, date, figures) for BENCHMARKS.md and asserts that both implementations
agree: ranks exactly, every per-class AP and the mAPs to the bit.

- Retrieval: 10,000 x 10,000 float32 similarities (scores rounded so that ties occur), both
  directions; the loop reference argsorts every row, as CLIP4Clip does, and takes the last
  position among equal scores (the pessimistic rank). Target: < 1 s.
- TAL: 5,000 videos x 100 predictions, 200 classes, ActivityNet-style JSON dicts (the timing
  includes turning the parsed JSON into arrays); the loop reference walks classes, thresholds
  and predictions one by one, as the official evaluation does. Target: < 2 s.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.metrics.retrieval import rank_metrics, retrieval_metrics  # noqa: E402
from core.metrics.tal import tal_map  # noqa: E402
from tests.reference.metric_loops import loop_tal_ap  # noqa: E402

# ---------------------------------------------------------------- retrieval


def make_similarity(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sim = rng.standard_normal((n, n), dtype=np.float32)
    sim[np.arange(n), np.arange(n)] += 2.5  # a model that is right often, but not always
    return np.round(sim, 1)  # coarse scores: plenty of ties


def loop_retrieval(sim: np.ndarray) -> dict:
    """Argsort every row (CLIP4Clip style); the rank is the last position holding the gt score."""

    def ranks(mat: np.ndarray) -> np.ndarray:
        out = np.empty(mat.shape[0], dtype=np.int64)
        for i in range(mat.shape[0]):
            row = mat[i]
            ordered = row[np.argsort(-row, kind="stable")]
            # every candidate scoring >= the gt sits at or before the last copy of the gt score
            out[i] = np.flatnonzero(ordered >= row[i])[-1] + 1
        return out

    return {"t2v": rank_metrics(ranks(sim)), "v2t": rank_metrics(ranks(np.ascontiguousarray(sim.T)))}


# ---------------------------------------------------------------- TAL


def make_activitynet(n_videos: int, n_pred: int, n_classes: int, seed: int = 0) -> tuple[dict, dict]:
    """A validation subset with 1-3 instances per video and a submission of `n_pred` per video."""
    rng = np.random.default_rng(seed)
    classes = [f"class_{c:03d}" for c in range(n_classes)]
    database, results = {}, {}
    for v in range(n_videos):
        vid = f"v_{v:05d}"
        duration = float(rng.uniform(30, 240))
        n_gt = int(rng.integers(1, 4))
        video_classes = rng.choice(n_classes, size=int(rng.integers(1, 3)))
        anns = []
        for _ in range(n_gt):
            s = float(rng.uniform(0, duration * 0.8))
            e = float(min(duration, s + rng.uniform(2, duration * 0.5)))
            anns.append(
                {"segment": [round(s, 2), round(e, 2)], "label": classes[int(rng.choice(video_classes))]}
            )
        subset = "validation" if rng.random() < 0.95 else "training"
        database[vid] = {"subset": subset, "duration": duration, "annotations": anns}
        # Detector-like output: proposals jittered around instances (and some anywhere), labelled
        # mostly with the video's classes; 2-decimal scores give ties across the file.
        centre = rng.choice(len(anns), size=n_pred)
        gs = np.array([a["segment"] for a in anns])[centre]
        length = gs[:, 1] - gs[:, 0]
        start = gs[:, 0] + rng.normal(0, 0.15, n_pred) * length
        end = gs[:, 1] + rng.normal(0, 0.15, n_pred) * length
        wild = rng.random(n_pred) < 0.3
        start[wild] = rng.uniform(0, duration, wild.sum())
        end[wild] = start[wild] + rng.uniform(1, duration / 2, wild.sum())
        start, end = np.minimum(start, end), np.maximum(start, end)
        label = np.where(
            rng.random(n_pred) < 0.8, rng.choice(video_classes, n_pred), rng.integers(0, n_classes, n_pred)
        )
        score = np.round(rng.random(n_pred), 2)
        results[vid] = [
            {"label": classes[int(c)], "score": float(sc), "segment": [float(s), float(e)]}
            for c, sc, s, e in zip(label, score, start, end, strict=True)
        ]
    results["v_not_in_ground_truth"] = [{"label": classes[0], "score": 0.99, "segment": [0.0, 10.0]}]
    gt = {"version": "VERSION 1.3", "taxonomy": [], "database": database}
    pred = {"version": "VERSION 1.3", "results": results, "external_data": {"used": False, "details": ""}}
    return gt, pred


def loop_tal_map(gt_json: dict, pred_json: dict, subset: str, thresholds: np.ndarray) -> dict:
    """Per class, per threshold, per prediction, as ActivityNet's evaluation walks them."""
    ap, classes = loop_tal_ap(gt_json, pred_json, subset, thresholds)
    m_ap = ap.mean(axis=1)
    keys = [f"{t:.2f}" for t in thresholds]
    return {
        "mAP": {key: float(100 * v) for key, v in zip(keys, m_ap, strict=True)},
        "average_mAP": float(100 * m_ap.mean()),
        "per_class": {
            c: {key: float(100 * ap[t, k]) for t, key in enumerate(keys)} for c, k in classes.items()
        },
    }


# ---------------------------------------------------------------- driver


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-retrieval", type=int, default=10_000)
    parser.add_argument("--n-videos", type=int, default=5_000)
    parser.add_argument("--n-pred", type=int, default=100)
    parser.add_argument("--n-classes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows = []
    n = args.n_retrieval
    sim = make_similarity(n)
    fast_s, fast = best_of(lambda: retrieval_metrics(sim), args.repeat)
    loop_s, loop = best_of(lambda: loop_retrieval(sim), 1)
    assert fast == loop, (fast, loop)
    rows.append((f"retrieval, {n:,} x {n:,} float32, t2v + v2t", fast_s, loop_s, "< 1 s"))

    gt, pred = make_activitynet(args.n_videos, args.n_pred, args.n_classes)
    thresholds = np.linspace(0.5, 0.95, 10)
    fast_s, fast = best_of(lambda: tal_map(gt, pred, "validation", thresholds), args.repeat)
    loop_s, loop = best_of(lambda: loop_tal_map(gt, pred, "validation", thresholds), 1)
    assert fast["mAP"] == loop["mAP"] and fast["average_mAP"] == loop["average_mAP"], (
        fast["mAP"],
        loop["mAP"],
    )
    assert {c: v["AP"] for c, v in fast["per_class"].items()} == loop["per_class"]
    label = f"TAL mAP, {args.n_videos:,} videos x {args.n_pred} preds x {args.n_classes} classes, 10 tIoU"
    rows.append((label, fast_s, loop_s, "< 2 s"))

    cpu = platform.processor() or platform.machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"- machine: {platform.node()} ({cpu}, {os.cpu_count()} CPUs), Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    print(f"- load average when the run ended: {load:.2f} (other work on the machine slows the figures)")
    print("- command: `.venv/bin/python bench/metrics.py`")
    print(f"- date: {datetime.date.today().isoformat()}")
    print(f"- results identical to the loop references; average mAP {fast['average_mAP']:.4f}\n")
    print(f"| benchmark | vectorised (best of {args.repeat}) | loop reference | speed-up | target |")
    print("|---|---|---|---|---|")
    for name, f, slow, target in rows:
        print(f"| {name} | {f:.3f} s | {slow:.2f} s | {slow / f:.0f}x | {target} |")


if __name__ == "__main__":
    main()
