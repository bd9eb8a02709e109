"""Atomic runs: checked like any run, written once when they end, in one transaction; and the
REST form, a whole run in one ``POST /api/v1/runs`` (live server)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from _live_server import LiveServer, live_server
from kgrepo.api.routes_runs import INLINE_BODY

import kgrepo
from kgrepo import lineage

COUNT_RUNS = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a kg:Run }"


def _runs(repo: kgrepo.Repository) -> int:
    return int(repo.select(COUNT_RUNS)[0]["n"])


def _pipeline(run: kgrepo.Run) -> kgrepo.ArtifactRef:
    with run.step("prepare", executable=kgrepo.Executable("prep.py", version="1")) as step:
        step.use(kgrepo.Dataset("raw", digest="sha256:" + "a" * 64))
        clean = step.produce(kgrepo.Dataset("clean"))
    with run.step("train", executable=kgrepo.Executable("prep.py", version="1")) as step:
        step.use(clean)
        step.set_params(C=1.0)
        model = step.produce(kgrepo.Model("svc", algorithm="SVC"))
        step.log_metric("accuracy", 0.9, of=model)
    return model


def test_an_atomic_run_is_invisible_until_it_ends(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("digits")
    before = len(repo.store)
    run = exp.run(atomic=True, config={"seed": 1}).start()
    model = _pipeline(run)
    assert len(repo.store) == before
    assert _runs(repo) == 0
    run.end()
    assert _runs(repo) == 1
    up = lineage.upstream(repo, model)
    assert [s.name for s in up.steps] == ["train", "prepare"]
    assert [a.name for a in up.raw_inputs] == ["raw"]
    status = repo.select("SELECT ?s WHERE { ?r a kg:Run ; kg:status ?s }")
    assert [row["s"] for row in status] == [kgrepo.Status.SUCCEEDED.iri.value]


def test_it_records_the_same_statements_as_a_run_written_as_it_happens(
    repo: kgrepo.Repository,
) -> None:
    """Same pipeline, both ways: the same shape of graph (apart from IRIs and times)."""
    shapes = []
    for atomic in (False, True):
        with repo.experiment(f"e{atomic}").run(atomic=atomic) as run:
            _pipeline(run)
        rows = repo.select(
            "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p ORDER BY ?p",
            g=run.iri,
        )
        shapes.append({row["p"]: row["n"] for row in rows})
    assert shapes[0] == shapes[1]
    assert shapes[0]


def test_an_abandoned_atomic_run_leaves_nothing(repo: kgrepo.Repository) -> None:
    """What a crash before the end leaves: the run was only ever in the process's memory."""
    exp = repo.experiment("digits")
    before = len(repo.store)
    run = exp.run(atomic=True).start()
    _pipeline(run)
    del run
    assert len(repo.store) == before
    assert repo.stale_runs() == []


def test_a_run_after_an_abandoned_atomic_run_describes_its_environment(
    repo: kgrepo.Repository,
) -> None:
    """The abandoned run wrote nothing, its environment's description included: the next run
    must write it, not take it as known."""
    exp = repo.experiment("digits")
    exp.run(atomic=True).start()
    with exp.run() as run:
        pass
    rows = repo.select(
        "SELECT (COUNT(*) AS ?n) WHERE { ?r kg:environment ?env . GRAPH ?env { ?env ?p ?o } }",
        r=run.iri,
    )
    assert rows[0]["n"] > 0


def test_an_exception_records_the_atomic_run_as_failed(repo: kgrepo.Repository) -> None:
    with pytest.raises(RuntimeError), repo.experiment("digits").run(atomic=True) as run:
        _pipeline(run)
        raise RuntimeError("disk full")
    rows = repo.select("SELECT ?s ?m WHERE { ?r kg:status ?s ; kg:errorMessage ?m }", r=run.iri)
    assert rows == [{"s": kgrepo.Status.FAILED.iri.value, "m": "disk full"}]
    assert len(lineage.upstream(repo, _last_model(repo)).steps) == 2


def test_bad_input_in_an_atomic_run_is_refused_when_given(repo: kgrepo.Repository) -> None:
    run = repo.experiment("digits").run(atomic=True).start()
    with run.step("prepare") as step, pytest.raises(kgrepo.InvalidInput) as err:
        step.use(kgrepo.Dataset("raw", digest="not a digest"))
    assert err.value.field == "digest"
    run.end()
    assert _runs(repo) == 1


def _last_model(repo: kgrepo.Repository) -> str:
    rows = repo.select("SELECT ?m WHERE { ?m a kg:Model }")
    return str(rows[-1]["m"])


# -- REST: a whole run in one request --------------------------------------------------------------

STEPS: list[dict[str, Any]] = [
    {
        "name": "prepare",
        "executable": {"name": "prep.py", "version": "1"},
        "inputs": [{"kind": "Dataset", "name": "raw", "digest": "sha256:" + "b" * 64}],
        "outputs": [{"kind": "Dataset", "name": "clean"}],
    },
    {
        "name": "train",
        "kind": "train",
        "after": ["steps[0]"],
        "inputs": [{"iri": "steps[0].outputs[0]"}],
        "outputs": [{"kind": "Model", "name": "svc", "attributes": {"algorithm": "SVC"}}],
        "params": {"C": 1.0},
        "metrics": [{"name": "accuracy", "value": 0.9, "of": "outputs[0]"}],
    },
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("whole-run")) as live:
        yield live


def _count(client: httpx.Client) -> int:
    response = client.get("/sparql", params={"query": COUNT_RUNS})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.server
def test_a_whole_run_in_one_request(writer: httpx.Client) -> None:
    body = {"experiment": "digits", "config": {"seed": 3}, "status": "Succeeded", "steps": STEPS}
    response = writer.post("/api/v1/runs", json=body)
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["status"] == "Succeeded"
    assert out["agent"] == "writer-user"
    prepare, train = out["steps"]
    assert train["inputs"] == prepare["outputs"]
    model = train["outputs"][0]
    lineage_response = writer.get(
        f"/api/v1/artifacts/{quote(model, safe='')}/lineage", params={"direction": "upstream"}
    )
    assert lineage_response.status_code == 200, lineage_response.text
    steps = lineage_response.json()["steps"]
    assert [s["name"] for s in steps] == ["train", "prepare"]
    assert steps[0]["settings"] == {"C": 1.0}


@pytest.mark.server
@pytest.mark.parametrize("bad", [False, True])
def test_a_whole_run_too_large_for_the_event_loop_is_recorded_the_same(
    writer: httpx.Client, bad: bool
) -> None:
    # Over INLINE_BODY the server records in a worker thread instead of on its event loop.
    steps = [
        {**STEPS[0], "name": f"prepare-{i}", "annotations": {"note": "x" * 300}} for i in range(300)
    ]
    if bad:
        steps[-1] = {**steps[-1], "params": {"C": None}}
    body = {"experiment": "digits", "status": "Succeeded", "steps": steps}
    assert len(json.dumps(body)) > INLINE_BODY
    before = _count(writer)
    response = writer.post("/api/v1/runs", json=body)
    if bad:
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "parameter 'C'"
        assert _count(writer) == before
        return
    assert response.status_code == 201, response.text
    assert len(response.json()["steps"]) == 300
    assert _count(writer) == before + 1


@pytest.mark.server
def test_a_failed_whole_run_keeps_its_error(writer: httpx.Client) -> None:
    body = {"experiment": "digits", "status": "Failed", "error": "OOM", "steps": STEPS[:1]}
    response = writer.post("/api/v1/runs", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "Failed"


@pytest.mark.server
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"steps": [STEPS[0], {**STEPS[1], "after": ["steps[1]"]}]}, "after"),
        ({"steps": [STEPS[0], {**STEPS[1], "inputs": [{"iri": "steps[0].outputs[1]"}]}]}, "iri"),
        ({"steps": [STEPS[0], {**STEPS[1], "params": {"C": None}}]}, "parameter 'C'"),
        (
            {"steps": [STEPS[0], {**STEPS[1], "outputs": [{"name": "m", "x": 1}]}]},
            "steps.1.outputs.0.x",
        ),
        ({"status": None}, "steps"),
        ({"status": "Succeeded", "error": "boom"}, "error"),
    ],
)
def test_bad_input_anywhere_in_a_whole_run_writes_nothing(
    writer: httpx.Client, change: dict[str, Any], field: str
) -> None:
    before = _count(writer)
    name = f"never-{uuid.uuid4().hex}"  # an experiment the refused run names first
    body = {"experiment": name, "status": "Succeeded", "steps": STEPS, **change}
    response = writer.post("/api/v1/runs", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem.get("field", problem.get("errors", [{}])[0].get("field")) == field
    assert _count(writer) == before
    assert writer.get(f"/api/v1/experiments/{name}").status_code == 404


@pytest.mark.server
@pytest.mark.parametrize("whole", [False, True])
def test_the_first_run_of_an_experiment_creates_it_with_its_first_write(
    writer: httpx.Client, whole: bool
) -> None:
    name = f"new-{uuid.uuid4().hex}"
    bad: dict[str, Any] = {"experiment": name, "config": {"seed": [1, {"x": 2}]}}
    if whole:
        bad |= {"status": "Succeeded", "steps": STEPS}
    refused = writer.post("/api/v1/runs", json=bad)
    assert refused.status_code == 422, refused.text
    assert writer.get(f"/api/v1/experiments/{name}").status_code == 404

    good = {**bad, "config": {"seed": 1}}
    response = writer.post("/api/v1/runs", json=good)
    assert response.status_code == 201, response.text
    experiment = writer.get(f"/api/v1/experiments/{name}")
    assert experiment.status_code == 200, experiment.text
    assert experiment.json()["runs"] == 1
    assert experiment.json()["experiment"] == response.json()["experiment"]


@pytest.mark.server
def test_the_client_sends_an_atomic_run_in_one_request(server: LiveServer) -> None:
    """The same script as embedded, one line changed: every step is sent with the run's end."""
    with (
        kgrepo.Client(server.url, token=server.writer) as client,
        server.client(server.writer) as http,
    ):
        before = _count(http)
        with client.experiment("digits").run(atomic=True, config={"seed": 9}) as run:
            with run.step("prepare") as step:
                raw = step.use(kgrepo.Dataset("raw", digest="sha256:" + "c" * 64))
                clean = step.produce(kgrepo.Dataset("clean"))
            with run.step("train", kind="train") as step:
                step.use(clean)
                step.use(raw)
                model = step.produce(kgrepo.Model("svc", algorithm="SVC"))
                step.log_metric("accuracy", 0.8, of=model)
            assert run.iri is None and model.iri is None
            assert _count(http) == before
        assert _count(http) == before + 1
        assert run.status is kgrepo.Status.SUCCEEDED
        assert run.iri is not None and model.iri is not None and raw.iri is not None
        up = http.get(f"/api/v1/artifacts/{quote(model.iri, safe='')}/lineage").json()
        assert [s["name"] for s in up["steps"]] == ["train", "prepare"]
        assert {a["name"] for a in up["artifacts"].values()} == {"raw", "clean", "svc"}
