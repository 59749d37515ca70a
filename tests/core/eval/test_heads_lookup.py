"""Which head run `sviml eval` reuses: same recipe, parent, dataset and starting weights, finished, exported."""

from __future__ import annotations

from pathlib import Path

from core.eval.heads import find_head_run
from core.registry import Run


def _run(registry, run_id: str, *, recipe="finetune_qa", parent="P", dataset="synth-msrvtt-qa", init="/w/export",
         status="finished", steps=150, export=True):
    registry.create_run(Run(id=run_id, name=run_id, recipe=recipe, config_name="small", parent_id=parent, status=status,
                        config={"init": {"run": parent, "checkpoint": init}, "train": {"max_steps": steps}},
                        tags={"dataset": dataset}))
    if export:
        registry.add_checkpoint(run_id=run_id, tag="export", step=steps, path=f"/runs/{run_id}/export", kind="export",
                                complete=True, bytes=1)


def test_find_head_run_matches_everything(registry) -> None:
    registry.create_run(Run(id="P", name="P", recipe="pretrain", config_name="small", status="finished"))
    registry.create_run(Run(id="Q", name="Q", recipe="pretrain", config_name="small", status="finished"))
    _run(registry, "a-old")
    _run(registry, "b-other-dataset", dataset="synth-msvd-qa")
    _run(registry, "c-other-parent", parent="Q")
    _run(registry, "d-other-weights", init="/elsewhere/export")
    _run(registry, "e-failed", status="failed")
    _run(registry, "f-no-export", export=False)
    _run(registry, "g-other-recipe", recipe="finetune_action")
    found = find_head_run(registry, "finetune_qa", "P", Path("/w/export"), "synth-msrvtt-qa")
    assert found is not None and found.id == "a-old"
    _run(registry, "h-newer")
    assert find_head_run(registry, "finetune_qa", "P", Path("/w/export"), "synth-msrvtt-qa").id == "h-newer"
    assert find_head_run(registry, "finetune_qa", "P", Path("/w/export"), "synth-msrvtt-qa", max_steps=3) is None
    assert find_head_run(registry, "finetune_qa", "P", Path("/w/export"), "synth-anet") is None
