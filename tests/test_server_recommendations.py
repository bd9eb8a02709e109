"""``POST /api/v1/recommendations`` against a live ``kgrepo serve`` on a repository with a trained
embedding model: ranked configurations, recorded as an activity, and problems for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from _live_server import live_server

import kgrepo

pytestmark = [pytest.mark.slow, pytest.mark.server]
pytest.importorskip("sklearn")  # the imports below need it, so they come after

from kgrepo.embeddings import train  # noqa: E402
from test_embeddings_training import CONFIG, record_history  # noqa: E402


def test_recommendations_over_rest(tmp_path: Path) -> None:
    with kgrepo.Repository.open(tmp_path / "repo") as repo:
        record_history(repo, ["iris", "wine", "blobs"])
        train(repo, CONFIG)
    with live_server(tmp_path) as server, server.client(server.writer) as client:
        body = {"characteristics": {"rows": 160, "features": 5, "classes": 2}, "k": 3}
        answer = client.post("/api/v1/recommendations", json=body)
        assert answer.status_code == 200, answer.text
        found = answer.json()
        assert [i["rank"] for i in found["items"]] == [1, 2, 3]
        scores = [i["score"] for i in found["items"]]
        assert scores == sorted(scores, reverse=True)
        assert all(i["supporting_runs"] and i["explanation"] for i in found["items"])
        assert found["unseen"] and found["model"] and found["activity"]
        # the activity is in the graph, linked to the model that made it
        with server.client(server.reader) as reader:
            rows = reader.get(
                "/sparql",
                params={
                    "query": f"ASK {{ <{found['activity']}> <https://w3id.org/kgrepo#used> "
                    f"<{found['model']}> }}"
                },
                headers={"Accept": "application/sparql-results+json"},
            )
            assert rows.json()["boolean"] is True
            denied = reader.post("/api/v1/recommendations", json=body)
            assert denied.status_code == 403
        for bad, field in (
            ({**body, "k": 0}, "k"),
            ({**body, "colour": "red"}, "colour"),
            ({"k": 3}, "experiment"),
        ):
            refused = client.post("/api/v1/recommendations", json=bad)
            assert refused.status_code == 422, refused.text
            assert field in refused.text


def test_no_model_is_a_clear_404(tmp_path: Path) -> None:
    with live_server(tmp_path) as server, server.client(server.writer) as client:
        body = {"characteristics": {"rows": 10, "features": 2, "classes": 2}}
        answer = client.post("/api/v1/recommendations", json=body)
        assert answer.status_code == 404
        problem = answer.json()
        assert problem["type"].endswith("/no-model") and "train" in problem["detail"]
