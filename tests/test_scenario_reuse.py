"""SPEC scenario 4 — Reuse: steps that already ran with the same inputs and configuration are
detected and their outputs reused instead of recomputed (FR6). Public API only.

An ML engineer's small orchestrator runs a two-step pipeline (prepare, then train) whose work is
real if tiny: prepare splits the lines of a raw file, train hashes the training split with its
hyperparameter. Before doing a step's work, the orchestrator asks the repository whether an
equivalent execution exists and, if so, takes over its outputs. Five runs then show which steps are
computed and which are reused as the data, the configuration and the code change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pytest

import kgrepo
from kgrepo import ArtifactRef, Dataset, Executable, Model, Repository, Trigger, lineage, reuse

KG = "https://w3id.org/kgrepo#"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def executable(name: str, version: str, source: bytes) -> Executable:
    return Executable(
        name,
        version=version,
        uri=f"https://git.example.org/ml/pipeline/-/blob/{version}/{name}",
        digest=sha256(source),
    )


PREPARE_SOURCES = {
    "1.0": b"def prepare(raw, test_size, seed): ...",
    "1.1": b"def prepare(raw, test_size, seed): ...  # twice as fast, same output",
}
TRAIN_SOURCE = b"def train(data, C): ..."
TRAIN = executable("train.py", "2.0", TRAIN_SOURCE)
RAW_V1 = b"\n".join(b"row %d" % i for i in range(40))
RAW_V2 = RAW_V1 + b"\nrow 40"


@dataclass
class Outcome:
    run: kgrepo.Run
    model: ArtifactRef
    computed: list[str]
    reused: dict[str, str]  # step name -> execution reused


@dataclass
class Orchestrator:
    """Runs the pipeline; ``storage`` stands for the files (uri -> bytes)."""

    repo: Repository
    storage: dict[str, bytes] = field(default_factory=dict)

    def run(
        self,
        raw: bytes,
        *,
        test_size: float,
        C: float,
        prepare_version: str = "1.0",
        by: str = "alice",
    ) -> Outcome:
        exp = self.repo.experiment("digits", goal="recognise handwritten digits")
        prepare = executable("prepare.py", prepare_version, PREPARE_SOURCES[prepare_version])
        computed: list[str] = []
        reused: dict[str, str] = {}
        with exp.run(trigger=Trigger.manual(by=by)) as run:
            with run.step("prepare", executable=prepare) as step:
                step.use(self.dataset("raw", raw))
                step.set_params(test_size=test_size, seed=7)
                earlier = step.find_reusable()
                if earlier is not None:
                    outputs = {o.name: o for o in step.reuse(earlier)}
                    reused["prepare"] = earlier.execution
                    train_split, test_split = outputs["train"], outputs["test"]
                else:
                    computed.append("prepare")
                    lines = raw.split(b"\n")
                    cut = round(len(lines) * (1 - test_size))
                    train_split = step.produce(self.dataset("train", b"\n".join(lines[:cut])))
                    test_split = step.produce(self.dataset("test", b"\n".join(lines[cut:])))
            with run.step("train", kind="train", executable=TRAIN) as step:
                step.use(train_split)
                step.set_params(C=C)
                earlier = step.find_reusable()
                if earlier is not None:
                    (model,) = step.reuse(earlier)
                    reused["train"] = earlier.execution
                else:
                    computed.append("train")
                    data = self.storage[train_split.artifact.uri or ""]
                    weights = hashlib.sha256(data + repr(C).encode()).digest()
                    model = step.produce(self._model(weights))
            with run.step("evaluate", kind="evaluate") as step:
                step.use(model)
                step.use(test_split)
                step.log_metric("accuracy", 0.9, of=model)
        return Outcome(run, model, computed, reused)

    def dataset(self, name: str, data: bytes) -> Dataset:
        uri = f"file:///data/{name}-{sha256(data)[7:19]}.txt"
        self.storage[uri] = data
        return Dataset(name, uri=uri, digest=sha256(data))

    def _model(self, weights: bytes) -> Model:
        uri = f"file:///models/{sha256(weights)[7:19]}.bin"
        self.storage[uri] = weights
        return Model("model", uri=uri, digest=sha256(weights), algorithm="hash")


def reuses_recorded(repo: Repository, run: kgrepo.Run) -> set[tuple[str, str]]:
    rows = repo.select(
        "SELECT ?run ?name ?from WHERE { GRAPH ?run { ?run kg:hasExecution ?e . "
        "?e rdfs:label ?name ; kg:reusedFrom ?from } }",
        run=run.iri,
    )
    return {(r["name"], r["from"]) for r in rows}


def generated_by(repo: Repository, artifact: ArtifactRef) -> set[str]:
    rows = repo.select("SELECT DISTINCT ?a ?e WHERE { ?a kg:generatedBy ?e }", a=artifact.iri)
    return {r["e"] for r in rows}


def test_steps_that_already_ran_are_detected_and_their_outputs_reused(repo: Repository) -> None:
    pipeline = Orchestrator(repo)

    # 1. first run: everything is computed
    first = pipeline.run(RAW_V1, test_size=0.25, C=1.0)
    assert first.computed == ["prepare", "train"] and first.reused == {}
    (first_train,) = generated_by(repo, first.model)

    # 2. same data, code and configuration (another person): nothing is computed
    second = pipeline.run(RAW_V1, test_size=0.25, C=1.0, by="bob")
    assert second.computed == []
    assert second.model.iri == first.model.iri
    up = lineage.upstream(repo, second.model)
    assert [(s.name, s.run) for s in up.steps] == [
        ("train", first.run.iri.value),
        ("prepare", first.run.iri.value),
    ]
    assert up.steps[0].iri == first_train
    assert reuses_recorded(repo, second.run) == {
        ("prepare", second.reused["prepare"]),
        ("train", first_train),
    }
    assert generated_by(repo, second.model) == {first_train}  # not generated again
    # the second run's evaluation used the reused model and split
    evaluated = lineage.downstream(repo, first.model)
    assert second.run.iri.value in {s.run for s in evaluated.steps}

    # 3. a new hyperparameter: the data preparation is reused, training is computed
    third = pipeline.run(RAW_V1, test_size=0.25, C=10.0)
    assert third.computed == ["train"]
    assert set(third.reused) == {"prepare"}
    assert third.model.iri != first.model.iri
    up = lineage.upstream(repo, third.model)
    assert [(s.name, s.run) for s in up.steps] == [
        ("train", third.run.iri.value),
        ("prepare", first.run.iri.value),
    ]

    # 4. new data: everything is computed again
    fourth = pipeline.run(RAW_V2, test_size=0.25, C=1.0)
    assert fourth.computed == ["prepare", "train"] and fourth.reused == {}

    # 5. a new version of the preparation code: prepare runs again, but it produces the same
    # split as before (same digest), so training on it is an equivalent execution
    fifth = pipeline.run(RAW_V1, test_size=0.25, C=1.0, prepare_version="1.1")
    assert fifth.computed == ["prepare"]
    assert set(fifth.reused) == {"train"}
    assert fifth.model.iri == first.model.iri

    # one engineer's question, asked directly: has train.py 2.0 run on this split with C=1.0?
    split = pipeline.dataset("train", b"\n".join(RAW_V1.split(b"\n")[:30]))
    found = reuse.find_equivalent(repo, TRAIN, [split], {"C": 1.0})
    assert found is not None
    assert [o.iri for o in found.outputs] == [first.model.iri]
    # ... with C=1 (an integer) it has not: the configuration differs in type
    assert reuse.find_equivalent(repo, TRAIN, [split], {"C": 1}) is None
    # every run succeeded; the store says which steps were reused in each
    rows = repo.select(
        "SELECT ?run (COUNT(?e) AS ?n) WHERE { ?run kg:hasExecution ?e . ?e kg:reusedFrom ?x } "
        "GROUP BY ?run"
    )
    counts = {r["run"]: r["n"] for r in rows}
    assert counts == {
        second.run.iri.value: 2,
        third.run.iri.value: 1,
        fifth.run.iri.value: 1,
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"test_size": 0.3}, ["prepare", "train"]),
        ({"C": 1}, ["train"]),  # 1 is not 1.0
        ({"C": 0.5}, ["train"]),
        ({}, []),
    ],
)
def test_what_changes_decides_what_is_recomputed(
    repo: Repository, change: dict[str, float], expected: list[str]
) -> None:
    pipeline = Orchestrator(repo)
    pipeline.run(RAW_V1, test_size=0.25, C=1.0)
    settings: dict[str, float] = {"test_size": 0.25, "C": 1.0, **change}
    assert pipeline.run(RAW_V1, **settings).computed == expected
