"""Shard lists, tar scans and member reads for video2dataset's WebDataset layout (see the package).

A shard list comes from a folder (every `*.tar` in it, by name) or a brace pattern such as
`DIR/{00000..00099}.tar` (numeric ranges keep their zero padding; `{a,b}` lists alternatives).
`scan_shard` walks a tar's headers (and reads the small caption/JSON members) without touching
the videos' bytes: it finds each sample's video member and byte offset, its caption, and what is
wrong with a sample (no caption, no video, truncated shard). `read_member` reads one video by
offset: what training does, with no tar parsing at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserError

VIDEO_SUFFIXES = ("mp4", "webm", "mkv", "avi", "mov", "m4v")
_BRACE = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")


def expand_braces(pattern: str) -> list[str]:
    """Every string the pattern names, in order: `{00000..00002}` -> 00000 00001 00002, `{a,b}` -> a b."""
    match = _BRACE.search(pattern)
    if match is None:
        return [pattern]
    body = match.group(1)
    numeric = _RANGE.match(body)
    if numeric is not None:
        first, last = numeric.groups()
        width = len(first) if first.startswith("0") else 0
        step = 1 if int(last) >= int(first) else -1
        options = [str(n).zfill(width) for n in range(int(first), int(last) + step, step)]
    else:
        options = body.split(",")
    head, tail = pattern[: match.start()], pattern[match.end():]
    return [expanded for option in options for expanded in expand_braces(head + option + tail)]


@dataclass
class ShardList:
    """The shards a `--root` names: their folder, names relative to it, and the ones missing."""

    root: Path
    names: list[str]  # existing shards, relative to root
    missing: list[str] = field(default_factory=list)  # named by a pattern but absent
    pattern: str | None = None

    def path(self, name: str) -> Path:
        return self.root / name

    def digest(self) -> str:
        """One hash over the shard list (names and sizes): a shard added, removed, replaced or
        truncated changes it. The videos themselves are not hashed (terabytes)."""
        digest = hashlib.sha256()
        for name in self.names:
            digest.update(f"{name}\0{os.path.getsize(self.path(name))}\n".encode())
        return digest.hexdigest()


def resolve_shards(spec: str | Path) -> ShardList:
    """The shard list of a folder or a brace pattern; one-line UserError when it names no shard."""
    text = str(spec)
    if "{" in text or "*" in text or "?" in text:
        candidates = expand_braces(text)
        import glob

        paths = [Path(p) for c in candidates for p in (sorted(glob.glob(c)) if ("*" in c or "?" in c) else [c])]
        root = Path(os.path.commonpath([str(p.parent.resolve()) for p in paths])) if paths else Path(".")
        existing = [p for p in paths if p.is_file()]
        if not existing:
            raise UserError(f"webdataset: the pattern {text} matches no shard file")
        for path in existing:
            _require_tar_name(path)
        names = [os.path.relpath(p.resolve(), root) for p in existing]
        missing = [os.path.relpath(p.resolve(), root) for p in paths if not p.is_file()]
        return ShardList(root, names, missing, pattern=text)
    root = Path(text).expanduser().resolve()
    if not root.is_dir():
        raise UserError(f"webdataset: {root} is neither a folder of shards nor a pattern like DIR/{{00000..00099}}.tar")
    names = sorted(p.name for p in root.iterdir() if p.suffix == ".tar" and p.is_file())
    if not names:
        raise UserError(f"webdataset: no *.tar shard in {root}")
    return ShardList(root, names)


def _require_tar_name(path: Path) -> None:
    if path.suffix != ".tar":
        raise UserError(f"webdataset: {path} is not a .tar shard")


def stats_count(shard: Path) -> int | None:
    """The sample count video2dataset wrote beside a shard (`<stem>_stats.json`: "successes"), or None."""
    stats = shard.with_name(f"{shard.stem}_stats.json")
    try:
        value = json.loads(stats.read_text(encoding="utf-8")).get("successes")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and value >= 0 else None


def split_key(member: str) -> tuple[str, str]:
    """(key, extension) of a member path: the file name splits at its first dot (WebDataset's rule)."""
    folder, _, base = member.rpartition("/")
    stem, dot, suffix = base.partition(".")
    return (f"{folder}/{stem}" if folder else stem), (suffix.lower() if dot else "")


@dataclass(frozen=True)
class ShardSample:
    """One sample of a shard: its key, video member (byte offset and size in the tar), captions and window."""

    key: str
    video: str  # member name
    offset: int
    size: int
    captions: tuple[str, ...]
    start: float | None = None
    end: float | None = None

    def to_row(self) -> list:
        return [self.key, self.video, self.offset, self.size, list(self.captions), self.start, self.end]

    @classmethod
    def from_row(cls, row: list) -> ShardSample:
        key, video, offset, size, captions, start, end = row
        return cls(key, video, offset, size, tuple(captions), start, end)


@dataclass
class ShardScan:
    """What one tar holds: usable samples, and problems as (key, what) pairs."""

    samples: list[ShardSample]
    problems: list[tuple[str, str]]


def _captions_of(text: str | None, meta: dict | None) -> tuple[str, ...]:
    """The .json's "captions" list (sviml's shards: every caption of a clip), else the .txt, else the
    .json's "caption"."""
    if meta is not None and isinstance(meta.get("captions"), list):
        listed = tuple(c.strip() for c in meta["captions"] if isinstance(c, str) and c.strip())
        if listed:
            return listed
    if text is not None and text.strip():
        return (text.strip(),)
    if meta is not None and isinstance(meta.get("caption"), str) and meta["caption"].strip():
        return (meta["caption"].strip(),)
    return ()


def _window(meta: dict | None) -> tuple[float | None, float | None]:
    if meta is None:
        return None, None
    start, end = meta.get("start"), meta.get("end")
    return (float(start) if isinstance(start, int | float) else None,
            float(end) if isinstance(end, int | float) else None)


def scan_shard(path: Path) -> ShardScan:
    """Walk a shard's headers: every sample with a video and a caption, and the problems.

    A file that is not a tar is a UserError (malformed input); a tar cut short keeps the complete
    members before the cut and reports the cut as a problem.
    """
    groups: dict[str, dict[str, tarfile.TarInfo]] = {}
    texts: dict[str, str] = {}
    metas: dict[str, dict] = {}
    problems: list[tuple[str, str]] = []
    try:
        archive = tarfile.open(path, mode="r:")
    except (tarfile.ReadError, OSError) as err:
        raise UserError(f"webdataset: {path} is not a tar file ({err})") from err
    size = os.path.getsize(path)
    with archive:
        try:
            for info in archive:
                if not info.isfile():
                    continue
                key, ext = split_key(info.name)
                if info.offset_data + info.size > size:
                    problems.append((key, f"truncated: {info.name} ends past the end of the shard"))
                    break
                groups.setdefault(key, {})[ext] = info
                if ext == "txt":
                    texts[key] = archive.extractfile(info).read().decode("utf-8", errors="replace")
                elif ext == "json":
                    try:
                        value = json.loads(archive.extractfile(info).read())
                        metas[key] = value if isinstance(value, dict) else {}
                    except ValueError:
                        problems.append((key, f"{info.name} is not valid JSON"))
        except (tarfile.ReadError, EOFError, OSError) as err:
            problems.append(("", f"truncated shard: {err}"))
    samples = []
    for key, members in groups.items():
        video = next((members[ext] for ext in VIDEO_SUFFIXES if ext in members), None)
        captions = _captions_of(texts.get(key), metas.get(key))
        if video is None:
            if "txt" in members or "json" in members:
                problems.append((key, "no video member"))
            continue
        if not captions:
            problems.append((key, f"{video.name} has no caption (.txt or .json 'caption')"))
            continue
        start, end = _window(metas.get(key))
        samples.append(ShardSample(key, video.name, video.offset_data, video.size, captions, start, end))
    return ShardScan(samples, problems)


def read_member(path: Path | str, offset: int, size: int) -> bytes:
    """The bytes of one member, by its offset in the tar (no tar parsing)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(size)
    if len(data) != size:
        raise OSError(f"{path}: member at {offset} is cut short ({len(data)} of {size} bytes)")
    return data
