"""Remote store benchmark: kgrepo on ``oxigraph serve`` (``Repository.connect``) vs the embedded
on-disk store (``Repository.open``), measured in one run, reported as ratios.

    python benchmarks/bench_remote.py [--runs 60] [--round 10] [--reps 30]

Both repositories record the same representative run (3 steps, 4 artifacts, 8 parameters, 3
metrics; the shape of ``bench_recording.py``), interleaved in rounds of ``--round`` runs so load
on the machine hits both alike. The server is a real ``oxigraph serve --location <tmp>`` on
127.0.0.1, started here (binary from the PyPI package ``oxigraph``). Then, on what was recorded,
two questions timed ``--reps`` times each, alternating stores: FR6 (``reuse.find_equivalent`` of
the train step: the signature lookup and its outputs) and FR4 (``lineage.upstream`` of the last
model). Prints runs/s and p50/p90 latencies (ms) and the remote/embedded ratios.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

import kgrepo
from kgrepo import lineage, reuse

TRAIN_PARAMS = {"C": 1.0, "kernel": "rbf", "gamma": 0.01, "tol": 1e-3, "max_iter": 1000, "seed": 7}
METRICS = {"accuracy": 0.97, "f1": 0.96, "auc": 0.99}


def oxigraph_binary() -> str:
    path = Path(sysconfig.get_path("scripts")) / "oxigraph"
    found = str(path) if path.exists() else shutil.which("oxigraph")
    if found is None:
        sys.exit("no `oxigraph` executable: pip install oxigraph")
    return found


def start_server(location: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(
                f"{url}/query",
                content=b"ASK {}",
                headers={"Content-Type": "application/sparql-query"},
            )
            return proc, url
        except httpx.TransportError:
            if time.monotonic() > deadline:
                proc.kill()
                sys.exit(f"oxigraph serve did not answer at {url}")
            time.sleep(0.02)


class Recorder:
    def __init__(self, repo: kgrepo.Repository) -> None:
        self.repo = repo
        self.exp = repo.experiment("bench", goal="benchmark")
        self.raw = kgrepo.Dataset("raw", uri="file:///data/raw.csv", digest="sha256:" + "a1" * 32)
        self.test = kgrepo.Dataset("test", uri="file:///data/t.csv", digest="sha256:" + "c3" * 32)
        self.clean = kgrepo.Dataset("clean", uri="file:///d/c.csv", digest="sha256:" + "b2" * 32)
        self.prep = kgrepo.Executable("prep.py", version="1.0", digest="sha256:ab12")
        self.train = kgrepo.Executable("train.py", version="1.0", digest="sha256:cd34")
        self.eval = kgrepo.Executable("eval.py", version="1.0")
        self.trigger = kgrepo.Trigger.schedule(by="airflow", reason="nightly")
        self.model: Any = None

    def record_one(self) -> None:
        with self.exp.run(trigger=self.trigger, config={"seed": 1, "folds": 5}) as run:
            with run.step("prepare", kind="transform", executable=self.prep) as s:
                s.use(self.raw)
                clean = s.produce(self.clean)
            with run.step("train", kind="train", executable=self.train) as s:
                s.use(clean)
                s.set_params(**TRAIN_PARAMS)
                model = s.produce(kgrepo.Model("svc", framework=("scikit-learn", "1.5")))
            with run.step("evaluate", kind="evaluate", executable=self.eval) as s:
                s.use(model)
                s.use(self.test)
                for name, value in METRICS.items():
                    s.log_metric(name, value, of=model)
        self.model = model

    def fr6(self) -> None:
        found = reuse.find_equivalent(self.repo, self.train, [self.clean], TRAIN_PARAMS)
        assert found is not None and found.outputs

    def fr4(self) -> None:
        assert lineage.upstream(self.repo, self.model).steps


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def record(recorder: Recorder, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        recorder.record_one()
    return time.perf_counter() - start


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="runs recorded per store")
    parser.add_argument("--round", type=int, default=10, help="runs per store per round")
    parser.add_argument("--reps", type=int, default=30, help="repetitions of each question")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="kgrepo-bench-remote-"))
    proc, url = start_server(tmp / "server")
    try:
        stores = {
            "embedded": Recorder(kgrepo.Repository.open(tmp / "embedded")),
            "remote": Recorder(kgrepo.Repository.connect(url)),
        }
        for r in stores.values():  # warm-up: first-write costs (environment, shared entities)
            r.record_one()
        recording = {name: 0.0 for name in stores}
        done = 0
        order = list(stores)
        while done < args.runs:
            n = min(args.round, args.runs - done)
            for name in order:
                recording[name] += record(stores[name], n)
            order.reverse()
            done += n
        latencies: dict[str, dict[str, list[float]]] = {
            q: {n: [] for n in stores} for q in ("fr6", "fr4")
        }
        for q in latencies:
            for name in stores:
                getattr(stores[name], q)()  # warm-up
            for i in range(args.reps):
                for name in order if i % 2 else reversed(order):
                    latencies[q][name].append(timed(getattr(stores[name], q)))
        quads = {name: len(r.repo.store) for name, r in stores.items()}
        for r in stores.values():
            r.repo.close()
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    rate = {name: args.runs / seconds for name, seconds in recording.items()}
    print(f"runs per store: {args.runs + 1} ({quads['embedded']} / {quads['remote']} quads)")
    print(f"{'':32} {'embedded':>10} {'remote':>10} {'remote/embedded':>16}")
    print(
        f"{'recording, runs/s':32} {rate['embedded']:10.1f} {rate['remote']:10.1f} "
        f"{rate['remote'] / rate['embedded']:16.2f}"
    )
    labels = {"fr6": "FR6 find_equivalent", "fr4": "FR4 upstream lineage"}
    for q, by_store in latencies.items():
        for p, tag in ((0.5, "p50"), (0.9, "p90")):
            e, r = pct(by_store["embedded"], p), pct(by_store["remote"], p)
            print(f"{labels[q] + ', ' + tag + ' ms':32} {e:10.2f} {r:10.2f} {r / e:16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
