"""A curve in one line of text: `▇▆▅▄▃▂▂▁`, for terminals that show no plot."""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def resample(values: Sequence[float], width: int) -> list[float]:
    """`values` averaged into at most `width` equal buckets (fewer values: unchanged)."""
    if len(values) <= width:
        return list(values)
    buckets = []
    for i in range(width):
        start, end = i * len(values) // width, (i + 1) * len(values) // width
        chunk = values[start:max(end, start + 1)]
        buckets.append(sum(chunk) / len(chunk))
    return buckets


def sparkline(values: Sequence[float], width: int = 40, low: float | None = None, high: float | None = None) -> str:
    """Blocks scaled between `low` and `high` (default: the values' own range), so that several
    runs drawn with the same bounds compare by eye."""
    points = resample(values, width)
    if not points:
        return ""
    low = min(points) if low is None else low
    high = max(points) if high is None else high
    span = high - low
    if span <= 0:
        return BLOCKS[0] * len(points)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[max(0, min(top, round((v - low) / span * top)))] for v in points)
