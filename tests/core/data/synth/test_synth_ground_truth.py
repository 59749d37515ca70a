"""Ground truth agrees with the pixels: masks cover the objects' colours, cuts change the background,
localization segments and action flags agree with the annotation file and with the motion."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import decord
import numpy as np
import pytest

from core.data.synth import load_ground_truth
from core.data.synth.vocabulary import COLOURS

PALETTE = {name: np.array(rgb, np.float64) for name, rgb in COLOURS.items()}


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _decode(path: Path, frames: list[int] | None = None) -> np.ndarray:
    vr = decord.VideoReader(str(path))
    return vr.get_batch(frames if frames is not None else list(range(len(vr)))).asnumpy()


def test_load_ground_truth_returns_everything(parts: dict[str, Path]) -> None:
    root = parts["synth-pretrain"]
    for stem in list(_json(root / "groundtruth" / "videos.json"))[:5]:
        gt = load_ground_truth(root, stem)
        T = gt["n_frames"]
        assert gt["labels"].shape == (T, 64, 64) and gt["labels"].dtype == np.uint8
        assert gt["action"] is None and gt["fps"] == 8 and (root / gt["path"]).is_file()
        assert list(gt["cuts"]) == [s["start"] for s in gt["shots"][1:]]
        assert [o["index"] for o in gt["objects"]] == list(range(1, len(gt["objects"]) + 1))
        assert gt["captions"] and gt["questions"] == []
    with pytest.raises(FileNotFoundError):
        load_ground_truth(root, "no-such-video")
    qa = load_ground_truth(parts["synth-msvd-qa"], next(iter(_json(parts["synth-msvd-qa"] / "groundtruth" / "videos.json"))))
    assert qa["questions"] and all({"question", "answer", "id"} <= set(q) for q in qa["questions"])


@pytest.mark.parametrize("name", ["synth-pretrain", "synth-msrvtt", "synth-msvd-qa", "synth-ucf", "synth-hmdb",
                                  "synth-anet"])
def test_masks_cover_pixels_of_the_object_colour(parts: dict[str, Path], name: str) -> None:
    root = parts[name]
    checked = 0
    for stem, info in list(_json(root / "groundtruth" / "videos.json").items())[:8]:
        gt = load_ground_truth(root, stem)
        objects = {o["index"]: o for o in gt["objects"]}
        assert set(np.unique(gt["labels"])) <= {0, *objects}
        for k, o in objects.items():  # an object's label only occurs inside its shot
            present = np.flatnonzero((gt["labels"] == k).any(axis=(1, 2)))
            assert len(present) and o["frames"][0] <= present.min() and present.max() < o["frames"][1]
        ts = sorted({0, info["n_frames"] // 2, info["n_frames"] - 1})
        frames = _decode(root / info["path"], ts).astype(np.float64)
        for t, frame in zip(ts, frames, strict=True):
            for k, o in objects.items():
                # The interior (eroded) mask: chroma subsampling blurs the outermost pixel or two.
                inner = cv2.erode((gt["labels"][t] == k).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
                if inner.sum() < 4:
                    continue
                median = np.median(frame[inner], axis=0)
                assert np.abs(median - PALETTE[o["colour"]]).max() < 30, (stem, t, o)
                nearest = min(PALETTE, key=lambda c: np.abs(median - PALETTE[c]).sum())
                assert nearest == o["colour"]
                checked += 1
            bg = gt["labels"][t] == 0  # the background never takes an object colour
            dist = np.min([np.abs(frame[bg] - rgb).max(axis=1) for rgb in PALETTE.values()], axis=0)
            assert np.median(dist) > 40
    assert checked >= 8


@pytest.mark.parametrize("name", ["synth-pretrain", "synth-anet"])
def test_cuts_are_where_the_background_changes(parts: dict[str, Path], name: str) -> None:
    root = parts[name]
    n_cuts = 0
    for stem, info in _json(root / "groundtruth" / "videos.json").items():
        gt = load_ground_truth(root, stem)
        if not len(gt["cuts"]):
            continue
        x = _decode(root / info["path"]).astype(np.int16)
        lab = gt["labels"]
        bg = (lab[1:] == 0) & (lab[:-1] == 0)  # background in both frames
        change = np.array([np.abs(x[t + 1] - x[t])[bg[t]].mean() for t in range(len(x) - 1)])
        at_cut = np.zeros(len(change), bool)
        at_cut[np.asarray(gt["cuts"]) - 1] = True
        assert change[at_cut].min() > 6 and change[~at_cut].max() < 3, stem
        n_cuts += int(at_cut.sum())
    assert n_cuts >= 3


def test_localization_ground_truth(parts: dict[str, Path]) -> None:
    root = parts["synth-anet"]
    database = _json(root / "activity_net.v1-3.min.json")["database"]
    for vid, entry in database.items():
        gt = load_ground_truth(root, f"v_{vid}")
        fps, T = gt["fps"], gt["n_frames"]
        assert fps == 4 and entry["duration"] == T / fps and gt["action"].shape == (T,)
        spans = [(a["start"], a["end"]) for a in gt["actions"]]
        if entry["subset"] != "testing":
            assert [(round(a["segment"][0] * fps), round(a["segment"][1] * fps), a["label"])
                    for a in entry["annotations"]] == [(s, e, a["label"]) for (s, e), a in zip(spans, gt["actions"],
                                                                                                strict=True)]
        flags = np.zeros(T, np.uint8)
        for s, e in spans:
            flags[s:e] = 1
            assert 12 <= e - s <= 32 and not any(s < c < e for c in gt["cuts"])  # an action sits in one shot
        assert (gt["action"] == flags).all() and 1 <= len(spans) <= 3
        for (_, e0), (s1, _) in zip(spans[:-1], spans[1:], strict=True):
            assert s1 - e0 >= 8 and any(e0 <= c <= s1 for c in gt["cuts"])  # >= 2 s of background and a cut
        for a in gt["actions"]:  # the actor moves during its action; distractors barely move
            actor = gt["labels"][a["start"]:a["end"]] == a["object"]  # [L, H, W]
            moved = (actor ^ actor[:1]).sum(axis=(1, 2))  # periodic motions may end where they began
            assert moved.max() > 0.2 * max(actor[0].sum(), 1)
        for o in gt["objects"]:
            if o["motion"] in ("still", "drift"):
                m = gt["labels"][o["frames"][0]:o["frames"][1]] == o["index"]
                step = (m[1:] ^ m[:-1]).sum(axis=(1, 2))
                assert step.max() <= 0.5 * m.sum(axis=(1, 2)).max() + 4
