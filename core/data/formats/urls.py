"""How a video URL in a caption CSV maps to a local file name (VideoCC, WebVid).

The rule (documented in docs/datasets.md): the key of a URL is its YouTube id when it has one
(`watch?v=<id>`, `youtu.be/<id>`, `/shorts/<id>`, `/embed/<id>`), otherwise the file name of
its path without extension (`.../stock-footage-sunset.mp4` -> `stock-footage-sunset`).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import parse_qs, urlparse


def url_key(url: str) -> str:
    """The local file stem for `url` (empty when the URL names no file)."""
    parsed = urlparse(url.strip())
    host = parsed.netloc.lower()
    if "youtube" in host or host.endswith("youtu.be"):
        query = parse_qs(parsed.query)
        if query.get("v"):
            return query["v"][0]
        parts = [p for p in parsed.path.split("/") if p]
        if host.endswith("youtu.be") and parts:
            return parts[0]
        if len(parts) >= 2 and parts[0] in ("shorts", "embed", "v"):
            return parts[1]
    name = PurePosixPath(parsed.path).name
    return PurePosixPath(name).stem if name else ""
