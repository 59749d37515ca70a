"""ActivityNet Captions: dense captions of ActivityNet videos, one sample per captioned span.

Files `train.json` (required), `val_1.json`, `val_2.json` at the root or under annotations/,
captions/: `{video_id: {"duration", "timestamps": [[s, e], ...], "sentences": [...]}}` (ids
carry the `v_` prefix). Splits `train`, `val_1`, `val_2`. Sample ids `<video id>#<n>`.
Videos as for ActivityNet: `v_<id>.<ext>` or `<id>.<ext>` under `videos/` (and its subset
folders) or the root.
"""

from __future__ import annotations

from pathlib import Path

from core.data.formats.activitynet import VIDEO_DIRS, locate_activitynet
from core.data.formats.common import expect, field, find_file, load_json, parse_float, require_file
from core.data.index import DatasetIndex, Sample
from core.data.paths import VideoFinder

KIND = "activitynet-captions"
SOURCE = "https://cs.stanford.edu/people/ranjaykrishna/densevid/ (captions); videos from ActivityNet"
LAYOUT = "train.json, val_1.json, val_2.json and videos/v_<id>.mp4"
ANNOTATION_DIRS = ("", "annotations", "captions")
FILES = (("train", "train.json"), ("val_1", "val_1.json"), ("val_2", "val_2.json"))


def read(root: Path, videos: Path | None = None) -> DatasetIndex:
    video_root = videos or root
    finder = VideoFinder(video_root, VIDEO_DIRS)
    splits: dict[str, list[Sample]] = {}
    files = []
    for split, name in FILES:
        path = require_file(KIND, root, name, ANNOTATION_DIRS) if split == "train" else \
            find_file(root, name, ANNOTATION_DIRS)
        if path is None:
            continue
        files.append(path)
        data = load_json(KIND, path)
        expect(KIND, path, isinstance(data, dict), "expected an object of videos")
        samples = []
        for vid, entry in data.items():
            where = f"[{vid!r}]"
            duration = parse_float(KIND, path, field(KIND, path, entry, "duration", where), f"{where}.duration")
            stamps = field(KIND, path, entry, "timestamps", where)
            sentences = field(KIND, path, entry, "sentences", where)
            expect(KIND, path, isinstance(stamps, list) and isinstance(sentences, list)
                   and len(stamps) == len(sentences), f"{where}: timestamps and sentences differ in length")
            listed, found = locate_activitynet(finder, str(vid), f"{KIND}: {path}")
            for number, (stamp, sentence) in enumerate(zip(stamps, sentences, strict=True)):
                expect(KIND, path, isinstance(stamp, list) and len(stamp) == 2,
                       f"{where}.timestamps[{number}] is not [start, end]")
                start, end = (parse_float(KIND, path, v, f"{where}.timestamps[{number}]") for v in stamp)
                samples.append(Sample(
                    id=f"{vid}#{number}", video_id=str(vid), listed=listed, video=found, start=min(start, end),
                    end=max(start, end), captions=(str(sentence).strip(),), duration=duration,
                ))
        splits[split] = samples
    return DatasetIndex(kind=KIND, root=root, video_root=video_root, splits=splits, annotation_files=files)
