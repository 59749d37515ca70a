"""The MLflow mirror against real MLflow stores (a file store and a SQLite store), and bad URIs."""

from __future__ import annotations

import socket

import pytest

from core.errors import UserError
from core.registry import Run

mlflow = pytest.importorskip("mlflow", reason="the mlflow extra is not installed (pip install -e .[mlflow])")

from core.mirror.mlflow import MlflowMirror, mlflow_name  # noqa: E402


@pytest.fixture
def finished_run(registry, settings):
    """A finished run with training scalars, an export folder, results, tags and a note."""
    from torch.utils.tensorboard import SummaryWriter

    run_dir = settings.run_dir("r1")
    writer = SummaryWriter(str(run_dir / "tb"))
    for step in range(1, 6):
        writer.add_scalar("train/loss", 5.0 - step * 0.5, step)
        writer.add_scalar("perf/clips_per_s", 10.0 + step, step)
    writer.close()
    export = run_dir / "export"
    export.mkdir(parents=True)
    (export / "model.safetensors").write_bytes(b"w" * 64)
    (export / "config.json").write_text('{"step": 5}')
    registry.create_run(Run(id="r1", name="demo", recipe="pretrain", config_name="tiny", status="finished", step=5,
                            run_dir=str(run_dir), tags={"w_ground": 0.0, "sweep": "lr"}, git_sha="abc123",
                            config={"train": {"lr": 1e-3, "max_steps": 5}, "data": {"datasets": ["synth-pretrain"]}},
                            last_metrics={"loss": 2.5}))
    registry.set_run_status("r1", "finished")
    checkpoint = registry.add_checkpoint(run_id="r1", tag="export", step=5, path=str(export), kind="export",
                                         complete=True)
    registry.add_results([{"run_id": "r1", "checkpoint_id": checkpoint.id, "task": "retrieval_zs",
                           "dataset": "synth-msrvtt", "split": "test", "metric": "t2v_R@1", "value": 16.5}])
    registry.add_note("r1", "first try")
    return run_dir


def test_metric_names_mlflow_accepts():
    assert mlflow_name("eval/retrieval_zs/synth-msrvtt/t2v_R@1") == "eval/retrieval_zs/synth-msrvtt/t2v_R_at_1"
    assert mlflow_name("train/loss (x)") == "train/loss _x_"


@pytest.mark.parametrize("store", ["file", "sqlite"])
def test_export_creates_then_updates_one_mlflow_run(registry, finished_run, tmp_path, store):
    from mlflow.tracking import MlflowClient

    uri = f"file://{tmp_path / 'mlruns'}" if store == "file" else f"sqlite:///{tmp_path / 'mlflow.db'}"
    [first] = MlflowMirror(registry, uri).export(["r1"])
    assert first.created and first.artifacts and first.params == 3
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(first.mlflow_run_id)
    assert run.data.params == {"train.lr": "0.001", "train.max_steps": "5", "data.datasets": '["synth-pretrain"]'}
    assert run.data.metrics["eval/retrieval_zs/synth-msrvtt/t2v_R_at_1"] == 16.5
    assert run.data.metrics["final/loss"] == 2.5 and run.data.metrics["train/loss"] == 2.5
    history = client.get_metric_history(first.mlflow_run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(s, 5.0 - s * 0.5) for s in range(1, 6)]
    tags = run.data.tags
    assert tags["sviml.run_id"] == "r1" and tags["sweep"] == "lr" and tags["w_ground"] == "0.0"
    assert tags["mlflow.runName"] == "demo" and tags["mlflow.note.content"].endswith("first try")
    assert run.info.status == "FINISHED" and run.info.end_time is not None
    assert sorted(a.path for a in client.list_artifacts(first.mlflow_run_id, "export")) == [
        "export/config.json", "export/model.safetensors"]
    # Artifacts live with the store (MLflow's default for a database store is ./mlruns wherever it runs).
    stored = list((tmp_path / ("mlruns" if store == "file" else "mlartifacts")).rglob("export/model.safetensors"))
    assert len(stored) == 1 and stored[0].read_bytes() == b"w" * 64

    # A second export, after a new result and a new tag, updates the same run and duplicates nothing.
    registry.replace_results("r1", "retrieval_zs", "synth-msrvtt", [
        {"run_id": "r1", "task": "retrieval_zs", "dataset": "synth-msrvtt", "split": "test", "metric": "t2v_R@1",
         "value": 18.0}])
    registry.set_tags("r1", {"owner": "ana"})
    [second] = MlflowMirror(registry, uri).export(["r1"])
    assert second.mlflow_run_id == first.mlflow_run_id and not second.created and not second.artifacts
    assert second.params == 0 and second.metrics == 1  # only the changed result
    experiment = client.get_experiment_by_name("sviml")
    assert len(client.search_runs([experiment.experiment_id])) == 1
    run = client.get_run(first.mlflow_run_id)
    assert run.data.metrics["eval/retrieval_zs/synth-msrvtt/t2v_R_at_1"] == 18.0 and run.data.tags["owner"] == "ana"
    assert len(client.get_metric_history(first.mlflow_run_id, "train/loss")) == 5


def test_a_server_that_does_not_answer_is_one_line(registry, finished_run):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UserError, match=f"MLflow tracking server http://127.0.0.1:{port} does not answer"):
        MlflowMirror(registry, f"http://127.0.0.1:{port}")
