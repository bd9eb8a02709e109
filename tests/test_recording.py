"""The recording contract, run over every backend (the ``repo`` fixture of conftest.py).

What a user records through the Python API must land as docs/ontology.md says: one named graph per
run and per experiment, statuses and PROV-O times, lineage readable with plain PROV-O and
ML-Schema queries, the environment captured once, custom kinds first-class, crashes leaving a
consistent run behind, and a lossless N-Quads / TriG round trip.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import os
import platform
import re
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

import kgrepo
from kgrepo import (
    Agent,
    Conflict,
    Dataset,
    Executable,
    InvalidInput,
    InvalidState,
    Model,
    NotFound,
    Repository,
    Status,
    StoreUnavailable,
    Trigger,
)

KG = "https://w3id.org/kgrepo#"


# -- helpers -------------------------------------------------------------------------------------


def all_quads(repo: Repository) -> set[Quad]:
    """Every quad of every named graph, read through SPARQL (works on every backend)."""
    rows = repo.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows}


def graphs_of(repo: Repository, subject: NamedNode, predicate: NamedNode) -> set[str]:
    rows = repo.select("SELECT ?s ?p ?g WHERE { GRAPH ?g { ?s ?p ?o } }", s=subject, p=predicate)
    return {r["g"] for r in rows}


def value(repo: Repository, subject: NamedNode | str, predicate: str) -> object:
    """The single value of ``subject predicate``; fails if there is not exactly one."""
    rows = repo.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", s=subject, p=predicate)
    assert len(rows) == 1, (subject, predicate, rows)
    return rows[0]["o"]


def values(repo: Repository, subject: NamedNode | str, predicate: str) -> set[object]:
    rows = repo.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", s=subject, p=predicate)
    return {r["o"] for r in rows}


def status(repo: Repository, subject: NamedNode | str) -> str:
    return str(value(repo, subject, KG + "status")).removeprefix(KG)


def iri(x: object) -> str:
    """The IRI string of an IRI-bearing object (a run, a step, an artifact reference…)."""
    node = x.iri if hasattr(x, "iri") else x
    return node.value if isinstance(node, NamedNode) else str(node)


def record_sketch(repo: Repository) -> dict[str, object]:
    """The sketch of the issue: experiment → run → step using data and producing a model."""
    exp = repo.experiment("digits", goal="recognise handwritten digits")
    trigger = Trigger.manual(by="alice")
    with exp.run(trigger=trigger, config={"seed": 1}) as run:
        exe = Executable("train.py", version="a1")
        with run.step("train", kind="train", executable=exe) as step:
            data = step.use(Dataset("digits", uri="file:///data/digits.csv", digest="sha256:ab"))
            step.set_params(C=1.0, kernel="rbf")
            model = step.produce(Model("svc", framework=("scikit-learn", "1.5")))
            metric = step.log_metric("accuracy", 0.97, of=model)
    return {"exp": exp, "run": run, "step": step, "data": data, "model": model, "metric": metric}


# -- the sketch ------------------------------------------------------------------------------------


def test_sketch_of_the_issue_records_the_whole_lineage(repo: Repository) -> None:
    r = record_sketch(repo)
    run, step, data, model, metric = r["run"], r["step"], r["data"], r["model"], r["metric"]
    assert run.status is Status.SUCCEEDED
    assert step.status is Status.SUCCEEDED

    rows = repo.select(
        """SELECT ?run ?step ?exe ?exeName ?version ?data ?model WHERE {
             ?run kg:hasExecution ?step .
             ?step kg:executes ?exe ; kg:used ?data .
             ?exe rdfs:label ?exeName ; kg:version ?version .
             ?model kg:generatedBy ?step . ?model a kg:Model }""",
        run=iri(run),
    )
    assert rows == [
        {
            "run": iri(run),
            "step": iri(step),
            "exe": rows[0]["exe"],
            "exeName": "train.py",
            "version": "a1",
            "data": iri(data),
            "model": iri(model),
        }
    ]
    assert value(repo, data.iri, KG + "uri") == "file:///data/digits.csv"
    assert value(repo, data.iri, KG + "digest") == "sha256:ab"
    assert value(repo, model.iri, KG + "framework") == "scikit-learn"
    assert value(repo, model.iri, KG + "frameworkVersion") == "1.5"

    settings = repo.select(
        """SELECT ?owner ?name ?value WHERE {
             ?owner kg:hasSetting ?s . ?s kg:parameter ?p ; kg:value ?value .
             ?p rdfs:label ?name }"""
    )
    assert sorted((s["owner"], s["name"], s["value"]) for s in settings) == sorted(
        [(iri(step), "C", 1.0), (iri(step), "kernel", "rbf"), (iri(run), "seed", 1)]
    )

    metrics = repo.select(
        """SELECT ?metric ?measure ?value ?of WHERE {
             ?metric a kg:Metrics ; kg:measure ?m ; kg:value ?value ; kg:evaluates ?of ;
                     kg:generatedBy ?step .
             ?m rdfs:label ?measure }"""
    )
    assert metrics == [
        {"metric": iri(metric), "measure": "accuracy", "value": 0.97, "of": iri(model)}
    ]

    trigger = repo.select(
        """SELECT ?run ?cause ?who WHERE {
             ?run kg:triggeredBy ?e . ?e kg:cause ?cause ; kg:attributedTo ?a .
             ?a rdfs:label ?who }""",
        run=iri(run),
    )
    assert trigger == [{"run": iri(run), "cause": KG + "Manual", "who": "alice"}]
    assert value(repo, r["exp"].iri, KG + "goal") == "recognise handwritten digits"


def test_statuses_and_times_are_recorded(repo: Repository) -> None:
    exp = repo.experiment("timing")
    with exp.run() as run:
        assert status(repo, run.iri) == "Running"
        assert values(repo, run.iri, "http://www.w3.org/ns/prov#endedAtTime") == set()
        with run.step("only") as step:
            pass
        assert status(repo, step.iri) == "Succeeded"
    assert status(repo, run.iri) == "Succeeded"

    prov = "http://www.w3.org/ns/prov#"
    run_start = value(repo, run.iri, prov + "startedAtTime")
    run_end = value(repo, run.iri, prov + "endedAtTime")
    step_start = value(repo, step.iri, prov + "startedAtTime")
    step_end = value(repo, step.iri, prov + "endedAtTime")
    for moment in (run_start, run_end, step_start, step_end):
        assert isinstance(moment, dt.datetime)
        assert moment.tzinfo is not None
    assert run_start <= step_start <= step_end <= run_end  # type: ignore[operator]
    # one status only: the Running status was replaced, not added to
    assert values(repo, run.iri, KG + "status") == {KG + "Succeeded"}


def test_each_run_and_each_experiment_has_its_own_named_graph(repo: Repository) -> None:
    exp = repo.experiment("graphs")
    runs = []
    for n in range(2):
        with exp.run(config={"n": n}) as run, run.step("s") as step:
            step.use(Dataset("d", digest=f"sha256:0{n}"))
        runs.append(run)

    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert graphs_of(repo, exp.iri, rdf_type) == {iri(exp)}
    for run in runs:
        assert graphs_of(repo, run.iri, rdf_type) == {iri(run)}
        assert graphs_of(repo, run.iri, NamedNode(KG + "status")) == {iri(run)}
    # everything minted under a run lives in that run's graph, nowhere else
    for q in all_quads(repo):
        for run in runs:
            if q.subject.value.startswith(iri(run)):
                assert q.graph_name == run.iri, q
    assert runs[0].iri != runs[1].iri


# -- failures and misuse -------------------------------------------------------------------------


def test_an_exception_in_a_step_fails_step_and_run_and_propagates(repo: Repository) -> None:
    exp = repo.experiment("failing")
    with (
        pytest.raises(RuntimeError, match=r"^out of memory$"),
        exp.run() as run,
        run.step("train") as step,
    ):
        step.use(Dataset("d", digest="sha256:aa"))
        raise RuntimeError("out of memory")
    assert run.status is Status.FAILED
    assert step.status is Status.FAILED
    for entity in (run, step):
        assert status(repo, entity.iri) == "Failed"
        assert value(repo, entity.iri, KG + "errorType") == "RuntimeError"
        assert value(repo, entity.iri, KG + "errorMessage") == "out of memory"
        assert values(repo, entity.iri, "http://www.w3.org/ns/prov#endedAtTime")


def test_an_exception_in_a_run_outside_steps_fails_the_run(repo: Repository) -> None:
    exp = repo.experiment("failing")
    with pytest.raises(KeyError, match="'missing'"), exp.run() as run:
        raise KeyError("missing")
    assert status(repo, run.iri) == "Failed"
    assert value(repo, run.iri, KG + "errorType") == "KeyError"


def test_a_step_used_after_its_run_ended_raises_invalid_state(repo: Repository) -> None:
    exp = repo.experiment("late")
    run = exp.run().start()
    step = run.step("open")
    step.__enter__()
    run.end()
    with pytest.raises(InvalidState, match=r"run <.*> has ended \(Succeeded\)"):
        step.use(Dataset("late data"))
    with pytest.raises(InvalidState, match=r"run <.*> has ended \(Succeeded\)"):
        step.log_metric("accuracy", 0.5)
    with pytest.raises(InvalidState, match=r"run <.*> has ended \(Succeeded\)"):
        run.step("another")
    assert (
        repo.select(
            "SELECT ?x WHERE { ?x rdfs:label ?l FILTER(?l IN ('late data', 'open', 'another')) }"
        )
        == []
    )


def test_a_step_used_after_it_ended_raises_invalid_state(repo: Repository) -> None:
    exp = repo.experiment("late")
    with exp.run() as run:
        with run.step("done") as step:
            pass
        with pytest.raises(InvalidState, match="Step 'done' has ended"):
            step.use(Dataset("late data"))
        with pytest.raises(InvalidState, match="Step 'done' has ended"):
            step.set_params(lr=0.1)
        with pytest.raises(InvalidState, match="Step 'done' has ended"):
            step.produce(Model("late model"))
        with pytest.raises(InvalidState, match="Step 'done' has ended"):
            step.annotate(note="late")
    assert run.status is Status.SUCCEEDED
    assert repo.select("SELECT ?s WHERE { ?s kg:hasSetting ?x }") == []


def test_a_step_not_entered_raises_invalid_state(repo: Repository) -> None:
    exp = repo.experiment("unentered")
    with exp.run() as run:
        step = run.step("later")
        with pytest.raises(InvalidState, match="Step 'later' has not started"):
            step.use(Dataset("d"))


# -- identity, ordering, annotations ---------------------------------------------------------------


def test_same_kind_and_digest_is_one_artifact_across_runs(repo: Repository) -> None:
    exp = repo.experiment("identity")
    refs = []
    for _ in range(2):
        with exp.run() as run, run.step("load") as step:
            refs.append(step.use(Dataset("digits", digest="sha256:abc123")))
            refs.append(step.produce(Model("m", digest="sha256:abc123")))
    data1, model1, data2, model2 = refs
    assert data1.iri == data2.iri
    assert model1.iri == model2.iri
    assert data1.iri != model1.iri  # same digest, other kind: another artifact
    rows = repo.select("SELECT DISTINCT ?a WHERE { ?a a kg:Dataset }")
    assert rows == [{"a": iri(data1)}]
    # described once, in the entity graph: no statement is repeated by every run graph
    assert graphs_of(repo, data1.iri, NamedNode(KG + "digest")) == {repo.base + "entities"}
    rows = repo.select("SELECT ?run ?a WHERE { ?run kg:consumed ?a }", a=data1.iri)
    assert len(rows) == 2


def test_without_digest_artifacts_are_distinct(repo: Repository) -> None:
    exp = repo.experiment("identity")
    with exp.run() as run, run.step("load") as step:
        a = step.use(Dataset("digits"))
        b = step.use(Dataset("digits"))
    assert a.iri != b.iri


def test_steps_follow_the_previously_ended_step_by_default(repo: Repository) -> None:
    exp = repo.experiment("order")
    with exp.run() as run:
        with run.step("prepare") as prepare:
            pass
        with run.step("train") as train:
            pass
        with run.step("side branch", after=[]) as branch:
            pass
        with run.step("evaluate", after=[train, branch]) as evaluate:
            pass
        with run.step("deploy") as deploy:
            pass
    follows = KG + "follows"
    assert values(repo, prepare.iri, follows) == set()
    assert values(repo, train.iri, follows) == {iri(prepare)}
    assert values(repo, branch.iri, follows) == set()
    assert values(repo, evaluate.iri, follows) == {iri(train), iri(branch)}
    assert values(repo, deploy.iri, follows) == {iri(evaluate)}
    # the PROV-O super-property is materialised
    informed = values(repo, train.iri, "http://www.w3.org/ns/prov#wasInformedBy")
    assert informed == {iri(prepare)}


def test_after_refuses_a_step_of_another_run(repo: Repository) -> None:
    exp = repo.experiment("order")
    with exp.run() as first, first.step("a") as a:
        pass
    with (
        exp.run() as second,
        pytest.raises(InvalidInput, match=r"field 'after'.*expected steps of the same run"),
    ):
        second.step("b", after=[a])


def test_annotations_are_queryable(repo: Repository) -> None:
    exp = repo.experiment("notes", annotations={"owner": "team-a"})
    with (
        exp.run(annotations={"ticket": 42, "tags": ["x", "y"]}) as run,
        run.step("s", annotations={"gpu": True}) as step,
    ):
        step.annotate(comment="looked fine")
        data = step.use(Dataset("d", annotations={"licence": "CC-BY", "weight": 0.5}))
    rows = repo.select(
        """SELECT ?owner ?key ?value WHERE {
             ?owner kg:annotation ?a .
             ?a a kg:Annotation ; kg:key ?key ; kg:annotationValue ?value }"""
    )
    assert sorted((r["owner"], r["key"], str(r["value"])) for r in rows) == sorted(
        [
            (iri(exp), "owner", "team-a"),
            (iri(run), "ticket", "42"),
            (iri(run), "tags", '["x", "y"]'),
            (iri(step), "gpu", "True"),
            (iri(step), "comment", "looked fine"),
            (iri(data), "licence", "CC-BY"),
            (iri(data), "weight", "0.5"),
        ]
    )


# -- FR9: the environment ------------------------------------------------------------------------

ENV_QUERY = """
SELECT ?run ?env ?python ?platform ?host ?version WHERE {
  ?run kg:environment ?env .
  ?env a kg:Environment ; kg:pythonVersion ?python ; kg:platform ?platform ; kg:host ?host ;
       kg:hasPackage ?package .
  ?package rdfs:label "pyoxigraph" ; kg:version ?version }
"""


def test_environment_is_captured(repo: Repository) -> None:
    with repo.experiment("env").run() as run:
        pass
    rows = repo.select(ENV_QUERY, run=iri(run))
    assert len(rows) == 1
    row = rows[0]
    assert row["python"] == platform.python_version()
    assert row["platform"] == platform.platform()
    assert row["host"] == socket.gethostname()
    assert row["version"] == importlib.metadata.version("pyoxigraph")
    assert value(repo, run.iri, KG + "host") == socket.gethostname()
    assert value(repo, run.iri, KG + "pid") == os.getpid()
    # the environment is in its own graph, not in the run's
    env = NamedNode(row["env"])
    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert graphs_of(repo, env, rdf_type) == {row["env"]}
    packages = repo.select("SELECT ?env ?p WHERE { ?env kg:hasPackage ?p }", env=env)
    assert len(packages) > 5


def test_environment_graph_is_written_once_for_many_runs(repo: Repository) -> None:
    exp = repo.experiment("env")
    sizes = []
    for _ in range(3):
        with exp.run():
            pass
        sizes.append(len([q for q in all_quads(repo) if "/environment/" in q.graph_name.value]))
    assert sizes[0] == sizes[1] == sizes[2] > 0
    rows = repo.select("SELECT DISTINCT ?env WHERE { ?run kg:environment ?env }")
    assert len(rows) == 1
    assert len(repo.select("SELECT ?env WHERE { ?env a kg:Environment }")) == 1


def test_environment_is_shared_after_reopening(tmp_path: Path) -> None:
    with Repository.open(tmp_path / "store") as repo, repo.experiment("env").run():
        pass
    with Repository.open(tmp_path / "store") as repo:
        with repo.experiment("env").run():
            pass
        assert len(repo.select("SELECT ?env WHERE { ?env a kg:Environment }")) == 1
        assert len(repo.select("SELECT ?run WHERE { ?run a kg:Run }")) == 2


GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture
def git_tree(tmp_path: Path) -> Path:
    """A git working tree with two commits on branch ``main``."""
    tree = tmp_path / "project"
    (tree / "src").mkdir(parents=True)
    git(tree, "init", "-q", "-b", "main")
    (tree / "train.py").write_text("print('hi')\n")
    git(tree, "add", "train.py")
    git(tree, "commit", "-q", "-m", "first")
    git(tree, "commit", "-q", "--allow-empty", "-m", "second")
    return tree


def code_version_of(repo: Repository) -> dict[str, object]:
    with repo.experiment("code").run() as run:
        pass
    rows = repo.select(
        """SELECT ?run ?commit ?tree WHERE {
             ?run kg:codeVersion ?commit . OPTIONAL { ?run kg:codeRepository ?tree } }""",
        run=iri(run),
    )
    return rows[0] if rows else {}


@pytest.mark.parametrize("layout", ["branch", "detached", "packed-refs"])
def test_code_version_is_the_commit_of_the_working_tree(
    repo: Repository, git_tree: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    if layout == "detached":
        git(git_tree, "checkout", "-q", "--detach", "HEAD~1")
    elif layout == "packed-refs":
        git(git_tree, "pack-refs", "--all", "--prune")
        assert not (git_tree / ".git" / "refs" / "heads" / "main").exists()
    commit = git(git_tree, "rev-parse", "HEAD")
    monkeypatch.chdir(git_tree / "src")  # a sub-folder of the working tree
    found = code_version_of(repo)
    assert found["commit"] == commit
    assert found["tree"] == str(git_tree.resolve())


def test_code_version_in_a_linked_worktree(
    repo: Repository, git_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = git_tree.parent / "linked"
    git(git_tree, "worktree", "add", "-q", "-b", "feature", str(linked), "HEAD~1")
    monkeypatch.chdir(linked)
    found = code_version_of(repo)
    assert found["commit"] == git(linked, "rev-parse", "HEAD")
    assert found["commit"] != git(git_tree, "rev-parse", "HEAD")


def test_no_code_version_outside_a_git_tree(
    repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    if any((p / ".git").exists() for p in (outside, *outside.parents)):
        pytest.skip("the temporary directory is inside a git working tree")
    monkeypatch.chdir(outside)
    assert code_version_of(repo) == {}


# -- experiments -----------------------------------------------------------------------------------


def test_experiment_returns_the_existing_experiment(repo: Repository) -> None:
    first = repo.experiment("digits", goal="recognise digits")
    before = all_quads(repo)
    again = repo.experiment("digits")
    same_goal = repo.experiment("digits", goal="recognise digits")
    assert again.iri == same_goal.iri == first.iri
    assert again.goal == same_goal.goal == "recognise digits"
    assert all_quads(repo) == before
    assert len(repo.experiments()) == 1


def test_experiment_refuses_a_contradicting_goal(repo: Repository) -> None:
    repo.experiment("digits", goal="recognise digits")
    before = all_quads(repo)
    with pytest.raises(
        InvalidInput, match="field 'goal' = 'classify letters': the experiment exists with goal"
    ):
        repo.experiment("digits", goal="classify letters")
    assert all_quads(repo) == before


def test_runs_of_an_experiment_are_listed(repo: Repository) -> None:
    exp = repo.experiment("digits")
    for _ in range(2):
        with exp.run():
            pass
    assert [(e["name"], e["runs"]) for e in repo.experiments()] == [("digits", 2)]


# -- FR11: custom kinds ----------------------------------------------------------------------------

VALIDATION = {"verdict": (str, True), "history": str, "score": float, "attempts": int}


def test_custom_kind_is_recorded_and_queried_like_a_builtin(repo: Repository) -> None:
    Validation = repo.register_kind("Validation", VALIDATION, description="a validation verdict")
    exp = repo.experiment("custom")
    with exp.run() as run, run.step("validate", kind="evaluate") as step:
        model = step.use(Model("m", digest="sha256:01"))
        check = step.produce(
            Validation("check-1", verdict="pass", score=0.75, attempts=2, digest="sha256:02")
        )
        step.produce(Validation("check-2", verdict="fail"))
    assert model.iri != check.iri

    by_class = repo.select("SELECT ?kind ?v ?name WHERE { ?v a ?kind ; rdfs:label ?name }",
                           kind=Validation.iri)  # fmt: skip
    assert sorted(r["name"] for r in by_class) == ["check-1", "check-2"]
    verdict = Validation.attributes["verdict"].predicate
    rows = repo.select("SELECT ?v ?verdict WHERE { ?v ?verdict 'pass' }", verdict=verdict)
    assert [r["v"] for r in rows] == [iri(check)]
    assert value(repo, check.iri, Validation.attributes["score"].predicate.value) == 0.75
    assert value(repo, check.iri, Validation.attributes["attempts"].predicate.value) == 2
    # a custom kind is an artifact, a PROV-O entity, and generated by the step
    artifacts = repo.select("SELECT ?x WHERE { ?x a kg:Artifact ; rdfs:label 'check-2' }")
    assert len(artifacts) == 1
    entities = repo.select(
        "SELECT ?s ?x WHERE { ?x a prov:Entity ; prov:wasGeneratedBy ?s }", s=step.iri
    )
    assert {iri(check)} <= {r["x"] for r in entities}
    assert repo.kind("Validation") == Validation
    assert "Validation" in [k.name for k in repo.kinds()]


def test_custom_kind_under_dataset_is_an_ml_schema_dataset(repo: Repository) -> None:
    Images = repo.register_kind("ImageFolder", {"resolution": int}, parent="Dataset")
    with repo.experiment("custom").run() as run, run.step("s") as step:
        ref = step.use(Images("faces", resolution=224, storage_type="blob"))
    rows = repo.select(
        "SELECT ?run ?x WHERE { ?run mls:hasInput ?x . ?x a mls:Dataset }", run=run.iri
    )
    assert rows == [{"run": iri(run), "x": iri(ref)}]
    assert value(repo, ref.iri, KG + "storageType") == "blob"


def test_registering_the_same_kind_again_returns_it(repo: Repository) -> None:
    first = repo.register_kind("Validation", VALIDATION)
    before = all_quads(repo)
    again = repo.register_kind("Validation", dict(reversed(VALIDATION.items())))
    assert again == first
    assert again.iri == first.iri
    assert all_quads(repo) == before


def test_a_conflicting_redefinition_raises_conflict_and_writes_nothing(repo: Repository) -> None:
    repo.register_kind("Validation", VALIDATION)
    before = all_quads(repo)
    changed = {**VALIDATION, "attempts": str}
    with pytest.raises(Conflict, match=r"attribute 'attempts' is registered as int.*says str"):
        repo.register_kind("Validation", changed)
    with pytest.raises(Conflict, match="attribute 'extra' is registered as absent"):
        repo.register_kind("Validation", {**VALIDATION, "extra": bool})
    with pytest.raises(Conflict, match="registered with parent Artifact, not Dataset"):
        repo.register_kind("Validation", VALIDATION, parent="Dataset")
    assert all_quads(repo) == before
    assert repo.kind("Validation").attributes["attempts"].type is int


def test_a_required_attribute_is_required(repo: Repository) -> None:
    Validation = repo.register_kind("Validation", VALIDATION)
    with pytest.raises(InvalidInput, match="Validation 'v': field 'verdict' = None: is required"):
        Validation("v", score=0.5)


def test_custom_kinds_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with Repository.open(path) as repo:
        registered = repo.register_kind("Validation", VALIDATION)
    with Repository.open(path) as repo:
        found = repo.kind("Validation")
        assert found == registered
        assert found.attributes["verdict"].required
        with repo.experiment("custom").run() as run, run.step("s") as step:
            step.produce(found("after reopen", verdict="pass"))
        assert repo.register_kind("Validation", VALIDATION) == registered
        rows = repo.select("SELECT ?k ?x WHERE { ?x a ?k }", k=found.iri)
        assert len(rows) == 1


# -- PROV-O and ML-Schema, with no reasoner ------------------------------------------------------


@dataclass
class Pipeline:
    run: kgrepo.Run
    prepare: kgrepo.Step
    train: kgrepo.Step
    raw: kgrepo.ArtifactRef
    clean: kgrepo.ArtifactRef
    model: kgrepo.ArtifactRef
    metric: kgrepo.ArtifactRef


def record_pipeline(repo: Repository) -> Pipeline:
    exp = repo.experiment("digits")
    trigger = Trigger.schedule(by="airflow", reason="monthly")
    with exp.run(trigger=trigger, config={"seed": 7}, agent=Agent("bob", role="owner")) as run:
        with run.step("prepare", executable=Executable("prep.py", version="1")) as prepare:
            raw = prepare.use(Dataset("raw", digest="sha256:0a"))
            clean = prepare.produce(Dataset("clean", digest="sha256:0b"))
        with run.step("train", kind="train", executable=Executable("train.py")) as train:
            train.use(clean)
            train.set_params(C=0.5, kernel="rbf")
            model = train.produce(Model("svc", digest="sha256:0c"))
            metric = train.log_metric("accuracy", 0.9, of=model)
    return Pipeline(run, prepare, train, raw, clean, model, metric)


def test_prov_lineage_with_a_plain_prov_query(repo: Repository) -> None:
    p = record_pipeline(repo)
    rows = repo.select("SELECT ?model ?data WHERE { ?model prov:wasGeneratedBy/prov:used ?data }")
    assert sorted((r["model"], r["data"]) for r in rows) == sorted(
        [
            (iri(p.clean), iri(p.raw)),
            (iri(p.model), iri(p.clean)),
            (iri(p.metric), iri(p.clean)),
        ]
    )


def test_ml_schema_inputs_with_a_plain_ml_schema_query(repo: Repository) -> None:
    p = record_pipeline(repo)
    rows = repo.select("SELECT ?run ?data WHERE { ?run mls:hasInput ?data . ?data a mls:Dataset }")
    # both the kgrepo run and each execution are mls:Run; the run's inputs are its external ones
    assert sorted((r["run"], r["data"]) for r in rows) == sorted(
        [
            (iri(p.run), iri(p.raw)),
            (iri(p.prepare), iri(p.raw)),
            (iri(p.train), iri(p.clean)),
        ]
    )
    runs = repo.select("SELECT ?r WHERE { ?r a mls:Run }")
    assert {r["r"] for r in runs} == {iri(p.run), iri(p.prepare), iri(p.train)}
    # mls:hasOutput only for models and evaluations (mls:Data is disjoint from their union)
    outputs = repo.select("SELECT ?r ?o WHERE { ?r mls:hasOutput ?o }")
    assert {r["o"] for r in outputs} == {iri(p.model), iri(p.metric)}
    assert repo.select("SELECT ?e WHERE { ?e a mls:ModelEvaluation ; mls:hasValue 0.9e0 }") == [
        {"e": iri(p.metric)}
    ]


def test_ml_schema_settings_with_a_plain_ml_schema_query(repo: Repository) -> None:
    p = record_pipeline(repo)
    rows = repo.select(
        """SELECT ?run ?name ?value WHERE {
             ?run mls:hasInput ?setting . ?setting a mls:HyperParameterSetting ;
               mls:specifiedBy ?param ; mls:hasValue ?value .
             ?param a mls:HyperParameter ; rdfs:label ?name }"""
    )
    assert sorted((r["run"], r["name"], str(r["value"])) for r in rows) == sorted(
        [(iri(p.run), "seed", "7"), (iri(p.train), "C", "0.5"), (iri(p.train), "kernel", "rbf")]
    )
    implementations = repo.select(
        "SELECT ?impl ?param WHERE { ?impl a mls:Implementation ; mls:hasHyperParameter ?param }"
    )
    assert len(implementations) == 2  # train.py has C and kernel


def test_prov_agents_triggers_and_times_are_present(repo: Repository) -> None:
    p = record_pipeline(repo)
    rows = repo.select(
        """SELECT ?run ?agent ?event ?start ?end WHERE {
             ?run prov:wasAssociatedWith ?agent ; prov:wasStartedBy ?event ;
                  prov:startedAtTime ?start ; prov:endedAtTime ?end .
             ?agent a prov:Agent . ?event a prov:Entity }""",
        run=p.run.iri,
    )
    assert len(rows) == 1
    assert rows[0]["agent"].endswith("/agent/bob")
    assert rows[0]["start"] <= rows[0]["end"]
    for step in (p.prepare, p.train):
        assert values(repo, step.iri, "http://www.w3.org/ns/prov#wasAssociatedWith") == {
            rows[0]["agent"]
        }
    attributed = repo.select(
        """SELECT ?e ?who WHERE {
             ?e prov:wasAttributedTo ?a . ?a a prov:SoftwareAgent ; rdfs:label ?who }""",
        e=rows[0]["event"],
    )
    assert [r["who"] for r in attributed] == ["airflow"]
    assert repo.query("ASK { ?s prov:wasInformedBy ?p }", s=p.train.iri, p=p.prepare.iri)


# -- crash consistency (on-disk only) -------------------------------------------------------------

CRASHING_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import kgrepo

    repo = kgrepo.Repository.open(sys.argv[1])
    exp = repo.experiment("crash")
    run = exp.run().start()
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


def test_a_crash_leaves_a_consistent_running_run(tmp_path: Path) -> None:
    path = tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr
    run_iri = done.stdout.strip()

    with Repository.open(path) as repo:
        assert status(repo, run_iri) == "Running"
        steps = repo.select(
            "SELECT ?run ?step ?name WHERE { ?run kg:hasExecution ?step . ?step rdfs:label ?name }",
            run=run_iri,
        )
        assert [s["name"] for s in steps] == ["first"]
        assert status(repo, steps[0]["step"]) == "Succeeded"
        # no trace of the second step: not its execution, setting, output or its number
        everything = all_quads(repo)
        text = " ".join(f"{q.subject} {q.object}" for q in everything)
        for trace in ("second", "marker_param", "half-trained", "sha256:03", "/execution/2"):
            assert trace not in text

        stale = repo.stale_runs()
        assert [s.iri for s in stale] == [run_iri]
        assert stale[0].host == socket.gethostname()
        assert isinstance(stale[0].pid, int)

        repo.abandon(run_iri, reason="killed by the test")
        assert status(repo, run_iri) == "Abandoned"
        assert value(repo, run_iri, KG + "reason") == "killed by the test"
        assert isinstance(
            value(repo, run_iri, "http://www.w3.org/ns/prov#endedAtTime"), dt.datetime
        )
        assert repo.stale_runs() == []
        after = all_quads(repo)
        with pytest.raises(InvalidInput, match="field 'status' = 'Abandoned': only a running run"):
            repo.abandon(run_iri)
        with pytest.raises(
            NotFound, match=re.escape("no run <https://kgrepo.example/run/unknown>")
        ):
            repo.abandon("https://kgrepo.example/run/unknown")
        assert all_quads(repo) == after


def test_a_running_run_of_a_live_process_is_not_stale(repo: Repository) -> None:
    with repo.experiment("alive").run() as run:
        assert repo.stale_runs() == []
        assert status(repo, run.iri) == "Running"


def test_abandon_refuses_a_finished_run(repo: Repository) -> None:
    with repo.experiment("done").run() as run:
        pass
    with pytest.raises(InvalidInput, match="field 'status' = 'Succeeded': only a running run"):
        repo.abandon(run.iri)


HOLDING_SCRIPT = textwrap.dedent(
    """
    import sys
    import kgrepo

    repo = kgrepo.Repository.open(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.read()
    repo.close()
    """
)


def test_a_second_process_gets_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDING_SCRIPT, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(
            StoreUnavailable, match=r"cannot open the store at .*one process at a time"
        ):
            Repository.open(path)
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    with Repository.open(path) as repo:  # released once the holder closed it
        assert repo.experiments() == []


def test_opening_the_same_path_twice_in_one_process_gets_store_unavailable(tmp_path: Path) -> None:
    with (
        Repository.open(tmp_path / "store"),
        pytest.raises(StoreUnavailable, match="cannot open the store at"),
    ):
        Repository.open(tmp_path / "store")


@pytest.mark.parametrize("where", ["memory", "disk"])
def test_closing_twice_is_harmless(tmp_path: Path, where: str) -> None:
    repo = Repository.in_memory() if where == "memory" else Repository.open(tmp_path / "store")
    repo.close()
    repo.close()


# -- export and import ---------------------------------------------------------------------------


def record_varied(repo: Repository) -> None:
    exp = repo.experiment('quotes " and > and """', annotations={"note": "line\nbreak }"})
    with exp.run(config={"opt": {"lr": 0.1}, "layers": [1, 2]}) as run, run.step("s") as step:
        data = step.use(Dataset("ünïcødé", digest="sha256:aa", characteristics={"rows": 3}))
        step.produce(Model("m", uri="s3://bucket/key"))
        step.log_metric("loss", 1e-9, of=data)


@pytest.mark.parametrize("format", ["nquads", "trig"])
def test_dump_and_load_round_trip(
    repo: Repository, new_repo: Callable[[], Repository], format: str
) -> None:
    record_varied(repo)
    with pytest.raises(RuntimeError, match="boom"), repo.experiment("x").run():
        raise RuntimeError("boom")
    buffer = io.BytesIO()
    repo.dump(buffer, format)
    copy = new_repo()
    copy.load(io.BytesIO(buffer.getvalue()), format)
    original = all_quads(repo)
    assert all_quads(copy) == original
    assert {q.graph_name for q in original} >= {
        NamedNode(e["experiment"]) for e in repo.experiments()
    }


@pytest.mark.parametrize("format", ["turtle", "ntriples", "NQUADS", "xml", ""])
def test_dump_and_load_refuse_other_formats(repo: Repository, format: str) -> None:
    with pytest.raises(InvalidInput, match=f"field 'format' = '{format}': use 'nquads' or 'trig'"):
        repo.dump(io.BytesIO(), format)
    with pytest.raises(InvalidInput, match=f"field 'format' = '{format}': use 'nquads' or 'trig'"):
        repo.load(io.BytesIO(b""), format)


@pytest.mark.parametrize(
    ("format", "data"),
    [
        (
            "nquads",
            b'<http://a/s> <http://a/p> "ok" <http://a/g> .\n<http://a/s> <http://a/p> "open .\n',
        ),
        (
            "nquads",
            b"<http://a/s> <http://a/p> <http://a/o> <http://a/g> .\n"
            b"<rel> <http://a/p> <http://a/o> .\n",
        ),
        ("trig", b"@prefix a: <http://a/> .\na:g { a:s a:p a:o . }\na:g2 { a:s a:p }\n"),
    ],
)
def test_a_file_that_does_not_parse_adds_nothing(
    repo: Repository, format: str, data: bytes
) -> None:
    record_varied(repo)
    before = all_quads(repo)
    with pytest.raises(InvalidInput, match=f"Import: field 'data' = '{format}': does not parse"):
        repo.load(io.BytesIO(data), format)
    assert all_quads(repo) == before


def test_literals_keep_their_datatypes_after_a_round_trip(
    repo: Repository, new_repo: Callable[[], Repository]
) -> None:
    record_varied(repo)
    buffer = io.BytesIO()
    repo.dump(buffer, "trig")
    copy = new_repo()
    copy.load(io.BytesIO(buffer.getvalue()), "trig")
    rows = copy.query("SELECT ?v WHERE { ?m a kg:Metrics ; kg:value ?v }")
    assert [r["v"] for r in rows] == [Literal(1e-9)]
