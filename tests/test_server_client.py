"""``kgrepo.Client`` against a live server: the embedded recording script, one line changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from _live_server import LiveServer, live_server

import kgrepo
from kgrepo.client import RemoteError

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("client")) as live:
        yield live


def record(repo: Any) -> dict[str, Any]:
    """The README's recording example; works on a Repository and on a Client alike."""
    exp = repo.experiment("digits", goal="recognise handwritten digits")
    train = kgrepo.Executable("train.py", version="a1b2c3")
    digits = kgrepo.Dataset(
        "digits",
        uri="file:///data/digits.csv",
        digest="sha256:9f86d081",
        characteristics={"rows": 3},
    )
    with exp.run(trigger=kgrepo.Trigger.schedule(reason="nightly"), config={"seed": 1}) as run:
        with run.step("prepare", executable=kgrepo.Executable("prep.py")) as step:
            data = step.use(digits)
            clean = step.produce(kgrepo.Dataset("clean", uri="file:///data/clean.csv"))
        with run.step("train", kind="train", executable=train) as step:
            step.use(clean)
            step.set_params(C=1.0, kernel="rbf")
            model = step.produce(kgrepo.Model("svc", framework=("scikit-learn", "1.5")))
            step.log_metric("accuracy", 0.97, of=model)
    iri = model.iri.value if hasattr(model.iri, "value") else model.iri
    return {"run": run, "model": iri, "data": data}


def _upstream(repo: Any, model: str) -> list[tuple[str, str]]:
    # The IRI is one the server minted, written in for the test (Client.select has no bindings).
    text = f"""
    SELECT DISTINCT ?step ?data WHERE {{
      <{model}> prov:wasGeneratedBy ?exec . ?exec rdfs:label ?step .
      ?exec prov:used/rdfs:label ?data .
    }}"""
    return sorted((r["step"], r["data"]) for r in repo.select(text))


def test_same_script_embedded_and_on_a_server(server: LiveServer) -> None:
    embedded = kgrepo.Repository.in_memory()
    local = record(embedded)
    with kgrepo.Client(server.url, token=server.writer) as client:
        remote = record(client)
        assert remote["run"].status is kgrepo.Status.SUCCEEDED
        upstream = _upstream(client, remote["model"])
        assert upstream == _upstream(embedded, local["model"]) == [("train", "clean")]
        agents = client.select(
            f"SELECT DISTINCT ?a WHERE {{ <{remote['run'].iri}> prov:wasAssociatedWith ?a }}"
        )
        assert agents == [{"a": "https://kgrepo.example/agent/writer-user"}]
        run = remote["run"].iri
        counts = client.select(
            f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ <{run}> kg:hasExecution ?e }}"
        )
        assert counts == [{"n": 2}]


def test_an_exception_fails_the_step_and_the_run(server: LiveServer) -> None:
    with kgrepo.Client(server.url, token=server.writer) as client:
        exp = client.experiment("failing")
        with pytest.raises(ZeroDivisionError), exp.run() as run, run.step("boom") as step:
            step.set_params(x=1)
            _ = 1 / 0
        assert run.status is kgrepo.Status.FAILED
        assert step.status is kgrepo.Status.FAILED


def test_errors_are_the_core_classes(server: LiveServer) -> None:
    with kgrepo.Client(server.url, token=server.writer) as client:
        exp = client.experiment("errors")
        with exp.run() as run:
            with pytest.raises(kgrepo.InvalidInput, match="parameter 'C'"), run.step("s") as step:
                step.set_params(C=None)
            with run.step("t") as step:
                step.use(kgrepo.Dataset("d", digest="sha256:ab"))
        with pytest.raises(kgrepo.QuerySyntaxError, match="error at 1"):
            client.select("SELECT ?x WHERE { ?x }")
        with pytest.raises(kgrepo.InvalidState, match="has ended"):
            run.step("late")
        kind = client.register_kind("Stamp", {"at": dt.datetime})
        with exp.run() as run, run.step("stamp") as step:
            step.produce(kind("s1", at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    with (
        kgrepo.Client(server.url, token=server.reader) as reader,
        pytest.raises(RemoteError, match="403") as denied,
    ):
        reader.experiment("nope")
    assert denied.value.problem["needed"] == "writer"
