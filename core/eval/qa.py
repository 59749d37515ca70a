"""Open-ended video QA (MSRVTT-QA, MSVD-QA and their synthetic twins): top-1 accuracy of a fine-tuned head.

Shape letters: N test questions, A answers in the vocabulary.

The head run (`finetune_qa`, reused or trained by `core.eval.heads`) carries its answer vocabulary;
test answers outside it stay in the denominator and count as wrong. Questions on unreadable videos
are answered from zero frames (they count, and `coverage` says how many there were).
Chance: the accuracy of always giving the most frequent train answer (the answer prior alone).
The protocol also records `question_prior`, a blind baseline that answers from the question's
first three words alone: what the head scores above it comes from the video.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.eval.context import EvalContext
from core.eval.features import eval_loader, outputs_by_index
from core.eval.heads import head_export, head_protocol, head_run_for
from core.eval.outcome import EvalOutcome

if TYPE_CHECKING:
    from core.heads.qa import QAModel

RECIPE = "finetune_qa"
SPLIT = "test"


def predict(module: QAModel, loader: Iterable[dict[str, Any]], device: torch.device, count: int,
            progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predicted answer [N], gold answer index [N] with -1 out of vocabulary, valid [N])."""

    def answers(batch: dict[str, Any]) -> dict[str, np.ndarray]:
        logits = module.logits(batch["frames"].to(device), batch["question_ids"].to(device),
                               batch["question_mask"].to(device))  # [B, A]
        return {"pred": logits.argmax(1).cpu().numpy(), "gold": batch["answer_index"].numpy()}

    out = outputs_by_index(loader, count, answers, progress)
    return out["pred"], out["gold"], out["valid"]


def evaluate_qa(ctx: EvalContext, dataset: Any, index: Any) -> EvalOutcome:
    from core.data.tasks.qa import QADataset
    from core.heads.export import load_task_model
    from core.heads.vocab import majority_share, question_prior
    from core.metrics.qa import qa_accuracy
    from core.model.text_encoder import load_tokenizer

    run, timing = head_run_for(ctx, RECIPE, dataset.name)
    t_eval = time.perf_counter()
    module, config = load_task_model(head_export(ctx.registry, run), ctx.device)
    answers = config["answers"]
    towers = module.model
    vcfg = towers.cfg.video
    data = QADataset(index, load_tokenizer(towers.cfg.text), answers, split=SPLIT, num_frames=vcfg.num_frames,
                     size=vcfg.image_size, train=False, max_question_len=towers.cfg.text.caption_len,
                     clip_cache=ctx.clip_cache())
    loader = eval_loader(data, ctx.options.batch_size, ctx.options.workers, data.collate())
    with ctx.progress(f"qa {dataset.name}: questions", len(data)) as advance:
        pred, gold, valid = predict(module, loader, ctx.device, len(data), advance)
    accuracy = qa_accuracy(pred, gold)
    train = index.split(run.config["data"]["split"])
    return EvalOutcome(
        split=SPLIT, metrics={"acc": accuracy}, n=len(data),
        protocol={"frames": vcfg.num_frames, "size": vcfg.image_size, "views": 1,
                  "head": f"fusion transformer ({config['head']['depth']} layers) + answer classifier, fine-tuned",
                  **head_protocol(run), "answers": len(answers), "out_of_vocabulary": float(np.mean(gold < 0)),
                  "question_prior": question_prior(train, data.samples, answers),
                  "coverage": float(valid.mean()) if len(valid) else 0.0},
        chance={"acc": majority_share(train, data.samples, answers)},
        details={"timing": {**timing, "eval_wall_s": round(time.perf_counter() - t_eval, 1)}},
    )
