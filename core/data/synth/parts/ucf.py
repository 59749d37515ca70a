"""synth-ucf: the UCF101 layout; classes are motions with CamelCase names (some combine two).

- `ucfTrainTestlist/classInd.txt`: `<index> <Class>`, 1-based, classes in alphabetical order;
- `ucfTrainTestlist/trainlist0{1,2,3}.txt`: `<Class>/v_<Class>_gNN_cNN.avi <index>`;
- `ucfTrainTestlist/testlist0{1,2,3}.txt`: `<Class>/v_<Class>_gNN_cNN.avi` (label from the folder);
- `UCF-101/<Class>/v_<Class>_gNN_cNN.avi` (AVI, MPEG-4 Part 2).
Splits follow the real rule: split k tests groups 7(k-1)+1 .. 7k (split 1: g01-g07) and trains
on every other group, so train and test never share a group. Like a real group (one actor, one
place), a group shares its background pattern across classes, each clip seen from a shifted
viewpoint; test groups therefore show backgrounds the training split never saw.
"""

from __future__ import annotations

from ..plan import PartPlan, PlannedVideo
from ..scene import action_actors, action_shot
from ..seeding import rng_for
from ..sizes import SuiteSize
from ..spec import VideoSpec
from ..texture import jitter, sample_texture
from ..vocabulary import CLIP_FPS

NAME, KIND = "synth-ucf", "ucf101"
CLASSES: dict[str, str] = {
    "Bounce": "bounce", "BounceLeft": "bounce_left", "BounceRight": "bounce_right", "Grow": "grow",
    "GrowAndSpin": "grow_spin", "MoveDown": "move_down", "MoveLeft": "move_left", "MoveRight": "move_right",
    "MoveUp": "move_up", "Shrink": "shrink", "SpinClockwise": "spin_cw", "SpinCounterclockwise": "spin_ccw",
}
SPLITS = (1, 2, 3)


def test_groups(split: int) -> range:
    return range(7 * (split - 1) + 1, 7 * split + 1)


def plan(size: SuiteSize, seed: int) -> PartPlan:
    classes = sorted(CLASSES)
    lo, hi = size.ucf_clips
    clips = {(cls, g): int(rng_for(seed, NAME, cls, g).integers(lo, hi + 1)) for cls in classes for g in size.ucf_groups}
    actors = {cls: iter(action_actors(rng_for(seed, NAME, cls, "actors"),
                                      sum(clips[cls, g] for g in size.ucf_groups))) for cls in classes}
    videos: list[PlannedVideo] = []
    entries: list[tuple[str, int, str]] = []  # (class, group, relative path under UCF-101/)
    for g in size.ucf_groups:
        group_texture = sample_texture(rng_for(seed, NAME, "group", g))
        for cls in classes:
            for c in range(1, clips[cls, g] + 1):
                clip_rng = rng_for(seed, NAME, cls, g, c)
                _, shot = action_shot(CLASSES[cls], clip_rng, next(actors[cls]),
                                      texture=jitter(group_texture, clip_rng))
                stem = f"v_{cls}_g{g:02d}_c{c:02d}"
                rel = f"{cls}/{stem}.avi"
                videos.append(PlannedVideo(stem, f"UCF-101/{rel}", VideoSpec(CLIP_FPS, (shot,))))
                entries.append((cls, g, rel))
    entries.sort(key=lambda e: e[2])  # real lists run class by class, then group, then clip
    index = {cls: k + 1 for k, cls in enumerate(classes)}
    files = {"ucfTrainTestlist/classInd.txt": "".join(f"{index[c]} {c}\n" for c in classes)}
    counts: dict[str, int] = {"videos": len(videos), "classes": len(classes)}
    for split in SPLITS:
        held_out = test_groups(split)
        train = [f"{rel} {index[cls]}\n" for cls, g, rel in entries if g not in held_out]
        test = [f"{rel}\n" for cls, g, rel in entries if g in held_out]
        files[f"ucfTrainTestlist/trainlist0{split}.txt"] = "".join(train)
        files[f"ucfTrainTestlist/testlist0{split}.txt"] = "".join(test)
        counts[f"split{split}_train"], counts[f"split{split}_test"] = len(train), len(test)
    return PartPlan(NAME, KIND, videos, files, counts)
