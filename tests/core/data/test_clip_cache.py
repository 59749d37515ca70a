"""The decoded-clip cache: round trip, keys that follow the file, the size bound."""

from __future__ import annotations

import os

import numpy as np

from core.data.clip_cache import ClipCache
from tests.core.data.media import write_video


def test_round_trip_and_key_follows_the_file(tmp_path):
    cache = ClipCache(tmp_path / "cache")
    video = write_video(tmp_path / "a.mp4")
    key = cache.key(video, "uniform", None, None, 8)
    assert cache.get(key) is None
    frames = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    assert cache.put(key, frames)
    assert np.array_equal(cache.get(key), frames) and cache.hits == 1
    assert cache.key(video, "uniform", None, None, 4) != key
    os.utime(video, ns=(1, 1))  # the file changed: a new key
    assert cache.key(video, "uniform", None, None, 8) != key
    assert cache.key(tmp_path / "gone.mp4", 8) is None


def test_size_bound(tmp_path):
    frames = np.zeros((4, 16, 16, 3), np.uint8)  # 3 kB
    cache = ClipCache(tmp_path / "cache", max_bytes=3 * frames.nbytes + 1000)
    stored = [cache.put(f"{i:040x}", frames) for i in range(6)]
    assert stored == [True, True, True, False, False, False]


def test_damaged_entry_is_a_miss(tmp_path):
    cache = ClipCache(tmp_path / "cache")
    key = "ab" * 20
    cache.put(key, np.zeros((1, 2, 2, 3), np.uint8))
    (tmp_path / "cache" / "ab" / f"{key}.npy").write_bytes(b"garbage")
    assert cache.get(key) is None
