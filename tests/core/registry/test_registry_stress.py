"""Many writers at once, and a writer killed inside a transaction."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import text

from core.registry import EvalResult, Registry, Run, RunStatus

WRITERS = 16
RUNS_PER_WRITER = 8
RESULTS_PER_RUN = 5


def _write_rows(url: str, writer: int) -> None:
    reg = Registry(url)
    for i in range(RUNS_PER_WRITER):
        run = reg.create_run(Run(recipe="pretrain", config_name="tiny", name=f"w{writer}-{i}"))
        reg.set_run_status(run.id, RunStatus.RUNNING)
        reg.add_results(
            {"run_id": run.id, "task": "retrieval", "dataset": "d", "split": "test", "metric": f"m{k}", "value": k}
            for k in range(RESULTS_PER_RUN)
        )
        reg.set_run_status(run.id, RunStatus.FINISHED)
    reg.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sixteen_concurrent_writers_lose_nothing(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'r.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    Registry(url).close()  # create the schema once, as `sviml` would on first use
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_write_rows, args=(url, w)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS, "a writer failed (database is locked?)"
    reg = Registry(url)
    assert reg.count(Run) == WRITERS * RUNS_PER_WRITER
    assert reg.count(EvalResult) == WRITERS * RUNS_PER_WRITER * RESULTS_PER_RUN
    assert {r.status for r in reg.list_runs()} == {"finished"}


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from core.registry import Registry, Run
    reg = Registry(sys.argv[1])
    run = reg.create_run(Run(recipe="pretrain", config_name="tiny"))
    print(run.id, flush=True)
    while True:  # batches of 50 rows, each in its own transaction, until killed
        reg.add_results(
            {"run_id": run.id, "task": "t", "dataset": "d", "split": "s", "metric": f"m{k}", "value": k}
            for k in range(50)
        )
    """
)


def test_writer_killed_inside_a_transaction_leaves_a_consistent_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    Registry(url).close()
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, url], stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    reg = Registry(url)
    deadline = time.monotonic() + 60
    while reg.count(EvalResult) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # most likely mid-transaction: it never stops writing
    proc.wait()
    reg.close()

    reg = Registry(url)
    with reg._reader.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    written = reg.count(EvalResult)
    assert written >= 500 and written % 50 == 0  # whole transactions only
    run = reg.list_runs()[0]
    reg.add_results([{"run_id": run.id, "task": "t", "dataset": "d", "split": "s", "metric": "x", "value": 1}])
    assert reg.count(EvalResult) == written + 1
