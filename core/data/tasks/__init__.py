"""Torch datasets producing the batches of pre-training and of each downstream task.

| dataset | item -> batch keys |
|---|---|
| `PretrainDataset` | frames, caption_ids/mask, noun_ids/mask, index, skipped |
| `RetrievalDataset` | frames, index, valid (+ captions, caption_video, caption_tokens()) |
| `QADataset` | frames, question_ids/mask, answer_index, answers, index, valid |
| `ActionDataset` | frames, label, index, valid |
| `LocalizationDataset` | one untrimmed video per item: windows, starts, duration, segments, labels |

Missing or corrupt videos never crash a run: training datasets substitute the next readable
sample and count the skip; evaluation datasets keep every sample (the metrics need them in
place) and mark unreadable ones `valid = False` with zero frames, which gives coverage.
"""

from core.data.tasks.action import ActionDataset, collate_action
from core.data.tasks.localization import LocalizationDataset
from core.data.tasks.pretrain import PretrainCollate, PretrainDataset
from core.data.tasks.qa import QADataset, build_answer_vocab
from core.data.tasks.retrieval import RetrievalDataset, collate_retrieval

__all__ = [
    "ActionDataset", "LocalizationDataset", "PretrainCollate", "PretrainDataset", "QADataset",
    "RetrievalDataset", "build_answer_vocab", "collate_action", "collate_retrieval",
]
