"""Several processes sharing one ``oxigraph serve`` through ``Repository.connect``: every run a
process acknowledged is there, complete, none torn; a process killed mid-run leaves a running run
with its completed steps, as on the embedded store; concurrent creators of one experiment agree.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest
from conftest import ServerPool
from oxigraph_server import OxigraphServer
from pyoxigraph import Literal

import kgrepo
from kgrepo import Repository

pytestmark = pytest.mark.server


@pytest.fixture
def server(oxigraph_pool: ServerPool, request: pytest.FixtureRequest) -> OxigraphServer:
    """An empty ``oxigraph serve`` of the session's pool."""
    return oxigraph_pool.acquire(request.node.nodeid)


RECORDER = textwrap.dedent(
    """
    import sys
    import kgrepo

    url, worker, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    repo = kgrepo.Repository.connect(url)
    exp = repo.experiment("shared")
    for i in range(runs):
        with exp.run(config={"worker": worker, "i": i}) as run:
            with run.step("prepare") as step:
                raw = step.use(kgrepo.Dataset("raw", digest="sha256:shared"))
                clean = step.produce(kgrepo.Dataset(f"clean-{worker}-{i}"))
            with run.step("train") as step:
                step.use(clean)
                step.set_params(worker=worker, i=i)
                model = step.produce(kgrepo.Model(f"model-{worker}-{i}"))
                step.log_metric("accuracy", 0.5 + i / 100, of=model)
        print(run.iri.value, worker, i, flush=True)  # acknowledged: the run has ended
    """
)

RUN_SUMMARY = """
SELECT ?status ?name ?stepStatus ?output WHERE {
  ?run kg:status ?status ; kg:hasExecution ?step .
  ?step rdfs:label ?name ; kg:status ?stepStatus .
  OPTIONAL { ?output prov:wasGeneratedBy ?step }
}"""


@pytest.mark.slow
def test_processes_recording_concurrently_into_one_server_lose_and_tear_nothing(
    server: OxigraphServer,
) -> None:
    workers, runs = 4, 3
    with Repository.connect(server.url) as repo:
        repo.experiment("shared")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, server.url, str(w), str(runs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    acknowledged = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        acknowledged += [line.split() for line in out.splitlines()]
    assert len(acknowledged) == workers * runs

    with Repository.connect(server.url) as repo:
        for run, worker, i in acknowledged:
            rows = repo.select(RUN_SUMMARY, run=run)
            assert {r["status"].rsplit("#")[-1] for r in rows} == {"Succeeded"}, run
            by_step = {r["name"]: r for r in rows}
            assert sorted(by_step) == ["prepare", "train"], run
            assert {r["stepStatus"].rsplit("#")[-1] for r in rows} == {"Succeeded"}
            outputs = {
                (
                    r["name"],
                    repo.select("SELECT ?n WHERE { ?o rdfs:label ?n }", o=r["output"])[0]["n"],
                )
                for r in rows
            }
            assert outputs == {
                ("prepare", f"clean-{worker}-{i}"),
                ("train", f"model-{worker}-{i}"),
                ("train", "accuracy"),
            }
        every = repo.select("SELECT DISTINCT ?run WHERE { ?run a kg:Run }")
        assert {r["run"] for r in every} == {a[0] for a in acknowledged}
        shared = repo.select(
            "SELECT ?d (COUNT(?label) AS ?n) WHERE { ?d kg:digest ?x ; rdfs:label ?label } "
            "GROUP BY ?d"
        )
        assert shared and all(r["n"] == 1 for r in shared)  # each statement stored once


CRASHING = textwrap.dedent(
    """
    import os, signal, sys
    import kgrepo

    repo = kgrepo.Repository.connect(sys.argv[1])
    run = repo.experiment("crash").run().start()
    print(run.iri.value, flush=True)
    with run.step("first") as step:
        step.use(kgrepo.Dataset("raw", digest="sha256:01"))
        step.produce(kgrepo.Dataset("clean", digest="sha256:02"))
    with run.step("second") as step:
        step.use(kgrepo.Dataset("clean", digest="sha256:02"))
        step.set_params(marker_param=1)
        step.produce(kgrepo.Model("half-trained", digest="sha256:03"))
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_process_killed_mid_run_leaves_a_running_run_with_its_completed_steps(
    server: OxigraphServer,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CRASHING, server.url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -9, done.stderr
    run = done.stdout.strip()
    with Repository.connect(server.url) as repo:
        rows = repo.select(RUN_SUMMARY, run=run)
        assert {r["status"].rsplit("#")[-1] for r in rows} == {"Running"}
        assert {r["name"] for r in rows} == {"first"}
        assert {r["stepStatus"].rsplit("#")[-1] for r in rows} == {"Succeeded"}
        text = " ".join(f"{q.subject} {q.object}" for q in repo.store.quads())
        for trace in ("second", "marker_param", "half-trained", "sha256:03", "/execution/2"):
            assert trace not in text
        assert [s.iri for s in repo.stale_runs()] == [run]
        repo.abandon(run, reason="killed by the test")
        assert repo.stale_runs() == []


def test_threads_sharing_one_connection_pool(server: OxigraphServer) -> None:
    with Repository.connect(server.url) as repo:
        exp = repo.experiment("threads")
        errors: list[BaseException] = []

        def record(n: int) -> None:
            try:
                with exp.run(config={"n": n}) as run, run.step("s") as step:
                    step.produce(kgrepo.Model(f"m{n}"))
            except BaseException as err:  # pragma: no cover - reported below
                errors.append(err)

        threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(repo.select("SELECT ?r WHERE { ?r a kg:Run ; kg:status kg:Succeeded }")) == 4


def test_an_experiment_created_by_several_processes_at_once_is_created_once(
    server: OxigraphServer,
) -> None:
    """Separate repositories (as separate processes have) share no lock: all may create it."""
    repos = [Repository.connect(server.url) for _ in range(4)]
    try:
        for trial in range(5):
            name = f"race-{trial}"
            barrier = threading.Barrier(len(repos))

            def create(repo: Repository, name: str = name, barrier: Any = barrier) -> None:
                barrier.wait()
                repo.experiment(name)

            threads = [threading.Thread(target=create, args=(r,)) for r in repos]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [e["name"] for e in repos[0].experiments()].count(name) == 1
            times = repos[0].select(
                "SELECT ?t WHERE { ?e rdfs:label ?n ; kg:createdAt ?t }", n=Literal(name)
            )
            assert len(times) == 1
    finally:
        for r in repos:
            r.close()
