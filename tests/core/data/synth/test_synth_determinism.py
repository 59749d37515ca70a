"""Same seed -> byte-identical annotations and ground truth (and identical decoded frames) whatever
the worker count; another seed -> different data."""

from __future__ import annotations

from pathlib import Path

import decord
import numpy as np

from core.data.synth import generate_suite
from core.data.synth.parts import PARTS
from core.data.synth.plan import objects_json
from core.data.synth.sizes import suite_size

VIDEO_SUFFIXES = {".mp4", ".avi"}


def _files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_whatever_the_workers(suite_root: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_suite(again, "tiny", seed=0, workers=1)  # the session suite used 2 workers
    a, b = _files(suite_root), _files(again)
    assert a.keys() == b.keys()
    for rel, path in a.items():
        if path.suffix in VIDEO_SUFFIXES:  # container bytes may differ; the frames may not
            va, vb = decord.VideoReader(str(path)), decord.VideoReader(str(b[rel]))
            assert len(va) == len(vb)
            idx = list(range(len(va)))
            assert np.array_equal(va.get_batch(idx).asnumpy(), vb.get_batch(idx).asnumpy()), rel
        else:
            assert path.read_bytes() == b[rel].read_bytes(), rel


def test_another_seed_gives_other_data() -> None:
    size = suite_size("tiny")
    for _, _, planner in PARTS:
        a, b = planner(size, 0), planner(size, 1)
        assert a.files.keys() == b.files.keys()
        assert objects_json(a.videos) != objects_json(b.videos), a.name
        assert [v.spec for v in a.videos] != [v.spec for v in b.videos]
        # The tiny UCF-style lists are pure structure (one clip per class and group); the rest draw.
        if a.name != "synth-ucf":
            assert a.files != b.files, a.name


def test_the_study_size_keeps_small_pretraining_data_and_grows_the_evaluation_splits() -> None:
    """`study`: the same pre-training clips as `small` (draws keyed by video index, not by suite size),
    and at least 4x the test/validation videos of the noisy Table 6 columns."""
    planners = {name: planner for name, _, planner in PARTS}
    small, study = suite_size("small"), suite_size("study")
    a, b = planners["synth-pretrain"](small, 0), planners["synth-pretrain"](study, 0)
    assert a.files == b.files and [v.spec for v in a.videos] == [v.spec for v in b.videos]
    assert a.counts == b.counts
    for part, key in (("synth-msrvtt", "test_1k_a"), ("synth-ucf", "split1_test"), ("synth-anet", "validation")):
        before, after = planners[part](small, 0).counts[key], planners[part](study, 0).counts[key]
        assert after >= 3.5 * before, (part, before, after)
