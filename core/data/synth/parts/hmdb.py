"""synth-hmdb: the HMDB51 layout; lower_snake class names, a set that partly overlaps synth-ucf's.

- `testTrainMulti_7030_splits/<class>_test_split{1,2,3}.txt`: one `<video>.avi <id>` line per
  video of the class, id 1 = train, 2 = test, 0 = unused (about 60/30/10 per class and split);
- `hmdb51/<class>/<video>.avi` (AVI, MPEG-4 Part 2).
Video names follow HMDB's pattern `<title>_<class>_<tags>_<n>.avi` with its meta tags (visible
body part, camera motion, number of people (here: objects), view point, quality).
Compared with synth-ucf: "spin" merges both directions, "shake" and "orbit" are new, the
composite classes are absent, and the vertical moves are called "rise" and "fall".
"""

from __future__ import annotations

from ..plan import PartPlan, PlannedVideo
from ..scene import action_actors, action_shot
from ..seeding import pick, rng_for
from ..sizes import SuiteSize
from ..spec import VideoSpec
from ..vocabulary import CLIP_FPS

NAME, KIND = "synth-hmdb", "hmdb51"
CLASSES: dict[str, tuple[str, ...]] = {
    "bounce": ("bounce",), "fall": ("move_down",), "grow": ("grow",), "move_left": ("move_left",),
    "move_right": ("move_right",), "orbit": ("orbit",), "rise": ("move_up",), "shake": ("shake",),
    "shrink": ("shrink",), "spin": ("spin_cw", "spin_ccw"),
}
SPLITS = (1, 2, 3)


def split_ids(n: int, rng) -> list[int]:
    """Per video: 1 train, 2 test, 0 unused; at least one of train and test per class."""
    n_test = max(1, round(0.3 * n))
    n_train = max(1, min(n - n_test, round(0.6 * n)))
    ids = [1] * n_train + [2] * n_test + [0] * (n - n_train - n_test)
    return [ids[int(i)] for i in rng.permutation(n)]


def plan(size: SuiteSize, seed: int) -> PartPlan:
    videos: list[PlannedVideo] = []
    files: dict[str, str] = {}
    counts: dict[str, int] = {"classes": len(CLASSES)}
    for cls in sorted(CLASSES):
        names = []
        actors = action_actors(rng_for(seed, NAME, cls, "actors"), size.hmdb_per_class)
        for i in range(size.hmdb_per_class):
            rng = rng_for(seed, NAME, cls, i)
            graph, shot = action_shot(pick(rng, CLASSES[cls]), rng, actors[i])
            tags = f"f_nm_np{len(graph)}_{pick(rng, ['fr', 'ba', 'le', 'ri'])}_{pick(rng, ['goo', 'med', 'bad'])}"
            stem = f"Synth_Shapes_Scene{i:04d}_{cls}_{tags}_{int(rng.integers(0, 3))}"
            names.append(stem)
            videos.append(PlannedVideo(stem, f"hmdb51/{cls}/{stem}.avi", VideoSpec(CLIP_FPS, (shot,))))
        for split in SPLITS:
            ids = split_ids(len(names), rng_for(seed, NAME, cls, "split", split))
            files[f"testTrainMulti_7030_splits/{cls}_test_split{split}.txt"] = "".join(
                f"{stem}.avi {k}\n" for stem, k in zip(names, ids, strict=True))
            for k, key in ((1, "train"), (2, "test")):
                counts[f"split{split}_{key}"] = counts.get(f"split{split}_{key}", 0) + ids.count(k)
    counts["videos"] = len(videos)
    return PartPlan(NAME, KIND, videos, files, counts)
