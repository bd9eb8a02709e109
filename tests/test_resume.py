"""``Run._resume``: a running run's handle rebuilt from the store (how server workers sharing a
store continue each other's runs), on every backend."""

from __future__ import annotations

import pytest
from pyoxigraph import NamedNode

import kgrepo
from kgrepo.errors import InvalidState, NotFound
from kgrepo.recording import Run

_STEPS = """
SELECT ?run ?step ?name ?status WHERE { ?run kg:hasExecution ?step .
  ?step rdfs:label ?name ; kg:status ?status } ORDER BY ?step"""


def test_a_resumed_run_continues_where_the_store_says(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("digits", goal="recognise digits")
    run = exp.run(agent="alice").start()
    with run.step("prepare") as step:
        clean = step.produce(kgrepo.Dataset("clean", digest="sha256:1"))
    with run.step("explore") as step:
        step.use(clean)

    again = Run._resume(repo, run.iri.value)
    assert (again.iri, again.experiment.iri, again.experiment.name) == (run.iri, exp.iri, "digits")
    assert again.experiment.goal == "recognise digits"
    assert again.agent is not None and again.agent.name == "alice"
    prepare = again._recorded[run.iri.value + "/execution/1"]
    with again.step("train", after=[prepare]) as step:  # a branch after an earlier step
        step.use(clean)  # produced by this run: not one of the run's inputs
        step.produce(kgrepo.Model("svc"))
    with again.step("score"):  # after the last step by default
        pass
    again.end(kgrepo.Status.SUCCEEDED)

    rows = repo.select(_STEPS, run=run.iri)
    assert [(r["step"].rsplit("/", 1)[1], r["name"]) for r in rows] == [
        ("1", "prepare"),
        ("2", "explore"),
        ("3", "train"),
        ("4", "score"),
    ]
    follows = repo.select("SELECT ?a ?b WHERE { ?a kg:follows ?b } ORDER BY ?a")
    assert [(f["a"].rsplit("/", 1)[1], f["b"].rsplit("/", 1)[1]) for f in follows] == [
        ("2", "1"),
        ("3", "1"),
        ("4", "3"),
    ]
    consumed = repo.select("SELECT ?run ?a WHERE { ?run kg:consumed ?a }", run=run.iri)
    assert consumed == []
    status = repo.select("SELECT ?run ?s WHERE { ?run kg:status ?s }", run=run.iri)
    assert [r["s"].rsplit("#", 1)[1] for r in status] == ["Succeeded"]
    ended = repo.select("SELECT ?run ?t WHERE { ?run prov:endedAtTime ?t }", run=run.iri)
    assert len(ended) == 1
    agents = repo.select(
        "SELECT DISTINCT ?step ?agent WHERE { ?step prov:wasAssociatedWith ?agent }",
        step=NamedNode(run.iri.value + "/execution/4"),
    )
    assert len(agents) == 1 and agents[0]["agent"].endswith("alice")


def test_only_a_running_run_resumes(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("digits")
    with exp.run() as run:
        pass
    with pytest.raises(InvalidState, match=r"has ended \(Succeeded\)"):
        Run._resume(repo, run.iri)
    with pytest.raises(NotFound, match="no run <"):
        Run._resume(repo, exp.iri)
