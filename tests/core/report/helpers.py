"""Known registry contents for the report tests (and the CLI test): runs, results, eval files, TB logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from core.registry import Run

ZS = {"frames": 8, "views": 1, "split": "test", "head": "zero-shot", "head_run": None, "dataset_kind": "msrvtt",
      "annotation_hash": "a" * 64, "checkpoint": "/ckpt/step_0000010"}
QA = {"frames": 8, "views": 1, "split": "test", "head": "fusion transformer (2 layers)", "dataset_kind": "msvd-qa",
      "annotation_hash": "b" * 64, "checkpoint": "/ckpt/step_0000010", "chance": 2.0}


def config(lr: float, w_ground: float = 1.0, w_temporal: float = 1.0, description: str = "x") -> dict[str, Any]:
    return {
        "description": description,
        "model": {"preset": "tiny", "video": {"depth": 2}},
        "loss": {"w_contrast": 1.0, "w_ground": w_ground, "w_temporal": w_temporal},
        "data": {"datasets": ["synth-pretrain"]},
        "train": {"lr": lr, "batch_size": 8},
    }


def result(run_id: str, task: str, dataset: str, metric: str, value: float, protocol: dict, n: int = 100) -> dict:
    return {"run_id": run_id, "task": task, "dataset": dataset, "split": "test", "metric": metric, "value": value,
            "n": n, "protocol": {**protocol, "chance": protocol.get("chance", 1.0)}}


def fill_known(registry, home: Path) -> dict[str, str]:
    """Two pre-training runs `a` and `b` (differ only in train.lr and description), a head run, a run
    without results. Returns {"a": id, "b": id, ...}."""
    ids = {}
    for key, lr in (("a", 1e-3), ("b", 3e-4)):
        run_dir = home / "runs" / f"run-{key}"
        run = registry.create_run(Run(
            id=f"run-{key}", name=f"sweep-{key}", recipe="pretrain", config_name="tiny",
            config=config(lr, description=f"desc {key}"), tags={"w_contrast": 1.0, "w_ground": 1.0, "w_temporal": 1.0},
            seed=0, status="finished", run_dir=str(run_dir),
        ))
        ids[key] = run.id
    ids["head"] = registry.create_run(Run(id="run-head", name="qa-head", recipe="finetune_qa", config_name="qa",
                                      parent_id=ids["a"], status="finished")).id
    ids["empty"] = registry.create_run(Run(id="run-empty", name="sweep-empty", recipe="pretrain", config_name="tiny",
                                       config=config(1e-3), status="running")).id
    a, b = ids["a"], ids["b"]
    registry.add_results([
        result(a, "retrieval_zs", "synth-msrvtt", "t2v_R@1", 12.0, ZS),
        result(a, "retrieval_zs", "synth-msrvtt", "t2v_R@10", 40.0, ZS),
        result(a, "retrieval_zs", "synth-msrvtt", "t2v_MdR", 5.0, ZS),
        result(a, "retrieval_zs", "msrvtt", "t2v_R@1", 20.0, ZS),
        result(a, "qa", "synth-msvd-qa", "acc", 0.0, QA),
        result(b, "retrieval_zs", "synth-msrvtt", "t2v_R@1", 15.0, ZS),
        result(b, "retrieval_zs", "synth-msrvtt", "t2v_R@10", 38.0, ZS),
        result(b, "retrieval_zs", "synth-msrvtt", "t2v_MdR", 4.0, ZS),
    ])
    return ids


def write_tb(tb_dir: Path, steps: int = 20, scale: float = 1.0) -> None:
    """A TensorBoard event file with the training loss scalars, written without torch."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(tb_dir))
    for step in range(1, steps + 1):
        values = {"train/loss": 3.0 * scale / step, "train/loss_contrast": 1.5 * scale / step,
                  "train/loss_ground": 1.0 * scale / step, "train/loss_temporal": 0.5 * scale / step}
        summary = Summary(value=[Summary.Value(tag=tag, simple_value=v) for tag, v in values.items()])
        writer.add_event(Event(step=step, wall_time=1.0e9 + step, summary=summary))
    writer.close()


def write_eval_files(run_dir: Path, seed: int = 0) -> None:
    """eval/retrieval_zs.json (rank lists), eval/tal.json (PR curves), eval/grounding.json + .npz."""
    rng = np.random.default_rng(seed)
    eval_dir = run_dir / "eval"
    eval_dir.mkdir(parents=True, exist_ok=True)
    ranks = (rng.geometric(0.2, size=100)).clip(1, 100).tolist()
    (eval_dir / "retrieval_zs.json").write_text(json.dumps({"task": "retrieval_zs", "datasets": {"synth-msrvtt": {
        "metrics": {"t2v_R@1": 12.0}, "protocol": ZS, "details": {"ranks_t2v": ranks, "ranks_v2t": ranks[::-1]}}}}))
    recall = np.linspace(0, 1, 20)
    pr = {t: {"precision": (1 - recall * float(t)).tolist(), "recall": recall.tolist()} for t in ("0.50", "0.75", "0.95")}
    (eval_dir / "tal.json").write_text(json.dumps({"task": "tal", "datasets": {"synth-anet": {
        "metrics": {"avg_mAP": 10.0}, "protocol": {}, "details": {"pr": pr}}}}))
    v, nt, t, h, w = 2, 4, 8, 32, 32
    maps = np.zeros((v, nt, h // 8, w // 8), dtype=np.uint8)
    maps[:, :, :, 2:] = 1
    maps[:, 2:, 2:, :] = 2
    frames = rng.integers(0, 255, size=(v, t, h, w, 3), dtype=np.uint8)
    np.savez(eval_dir / "grounding_maps.npz", maps=maps, frames=frames, num_groups=np.array(3))
    (eval_dir / "grounding.json").write_text(json.dumps({"task": "grounding", "datasets": {"synth-msrvtt": {
        "metrics": {"group_object_iou": 30.0}, "protocol": {}, "details": {"assignment_maps": "grounding_maps.npz"}}}}))
