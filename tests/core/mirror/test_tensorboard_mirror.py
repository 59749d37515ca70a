"""Results and HParams in each run's TensorBoard log, read back with TensorBoard's own readers."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from core.mirror.tensorboard import mirror_runs
from core.registry import Run


def _read(folder: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0})
    accumulator.Reload()
    return accumulator


def _hparams(accumulator: EventAccumulator) -> dict[str, plugin_data_pb2.HParamsPluginData]:
    return {tag: plugin_data_pb2.HParamsPluginData.FromString(content)
            for tag, content in accumulator.PluginTagToContent("hparams").items()}


def test_results_and_hparams_land_in_the_runs_log(registry, settings):
    run_dir = settings.run_dir("r1")
    run_dir.mkdir(parents=True)
    registry.create_run(Run(id="r1", name="demo", recipe="pretrain", config_name="small", status="finished", step=40,
                            run_dir=str(run_dir), tags={"w_ground": 0.0, "sweep": "lr"},
                            config={"train": {"lr": 1e-4, "max_steps": 40}, "data": {"datasets": ["synth-pretrain"]}},
                            last_metrics={"loss": 2.5, "lr": 1e-5}))
    export = registry.add_checkpoint(run_id="r1", tag="export", step=30, path=str(run_dir / "export"), kind="export",
                                     complete=True)
    registry.add_results([
        {"run_id": "r1", "checkpoint_id": export.id, "task": "retrieval_zs", "dataset": "synth-msrvtt",
         "split": "test", "metric": "t2v_R@1", "value": 16.5},
        {"run_id": "r1", "checkpoint_id": None, "task": "grounding", "dataset": "synth-msrvtt", "split": "test",
         "metric": "group_object_iou", "value": 27.9},
    ])
    [folder] = mirror_runs(registry, ["r1"])
    assert folder == run_dir / "tb" / "eval"
    accumulator = _read(folder)
    scalars = {tag: [(e.step, round(e.value, 4)) for e in accumulator.Scalars(tag)]
               for tag in accumulator.Tags()["scalars"]}
    assert scalars == {"eval/retrieval_zs/synth-msrvtt/t2v_R@1": [(30, 16.5)],  # the export's step
                       "eval/grounding/synth-msrvtt/group_object_iou": [(40, 27.9)],  # the run's last step
                       "final/loss": [(40, 2.5)], "final/lr": [(40, 0.0)]}
    plugin = _hparams(accumulator)
    start = plugin["_hparams_/session_start_info"].session_start_info
    values = {key: value.WhichOneof("kind") and getattr(value, value.WhichOneof("kind"))
              for key, value in start.hparams.items()}
    assert values["train.lr"] == 1e-4 and values["run.name"] == "demo" and values["tag.sweep"] == "lr"
    assert values["data.datasets"] == '["synth-pretrain"]' and values["tag.w_ground"] == 0.0
    experiment = plugin["_hparams_/experiment"].experiment
    assert {info.name.tag for info in experiment.metric_infos} == set(scalars)

    # A new evaluation rewrites the view whole: no stale point stays behind.
    registry.replace_results("r1", "grounding", "synth-msrvtt", [])
    mirror_runs(registry, ["r1"])
    assert "eval/grounding/synth-msrvtt/group_object_iou" not in _read(folder).Tags()["scalars"]
    assert [p.name for p in (run_dir / "tb").iterdir()] == ["eval"]


def test_a_run_without_a_folder_is_skipped(registry):
    registry.create_run(Run(id="x", recipe="external", config_name="x", status="finished"))
    assert mirror_runs(registry, ["x"]) == []
