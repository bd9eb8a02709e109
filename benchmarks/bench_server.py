"""Server benchmark: recording over REST vs in process, and /sparql vs a raw ``oxigraph serve``.

    python benchmarks/bench_server.py [--seconds 8] [--clients 4] [--out results.json]

Everything on 127.0.0.1, load generator on the same machine, each phase bounded in time.

``in-process recording``
    ``Repository.open(<tmp>)``, one run = start, 2 steps (a dataset in, a model and a metric out,
    3 parameters), end: the baseline of the floor "REST at least half the in-process rate". It
    alternates with the REST recording below in ``--rounds`` short rounds (``--seconds`` each in
    all), so that a slow spell of the machine weighs on both.
``REST recording``
    the same run through ``kgrepo serve`` (embedded store, 1 worker): 4 requests per run
    (``POST /runs``, 2 × ``POST /runs/{run}/steps``, ``POST /runs/{run}/end``) from ``--clients``
    threads, each with its own keep-alive connection; runs/s and p50/p99 per request. The run
    carries this process's environment as ``kgrepo.Client`` sends it: by digest, after a first run
    with it in full (the in-process run captures its own).
``REST recording, whole runs`` and its baseline ``in-process-atomic``
    the same run as an atomic run: in process ``exp.run(atomic=True)`` (one store write at the
    end), over REST one ``POST /runs`` with the final ``status`` and both ``steps``. Both take
    their turn in the same rounds as the two above.
``/sparql lineage query``
    the model-upstream query (``ontology/queries``-style, ``prov:wasGeneratedBy/prov:used``) for one
    model, from ``--clients`` threads, against ``kgrepo serve`` and against ``oxigraph serve
    --union-default-graph`` on a copy of the same store (the ceiling).
``REST recording, remote store`` (``--remote``, on by default)
    the same REST run through ``kgrepo serve --workers 2`` whose store is a real ``oxigraph serve
    --location <tmp>`` on 127.0.0.1 (the shared-store deployment), same clients and time.
``MLflow server`` (``--mlflow``, on by default; ``--no-mlflow`` skips it)
    ``mlflow server`` with SQLite (``--workers 1``, its own venv from ``_peer_venv.py``), started
    first and driven over plain HTTP from ``--clients`` threads, its recording taking its turn in
    the same rounds as kgrepo's (``--seconds`` in all, each form): one run = ``runs/create``,
    ``runs/log-batch`` (the same 7 params and 2 metric values as the kgrepo run: ``seed``, then
    ``C``/``kernel``/``seed`` per step, ``accuracy`` at steps 0 and 1), ``runs/update`` FINISHED;
    then the same run with what kgrepo also records (each step's dataset input via
    ``runs/log-inputs`` and its model as a logged model: ``logged-models`` create, ``runs/outputs``,
    the metric linked to it in ``runs/log-batch``, ``logged-models/{id}`` finalized: 12 requests);
    then, after the rounds, ``runs/search`` (``metrics.accuracy > 0.5``, 50 results) next to the
    ``/sparql`` lineage query. The ratios kgrepo REST runs/s / MLflow runs/s are from the same
    rounds, so a slow spell of the machine weighs on both.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from kgrepo.api.tokens import Role, TokenStore

import kgrepo
from kgrepo._client_recording import _origin
from kgrepo.environment import Origin

# Where the run executes, as kgrepo.Client sends it (FR9): the same content as the in-process
# run, which captures its own. In full with a first run (record_environment), then by digest.
ENVIRONMENT = _origin(Origin.here())
ENVIRONMENT_REF = _origin(Origin.here(), by_digest=True)


def record_environment(http: httpx.Client) -> None:
    """A first run with the environment in full, as kgrepo.Client's first run sends it."""
    body = {"experiment": "bench", "environment": ENVIRONMENT, "status": "Succeeded"}
    http.post("/api/v1/runs", json=body).raise_for_status()


LINEAGE = """PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?data WHERE { <MODEL> (prov:wasGeneratedBy/prov:used)+ ?data }"""


def step_body(i: int, n: int) -> dict[str, Any]:
    return {
        "name": f"step-{n}",
        "kind": "train",
        "executable": {"name": "train.py", "version": "1.0"},
        "inputs": [{"kind": "Dataset", "name": "data", "digest": f"sha256:{i:08x}{n:02x}"}],
        "outputs": [{"kind": "Model", "name": "model", "attributes": {"algorithm": "SVC"}}],
        "params": {"C": 1.0 + i, "kernel": "rbf", "seed": n},
        "metrics": [{"name": "accuracy", "value": 0.9, "of": "outputs[0]"}],
    }


def record_in_process(repo: kgrepo.Repository, i: int, atomic: bool = False) -> None:
    exp = repo.experiment("bench")
    with exp.run(config={"seed": i}, atomic=atomic) as run:
        for n in range(2):
            with run.step(
                f"step-{n}", kind="train", executable=kgrepo.Executable("train.py", version="1.0")
            ) as step:
                step.use(kgrepo.Dataset("data", digest=f"sha256:{i:08x}{n:02x}"))
                step.set_params(C=1.0 + i, kernel="rbf", seed=n)
                model = step.produce(kgrepo.Model("model", algorithm="SVC"))
                step.log_metric("accuracy", 0.9, of=model)


def timed_loop(
    seconds: float, clients: int, work: Callable[[int, list[float]], int]
) -> tuple[int, list[float], float]:
    """Runs ``work(client, latencies)`` in ``clients`` threads until ``seconds`` pass; returns the
    number of units done, the latencies and the elapsed time."""
    stop = time.monotonic() + seconds
    done = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def loop(c: int) -> None:
        while time.monotonic() < stop:
            done[c] += work(c, latencies[c])

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), [x for lat in latencies for x in lat], time.monotonic() - start


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@dataclasses.dataclass
class MLflowLoad:
    """Work units against a running ``mlflow server``, to take turns with kgrepo's phases."""

    record: Callable[[int, list[float]], int]
    record_all: Callable[[int, list[float]], int]
    find: Callable[[int, list[float]], int]
    rows: Callable[[], int]


@contextlib.contextmanager
def mlflow_server(n_clients: int, tmp: Path) -> Iterator[MLflowLoad]:
    """``mlflow server`` (SQLite, 1 worker), and how to record and search runs over its REST API:
    one unit is one run (or one search) on client ``c``."""
    sys.path.insert(0, str(Path(__file__).parent))
    from _peer_venv import ensure_peer_venv

    py = ensure_peer_venv()
    root = tmp / "mlflow"
    root.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # No job execution: it would spawn huey consumers, which skinny's venv does not have.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = (root / "server.log").open("wb")
    server = subprocess.Popen(
        [
            str(py.parent / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--default-artifact-root",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_up(url + "/health", server)
        api = url + "/api/2.0/mlflow"
        http0 = httpx.Client(timeout=60)
        exp = http0.post(f"{api}/experiments/create", json={"name": "bench"})
        exp.raise_for_status()
        experiment_id = exp.json()["experiment_id"]
        clients = [httpx.Client(timeout=60) for _ in range(n_clients)]
        lock = threading.Lock()
        counter = iter(range(10**9))

        def record(c: int, lat: list[float]) -> int:
            http = clients[c]
            with lock:
                i = next(counter)

            def call(path: str, body: Any) -> Any:
                t = time.perf_counter()
                r = http.post(f"{api}/{path}", json=body)
                lat.append(time.perf_counter() - t)
                r.raise_for_status()
                return r.json()

            now = int(time.time() * 1000)
            run_id = call(
                "runs/create",
                {"experiment_id": experiment_id, "start_time": now, "run_name": f"run-{i}"},
            )["run"]["info"]["run_id"]
            params = [{"key": "seed", "value": str(i)}]
            metrics = []
            for n in range(2):
                params += [
                    {"key": f"step-{n}.C", "value": str(1.0 + i)},
                    {"key": f"step-{n}.kernel", "value": "rbf"},
                    {"key": f"step-{n}.seed", "value": str(n)},
                ]
                metrics.append({"key": "accuracy", "value": 0.9, "timestamp": now, "step": n})
            call("runs/log-batch", {"run_id": run_id, "params": params, "metrics": metrics})
            call("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now})
            return 1

        def record_all(c: int, lat: list[float]) -> int:
            """The same run with what kgrepo also records: each step's dataset input (name and
            digest) and its model output, as MLflow's client logs them (``log_input``; a logged
            model created, linked as the step's output, its metric, finalized)."""
            http = clients[c]
            with lock:
                i = next(counter)

            def call(method: str, path: str, body: Any) -> Any:
                t = time.perf_counter()
                r = http.request(method, f"{api}/{path}", json=body)
                lat.append(time.perf_counter() - t)
                r.raise_for_status()
                return r.json()

            now = int(time.time() * 1000)
            run_id = call(
                "POST",
                "runs/create",
                {"experiment_id": experiment_id, "start_time": now, "run_name": f"run-{i}"},
            )["run"]["info"]["run_id"]
            call(
                "POST",
                "runs/log-batch",
                {"run_id": run_id, "params": [{"key": "seed", "value": str(i)}]},
            )
            for n in range(2):
                dataset = {"name": "data", "digest": f"{i:08x}{n:02x}", "source_type": "local"}
                dataset["source"] = json.dumps({"uri": f"file:///data/{i}/{n}"})
                call(
                    "POST",
                    "runs/log-inputs",
                    {"run_id": run_id, "datasets": [{"dataset": dataset}]},
                )
                params = [
                    {"key": "C", "value": str(1.0 + i)},
                    {"key": "kernel", "value": "rbf"},
                    {"key": "seed", "value": str(n)},
                ]
                model = call(
                    "POST",
                    "logged-models",
                    {
                        "experiment_id": experiment_id,
                        "name": "model",
                        "source_run_id": run_id,
                        "params": params,
                        "tags": [{"key": "algorithm", "value": "SVC"}],
                    },
                )["model"]["info"]["model_id"]
                call(
                    "POST",
                    "runs/outputs",
                    {"run_id": run_id, "models": [{"model_id": model, "step": n}]},
                )
                metric = {"key": "accuracy", "value": 0.9, "timestamp": now, "step": n}
                call(
                    "POST",
                    "runs/log-batch",
                    {
                        "run_id": run_id,
                        "params": [
                            {"key": f"step-{n}.{p['key']}", "value": p["value"]} for p in params
                        ],
                        "metrics": [{**metric, "model_id": model}],
                    },
                )
                call(
                    "PATCH",
                    f"logged-models/{model}",
                    {"model_id": model, "status": "LOGGED_MODEL_READY"},
                )
            call("POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now})
            return 1

        search = {
            "experiment_ids": [experiment_id],
            "filter": "metrics.accuracy > 0.5",
            "max_results": 50,
        }

        def find(c: int, lat: list[float]) -> int:
            t = time.perf_counter()
            r = clients[c].post(f"{api}/runs/search", json=search)
            lat.append(time.perf_counter() - t)
            r.raise_for_status()
            return 1

        def rows() -> int:
            return len(http0.post(f"{api}/runs/search", json=search).json().get("runs", []))

        record(0, [])  # warm-up
        record_all(0, [])  # warm-up, and fails loudly if MLflow refuses a request
        try:
            yield MLflowLoad(record, record_all, find, rows)
        finally:
            for h in [http0, *clients]:
                h.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the CLI and its uvicorn child
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)
        log.close()


def rest_recorder(
    clients: list[httpx.Client], lock: threading.Lock, counter: Iterator[int]
) -> Callable[[int, list[float]], int]:
    """One run through the REST API per call (4 requests: start, 2 steps, end) on client ``c``."""

    def rest(c: int, lat: list[float]) -> int:
        http = clients[c]
        with lock:
            i = next(counter)

        def call(path: str, body: Any) -> Any:
            t = time.perf_counter()
            r = http.post(path, json=body)
            lat.append(time.perf_counter() - t)
            r.raise_for_status()
            return r.json()

        start = {"experiment": "bench", "config": {"seed": i}, "environment": ENVIRONMENT_REF}
        run = call("/api/v1/runs", start)["iri"]
        rid = run.rsplit("/", 1)[1]
        for n in range(2):
            call(f"/api/v1/runs/{rid}/steps", step_body(i, n))
        call(f"/api/v1/runs/{rid}/end", {"status": "Succeeded"})
        return 1

    return rest


def rest_whole_recorder(
    clients: list[httpx.Client], lock: threading.Lock, counter: Iterator[int]
) -> Callable[[int, list[float]], int]:
    """The same run as :func:`rest_recorder`, whole, in one request (an atomic run)."""

    def whole(c: int, lat: list[float]) -> int:
        with lock:
            i = next(counter)
        body = {
            "experiment": "bench",
            "config": {"seed": i},
            "environment": ENVIRONMENT_REF,
            "status": "Succeeded",
            "steps": [step_body(i, n) for n in range(2)],
        }
        t = time.perf_counter()
        r = clients[c].post("/api/v1/runs", json=body)
        lat.append(time.perf_counter() - t)
        r.raise_for_status()
        return 1

    return whole


def remote_phase(seconds: float, n_clients: int, tmp: Path) -> dict[str, Any]:
    """REST recording through ``kgrepo serve --workers 2`` on a store kept in a real ``oxigraph
    serve --location`` (the shared-store deployment of issue 4)."""
    oxi = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    store_url = f"http://127.0.0.1:{port}"
    oxigraph = subprocess.Popen(
        [str(oxi), "serve", "--location", str(tmp / "remote"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tokens_path = str(tmp / "remote.tokens.sqlite")
    tokens = TokenStore(tokens_path)
    token = tokens.create("bench", Role.ADMIN).token
    tokens.close()
    server: subprocess.Popen[bytes] | None = None
    try:
        wait_up(store_url + "/", oxigraph)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KGREPO_")}
        command = [sys.executable, "-c", "from kgrepo.cli import main; main()", "--repo", store_url]
        command += ["serve", "--port", str(port), "--workers", "2", "--tokens", tokens_path]
        server = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_up(url + "/healthz", server)
        clients = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            for _ in range(n_clients)
        ]
        record_environment(clients[0])
        rest = rest_recorder(clients, threading.Lock(), iter(range(10**9)))
        rest(0, [])  # warm-up
        runs, lat, elapsed = timed_loop(seconds, n_clients, rest)
        for http in clients:
            http.close()
        return {
            "runs_per_s": runs / elapsed,
            "p50_ms": percentile(lat, 0.5) * 1e3,
            "p99_ms": percentile(lat, 0.99) * 1e3,
            "requests": len(lat),
        }
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)  # the CLI and its uvicorn workers
            server.wait(30)
        oxigraph.terminate()
        oxigraph.wait(30)


def worker_costs(quads: int, repeat: int = 100) -> dict[str, float]:
    """What the killable query workers cost, on an in-memory store of ``quads`` quads: a query in
    process, the same query through a warm worker, and through a worker re-forked after a write."""
    from kgrepo.api.sparql_runner import GatedStore, QueryRequest, QueryRunner
    from pyoxigraph import Literal, NamedNode, Quad, QueryResultsFormat

    store = GatedStore(None)
    graph, p = NamedNode("urn:g"), NamedNode("urn:p")
    store.extend([Quad(NamedNode(f"urn:s{i}"), p, Literal(i), graph) for i in range(quads)])
    query = "SELECT ?o WHERE { <urn:s5> <urn:p> ?o }"
    runner = QueryRunner(store, workers=1, timeout=30)
    try:
        t = time.perf_counter()
        for _ in range(repeat):
            out = io.BytesIO()
            store.raw.query(query, use_default_graph_as_union=True).serialize(
                out, QueryResultsFormat.JSON
            )
        in_process = (time.perf_counter() - t) / repeat
        runner.run(QueryRequest(query))
        t = time.perf_counter()
        for _ in range(repeat):
            runner.run(QueryRequest(query))
        warm = (time.perf_counter() - t) / repeat
        forks = []
        for i in range(10):
            store.extend([Quad(NamedNode(f"urn:w{i}"), p, Literal(i), graph)])
            t = time.perf_counter()
            runner.run(QueryRequest(query))
            forks.append(time.perf_counter() - t)
    finally:
        runner.close()
    return {
        "quads": quads,
        "in_process_ms": in_process * 1e3,
        "warm_worker_ms": warm * 1e3,
        "after_write_ms": statistics.median(forks) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--rounds", type=int, default=4, help="in-process and REST recording alternate this often"
    )
    parser.add_argument("--worker-quads", type=int, default=300_000)
    parser.add_argument(
        "--mlflow",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compare with `mlflow server` (SQLite) from its own venv (--no-mlflow skips it)",
    )
    parser.add_argument(
        "--remote",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="REST recording on kgrepo serve --workers 2 over a real oxigraph serve store",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "clients": args.clients,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
    }
    tmp = Path(tempfile.mkdtemp(prefix="kgrepo-bench-server-"))
    try:
        with contextlib.ExitStack() as peers:
            mlflow: MLflowLoad | None = None
            if args.mlflow:
                try:
                    mlflow = peers.enter_context(mlflow_server(args.clients, tmp))
                except Exception as exc:  # the peer is optional: report, keep the other figures
                    results["mlflow"] = {"error": f"{type(exc).__name__}: {exc}"}
                    print(f"MLflow phase failed: {exc}", file=sys.stderr)
            _measure(args, results, tmp, mlflow)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(
    args: argparse.Namespace, results: dict[str, Any], tmp: Path, mlflow: MLflowLoad | None
) -> None:
    # -- in process, interleaved with REST below ------------------------------------------
    repo = kgrepo.Repository.open(tmp / "inproc")
    record_in_process(repo, 0)  # warm-up
    lock = threading.Lock()
    counter = iter(range(1, 10**9))

    def in_process(c: int, lat: list[float], atomic: bool = False) -> int:
        with lock:
            i = next(counter)
        t = time.perf_counter()
        record_in_process(repo, i, atomic)
        lat.append(time.perf_counter() - t)
        return 1

    def in_process_atomic(c: int, lat: list[float]) -> int:
        return in_process(c, lat, atomic=True)

    # -- REST ---------------------------------------------------------------------------
    store = tmp / "served"
    tokens = TokenStore(str(store) + ".tokens.sqlite")
    token = tokens.create("bench", Role.ADMIN).token
    tokens.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGREPO_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from kgrepo.cli import main; main()",
            "--repo",
            str(store),
            "serve",
            "--port",
            str(port),
            "--demo",
            "--max-rows",
            "1000000",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_up(url + "/healthz", server)
        clients = [
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            for _ in range(args.clients)
        ]

        record_environment(clients[0])
        rest = rest_recorder(clients, lock, counter)
        rest(0, [])  # warm-up
        whole = rest_whole_recorder(clients, lock, counter)
        whole(0, [])
        # The baselines and REST alternate in short rounds, so that a slower spell of this
        # shared machine weighs on all alike (their ratios are the floor). Step by step: a
        # run written as it happens, 4 requests; whole: an atomic run, 1 request.
        phases: dict[str, tuple[Callable[[int, list[float]], int], int]] = {
            "in_process": (in_process, 1),
            "rest": (rest, args.clients),
            "in_process_atomic": (in_process_atomic, 1),
            "rest_whole": (whole, args.clients),
        }
        if mlflow is not None:  # MLflow's server takes its turn in the same rounds
            phases["mlflow"] = (mlflow.record, args.clients)
            phases["mlflow_full"] = (mlflow.record_all, args.clients)
        tallies = {name: (0, 0.0, list[float]()) for name in phases}
        for _ in range(args.rounds):
            for name, (work, n_clients) in phases.items():
                n, round_lat, spent = timed_loop(args.seconds / args.rounds, n_clients, work)
                done_n, done_s, done_lat = tallies[name]
                tallies[name] = (done_n + n, done_s + spent, done_lat + round_lat)
        repo.close()
        for name in ("in_process", "in_process_atomic"):
            n, spent, in_lat = tallies[name]
            results[name] = {"runs_per_s": n / spent, "p50_ms": percentile(in_lat, 0.5) * 1e3}
            print(f"{name.replace('_', '-')} recording: {n / spent:.1f} runs/s (1 thread)")
        runs, elapsed, lat = tallies["rest"]
        n, spent, whole_lat = tallies["rest_whole"]
        results["rest_whole"] = {
            "runs_per_s": n / spent,
            "p50_ms": percentile(whole_lat, 0.5) * 1e3,
            "p99_ms": percentile(whole_lat, 0.99) * 1e3,
            "requests": len(whole_lat),
        }
        print(f"REST recording, whole runs (1 request each): {results['rest_whole']}")
        # Mixed: the same recording with one client querying /sparql meanwhile, so that
        # (nearly) every query follows a write and re-forks its worker.
        mixed_lat: list[float] = []
        statuses: dict[int, int] = {}
        done = threading.Event()

        def querier() -> None:
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as http:
                while not done.is_set():
                    t = time.perf_counter()
                    r = http.get("/sparql", params={"query": "ASK { ?r a kg:Run }"})
                    mixed_lat.append(time.perf_counter() - t)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        thread = threading.Thread(target=querier)
        thread.start()
        mixed_runs, _, mixed_elapsed = timed_loop(args.seconds, args.clients, rest)
        done.set()
        thread.join()
        results["mixed"] = {
            "runs_per_s": mixed_runs / mixed_elapsed,
            "query_p50_ms": percentile(mixed_lat, 0.5) * 1e3,
            "query_p99_ms": percentile(mixed_lat, 0.99) * 1e3,
            "statuses": statuses,
        }
        print(f"mixed (recording + 1 querier): {results['mixed']}")
        results["rest"] = {
            "runs_per_s": runs / elapsed,
            "p50_ms": percentile(lat, 0.5) * 1e3,
            "p99_ms": percentile(lat, 0.99) * 1e3,
            "requests": len(lat),
        }
        p50, p99 = percentile(lat, 0.5) * 1e3, percentile(lat, 0.99) * 1e3
        print(
            f"REST recording: {runs / elapsed:.1f} runs/s, p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms per request ({args.clients} clients)"
        )
        model = (
            clients[0]
            .get("/api/v1/artifacts", params={"kind": "Model", "limit": 1})
            .json()["items"][0]["iri"]
        )
        query = LINEAGE.replace("MODEL", model)

        def sparql_on(base: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
            https = [
                httpx.Client(base_url=base, headers=headers, timeout=60)
                for _ in range(args.clients)
            ]

            def one(c: int, lat: list[float]) -> int:
                t = time.perf_counter()
                r = https[c].get(
                    path,
                    params={"query": query},
                    headers={"Accept": "application/sparql-results+json"},
                )
                lat.append(time.perf_counter() - t)
                r.raise_for_status()
                return 1

            rows = len(
                https[0]
                .get(
                    path,
                    params={"query": query},
                    headers={"Accept": "application/sparql-results+json"},
                )
                .json()["results"]["bindings"]
            )
            n, lat, elapsed = timed_loop(args.seconds, args.clients, one)
            for h in https:
                h.close()
            return {
                "qps": n / elapsed,
                "p50_ms": percentile(lat, 0.5) * 1e3,
                "p99_ms": percentile(lat, 0.99) * 1e3,
                "rows": rows,
            }

        results["sparql_kgrepo"] = sparql_on(url, "/sparql", {"Authorization": f"Bearer {token}"})
        print(f"/sparql lineage on kgrepo serve: {results['sparql_kgrepo']}")
        for http in clients:
            http.close()
    finally:
        server.terminate()
        server.wait(30)

    # -- raw oxigraph serve on a copy of the same store ------------------------------------
    dump = tmp / "served.nq"
    with kgrepo.Repository.open(store) as served, dump.open("wb") as f:
        served.dump(f, "nquads")
    oxi = Path(sys.executable).parent / "oxigraph"
    raw = tmp / "raw"
    subprocess.run(
        [str(oxi), "load", "--location", str(raw), "--file", str(dump)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    ceiling = subprocess.Popen(
        [
            str(oxi),
            "serve-read-only",
            "--location",
            str(raw),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_up(f"http://127.0.0.1:{port}/", ceiling)
        results["sparql_oxigraph"] = sparql_on(f"http://127.0.0.1:{port}", "/query", {})
        print(f"/query lineage on oxigraph serve: {results['sparql_oxigraph']}")
    finally:
        ceiling.terminate()
        ceiling.wait(30)
    if args.remote:
        results["remote"] = remote_phase(args.seconds, args.clients, tmp)
        r = results["remote"]
        print(
            f"REST recording, remote store, 2 workers: {r['runs_per_s']:.1f} runs/s, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms per request"
        )
    results["ratios"] = {
        "rest_over_in_process": results["rest"]["runs_per_s"] / results["in_process"]["runs_per_s"],
        "rest_whole_over_in_process_atomic": results["rest_whole"]["runs_per_s"]
        / results["in_process_atomic"]["runs_per_s"],
        "rest_whole_over_in_process": results["rest_whole"]["runs_per_s"]
        / results["in_process"]["runs_per_s"],
        "sparql_over_oxigraph": results["sparql_kgrepo"]["qps"] / results["sparql_oxigraph"]["qps"],
    }
    if mlflow is not None:
        _mlflow_results(args, results, tallies, mlflow)
    print(json.dumps(results["ratios"], indent=2))
    results["workers"] = worker_costs(args.worker_quads)
    print(f"query workers: {results['workers']}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


def _mlflow_results(
    args: argparse.Namespace,
    results: dict[str, Any],
    tallies: dict[str, tuple[int, float, list[float]]],
    mlflow: MLflowLoad,
) -> None:
    """MLflow's figures from its turns in the rounds, its search rate, and the ratios."""
    m: dict[str, Any] = {}
    for name, out in (("mlflow", m), ("mlflow_full", {})):
        n, spent, lat = tallies[name]
        out.update(
            runs_per_s=n / spent,
            p50_ms=percentile(lat, 0.5) * 1e3,
            p99_ms=percentile(lat, 0.99) * 1e3,
            requests=len(lat),
        )
        if out is not m:
            m["with_inputs_and_models"] = out
    n, slat, selapsed = timed_loop(args.seconds, args.clients, mlflow.find)
    m["search"] = {
        "qps": n / selapsed,
        "p50_ms": percentile(slat, 0.5) * 1e3,
        "p99_ms": percentile(slat, 0.99) * 1e3,
        "rows": mlflow.rows(),
    }
    results["mlflow"] = m
    print(
        f"MLflow server recording: {m['runs_per_s']:.1f} runs/s, p50 {m['p50_ms']:.1f}"
        f" ms, p99 {m['p99_ms']:.1f} ms per request ({args.clients} clients)"
    )
    full = m["with_inputs_and_models"]
    print(
        f"MLflow server, with dataset inputs and logged models: "
        f"{full['runs_per_s']:.1f} runs/s, p50 {full['p50_ms']:.1f} ms, "
        f"p99 {full['p99_ms']:.1f} ms per request"
    )
    print(f"MLflow runs/search: {m['search']}")
    ratios = results["ratios"]
    for kgrepo_name in ("rest", "rest_whole"):
        rate = results[kgrepo_name]["runs_per_s"]
        ratios[f"{kgrepo_name}_over_mlflow"] = rate / m["runs_per_s"]
        ratios[f"{kgrepo_name}_over_mlflow_with_inputs_and_models"] = rate / full["runs_per_s"]
    ratios["sparql_lineage_over_mlflow_search"] = (
        results["sparql_kgrepo"]["qps"] / m["search"]["qps"]
    )


if __name__ == "__main__":
    main()
