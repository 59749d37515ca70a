"""Footnotes name how the towers were initialised and the negatives per contrastive loss, when recorded."""

from __future__ import annotations

from core.model.initialization import describe_initialization
from core.report.footnotes import describe_protocol, protocol_key


def test_initialisation_line() -> None:
    init = {"video": {"source": "google/vit-base-patch16-224-in21k", "format": "transformers", "inflate": "average"},
            "text": {"source": "bert-base-uncased", "format": "bert", "inflate": None}}
    assert describe_initialization(init) == (
        "init [choice: the paper names none]: video from google/vit-base-patch16-224-in21k (transformers, average "
        "inflation); text from bert-base-uncased (bert)")
    assert describe_initialization({"video": {"source": None}, "text": {}}) == (
        "init [choice: the paper names none]: video random; text random")


def test_footnote_with_and_without_pretraining_facts() -> None:
    old = {"frames": 8, "views": 1, "head": "zero-shot"}
    assert describe_protocol(protocol_key(old, "test")) == "measured: 8 frames, 1 view, split test, head zero-shot"
    new = {**old, "init": "init [choice: the paper names none]: video random; text random", "negatives": 1024}
    assert protocol_key(new, "test") != protocol_key(old, "test")  # different footnotes
    assert describe_protocol(protocol_key(new, "test")) == (
        "measured: 8 frames, 1 view, split test, head zero-shot; init [choice: the paper names none]: video random; "
        "text random; 1024 negatives per contrastive loss in pre-training")
