"""An MLflow mirror of sviml runs (the optional `mlflow` extra: `pip install -e .[mlflow]`).

One MLflow run per sviml run, found again by its `sviml.run_id` tag, so that a second export
updates instead of duplicating: parameters from the flattened config (new keys only: MLflow's
parameters never change), metrics from the results (`eval/<task>/<dataset>/<metric>` at the
evaluated checkpoint's step; logged again only when the value changed) and the training scalars
with their steps (only the steps after those already exported), the run's tags, notes as its
description, its status and times, and the export folder as the artifact `export/` (uploaded again
only when the run has a newer export).

MLflow metric names take letters, digits and `_ - . / : space`: `@` becomes `_at_` (`t2v_R@1` ->
`t2v_R_at_1`), anything else `_`. A file store (`file:` URI or a plain path) is in maintenance mode
in MLflow 3, which refuses it unless `MLFLOW_ALLOW_FILE_STORE=true`: asking for one here sets it.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import UserError
from core.mirror.run_view import MetricPoint, final_metrics, params_of, result_metrics, training_scalars

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from core.registry import Registry

INSTALL_HINT = "the MLflow mirror needs the mlflow extra: pip install -e .[mlflow]"
RUN_ID_TAG = "sviml.run_id"
EXPORTED_STEP_TAG = "sviml.exported_train_step"
ARTIFACT_TAG = "sviml.exported_weights"  # the export folder uploaded as `export/`
NOTE_TAG = "mlflow.note.content"
STATUSES = {"finished": "FINISHED", "failed": "FAILED", "interrupted": "KILLED", "running": "RUNNING",
            "pending": "SCHEDULED"}
ENDED = ("finished", "failed", "interrupted")
PARAM_CHARS = 6000  # MLflow's limit on a parameter value
BATCH = 1000  # MLflow's limit on metrics per log_batch call
PARAMS_BATCH = TAGS_BATCH = 100


def mlflow_name(name: str) -> str:
    """A metric or parameter name MLflow accepts (`@` -> `_at_`, other odd characters -> `_`)."""
    return re.sub(r"[^\w./\-: ]", "_", name.replace("@", "_at_"))


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class ExportedRun:
    run_id: str
    mlflow_run_id: str
    created: bool
    params: int
    metrics: int
    artifacts: bool


def _is_file_store(uri: str) -> bool:
    return uri.startswith("file:") or "://" not in uri and not uri.startswith(("databricks", "sqlite:"))


def open_client(uri: str) -> MlflowClient:
    """A client for `uri`; an absent extra or a server that does not answer is a `UserError`."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError as err:
        raise UserError(INSTALL_HINT) from err
    if _is_file_store(uri):
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # asked for explicitly: see the module docstring
    if uri.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=10):
                pass
        except urllib.error.HTTPError:
            pass  # it answered
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise UserError(f"MLflow tracking server {uri} does not answer: {reason}") from err
    try:
        return MlflowClient(tracking_uri=uri)
    except MlflowException as err:
        raise UserError(f"MLflow tracking URI {uri}: {err.message}") from err


def artifact_location(uri: str, experiment: str) -> str | None:
    """Where a new experiment keeps its artifacts: beside a SQLite store's file (MLflow's default for a
    database store is `./mlruns` in whatever folder the command runs from); elsewhere MLflow's choice
    (inside a file store; the server's for a tracking server)."""
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return None
    return (Path(uri[len(prefix):]).resolve().parent / "mlartifacts" / experiment).as_uri()


def _existing_runs(client: MlflowClient, experiment_id: str) -> dict[str, Any]:
    """sviml run id -> the MLflow run that mirrors it, over every page of the experiment's runs."""
    found: dict[str, Any] = {}
    token = None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        for run in page:
            sviml_id = run.data.tags.get(RUN_ID_TAG)
            if sviml_id and sviml_id not in found:
                found[sviml_id] = run
        token = page.token
        if not token:
            return found


def _tags(record: dict[str, Any], notes: list[str]) -> dict[str, str]:
    tags = {RUN_ID_TAG: record["id"], "sviml.recipe": record["recipe"], "sviml.config": record["config_name"],
            "sviml.status": record["status"], "mlflow.runName": record["name"] or record["id"]}
    for key, value in (("sviml.parent_id", record.get("parent_id")), ("sviml.git_sha", record.get("git_sha")),
                       ("mlflow.source.git.commit", record.get("git_sha"))):
        if value:
            tags[key] = value
    tags.update({mlflow_name(key): str(value) for key, value in (record.get("tags") or {}).items()})
    if notes:
        tags[NOTE_TAG] = "\n".join(notes)
    return tags


class MlflowMirror:
    """Exports sviml runs into one MLflow experiment."""

    def __init__(self, registry: Registry, uri: str, experiment: str = "sviml"):
        from mlflow.exceptions import MlflowException

        self.registry = registry
        self.client = open_client(uri)
        self.uri = uri
        try:
            found = self.client.get_experiment_by_name(experiment)
            self.experiment_id = found.experiment_id if found else self.client.create_experiment(
                experiment, artifact_location=artifact_location(uri, experiment))
            self.existing = _existing_runs(self.client, self.experiment_id)
        except MlflowException as err:
            raise UserError(f"MLflow at {uri}: {err.message}") from err
        except Exception as err:  # noqa: BLE001 - a URI the user gave that MLflow cannot use: one line
            raise UserError(f"MLflow at {uri}: {type(err).__name__}: {err}") from err

    def export(self, run_ids: Iterable[str], advance: Callable[[], None] | None = None) -> list[ExportedRun]:
        done = []
        for run_id in run_ids:
            done.append(self.export_one(run_id))
            if advance is not None:
                advance()
        return done

    def export_one(self, run_id: str) -> ExportedRun:
        from mlflow.entities import Metric, Param, RunTag

        record = self.registry.require_run(run_id).model_dump()
        notes = [f"{note.created:%Y-%m-%d %H:%M} {note.text}" for note in self.registry.notes([run_id]).get(run_id, [])]
        tags = _tags(record, notes)
        mirror = self.existing.get(run_id)
        created = mirror is None
        if mirror is None:
            mirror = self.client.create_run(self.experiment_id, start_time=_ms(record["created"].timestamp()),
                                            tags=tags, run_name=tags["mlflow.runName"])
            self.existing[run_id] = mirror
        mlflow_id = mirror.info.run_id
        old_params, old_metrics, old_tags = mirror.data.params, mirror.data.metrics, mirror.data.tags
        params = [Param(mlflow_name(k), str(v)[:PARAM_CHARS]) for k, v in params_of(record["config"] or {}).items()
                  if mlflow_name(k) not in old_params]
        for chunk in _chunks(params, PARAMS_BATCH):
            self.client.log_batch(mlflow_id, params=list(chunk))
        metrics = [Metric(mlflow_name(p.name), p.value, _ms(p.timestamp_s), p.step)
                   for p in self._summary_points(record) if old_metrics.get(mlflow_name(p.name)) != p.value]
        exported_step = int(old_tags.get(EXPORTED_STEP_TAG, -1))
        last_step = exported_step
        # Reading a TensorBoard log is most of an update's cost: skip it when no step can be new.
        fresh = record["run_dir"] and exported_step < (record["step"] or 0)
        for tag, points in training_scalars(Path(record["run_dir"])).items() if fresh else ():
            for step, value, wall_time in points:
                if step > exported_step:
                    metrics.append(Metric(mlflow_name(tag), value, _ms(wall_time), step))
                    last_step = max(last_step, step)
        for chunk in _chunks(metrics, BATCH):
            self.client.log_batch(mlflow_id, metrics=list(chunk))
        tags[EXPORTED_STEP_TAG] = str(last_step)
        artifacts = self._log_export(run_id, mlflow_id, old_tags.get(ARTIFACT_TAG))
        if artifacts:
            tags[ARTIFACT_TAG] = artifacts
        for chunk in _chunks([RunTag(k, v) for k, v in tags.items() if old_tags.get(k) != v], TAGS_BATCH):
            self.client.log_batch(mlflow_id, tags=list(chunk))
        status = STATUSES.get(record["status"], "RUNNING")
        end_time = _ms(record["ended"].timestamp()) if record.get("ended") is not None else None
        if (mirror.info.status, mirror.info.end_time) != (status, end_time) or created:
            if record["status"] in ENDED and end_time is not None:
                self.client.set_terminated(mlflow_id, status=status, end_time=end_time)
            else:
                self.client.update_run(mlflow_id, status=status)
        return ExportedRun(run_id, mlflow_id, created, len(params), len(metrics), bool(artifacts))

    def _summary_points(self, record: dict[str, Any]) -> list[MetricPoint]:
        checkpoints = self.registry.list_checkpoints(record["id"])
        steps = {c.id: c.step for c in checkpoints if c.id is not None}
        results = self.registry.query_results(run_ids=[record["id"]])
        ended = record.get("ended") or record.get("heartbeat") or record["created"]
        return [*result_metrics(results, steps, record["step"] or 0),
                *final_metrics(record.get("last_metrics"), record["step"] or 0, ended.timestamp())]

    def _log_export(self, run_id: str, mlflow_id: str, uploaded: str | None) -> str | None:
        """Upload the run's newest export folder as `export/` unless this one is there already;
        returns what was uploaded (`path@step`), or None."""
        export = self.registry.newest_checkpoint(run_id, kind="export")
        if export is None or not Path(export.path).is_dir():
            return None
        what = f"{export.path}@{export.step}"
        if what == uploaded:
            return None
        self.client.log_artifacts(mlflow_id, export.path, artifact_path="export")
        return what
