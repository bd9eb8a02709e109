"""The in-memory lineage index of the embedded store (``kgrepo._lineage_index``).

Every answer read from the index must equal the answer read with the queries
(``lineage._lineage(..., indexed=False)``), before and after writes of every kind: a new run,
details added to an artifact or a step, a replace, a SPARQL update, a new custom kind, and
statements completing a node a record reached without reading it. Remote stores have no index.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServerPool
from pyoxigraph import Literal, NamedNode, Quad

import kgrepo
from kgrepo import Dataset, Executable, Model, Repository, Trigger, demo
from kgrepo import _lineage_index as lineage_index
from kgrepo import lineage as lin
from kgrepo._lineage_index import BUILD_AFTER
from kgrepo._vocab import KG, RDF, RDFS

DIRECTIONS = ("upstream", "downstream")


@pytest.fixture(params=["memory", "disk"])
def embedded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Repository]:
    """A fresh embedded repository, in memory and on disk."""
    repo = Repository.in_memory() if request.param == "memory" else Repository.open(tmp_path / "s")
    yield repo
    repo.close()


def artifacts(repo: Repository) -> list[str]:
    return sorted(r["a"] for r in repo.select("SELECT DISTINCT ?a WHERE { ?a a kg:Artifact }"))


def same(repo: Repository, artifact: str, direction: str, depth: int | None = None) -> lin.Lineage:
    """The indexed answer, checked equal to the queried one."""
    index = repo.store.lineage_index
    if index is not None:
        index.build()  # else the first questions are answered with the queries
    indexed = lin._lineage(repo, artifact, direction, depth)  # type: ignore[arg-type]
    queried = lin._lineage(repo, artifact, direction, depth, indexed=False)  # type: ignore[arg-type]
    assert indexed == queried
    assert indexed.to_dict() == queried.to_dict()
    return indexed


def same_everywhere(repo: Repository, depths: tuple[int | None, ...] = (None, 1, 2)) -> None:
    for artifact in artifacts(repo):
        for direction in DIRECTIONS:
            for depth in depths:
                same(repo, artifact, direction, depth)


def step_of(repo: Repository, name: str) -> str:
    rows = repo.select("SELECT ?e WHERE { ?e a kg:Execution ; rdfs:label ?n }", n=Literal(name))
    assert len(rows) == 1, rows
    return str(rows[0]["e"])


def record_random(repo: Repository, runs: int, seed: int) -> None:
    """Runs of 1–3 steps over shared datasets: each step uses one or two known artifacts (the
    raw datasets or what earlier steps made) and makes one or two, so chains grow across runs and
    experiments and datasets are shared by many."""
    rnd = random.Random(seed)
    known = [Dataset(f"raw-{i}", digest=f"sha256:{i:064x}") for i in range(3)]
    tools = [Executable(f"tool-{i}.py", version=str(i)) for i in range(3)]
    made = 0
    for r in range(runs):
        exp = repo.experiment(f"exp-{r % 3}")
        trigger = Trigger.manual(by=rnd.choice(["alice", "bob"]), reason=f"run {r}")
        with exp.run(trigger=trigger, config={"seed": r}) as run:
            for s in range(rnd.randint(1, 3)):
                with run.step(f"s{r}-{s}", kind="transform", executable=rnd.choice(tools)) as st:
                    for art in rnd.sample(known, min(len(known), rnd.randint(1, 2))):
                        st.use(art)
                    st.set_params(depth=rnd.randint(1, 9), rate=rnd.random())
                    for _ in range(rnd.randint(1, 2)):
                        made += 1
                        kind = Model if rnd.random() < 0.3 else Dataset
                        out = kind(f"a{made}", digest=f"sha256:{10**6 + made:064x}")
                        st.produce(out)
                        known.append(out)


# -- same answers ----------------------------------------------------------------------------------
def test_the_index_answers_the_demo_as_the_queries_do(embedded: Repository) -> None:
    demo.record(embedded)
    index = embedded.store.lineage_index
    assert index is not None and not index.built
    same_everywhere(embedded)
    assert index.built and len(index) > 0


def test_the_first_questions_are_answered_with_queries(embedded: Repository) -> None:
    """A process asking a question or two (a CLI command) does not pay for building the index;
    the question after BUILD_AFTER builds it."""
    result = demo.record(embedded)
    index = embedded.store.lineage_index
    assert index is not None
    answers = []
    for _ in range(BUILD_AFTER):
        answers.append(lin.upstream(embedded, result.bad_model))
        assert not index.built and len(index) == 0
    answers.append(lin.upstream(embedded, result.bad_model))
    assert index.built and len(index) > 0
    assert all(a == answers[0] for a in answers)


def test_the_index_answers_a_generated_repository_as_the_queries_do(embedded: Repository) -> None:
    record_random(embedded, runs=14, seed=3)
    same_everywhere(embedded, depths=(None, 1, 3))


def test_a_cycle_is_walked_once_and_answered_as_the_queries_do(embedded: Repository) -> None:
    model = demo.record(embedded).good_model
    upstream = lin.upstream(embedded, model)
    step = upstream.steps[0].iri
    graph = NamedNode(upstream.steps[0].run)
    # the step consumes its own output, and what it used was made by it too
    embedded.store.extend([Quad(NamedNode(step), KG.used, NamedNode(model), graph)])
    for input_ in upstream.steps[0].inputs:
        embedded.store.extend([Quad(NamedNode(input_), KG.generatedBy, NamedNode(step), graph)])
    for direction in DIRECTIONS:
        for depth in (None, 1, 5):
            same(embedded, model, direction, depth)


def test_a_bounded_cache_forgets_the_oldest_records_and_still_answers_right(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(lineage_index, "MAX_RECORDS", 12)
    with Repository.open(tmp_path / "s") as repo:
        record_random(repo, runs=14, seed=5)
        index = repo.store.lineage_index
        assert index is not None
        for artifact in artifacts(repo):
            for direction in DIRECTIONS:
                same(repo, artifact, direction)
                assert len(index) <= 12
        assert 0 < len(index) <= 12
        record_random(repo, runs=3, seed=6)  # writes touching records kept and forgotten alike
        same_everywhere(repo, depths=(None, 2))
        assert len(index) <= 12


# -- kept current by writes ------------------------------------------------------------------------
def test_a_new_run_consuming_the_root_is_in_the_next_downstream(embedded: Repository) -> None:
    result = demo.record(embedded)
    root = lin.upstream(embedded, result.bad_model).raw_inputs[0].iri
    before = same(embedded, root, "downstream")
    later = embedded.experiment("later")
    with later.run(trigger=Trigger.schedule(by="cron")) as run, run.step("reuse", kind="x") as step:
        step.use(demo.ALPHANUMERIC)
        made = step.produce(Dataset("derived", digest="sha256:" + "d" * 64))
    after = same(embedded, root, "downstream")
    assert len(after.steps) == len(before.steps) + 1
    assert made.iri.value in {a.iri for a in after.descendants}
    assert "reuse" in {s.name for s in after.steps}


def test_details_added_to_an_artifact_or_a_step_show_next_time(embedded: Repository) -> None:
    with embedded.experiment("e").run() as run, run.step("make", kind="transform") as step:
        source = step.use(Dataset("source"))
        out = step.produce(Dataset("out"))
    up = same(embedded, out.iri.value, "upstream")
    assert up.artifacts[source.iri.value].uri is None
    assert up.steps[0].executable is None
    graph = NamedNode(run.iri.value)
    execution = NamedNode(up.steps[0].iri)
    embedded.store.extend(
        [
            Quad(source.iri, KG.uri, Literal("file:///source.csv"), graph),
            Quad(execution, KG.executes, NamedNode("urn:x:tool"), graph),
            Quad(NamedNode("urn:x:tool"), RDFS.label, Literal("tool.py"), graph),
        ]
    )
    up = same(embedded, out.iri.value, "upstream")
    assert up.artifacts[source.iri.value].uri == "file:///source.csv"
    assert up.steps[0].executable is not None and up.steps[0].executable.name == "tool.py"


def test_a_node_described_after_it_was_linked_shows_once_described(embedded: Repository) -> None:
    """A setting, parameter, executable or agent linked to a step in one write and described in a
    later one: the record read in between did not read it (no row), yet must be dropped."""
    manual = Trigger.manual()
    with embedded.experiment("e").run(trigger=manual) as run, run.step("make", kind="x") as step:
        step.use(Dataset("source"))
        out = step.produce(Dataset("out"))
    g = NamedNode(run.iri.value)
    execution = NamedNode(step.iri.value)
    setting, param = NamedNode("urn:x:setting"), NamedNode("urn:x:param")
    tool, event = NamedNode("urn:x:tool"), NamedNode(run.iri.value + "/trigger")
    agent = NamedNode("urn:x:carol")
    embedded.store.extend(
        [
            Quad(execution, KG.hasSetting, setting, g),
            Quad(setting, KG.parameter, param, g),
            Quad(execution, KG.executes, tool, g),
            Quad(event, KG.attributedTo, agent, g),
        ]
    )
    first = same(embedded, out.iri.value, "upstream").steps[0]
    assert (first.settings, first.executable, first.trigger.by) == ({}, None, None)
    embedded.store.extend([Quad(setting, KG.value, Literal(3), g)])
    assert same(embedded, out.iri.value, "upstream").steps[0].settings == {}
    embedded.store.extend([Quad(param, RDFS.label, Literal("depth"), g)])
    assert same(embedded, out.iri.value, "upstream").steps[0].settings == {"depth": 3}
    embedded.store.extend([Quad(tool, RDFS.label, Literal("tool.py"), g)])
    embedded.store.extend([Quad(agent, RDFS.label, Literal("carol"), g)])
    last = same(embedded, out.iri.value, "upstream").steps[0]
    assert last.executable is not None and last.executable.name == "tool.py"
    assert last.trigger.by == "carol"


def test_a_replace_renames_a_step_and_moves_an_output(embedded: Repository) -> None:
    result = demo.record(embedded)
    up = same(embedded, result.good_model, "upstream")
    train = next(s for s in up.steps if s.name == "train")
    prepare = next(s for s in up.steps if s.name == "prepare")
    g = NamedNode(train.run)
    embedded.store.replace(
        [Quad(NamedNode(train.iri), RDFS.label, Literal("train"), g)],
        [Quad(NamedNode(train.iri), RDFS.label, Literal("fit"), g)],
    )
    assert "fit" in {s.name for s in same(embedded, result.good_model, "upstream").steps}
    model = NamedNode(result.good_model)
    embedded.store.replace(
        [Quad(model, KG.generatedBy, NamedNode(train.iri), g)],
        [Quad(model, KG.generatedBy, NamedNode(prepare.iri), g)],
    )
    moved = same(embedded, result.good_model, "upstream")
    assert [s.name for s in moved.steps] == ["prepare"]
    same_everywhere(embedded, depths=(None,))


def test_an_edge_held_in_two_graphs_survives_removing_one(embedded: Repository) -> None:
    result = demo.record(embedded)
    up = same(embedded, result.good_model, "upstream")
    train = next(s for s in up.steps if s.name == "train")
    edge = (NamedNode(result.good_model), KG.generatedBy, NamedNode(train.iri))
    embedded.store.extend([Quad(*edge, NamedNode("urn:x:copy"))])
    embedded.store.replace([Quad(*edge, NamedNode(train.run))], [])
    assert same(embedded, result.good_model, "upstream").steps == up.steps


def test_a_sparql_update_is_reflected_and_drops_the_index(embedded: Repository) -> None:
    result = demo.record(embedded)
    assert "train" in {s.name for s in same(embedded, result.good_model, "upstream").steps}
    index = embedded.store.lineage_index
    assert index is not None and index.built
    embedded.store.update(
        "DELETE { GRAPH ?g { ?e rdfs:label 'train' } } INSERT { GRAPH ?g { ?e rdfs:label 'fit' } }"
        " WHERE { GRAPH ?g { ?e a kg:Execution ; rdfs:label 'train' } }"
    )
    assert not index.built and len(index) == 0
    names = {s.name for s in same(embedded, result.good_model, "upstream").steps}
    assert "fit" in names and "train" not in names


def test_a_load_drops_the_index(embedded: Repository, tmp_path: Path) -> None:
    result = demo.record(embedded)
    other = Repository.in_memory()
    with other.experiment("elsewhere").run() as run, run.step("reuse", kind="x") as step:
        step.use(demo.DIGITS)
        step.produce(Dataset("digits-copy", digest="sha256:" + "c" * 64))
    digits = lin.upstream(embedded, result.good_model).raw_inputs[0].iri
    before = same(embedded, digits, "downstream")
    dump = tmp_path / "other.nq"
    with dump.open("wb") as f:
        other.dump(f)
    with dump.open("rb") as f:
        embedded.load(f)
    after = same(embedded, digits, "downstream")
    assert len(after.steps) == len(before.steps) + 1


def test_a_kind_registered_later_makes_an_artifact_more_specific(embedded: Repository) -> None:
    special = Repository.in_memory().register_kind("Special", {}, parent="Dataset").iri
    with embedded.experiment("e").run() as run, run.step("make", kind="transform") as step:
        source = step.use(Dataset("source"))
        out = step.produce(Dataset("out"))
    embedded.store.extend([Quad(source.iri, RDF.type, special, NamedNode(run.iri.value))])
    assert same(embedded, out.iri.value, "upstream").artifacts[source.iri.value].kind == "Dataset"
    embedded.register_kind("Special", {}, parent="Dataset")
    assert same(embedded, out.iri.value, "upstream").artifacts[source.iri.value].kind == "Special"


def test_a_write_during_a_question_is_never_half_seen(embedded: Repository) -> None:
    """A write lands while a question reads its records: what it read of the nodes the write
    touched is not cached, so the next answer shows the write."""
    select = embedded.select
    fired: list[str] = []

    def select_then_write(sparql: str, **bindings: object) -> list[dict[str, object]]:
        rows = select(sparql, **bindings)  # type: ignore[arg-type]
        if not fired and "stepKind" in sparql:  # the details were read: rename a step now
            fired.append(sparql)
            train = step_of(embedded, "train")
            graph = next(iter(embedded.store.match(NamedNode(train), RDFS.label, None))).graph_name
            embedded.store.replace(
                [Quad(NamedNode(train), RDFS.label, Literal("train"), graph)],  # type: ignore[arg-type]
                [Quad(NamedNode(train), RDFS.label, Literal("fit"), graph)],  # type: ignore[arg-type]
            )
        return rows

    with embedded.experiment("solo").run() as run, run.step("train", kind="train") as step:
        step.use(Dataset("solo-data"))
        model = step.produce(Model("solo-model"))
    embedded.select = select_then_write  # type: ignore[method-assign]
    first = lin.upstream(embedded, model.iri.value)
    assert fired
    assert [s.name for s in first.steps] in (["train"], ["fit"])
    embedded.select = select  # type: ignore[method-assign]
    assert [s.name for s in same(embedded, model.iri.value, "upstream").steps] == ["fit"]


def test_questions_and_recording_on_many_threads(embedded: Repository) -> None:
    """Two threads ask downstream while runs using the root are recorded: every answer is whole
    (each step's outputs described), grows with the runs, and the last equals the queries'."""
    result = demo.record(embedded)
    root = lin.upstream(embedded, result.bad_model).raw_inputs[0].iri
    before = len(lin.downstream(embedded, root).steps)
    seen: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def ask(reader: int) -> None:
        try:
            for _ in range(12):
                answer = lin.downstream(embedded, root)
                assert all(o in answer.artifacts for s in answer.steps for o in s.outputs)
                seen.setdefault(reader, []).append(len(answer.steps))
        except BaseException as err:  # re-raised below
            errors.append(err)

    readers = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in readers:
        t.start()
    for i in range(6):
        with embedded.experiment("busy").run() as run, run.step(f"use-{i}", kind="x") as step:
            step.use(demo.ALPHANUMERIC)
            step.produce(Dataset(f"busy-{i}", digest=f"sha256:{i + 7:064x}"))
    for t in readers:
        t.join(60)
    assert not errors, errors
    for counts in seen.values():
        assert counts == sorted(counts)
    final = same(embedded, root, "downstream")
    assert len(final.steps) == before + 6


# -- no index where other processes write ----------------------------------------------------------
@pytest.mark.server
def test_a_remote_store_has_no_index_and_still_answers(
    oxigraph_pool: ServerPool, request: pytest.FixtureRequest
) -> None:
    remote = kgrepo.Repository.connect(oxigraph_pool.acquire(request.node.nodeid).url)
    try:
        assert remote.store.lineage_index is None
        result = demo.record(remote)
        assert [a.name for a in lin.upstream(remote, result.bad_model).raw_inputs] == [
            "alphanumeric"
        ]
        assert same(remote, result.bad_model, "upstream").steps
    finally:
        remote.close()
