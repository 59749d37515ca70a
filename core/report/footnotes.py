"""Footnotes: one per distinct protocol, so that no number stands without how it was measured.

A measured number's protocol is (frames, views, split, head, and for pre-trained weights that
recorded them: the initialisation of the towers and the negatives per contrastive loss), taken
from its result's `protocol`; a paper number's is the paper's own note. Numbers are assigned in the order cells
are met, so footnote 1 belongs to the first number a reader sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.report.table_model import MEASURED, Footnote


def _plural(value: Any, word: str) -> str:
    if value is None:
        return f"{word}s ?"
    return f"{value} {word}" + ("" if str(value) == "1" else "s")


def protocol_key(protocol: Mapping[str, Any], split: str | None = None) -> tuple[str, ...]:
    """The fields that make two measured numbers comparable: frames, views, split (with the dataset's
    split variant when it has one: MSR-VTT's 9k / 7k / full, UCF101's split 2, ...; and how its
    videos were transcoded when `sviml data compress` made them), head, initialisation, negatives per
    contrastive loss (the last two empty for results from before they were recorded)."""
    name = str(protocol.get("split") or split or "?")
    details = [str(protocol[k]) for k in ("split_variant",) if protocol.get(k)]
    if protocol.get("transcode"):
        details.append(f"videos transcoded: {protocol['transcode']}")
    return (
        str(protocol.get("frames", "?")),
        str(protocol.get("views", "?")),
        f"{name} ({'; '.join(details)})" if details else name,
        str(protocol.get("head") or "?"),
        str(protocol.get("init") or ""),
        str(protocol.get("negatives") or ""),
    )


def describe_protocol(key: tuple[str, ...]) -> str:
    frames, views, split, head, init, negatives = key
    text = (f"measured: {_plural(None if frames == '?' else frames, 'frame')}, "
            f"{_plural(None if views == '?' else views, 'view')}, split {split}, head {head}")
    if init:
        text += f"; {init}"
    if negatives:
        text += f"; {negatives} negatives per contrastive loss in pre-training"
    return text


class FootnoteBook:
    """Hands out one number per distinct footnote text, in order of first use."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str], int] = {}
        self.footnotes: list[Footnote] = []

    def number(self, text: str, source: str = MEASURED) -> int:
        key = (source, text)
        found = self._numbers.get(key)
        if found is None:
            found = len(self.footnotes) + 1
            self._numbers[key] = found
            self.footnotes.append(Footnote(found, text, source))
        return found
