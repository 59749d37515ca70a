"""One reader per dataset kind, and the read-only `READERS` table (kind -> reader).

A reader is `read(root, videos=None) -> DatasetIndex`: it parses the annotations under `root`,
resolves every referenced video (under `videos` when given, else under `root`) and raises a
one-line `UserError` for malformed annotations or a path escaping the root. Each module also
states where to get the dataset (`SOURCE`) and the layout it expects (`LAYOUT`); the variants
it accepts are in its docstring and in docs/datasets.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType

from core.data.formats import (
    activitynet,
    activitynet_captions,
    captions,
    hmdb51,
    msrvtt,
    msrvtt_qa,
    msvd_qa,
    ucf101,
    videocc,
    webvid,
)
from core.data.index import DatasetIndex
from core.errors import UserError

Reader = Callable[[Path, "Path | None"], DatasetIndex]


@dataclass(frozen=True)
class KindInfo:
    """A dataset kind: its reader, where to get the data, and the layout expected under its root."""

    kind: str
    read: Reader
    source: str
    layout: str
    task: str  # pretrain, retrieval, qa, action, localization
    splits: tuple[str, ...] = ()  # the values `--split` takes (msrvtt: 9k 7k full lavis; action: 1 2 3)


def _info(module: ModuleType, task: str) -> KindInfo:
    return KindInfo(module.KIND, module.read, module.SOURCE, module.LAYOUT, task, getattr(module, "SPLITS", ()))


KINDS: Mapping[str, KindInfo] = MappingProxyType({
    info.kind: info
    for info in (
        _info(msrvtt, "retrieval"),
        _info(msrvtt_qa, "qa"),
        _info(msvd_qa, "qa"),
        _info(ucf101, "action"),
        _info(hmdb51, "action"),
        _info(activitynet, "localization"),
        _info(activitynet_captions, "pretrain"),
        _info(videocc, "pretrain"),
        _info(webvid, "pretrain"),
        _info(captions, "pretrain"),
    )
})
READERS: Mapping[str, Reader] = MappingProxyType({kind: info.read for kind, info in KINDS.items()})
QA_KINDS = frozenset(kind for kind, info in KINDS.items() if info.task == "qa")


def kind_info(kind: str) -> KindInfo:
    if kind not in KINDS:
        raise UserError(f"unknown dataset kind {kind!r} (known: {', '.join(KINDS)}, synth)")
    return KINDS[kind]


def read_index(kind: str, root: Path, videos: Path | None = None, fps: float | None = None,
               split: str | None = None) -> DatasetIndex:
    """Parse the dataset of `kind` under `root` (videos under `videos` when given; `fps`: the rate of
    videos stored as frame folders; `split`: the split variant of kinds that have several)."""
    info = kind_info(kind)
    if split is not None and not info.splits:
        raise UserError(f"{kind}: --split does not apply (it chooses msrvtt's 9k/7k/full/lavis and ucf101's or "
                        "hmdb51's 1/2/3)")
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise UserError(f"{kind}: root {root} is not a folder")
    if videos is not None:
        videos = Path(videos).expanduser().resolve()
        if not videos.is_dir():
            raise UserError(f"{kind}: videos folder {videos} is not a folder")
    index = info.read(root, videos, split) if split is not None else info.read(root, videos)
    index.frame_fps = fps
    return index
