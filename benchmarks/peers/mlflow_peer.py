"""MLflow peer of the recording benchmark.

Run with the *peer venv's* python (see ``benchmarks/_peer_venv.py``), never with kgrepo's own
environment: MLflow is not installed there.

It records representative runs into MLflow with a local SQLite tracking URI in a temporary
directory, through the fastest synchronous MLflow API (``MlflowClient`` straight onto the
tracking store; no fluent ``mlflow.start_run`` context, no async logging), and reports the
wall-clock latency of each whole run in seconds.

The representative run is the same one the kgrepo side records:

* a parent run (the workflow run) with 3 nested child runs (the steps ``prepare``, ``train``,
  ``evaluate``; nesting through the ``mlflow.parentRunId`` tag, as ``mlflow.start_run(nested=True)``
  does);
* 10 hyperparameters: ``seed`` and ``folds`` on the parent (the run's config), 8 on ``train``;
* 5 metrics on ``evaluate``;
* 4 artifacts, as 4 dataset inputs (``MlflowClient.log_inputs``): ``raw`` used by prepare,
  ``clean`` used by train, ``test`` and the model ``svc`` used by evaluate (MLflow has no cheaper
  way to record the model as an artifact of the run than a dataset input);
* the trigger (cause, by, reason) and the environment (python, platform, host) as tags of the
  parent run; step kind and executable (name, version, digest) as tags of each child run;
* every run is ended with ``set_terminated`` (status FINISHED).

Calls per run: parent ``create_run`` + ``log_batch`` + ``set_terminated``; per child
``create_run`` + ``log_batch`` + ``log_inputs`` + ``set_terminated``: 15 tracking-store
transactions in all.

Two modes:

``--runs N [--warmup W]``
    records W warm-up runs (not reported) then N timed runs, prints one JSON object on stdout.
``--serve``
    line protocol for interleaving from the benchmark driver: after start-up (store created,
    experiment created) it prints ``{"ready": true, ...}``; then for every line ``run K`` on stdin
    it records K runs and prints ``{"latencies": [...]}``; ``quit`` (or EOF) ends it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import socket
import sys
import tempfile
import time
import uuid

# Make sure nothing goes async or remote: synchronous logging, and MLflow 3's usage telemetry off
# (it would wrap every client call and try to send records over the network).
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
logging.getLogger("mlflow").setLevel(logging.WARNING)
logging.getLogger("alembic").setLevel(logging.WARNING)

import mlflow  # noqa: E402
from mlflow.entities import (  # noqa: E402
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
)
from mlflow.tracking import MlflowClient  # noqa: E402

PARAMS_RUN = {"seed": 1, "folds": 5}
PARAMS_TRAIN = {
    "C": 1.0,
    "kernel": "rbf",
    "gamma": "scale",
    "degree": 3,
    "tol": 0.001,
    "max_iter": 1000,
    "shrinking": True,
    "class_weight": "balanced",
}
METRICS = {"accuracy": 0.97, "precision": 0.95, "recall": 0.96, "f1": 0.955, "roc_auc": 0.99}


class Peer:
    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.uri = "sqlite:///" + os.path.join(workdir, "mlflow.db")
        self.client = MlflowClient(tracking_uri=self.uri)
        self.experiment_id = self.client.create_experiment(
            "bench",
            artifact_location="file://" + os.path.join(workdir, "artifacts"),
            tags={"goal": "benchmark"},
        )
        self.env_tags = {
            "env.python": platform.python_version(),
            "env.platform": platform.platform(),
            "env.host": socket.gethostname(),
        }
        self.count = 0

    def _child(
        self,
        parent_id: str,
        name: str,
        kind: str,
        executable: tuple[str, str, str | None],
        params: dict,
        metrics: dict,
        inputs: list[tuple[Dataset, str]],
    ) -> None:
        c = self.client
        now = int(time.time() * 1000)
        tags = {
            "mlflow.parentRunId": parent_id,
            "step.kind": kind,
            "executable.name": executable[0],
            "executable.version": executable[1],
        }
        if executable[2]:
            tags["executable.digest"] = executable[2]
        child = c.create_run(self.experiment_id, start_time=now, tags=tags, run_name=name)
        rid = child.info.run_id
        if inputs:
            c.log_inputs(
                rid,
                datasets=[
                    DatasetInput(ds, tags=[InputTag("mlflow.data.context", ctx)])
                    for ds, ctx in inputs
                ],
            )
        if params or metrics:
            c.log_batch(
                rid,
                params=[Param(k, str(v)) for k, v in params.items()],
                metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()],
                synchronous=True,
            )
        c.set_terminated(rid, status="FINISHED")

    def record_one(self) -> None:
        c = self.client
        i = self.count
        self.count += 1
        u = uuid.uuid4().hex
        raw = Dataset(
            "raw", digest=f"sha256:raw{i}", source_type="local", source="file:///data/raw.csv"
        )
        clean = Dataset(
            "clean", digest=f"sha256:clean{i}", source_type="local", source="file:///data/clean.csv"
        )
        test = Dataset(
            "test", digest=f"sha256:test{i}", source_type="local", source="file:///data/test.csv"
        )
        model = Dataset(
            "svc", digest=f"model{u[:12]}", source_type="local", source="file:///models/svc"
        )
        tags = {
            "trigger.cause": "schedule",
            "trigger.by": "airflow",
            "trigger.reason": "nightly",
            **self.env_tags,
        }
        parent = c.create_run(
            self.experiment_id, start_time=int(time.time() * 1000), tags=tags, run_name=f"run-{i}"
        )
        pid = parent.info.run_id
        c.log_batch(pid, params=[Param(k, str(v)) for k, v in PARAMS_RUN.items()], synchronous=True)
        self._child(
            pid, "prepare", "transform", ("prep.py", "1.0", "sha256:ab12"), {}, {}, [(raw, "input")]
        )
        self._child(
            pid,
            "train",
            "train",
            ("train.py", "1.0", None),
            PARAMS_TRAIN,
            {},
            [(clean, "training")],
        )
        self._child(
            pid,
            "evaluate",
            "evaluate",
            ("eval.py", "1.0", None),
            {},
            METRICS,
            [(model, "model"), (test, "evaluation")],
        )
        c.set_terminated(pid, status="FINISHED")

    def timed(self, n: int) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.record_one()
            out.append(time.perf_counter() - t0)
        return out


def _set_synchronous(mode: str) -> None:
    """Sets ``PRAGMA synchronous`` on every new SQLite connection (before MLflow opens any)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragma(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA synchronous={mode}")
        cursor.close()


def _meta(peer: Peer) -> dict:
    import sqlalchemy

    return {
        "mlflow": mlflow.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "python": platform.python_version(),
        "tracking_uri": "sqlite:///<tmp>/mlflow.db",
        "calls_per_run": 15,
        "api": "MlflowClient.create_run/log_batch/log_inputs/set_terminated (synchronous)",
        "telemetry_disabled": True,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (prints its path)")
    ap.add_argument(
        "--sqlite-synchronous",
        choices=["default", "OFF", "NORMAL", "FULL"],
        default="default",
        help="PRAGMA synchronous on every SQLite connection (default: SQLite's own, FULL: an "
        "fsync per commit). OFF makes MLflow as durable as an Oxigraph write (no fsync).",
    )
    args = ap.parse_args(argv)
    if args.sqlite_synchronous != "default":
        _set_synchronous(args.sqlite_synchronous)

    workdir = tempfile.mkdtemp(prefix="kgrepo-bench-mlflow-")
    try:
        t0 = time.perf_counter()
        peer = Peer(workdir)
        peer.timed(args.warmup)
        setup = time.perf_counter() - t0
        meta = _meta(peer)
        meta["setup_s"] = setup
        meta["warmup"] = args.warmup
        meta["sqlite_synchronous"] = args.sqlite_synchronous
        if not args.serve:
            lat = peer.timed(args.runs)
            print(json.dumps({**meta, "latencies": lat}))
            return 0
        print(json.dumps({"ready": True, **meta}), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd:
                continue
            if cmd[0] == "quit":
                break
            if cmd[0] == "run":
                k = int(cmd[1]) if len(cmd) > 1 else 1
                print(json.dumps({"latencies": peer.timed(k)}), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {cmd[0]!r}"}), flush=True)
        return 0
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
