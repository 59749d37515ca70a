"""The paper's reported numbers: the reference rows of every report (read-only).

Source: S-ViLM (ICLR 2024), as listed in SVILM_SPEC.md section 5. Every number is on a REAL
benchmark (`kind` names the dataset kind); a report puts it only in columns of real datasets of
that kind, never beside a synthetic dataset's number. Each number carries the paper's protocol
note, which becomes its footnote.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

PAPER = "S-ViLM (ICLR 2024)"


@dataclass(frozen=True)
class PaperNumber:
    """One number of the paper: `model` on task/kind/metric, with how the paper measured it."""

    model: str
    task: str
    kind: str
    metric: str
    value: float
    note: str
    baseline: bool = False  # a method the paper compares with, not S-ViLM itself


@dataclass(frozen=True)
class PaperAblationRow:
    """A row of the paper's Table 6: which loss terms were on, and its numbers (None: not reported)."""

    contrast: bool
    ground: bool
    temporal: bool
    values: MappingProxyType  # (task, kind, metric) -> float | None


_PRE = "pre-trained on VideoCC + ActivityNet Captions, 32 frames"
_NOTES = MappingProxyType({
    "retrieval_zs": f"paper: MSR-VTT 1k-A test, zero-shot (cosine of video and caption embeddings); {_PRE}",
    "retrieval_ft": f"paper: MSR-VTT 1k-A test, fine-tuned on the 9k train split; {_PRE}",
    "qa": f"paper: open-ended QA, top-1 over the answer vocabulary, fusion head fine-tuned; {_PRE}",
    "action_linear": f"paper: split 1, linear probe on frozen pooled features; {_PRE}",
    "action_ft": f"paper: split 1, full fine-tuning; {_PRE}",
    "tal": "paper: ActivityNet v1.3 validation; pre-trained on HowTo100M (not VideoCC); frozen features "
    "rescaled to 100 snippets, G-TAD head",
})
_BASELINE_NOTE = "the paper's comparison table (numbers as reported there)"
TABLE6_NOTE = (
    "paper Table 6 (loss ablation): pre-trained on VideoCC only (not + ActivityNet), so its full-model row "
    "differs from the headline numbers; '-' cells were not reported"
)


def _n(model: str, task: str, kind: str, metric: str, value: float, baseline: bool = False) -> PaperNumber:
    note = f"{model}: {_BASELINE_NOTE}" if baseline else _NOTES[task]
    return PaperNumber(model, task, kind, metric, value, note, baseline)


PAPER_NUMBERS: tuple[PaperNumber, ...] = (
    _n("S-ViLM", "retrieval_zs", "msrvtt", "t2v_R@1", 28.6),
    _n("S-ViLM", "retrieval_zs", "msrvtt", "t2v_R@10", 65.1),
    _n("S-ViLM", "retrieval_ft", "msrvtt", "t2v_R@1", 38.4),
    _n("S-ViLM", "retrieval_ft", "msrvtt", "t2v_R@10", 76.3),
    _n("S-ViLM", "qa", "msrvtt-qa", "acc", 43.5),
    _n("S-ViLM", "qa", "msvd-qa", "acc", 46.4),
    _n("S-ViLM", "action_linear", "ucf101", "top1", 94.8),
    _n("S-ViLM", "action_ft", "ucf101", "top1", 96.5),
    _n("S-ViLM", "action_linear", "hmdb51", "top1", 70.0),
    _n("S-ViLM", "action_ft", "hmdb51", "top1", 76.9),
    _n("S-ViLM", "tal", "activitynet", "mAP@0.50", 51.7),
    _n("S-ViLM", "tal", "activitynet", "mAP@0.75", 36.4),
    _n("S-ViLM", "tal", "activitynet", "mAP@0.95", 9.7),
    _n("S-ViLM", "tal", "activitynet", "avg_mAP", 35.6),
    _n("VCC", "retrieval_zs", "msrvtt", "t2v_R@1", 18.9, baseline=True),
    _n("MCQ/BridgeFormer", "retrieval_zs", "msrvtt", "t2v_R@1", 26.0, baseline=True),
    _n("ALPRO", "qa", "msrvtt-qa", "acc", 42.1, baseline=True),
    _n("ALPRO", "qa", "msvd-qa", "acc", 45.9, baseline=True),
    _n("TSP", "tal", "activitynet", "avg_mAP", 35.8, baseline=True),
)

# Table 6's columns, as (task, kind, metric).
TABLE6_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("retrieval_zs", "msrvtt", "t2v_R@1"),
    ("qa", "msvd-qa", "acc"),
    ("action_linear", "ucf101", "top1"),
    ("tal", "activitynet", "avg_mAP"),
)


def _row(contrast: bool, ground: bool, temporal: bool, *values: float | None) -> PaperAblationRow:
    return PaperAblationRow(contrast, ground, temporal, MappingProxyType(dict(zip(TABLE6_COLUMNS, values,
                                                                                    strict=True))))


PAPER_ABLATION: tuple[PaperAblationRow, ...] = (
    _row(True, False, False, 22.7, 43.6, 90.5, 33.7),
    _row(True, True, False, 23.3, 44.1, None, None),
    _row(True, False, True, 24.2, None, 90.9, 34.0),
    _row(True, True, True, 24.7, 44.9, None, 34.2),
)


def paper_numbers(which: str = "all") -> tuple[PaperNumber, ...]:
    """`all` (S-ViLM and the baselines the paper compares with), `svilm` (S-ViLM only) or `none`."""
    if which == "none":
        return ()
    if which == "svilm":
        return tuple(p for p in PAPER_NUMBERS if not p.baseline)
    return PAPER_NUMBERS
