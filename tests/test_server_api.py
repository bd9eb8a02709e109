"""The REST API of a live ``kgrepo serve``: recording, tokens and roles, problems, lineage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from _live_server import LiveServer, live_server, soon

pytestmark = pytest.mark.server

PROBLEM = "https://w3id.org/kgrepo/problems/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("server"), "--demo") as live:
        yield live


def _problem(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["type"] == PROBLEM + slug
    assert body["status"] == status
    return body


def _select(client: httpx.Client, query: str) -> list[dict[str, str]]:
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def _id(iri: str) -> str:
    """An IRI as one path segment: percent-encoded, as any path parameter is."""
    return quote(iri, safe="")


def _run(client: httpx.Client, **extra: object) -> str:
    response = client.post("/api/v1/runs", json={"experiment": "digits", **extra})
    assert response.status_code == 201, response.text
    iri: str = response.json()["iri"]
    return iri


STEP = {
    "name": "train",
    "kind": "train",
    "executable": {"name": "train.py", "version": "1.0"},
    "inputs": [
        {"kind": "Dataset", "name": "d", "digest": "sha256:ab", "characteristics": {"rows": 3}}
    ],
    "outputs": [{"kind": "Model", "name": "m", "attributes": {"algorithm": "SVC"}}],
    "params": {"C": 1.0},
    "metrics": [{"name": "accuracy", "value": 0.9, "of": "outputs[0]"}],
}


def test_healthz_needs_no_token(server: LiveServer) -> None:
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}


def test_records_a_run_attributed_to_the_token_owner(writer: httpx.Client) -> None:
    run = _run(writer, config={"seed": 1})
    step = writer.post(f"/api/v1/runs/{run}/steps", json=STEP)
    assert step.status_code == 201, step.text
    model = step.json()["outputs"][0]
    ended = writer.post(f"/api/v1/runs/{run}/end", json={"status": "Succeeded"})
    assert ended.json()["status"] == "Succeeded"
    rows = _select(
        writer,
        f"SELECT DISTINCT ?a WHERE {{ <{run}> prov:wasAssociatedWith ?a . "
        f"<{step.json()['iri']}> prov:wasAssociatedWith ?a }}",
    )
    assert [r["a"] for r in rows] == ["https://kgrepo.example/agent/writer-user"]
    lineage = writer.get(f"/api/v1/artifacts/{_id(model)}/lineage", params={"depth": 1}).json()
    assert lineage["steps"][0]["settings"] == {"C": 1.0}
    # the run ended: adding to it is a clear conflict
    again = writer.post(f"/api/v1/runs/{run}/steps", json=STEP)
    _problem(again, 409, "run-not-open")


def test_run_ids_may_be_short(writer: httpx.Client) -> None:
    run = _run(writer)
    short = run.rsplit("/", 1)[1]
    assert writer.get(f"/api/v1/runs/{short}/status").json()["status"] == "Running"
    writer.post(f"/api/v1/runs/{short}/end", json={"status": "Failed", "error": "boom"})
    assert writer.get(f"/api/v1/runs/{short}/status").json()["status"] == "Failed"


def test_no_token_is_401(server: LiveServer) -> None:
    body = _problem(httpx.get(server.url + "/api/v1/experiments"), 401, "unauthenticated")
    assert "token" in str(body["detail"])
    body = _problem(
        httpx.get(server.url + "/api/v1/experiments", headers={"Authorization": "Basic eDp5"}),
        401,
        "unauthenticated",
    )


def test_unknown_revoked_and_expired_tokens_are_401(server: LiveServer) -> None:
    url = server.url + "/api/v1/experiments"
    _problem(httpx.get(url, headers=server.headers("kgr_nonsense")), 401, "unauthenticated")
    store = server.tokens()
    revoked = store.create("mallory", "writer")
    assert httpx.get(url, headers=server.headers(revoked.token)).status_code == 200
    store.revoke(revoked.id)
    body = _problem(httpx.get(url, headers=server.headers(revoked.token)), 401, "unauthenticated")
    assert body["detail"] == "this token was revoked"
    expiring = store.create("eve", "reader", expires_in=soon(0.05))
    time.sleep(0.1)
    body = _problem(httpx.get(url, headers=server.headers(expiring.token)), 401, "unauthenticated")
    assert body["detail"] == "this token has expired"
    store.close()


def test_reader_token_on_a_write_route_is_403(server: LiveServer) -> None:
    with server.client(server.reader) as reader:
        assert reader.get("/api/v1/experiments").status_code == 200
        body = _problem(
            reader.post("/api/v1/runs", json={"experiment": "digits"}), 403, "forbidden"
        )
        assert body["role"] == "reader" and body["needed"] == "writer"


def test_writer_cannot_update_admin_can(server: LiveServer, writer: httpx.Client) -> None:
    update = "INSERT DATA { GRAPH <urn:g:admin> { <urn:a> <urn:b> <urn:c> } }"
    headers = {"content-type": "application/sparql-update"}
    _problem(writer.post("/sparql/update", content=update, headers=headers), 403, "forbidden")
    with server.client(server.admin) as admin:
        assert admin.post("/sparql/update", content=update, headers=headers).status_code == 204
    assert _select(writer, "SELECT ?o WHERE { <urn:a> <urn:b> ?o }") == [{"o": "urn:c"}]


def _executions(client: httpx.Client) -> int:
    rows = _select(client, "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a kg:Execution }")
    return int(rows[0]["n"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**STEP, "params": {"C": None}}, "parameter 'C'"),
        ({**STEP, "metrics": [{"name": "accuracy", "value": 0.5, "of": "outputs[3]"}]}, None),
        ({**STEP, "outputs": [{"kind": "Nope", "name": "m"}]}, None),
        (
            {**STEP, "inputs": [{"kind": "Dataset", "name": "d", "digest": "not a digest"}]},
            "digest",
        ),
        (
            {**STEP, "outputs": [{"kind": "Model", "name": "m", "attributes": {"colour": "red"}}]},
            "colour",
        ),
        ({**STEP, "inputs": [{"iri": "https://kgrepo.example/artifact/none"}]}, None),
        ({**STEP, "after": ["not a step"]}, "after"),
    ],
)
def test_bad_steps_write_nothing(
    writer: httpx.Client, body: dict[str, object], field: str | None
) -> None:
    run = _run(writer)
    before = _executions(writer)
    response = writer.post(f"/api/v1/runs/{run}/steps", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert response.json()["field"] == field
    assert _executions(writer) == before
    # the run is still open and usable
    assert writer.post(f"/api/v1/runs/{run}/steps", json=STEP).status_code == 201


def test_nan_metric_is_refused(writer: httpx.Client) -> None:
    run = _run(writer)
    content = '{"name": "e", "metrics": [{"name": "accuracy", "value": NaN}]}'
    response = writer.post(
        f"/api/v1/runs/{run}/steps", content=content, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text


def test_malformed_json_wrong_types_unknown_fields(writer: httpx.Client) -> None:
    json_type = {"content-type": "application/json"}
    body = _problem(
        writer.post("/api/v1/runs", content=b'{"experiment": ', headers=json_type),
        422,
        "request-validation",
    )
    assert "JSON" in str(body["detail"])
    body = _problem(
        writer.post("/api/v1/runs", json={"experiment": "digits", "config": 3}),
        422,
        "request-validation",
    )
    assert body["errors"][0]["field"] == "config"  # type: ignore[index]
    body = _problem(
        writer.post("/api/v1/runs", json={"experiment": "digits", "colour": "red"}),
        422,
        "request-validation",
    )
    assert body["errors"][0]["field"] == "colour"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'{"name": "digits \\ud800"}', "name"),
        (b'{"name": "digits", "annotations": {"team \\udc00": "x"}}', "annotations"),
        (b'{"name": "digits", "goal": "\\ud83d"}', "goal"),
    ],
)
def test_text_that_is_not_unicode_is_422_naming_the_field(
    writer: httpx.Client, content: bytes, field: str
) -> None:
    """JSON's \\u escapes can carry a lone surrogate; it is refused, and the problem quoting it
    is still valid JSON (it once made the error response itself fail, a 500)."""
    json_type = {"content-type": "application/json"}
    response = writer.post("/api/v1/experiments", content=content, headers=json_type)
    body = _problem(response, 422, "request-validation")
    assert body["errors"][0]["field"] == field  # type: ignore[index]
    # A surrogate pair is one character (an emoji), and welcome.
    emoji = b'{"name": "digits", "annotations": {"mood": "\\ud83d\\ude00"}}'
    assert writer.post("/api/v1/experiments", content=emoji, headers=json_type).status_code == 201


def test_oversized_bodies_are_413(server: LiveServer, writer: httpx.Client) -> None:
    big = b'{"experiment": "' + b"x" * 2_000_000 + b'"}'
    _problem(
        writer.post("/api/v1/runs", content=big, headers={"content-type": "application/json"}),
        413,
        "body-too-large",
    )

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 50_000

    _problem(
        writer.post(
            "/sparql", content=chunks(), headers={"content-type": "application/sparql-query"}
        ),
        413,
        "body-too-large",
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/artifacts/http://bad iri with spaces/lineage",
        "/api/v1/runs/%3Cnot%3E/dag",
        "/api/v1/artifacts/https://kgrepo.example/experiment/digits/lineage",
        "/api/v1/runs/unknown/status",
    ],
)
def test_bad_iris_in_paths_are_4xx(writer: httpx.Client, path: str) -> None:
    response = writer.get(path)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_lineage_questions_on_the_demo(writer: httpx.Client) -> None:
    experiments = writer.get("/api/v1/experiments").json()
    tuning = ["breast-cancer", "digits", "iris", "synth-imbalanced", "wine"]  # demo.record_tuning
    assert sorted(e["name"] for e in experiments) == ["digits", *(f"tune-{d}" for d in tuning)]
    models = writer.get(
        "/api/v1/artifacts", params={"kind": "Model", "sort": "metric:accuracy", "descending": True}
    ).json()
    assert models["total"] >= 2
    good = models["items"][0]["iri"]
    bad = models["items"][1]["iri"]
    up = writer.get(f"/api/v1/artifacts/{_id(good)}/lineage").json()
    assert {a["name"] for a in up["artifacts"].values()} >= {"digits", "digits-train"}
    runs = writer.get("/api/v1/experiments/digits/runs").json()["runs"]
    assert len(runs) >= 2
    dag = writer.get(f"/api/v1/runs/{runs[0]['iri']}/dag").json()
    assert [e["name"] for e in dag["executions"]] == ["prepare", "train", "evaluate"]
    trace = writer.get("/api/v1/experiments/digits/trace").json()
    assert trace["runs"]
    diff = writer.get("/api/v1/diff/artifacts", params={"a": good, "b": bad}).json()
    assert diff["differences"]
    recipe = writer.get(f"/api/v1/artifacts/{_id(good)}/recipe").json()
    assert [s["name"] for s in recipe["steps"]] == ["prepare", "train"]
    trigger = writer.get(f"/api/v1/runs/{runs[0]['iri']}/trigger").json()
    assert trigger["cause"]


def test_a_lineage_over_the_servers_max_steps_is_422_too_large(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with (
        live_server(tmp_path_factory.mktemp("small"), "--demo", "--max-steps", "1") as small,
        small.client(small.reader) as reader,
    ):
        models = reader.get("/api/v1/artifacts", params={"kind": "Model", "limit": 1}).json()
        model = _id(models["items"][0]["iri"])
        refused = reader.get(f"/api/v1/artifacts/{model}/lineage")
        body = _problem(refused, 422, "too-large")
        assert "over the limit of 1" in str(body["detail"]) and "depth" in str(body["detail"])
        _problem(reader.get(f"/api/v1/artifacts/{model}/recipe"), 422, "too-large")
        one = reader.get(f"/api/v1/artifacts/{model}/lineage", params={"depth": 1})
        assert one.status_code == 200, one.text
        assert len(one.json()["steps"]) == 1


def test_triggers(writer: httpx.Client) -> None:
    body = {"cause": "data_change", "concerns": "file:///d.csv", "reason": "new data"}
    run = _run(writer, trigger=body)
    trigger = writer.get(f"/api/v1/runs/{run}/trigger").json()
    assert trigger == {
        "cause": "DataChange",
        "by": "writer-user",
        **{k: body[k] for k in ("reason", "concerns")},
    }
    refused = writer.post(
        "/api/v1/runs",
        json={"experiment": "digits", "trigger": {"cause": "manual", "concerns": "file:///x"}},
    )
    assert _problem(refused, 422, "invalid-input")["field"] == "concerns"


def test_experiments_by_name(writer: httpx.Client) -> None:
    created = writer.post("/api/v1/experiments", json={"name": "digits <v2>/b", "goal": "g"})
    assert created.status_code == 201, created.text
    got = writer.get("/api/v1/experiments/" + _id("digits <v2>/b"))
    assert got.status_code == 200, got.text
    assert got.json()["name"] == "digits <v2>/b"
    assert got.json()["experiment"] == created.json()["iri"]


def test_list_paginates_by_cursor(writer: httpx.Client) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"kind": "Artifact", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = writer.get("/api/v1/artifacts", params=params).json()
        seen += [item["iri"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) > 4
    bad = writer.get("/api/v1/artifacts", params={"cursor": "garbage"})
    assert bad.status_code == 422


def test_custom_kind_flag_and_equivalent(writer: httpx.Client) -> None:
    kind = writer.post(
        "/api/v1/kinds",
        json={"name": "Validation", "attributes": {"verdict": {"type": "str", "required": True}}},
    )
    assert kind.status_code == 201, kind.text
    run = _run(writer)
    step = writer.post(
        f"/api/v1/runs/{run}/steps",
        json={
            "name": "validate",
            "executable": {"name": "validate.py", "version": "1"},
            "inputs": [{"kind": "Dataset", "name": "d", "digest": "sha256:cd"}],
            "params": {"strict": True},
            "outputs": [{"kind": "Validation", "name": "v1", "attributes": {"verdict": "pass"}}],
        },
    )
    assert step.status_code == 201, step.text
    writer.post(f"/api/v1/runs/{run}/end", json={})
    listed = writer.get("/api/v1/artifacts", params={"kind": "Validation"}).json()
    assert [i["attributes"]["verdict"] for i in listed["items"]] == ["pass"]
    found = writer.post(
        "/api/v1/equivalent",
        json={
            "executable": {"name": "validate.py", "version": "1"},
            "inputs": [{"kind": "Dataset", "name": "d", "digest": "sha256:cd"}],
            "params": {"strict": True},
        },
    ).json()
    assert found.get("found"), found
    assert found["found"] and found["execution"] == step.json()["iri"]
    assert [o["kind"] for o in found["outputs"]] == ["Validation"]
    # a recorded artifact of a kind with a required attribute, used again by its IRI
    validation = step.json()["outputs"][0]
    again = _run(writer)
    reused = writer.post(
        f"/api/v1/runs/{again}/steps", json={"name": "review", "inputs": [{"iri": validation}]}
    )
    assert reused.status_code == 201, reused.text
    assert reused.json()["inputs"] == [validation]
    dataset = step.json()["inputs"][0]
    flagged = writer.post(f"/api/v1/artifacts/{_id(dataset)}/flags", json={"reason": "leaky"})
    assert flagged.status_code == 201
    suspects = writer.get("/api/v1/suspects").json()
    assert any(s["reason"] == "leaky" for s in suspects)


@pytest.mark.slow
def test_open_runs_are_abandoned_when_the_server_restarts(tmp_path: Path) -> None:
    with live_server(tmp_path) as first, first.client(first.writer) as client:
        run = _run(client)
    # tokens from the first start are still in the token file
    with (
        live_server(tmp_path, tokens=False) as second,
        httpx.Client(base_url=second.url, headers=first.headers(first.writer)) as client,
    ):
        assert client.get(f"/api/v1/runs/{run}/status").json()["status"] == "Abandoned"
        _problem(client.post(f"/api/v1/runs/{run}/steps", json=STEP), 409, "run-not-open")


def test_openapi_documents_every_route(server: LiveServer) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()
    operations = [
        (path, method, op)
        for path, ops in doc["paths"].items()
        if path.startswith("/api/v1")
        for method, op in ops.items()
    ]
    assert len(operations) >= 20
    for path, method, op in operations:
        ok = next(code for code in op["responses"] if code.startswith("2"))
        assert op["responses"][ok]["content"]["application/json"]["schema"], (method, path)
        problem = op["responses"]["401"]["content"]["application/problem+json"]
        assert problem["schema"]["required"] == ["type", "title", "status"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert "$ref" in body["schema"] or "anyOf" in body["schema"], (method, path)
    run_in = doc["components"]["schemas"]["RunIn"]
    assert run_in["properties"]["experiment"]["examples"] == ["digits"]
