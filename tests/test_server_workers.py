"""``kgrepo serve --workers 2`` on a repository kept in a real ``oxigraph serve``: several client
processes record runs at once through ``kgrepo.Client``; every acknowledged run is in the store,
complete; ``/sparql`` answers through the remote store and stops a runaway query properly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from _live_server import _free_port, wait_serving
from kgrepo.api.tokens import Role, TokenStore
from oxigraph_server import OxigraphServer

import kgrepo

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLIENTS = 3
RUNS = 4  # per client
STEPS = 3  # per run


@dataclass
class Deployment:
    url: str
    store: str
    writer: str
    admin: str
    pids: set[int]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("workers")
    with OxigraphServer(directory / "oxigraph") as oxigraph:
        tokens_path = str(directory / "tokens.sqlite")
        tokens = TokenStore(tokens_path)
        writer = tokens.create("writer-user", Role.WRITER).token
        admin = tokens.create("admin-user", Role.ADMIN).token
        tokens.close()
        port = _free_port()
        command = [sys.executable, "-c", "from kgrepo.cli import main; main()"]
        command += ["--repo", oxigraph.url, "serve", "--port", str(port), "--workers", "2"]
        command += ["--tokens", tokens_path, "--query-timeout", "2", "--max-rows", "50"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("KGREPO_")}
        log = (directory / "serve.log").open("wb")
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_serving(url, process, (directory / "serve.log").read_text)
            yield Deployment(url, oxigraph.url, writer, admin, _children(process.pid))
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


# Each client process: RUNS runs of STEPS steps (each step uses the previous step's output), then
# prints the runs the server acknowledged (ended) as JSON. A fresh connection per request spreads
# the requests over both workers, so runs are continued by the worker that did not start them.
_CLIENT = """
import json, sys
import httpx
import kgrepo
url, token, who, runs, steps = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:6])
atomic = sys.argv[6:] == ["atomic"]
acked = []
client = kgrepo.Client(url, token=token)
fresh = httpx.Limits(max_keepalive_connections=0)
client._http = httpx.Client(base_url=url, headers=client._http.headers, timeout=30, limits=fresh)
exp = client.experiment(("atomic-" if atomic else "shared-") + who)
for r in range(runs):
    with exp.run(config={"client": who, "run": r}, atomic=atomic) as run:
        data = kgrepo.Dataset(f"{who}-{r}-raw", digest=f"sha256:{who}{r}")
        for s in range(steps):
            with run.step(f"step-{s}") as step:
                step.use(data)
                data = step.produce(kgrepo.Dataset(f"{who}-{r}-{s}"))
                step.log_metric("loss", 1.0 / (s + 1), of=data)
    acked.append(run.iri)
print(json.dumps(acked))
"""

_RUN = """
SELECT ?run ?status (COUNT(DISTINCT ?step) AS ?steps) (COUNT(DISTINCT ?ended) AS ?ends)
       (COUNT(DISTINCT ?out) AS ?outputs) (COUNT(DISTINCT ?follows) AS ?links)
WHERE {
  ?run kg:status ?status ; prov:endedAtTime ?ended .
  OPTIONAL { ?run kg:hasExecution ?step . ?step kg:status kg:Succeeded .
    OPTIONAL { ?out kg:generatedBy ?step }
    OPTIONAL { ?step kg:follows ?follows } }
} GROUP BY ?run ?status"""


def _record_concurrently(deployment: Deployment, *options: str) -> list[str]:
    """Runs CLIENTS client processes at once; the runs they say the server acknowledged."""
    counts = (str(RUNS), str(STEPS), *options)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLIENT, deployment.url, deployment.writer, str(i), *counts],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(CLIENTS)
    ]
    acked: list[str] = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
            acked += json.loads(out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert len(set(acked)) == CLIENTS * RUNS
    return acked


def _check_complete(repo: kgrepo.Repository, acked: list[str]) -> None:
    for iri in acked:
        rows = repo.select(_RUN, run=iri)
        assert len(rows) == 1, (iri, rows)  # one status, ended once
        row = rows[0]
        assert row["status"].endswith("#Succeeded")
        assert row["ends"] == 1
        # Each step produced a dataset and a metric; steps 2.. follow the one before.
        assert (row["steps"], row["outputs"], row["links"]) == (STEPS, 2 * STEPS, STEPS - 1)
    running = repo.select("SELECT ?r WHERE { ?r kg:status kg:Running }")
    assert running == []


def test_concurrent_clients_on_two_workers(deployment: Deployment) -> None:
    acked = _record_concurrently(deployment)
    with kgrepo.Repository.connect(deployment.store) as repo:
        _check_complete(repo, acked)
        # Both workers recorded: the runs' pids are the two workers, and at least one run was
        # started by one worker and continued by the other (the client connects afresh each time).
        pids = {r["pid"] for r in repo.select("SELECT DISTINCT ?pid WHERE { ?r kg:pid ?pid }")}
        assert pids <= deployment.pids and len(pids) == 2


def test_concurrent_atomic_runs_on_two_workers(deployment: Deployment) -> None:
    """The same runs, each sent whole in one request (``run(atomic=True)``)."""
    acked = _record_concurrently(deployment, "atomic")
    with kgrepo.Repository.connect(deployment.store) as repo:
        _check_complete(repo, acked)


def test_sparql_through_the_remote_store(deployment: Deployment) -> None:
    headers = {"Authorization": f"Bearer {deployment.admin}"}
    triples = " ".join(f"<urn:x:s{i}> <urn:x:p> {i} ." for i in range(200))
    with httpx.Client(base_url=deployment.url, headers=headers, timeout=30) as http:
        update = http.post(
            "/sparql/update",
            content=f"INSERT DATA {{ GRAPH <urn:x:g> {{ {triples} }} }}",
            headers={"Content-Type": "application/sparql-update"},
        )
        assert update.status_code == 204, update.text
        ok = http.get(
            "/sparql",
            params={"query": "SELECT ?s WHERE { ?s <urn:x:p> 7 }"},
            headers={"Accept": "text/csv"},
        )
        assert (ok.status_code, ok.text) == (200, "s\r\nurn:x:s7\r\n")
        assert http.get("/sparql", params={"query": "ASK { ?s ?p 199 }"}).json()["boolean"]
        for graph, found in (("urn:x:g", True), ("urn:x:other", False)):
            params = {"query": "ASK { ?s ?p 199 }", "default-graph-uri": graph}
            assert http.get("/sparql", params=params).json()["boolean"] is found
        graphs = {"query": "SELECT ?g WHERE { GRAPH ?g { ?s ?p 3 } }", "named-graph-uri": "urn:x:g"}
        named = http.get("/sparql", params=graphs)
        assert named.json().get("results", {}).get("bindings") == [
            {"g": {"type": "uri", "value": "urn:x:g"}}
        ], named.text

        bad = http.get("/sparql", params={"query": "SELECT ?x WHERE {\n ?x ?y }"})
        assert bad.status_code == 400 and bad.json()["line"] == 2, bad.text

        many = http.get("/sparql", params={"query": "SELECT * WHERE { ?s <urn:x:p> ?o }"})
        assert many.status_code == 422 and many.json()["type"].endswith("/result-too-large")

        # 200^4 rows to count: minutes of work for the SPARQL server; stopped at 2 s.
        runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a <urn:x:p> ?b . ?c <urn:x:p> ?d . "
        runaway += "?e <urn:x:p> ?f . ?g <urn:x:p> ?h }"
        started = time.monotonic()
        stopped = http.get("/sparql", params={"query": runaway})
        assert stopped.status_code == 503, stopped.text[:200]
        assert stopped.json()["type"].endswith("/query-timeout")
        assert time.monotonic() - started < 10
        # The server still answers (the other worker, or this one once its slot is free).
        assert http.get("/sparql", params={"query": "ASK { ?s ?p 1 }"}).status_code == 200

        service = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
        refused = http.get("/sparql", params={"query": service})
        assert refused.status_code == 400 and refused.json()["type"].endswith("/query-refused")
    writer = {"Authorization": f"Bearer {deployment.writer}"}
    forbidden = httpx.post(
        deployment.url + "/sparql/update",
        content="CLEAR ALL",
        headers={**writer, "Content-Type": "application/sparql-update"},
    )
    assert forbidden.status_code == 403


def test_workers_leave_a_scripts_run_alone(deployment: Deployment) -> None:
    # A run this process records straight into the store is running, but not the server's to
    # continue: the workers refuse it (409), and it stays this process's to end.
    with kgrepo.Repository.connect(deployment.store) as repo:
        with repo.experiment("script").run() as run:
            writer = {"Authorization": f"Bearer {deployment.writer}"}
            segment = quote(run.iri.value, safe="")
            for _ in range(4):  # whichever worker answers
                answer = httpx.post(
                    f"{deployment.url}/api/v1/runs/{segment}/end",
                    json={"status": "Succeeded"},
                    headers=writer,
                )
                assert answer.status_code == 409, answer.text
                assert answer.json()["type"].endswith("/run-not-open")
        status = repo.select("SELECT ?run ?s WHERE { ?run kg:status ?s }", run=run.iri)
        assert [r["s"].rsplit("#", 1)[1] for r in status] == ["Succeeded"]
