"""How much each suite size generates (videos per part and the knobs that scale with size).

tiny: the tests (whole suite in seconds). small: the demo (under 3 minutes on 2 cores; enough
for a small model to learn). medium: the ablation study (about 4-5x small, under 20 minutes).
study: small's pre-training part video for video (each video's draws are keyed by its index, so
the same count gives the same clips) with larger evaluation parts, so that a seed-paired study
can tell differences of about 2 points: 1,000 MSR-VTT test videos (the real 1k-A size; retrieval
chance 0.1 instead of small's 0.5), 3x the MSVD-QA videos, UCF101-style groups of 4-7 clips
(~460 split-1 test clips instead of ~125) and 400 ActivityNet-style videos (100 validation
instead of 24).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SuiteSize:
    pretrain_videos: int  # caption CSV videos; a fifth hold two scenes (two caption rows)
    msrvtt_videos: int  # MSR-VTT-style videos (shared with the MSRVTT-QA-style part)
    msrvtt_test: int  # of which the 1k-A-style test split
    msrvtt_captions: int  # captions per video
    msrvtt_qa_per_video: int
    msvd_videos: int
    msvd_qa_per_video: int
    ucf_groups: tuple[int, ...]  # group numbers gNN present (split 1 tests g01-g07)
    ucf_clips: tuple[int, int]  # clips per (class, group): inclusive range
    hmdb_per_class: int
    anet_videos: int
    anet_seconds: tuple[int, int]  # untrimmed duration range (s)


SUITE_SIZES: dict[str, SuiteSize] = {
    "tiny": SuiteSize(
        pretrain_videos=30, msrvtt_videos=24, msrvtt_test=6, msrvtt_captions=5, msrvtt_qa_per_video=5,
        msvd_videos=20, msvd_qa_per_video=6, ucf_groups=(1, 8, 15), ucf_clips=(1, 1), hmdb_per_class=3,
        anet_videos=6, anet_seconds=(20, 30),
    ),
    "small": SuiteSize(
        pretrain_videos=2400, msrvtt_videos=700, msrvtt_test=200, msrvtt_captions=5, msrvtt_qa_per_video=5,
        msvd_videos=320, msvd_qa_per_video=6, ucf_groups=tuple(range(1, 26)), ucf_clips=(1, 2),
        hmdb_per_class=40, anet_videos=96, anet_seconds=(20, 60),
    ),
    "medium": SuiteSize(
        pretrain_videos=9600, msrvtt_videos=3500, msrvtt_test=1000, msrvtt_captions=5, msrvtt_qa_per_video=5,
        msvd_videos=1600, msvd_qa_per_video=6, ucf_groups=tuple(range(1, 26)), ucf_clips=(4, 7),
        hmdb_per_class=160, anet_videos=400, anet_seconds=(20, 60),
    ),
    "study": SuiteSize(
        pretrain_videos=2400, msrvtt_videos=1500, msrvtt_test=1000, msrvtt_captions=5, msrvtt_qa_per_video=5,
        msvd_videos=960, msvd_qa_per_video=6, ucf_groups=tuple(range(1, 26)), ucf_clips=(4, 7),
        hmdb_per_class=40, anet_videos=400, anet_seconds=(20, 60),
    ),
}


def suite_size(name: str) -> SuiteSize:
    try:
        return SUITE_SIZES[name]
    except KeyError:
        raise ValueError(f"unknown synthetic suite size {name!r}: choose one of {', '.join(SUITE_SIZES)}") from None
