"""FR9 over the server: a run records where it executes (its environment and the commit of its
working tree), not where it is recorded. An embedded run records its own process's; a run sent
over REST records what the client sent (``kgrepo.Client`` sends its own), or none: the server's
would be wrong. The run's ``kg:host`` stays the recording process's (how runs left open are
recovered)."""

from __future__ import annotations

import json
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _live_server import LiveServer, live_server
from pyoxigraph import Literal

import kgrepo
from kgrepo.environment import CodeVersion, Environment, Origin, capture

ELSEWHERE: dict[str, Any] = {
    "python_version": "3.10.4",
    "platform": "Windows-10-10.0.19045-SP0",
    "host": "laptop-17",
    "packages": {"numpy": "1.26.0", "torch": "2.1.0"},
    "code": {"commit": "a" * 40, "repository": "C:/work/digits"},
}

ORIGIN = """SELECT ?server ?host ?python ?commit (COUNT(DISTINCT ?package) AS ?packages) WHERE {
  ?run a kg:Run ; rdfs:label ?name ; kg:host ?server .
  OPTIONAL { ?run kg:codeVersion ?commit }
  OPTIONAL {
    ?run kg:environment ?env . ?env kg:host ?host ; kg:pythonVersion ?python .
    OPTIONAL { ?env kg:hasPackage ?package }
  }
} GROUP BY ?server ?host ?python ?commit"""


def _embedded_origin(repo: kgrepo.Repository, name: str) -> dict[str, Any]:
    rows = repo.select(ORIGIN, name=Literal(name))
    assert len(rows) == 1, rows
    return rows[0]


def _served_origin(http: httpx.Client, name: str) -> dict[str, Any]:
    # The run's name is a test constant: it goes into the query as a VALUES row.
    query = ORIGIN.replace("WHERE {", f'WHERE {{ VALUES ?name {{ "{name}" }}', 1)
    response = http.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    assert len(rows) == 1, rows
    return {k: v["value"] for k, v in rows[0].items()}


def test_an_embedded_run_records_its_own_process_unless_given_another() -> None:
    repo = kgrepo.Repository.in_memory()
    exp = repo.experiment("origins")
    with exp.run(name="here"):
        pass
    here = _embedded_origin(repo, "here")
    assert here["python"] == capture().python_version
    assert here["packages"] == len(capture().packages)

    elsewhere = Origin(
        Environment("3.10.4", "Windows-10", "laptop-17", (("numpy", "1.26.0"),)),
        CodeVersion("a" * 40, "C:/work/digits"),
    )
    with exp.run(name="imported", origin=elsewhere):
        pass
    imported = _embedded_origin(repo, "imported")
    assert (imported["host"], imported["python"]) == ("laptop-17", "3.10.4")
    assert (imported["commit"], imported["packages"]) == ("a" * 40, 1)
    assert imported["server"] == socket.gethostname()  # the recording process

    with exp.run(name="unknown", origin=Origin(None, None)):
        pass
    unknown = _embedded_origin(repo, "unknown")
    assert unknown.get("host") is None and unknown.get("commit") is None

    with pytest.raises(kgrepo.InvalidInput, match="origin"):
        exp.run(origin="laptop-17")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("origin")) as live:
        yield live


def _name() -> str:
    return f"run-{uuid.uuid4().hex}"


@pytest.mark.server
@pytest.mark.parametrize("whole", [False, True])
def test_a_run_sent_over_rest_records_the_environment_sent(
    writer: httpx.Client, whole: bool
) -> None:
    name = _name()
    body: dict[str, Any] = {"experiment": "origins", "name": name, "environment": ELSEWHERE}
    if whole:
        body |= {"status": "Succeeded", "steps": [{"name": "fit"}]}
    response = writer.post("/api/v1/runs", json=body)
    assert response.status_code == 201, response.text
    got = _served_origin(writer, name)
    assert (got["host"], got["python"], got["packages"]) == ("laptop-17", "3.10.4", "2")
    assert got["commit"] == "a" * 40
    assert got["server"] == socket.gethostname()


@pytest.mark.server
def test_a_run_sent_without_an_environment_records_none_not_the_servers(
    writer: httpx.Client,
) -> None:
    name = _name()
    response = writer.post("/api/v1/runs", json={"experiment": "origins", "name": name})
    assert response.status_code == 201, response.text
    got = _served_origin(writer, name)
    assert "host" not in got and "python" not in got and "commit" not in got
    assert got["packages"] == "0"


@pytest.mark.server
@pytest.mark.parametrize("atomic", [False, True])
def test_the_client_sends_where_it_runs(
    server: LiveServer,
    writer: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    atomic: bool,
) -> None:
    # The client works in a git working tree the server knows nothing of.
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("b" * 40 + "\n")
    monkeypatch.chdir(tmp_path)
    name = _name()
    with kgrepo.Client(server.url, token=server.writer) as client:
        run = client.experiment("origins").run(name=name, atomic=atomic)
        with run, run.step("fit"):
            pass
    got = _served_origin(writer, name)
    assert got["commit"] == "b" * 40
    assert got["python"] == sys.version.split()[0]
    assert got["packages"] == str(len(capture().packages))


@pytest.mark.server
def test_an_environment_recorded_once_is_then_named_by_its_digest(writer: httpx.Client) -> None:
    first, second = _name(), _name()
    response = writer.post(
        "/api/v1/runs", json={"experiment": "origins", "name": first, "environment": ELSEWHERE}
    )
    assert response.status_code == 201, response.text
    digest = _digest(ELSEWHERE)
    by_digest = {"digest": digest, "code": {"commit": "c" * 40, "repository": "C:/work/digits"}}
    body = {"experiment": "origins", "name": second, "environment": by_digest}
    response = writer.post("/api/v1/runs", json=body)
    assert response.status_code == 201, response.text
    got = _served_origin(writer, second)
    assert (got["host"], got["python"], got["packages"]) == ("laptop-17", "3.10.4", "2")
    assert got["commit"] == "c" * 40


@pytest.mark.server
def test_the_client_sends_its_environment_in_full_once_then_by_digest(tmp_path: Path) -> None:
    sent: list[dict[str, Any]] = []

    def keep(request: httpx.Request) -> None:
        if request.method == "POST" and request.url.path == "/api/v1/runs":
            sent.append(json.loads(request.content)["environment"])

    names = [_name() for _ in range(2)]
    with live_server(tmp_path) as fresh:  # a store that has never seen this environment
        with kgrepo.Client(fresh.url, token=fresh.writer) as client:
            client._http.event_hooks["request"].append(keep)
            for name in names:
                with client.experiment("origins").run(name=name):
                    pass
        with fresh.client(fresh.writer) as http:
            assert [_served_origin(http, n)["packages"] for n in names] == [
                str(len(capture().packages))
            ] * 2
    assert "packages" in sent[0] and "digest" not in sent[0]
    assert sent[1]["digest"] == capture().digest and "packages" not in sent[1]


@pytest.mark.server
def test_a_digest_the_repository_does_not_know_is_resent_in_full_by_the_client(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path) as fresh, kgrepo.Client(fresh.url, token=fresh.writer) as client:
        client._environments.add(capture().digest)  # as if an earlier server had recorded it
        name = _name()
        with client.experiment("origins").run(name=name):
            pass
        assert capture().digest in client._environments
        with fresh.client(fresh.writer) as http:
            assert _served_origin(http, name)["packages"] == str(len(capture().packages))


def _digest(environment: dict[str, Any]) -> str:
    return Environment(
        environment["python_version"],
        environment["platform"],
        environment["host"],
        tuple(sorted(environment["packages"].items())),
    ).digest


@pytest.mark.server
@pytest.mark.parametrize(
    ("environment", "field"),
    [
        ({**ELSEWHERE, "packages": {"numpy": 1}}, "environment.packages.numpy"),
        ({**ELSEWHERE, "python_version": ""}, "environment.python_version"),
        ({**ELSEWHERE, "shell": "bash"}, "environment.shell"),
        ({**ELSEWHERE, "packages": {" ": "1.0"}}, "name"),
        ({"digest": "f" * 64}, "digest"),  # no such environment recorded
        ({"digest": "F" * 64}, "environment.digest"),
        ({**ELSEWHERE, "digest": "f" * 64}, "environment"),
        ({"python_version": "3.11", "platform": "Linux"}, "environment"),
    ],
)
def test_a_bad_environment_is_refused_and_writes_nothing(
    writer: httpx.Client, environment: dict[str, Any], field: str
) -> None:
    experiment = _name()
    body = {"experiment": experiment, "environment": environment}
    response = writer.post("/api/v1/runs", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem.get("field", problem.get("errors", [{}])[0].get("field")) == field
    assert writer.get(f"/api/v1/experiments/{experiment}").status_code == 404
