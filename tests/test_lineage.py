"""FR4 upstream lineage, FR5 downstream impact and flags (``kgrepo.lineage``), over every backend.

Lineage is read from what the recording API wrote: steps ordered by depth with their executables,
typed settings and the trigger of their run; the raw inputs (sources no recorded step generated,
with or without a digest); depth limits; long chains across many runs; cycles in recorded data
(which must never hang); bad input (a typed error naming what is wrong); and flags, which are
added in a graph of their own and never delete anything.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from pyoxigraph import Literal, NamedNode, Quad

import kgrepo
from kgrepo import (
    Cause,
    Dataset,
    Executable,
    InvalidInput,
    Model,
    NotFound,
    Repository,
    Status,
    Trigger,
)
from kgrepo import lineage as lin
from kgrepo.results import ArtifactInfo, ExecutableInfo, TriggerInfo

T = TypeVar("T")

GUARD_SECONDS = 10.0


# -- helpers ---------------------------------------------------------------------------------------
def digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def within(seconds: float, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args)`` run in a thread; fails the test if it has not returned after ``seconds``
    (a hang, e.g. a cycle walked forever, becomes a failure instead of a stuck suite)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as err:  # re-raised in the test's thread
            outcome["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{fn.__name__} did not return within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def by_digest(repo: Repository, value: str) -> str:
    """The IRI of the artifact with content digest ``value``."""
    rows = repo.select("SELECT DISTINCT ?a ?d WHERE { ?a kg:digest ?d }", d=Literal(value))
    assert len(rows) == 1, rows
    return str(rows[0]["a"])


def all_quads(repo: Repository) -> set[Quad]:
    rows = repo.query("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows}


def names(infos: list[ArtifactInfo] | tuple[ArtifactInfo, ...]) -> list[str]:
    return sorted(a.name for a in infos)


def step_names(lineage: lin.Lineage) -> list[tuple[str, int]]:
    return [(s.name, s.depth) for s in lineage.steps]


# -- a multi-step pipeline over two runs -----------------------------------------------------------
PREPARE = Executable(
    "prepare.py",
    version="1.2.0",
    uri="https://git.example.org/ml/pipeline/-/blob/1.2.0/prepare.py",
    digest=digest("prepare.py", "1.2.0"),
)
FEATURIZE = Executable("featurize.py", version="0.3.1", digest=digest("featurize.py", "0.3.1"))
TRAIN = Executable(
    "train.py",
    version="2.0.1",
    uri="https://git.example.org/ml/pipeline/-/blob/2.0.1/train.py",
    digest=digest("train.py", "2.0.1"),
)


@dataclass(frozen=True)
class Pipeline:
    """What :func:`record_pipeline` recorded (IRIs as strings)."""

    data_run: str
    train_run: str
    raw: str
    labels: str
    clean: str
    features: str
    model: str
    metric: str
    prepare: str
    featurize: str
    train: str
    evaluate: str


def record_pipeline(repo: Repository) -> Pipeline:
    """Run 1 (scheduled by airflow) prepares and featurizes the raw data; run 2 (alice, by hand)
    trains on run 1's features and on a label file that has no digest, then evaluates."""
    exp = repo.experiment("pipeline", goal="recognise handwritten digits")
    scheduled = Trigger.schedule(by="airflow", reason="nightly data refresh")
    with exp.run(trigger=scheduled) as data_run:
        with data_run.step("prepare", kind="transform", executable=PREPARE) as step:
            raw = step.use(Dataset("raw", uri="file:///data/raw/digits.csv", digest=digest("raw")))
            step.set_params(seed=7, dropna=True)
            clean = step.produce(
                Dataset("clean", uri="file:///data/clean.parquet", digest=digest("clean"))
            )
            prepare = step.iri.value
        with data_run.step("featurize", kind="transform", executable=FEATURIZE) as step:
            step.use(clean)
            step.set_params(bins=16, method="quantile")
            # generated, but without a digest: not raw data for all that
            features = step.produce(Dataset("features", uri="file:///data/features.parquet"))
            featurize = step.iri.value
    with exp.run(trigger=Trigger.manual(by="alice")) as train_run:
        with train_run.step("train", kind="train", executable=TRAIN) as step:
            step.use(features)
            # a raw source without a digest
            labels = step.use(Dataset("labels", uri="file:///data/labels.csv"))
            step.set_params(C=1.0, kernel="rbf", layers=[64, 32], opt={"lr": 0.01})
            model = step.produce(
                Model("clf", uri="file:///models/clf.joblib", digest=digest("clf"), algorithm="SVC")
            )
            train = step.iri.value
        with train_run.step("evaluate", kind="evaluate") as step:
            step.use(model)
            metric = step.log_metric("accuracy", 0.93, of=model)
            evaluate = step.iri.value
    return Pipeline(
        data_run.iri.value,
        train_run.iri.value,
        raw.iri.value,
        labels.iri.value,
        clean.iri.value,
        features.iri.value,
        model.iri.value,
        metric.iri.value,
        prepare,
        featurize,
        train,
        evaluate,
    )


# -- FR4: upstream ---------------------------------------------------------------------------------
def test_upstream_of_a_model_through_a_multi_step_pipeline(repo: Repository) -> None:
    p = record_pipeline(repo)
    up = lin.upstream(repo, p.model)

    assert up.direction == "upstream"
    assert up.depth is None
    assert up.root == ArtifactInfo(
        p.model, "clf", "Model", "file:///models/clf.joblib", digest("clf")
    )
    # nearest first; the evaluation is downstream of the model, not upstream
    assert step_names(up) == [("train", 1), ("featurize", 2), ("prepare", 3)]
    train, featurize, prepare = up.steps
    assert [s.iri for s in up.steps] == [p.train, p.featurize, p.prepare]
    assert [s.run for s in up.steps] == [p.train_run, p.data_run, p.data_run]
    assert [s.kind for s in up.steps] == ["train", "transform", "transform"]
    for s in up.steps:
        assert s.status is Status.SUCCEEDED
        assert s.started.tzinfo is not None
        assert s.ended is not None and s.started <= s.ended

    # executables with their versions, digests and locations
    assert train.executable is not None and prepare.executable is not None
    assert featurize.executable is not None
    assert (train.executable.name, train.executable.version, train.executable.digest) == (
        "train.py",
        "2.0.1",
        TRAIN.digest,
    )
    assert train.executable.uri == TRAIN.uri
    assert (featurize.executable.name, featurize.executable.version) == ("featurize.py", "0.3.1")
    assert featurize.executable.uri is None
    assert isinstance(prepare.executable, ExecutableInfo)
    assert prepare.executable.version == "1.2.0"

    # settings come back as typed Python values (a list as its JSON text, nested keys dotted)
    assert train.settings == {"C": 1.0, "kernel": "rbf", "layers": "[64, 32]", "opt.lr": 0.01}
    assert type(train.settings["C"]) is float
    assert prepare.settings == {"dropna": True, "seed": 7}
    assert type(prepare.settings["dropna"]) is bool
    assert type(prepare.settings["seed"]) is int
    assert featurize.settings == {"bins": 16, "method": "quantile"}

    # inputs and outputs of each step
    assert train.inputs == tuple(sorted([p.features, p.labels]))
    assert train.outputs == (p.model,)
    assert featurize.inputs == (p.clean,) and featurize.outputs == (p.features,)
    assert prepare.inputs == (p.raw,) and prepare.outputs == (p.clean,)

    # the trigger of each run involved, on each step and per run
    scheduled = TriggerInfo(Cause.SCHEDULE, "airflow", "nightly data refresh", None)
    manual = TriggerInfo(Cause.MANUAL, "alice", None, None)
    assert [s.trigger for s in up.steps] == [manual, scheduled, scheduled]
    assert up.triggers == {p.train_run: manual, p.data_run: scheduled}

    # raw inputs: what no recorded step generated, with a digest (raw) or without one (labels);
    # the undigested features were generated, so they are not raw
    assert names(up.raw_inputs) == ["labels", "raw"]
    raw = next(a for a in up.raw_inputs if a.name == "raw")
    assert raw == ArtifactInfo(
        p.raw, "raw", "Dataset", "file:///data/raw/digits.csv", digest("raw")
    )
    labels = next(a for a in up.raw_inputs if a.name == "labels")
    assert labels.digest is None and labels.uri == "file:///data/labels.csv"
    assert names(up.descendants) == ["clean", "features", "labels", "raw"]
    assert set(up.artifacts) == {p.model, p.features, p.labels, p.clean, p.raw}
    assert up.artifacts[p.features].kind == "Dataset"

    # plain data for JSON
    data = json.loads(json.dumps(up.to_dict()))
    assert data["steps"][0]["trigger"] == {
        "cause": "Manual",
        "by": "alice",
        "reason": None,
        "concerns": None,
    }
    assert data["steps"][2]["settings"] == {"dropna": True, "seed": 7}


def test_upstream_accepts_a_reference_a_node_or_an_iri_string(repo: Repository) -> None:
    p = record_pipeline(repo)
    by_string = lin.upstream(repo, p.model)
    by_node = lin.upstream(repo, NamedNode(p.model))
    by_ref = lin.upstream(repo, kgrepo.ArtifactRef(NamedNode(p.model), Model("clf")))
    assert by_string == by_node == by_ref


def test_upstream_of_metrics_goes_through_the_evaluation(repo: Repository) -> None:
    p = record_pipeline(repo)
    up = lin.upstream(repo, p.metric)
    assert up.root.kind == "Metrics"
    assert step_names(up) == [("evaluate", 1), ("train", 2), ("featurize", 3), ("prepare", 4)]
    assert up.steps[0].executable is None
    assert names(up.raw_inputs) == ["labels", "raw"]


def test_upstream_of_raw_data_has_no_steps(repo: Repository) -> None:
    p = record_pipeline(repo)
    up = lin.upstream(repo, p.raw)
    assert up.steps == ()
    assert up.raw_inputs == []
    assert up.triggers == {}
    assert up.root.name == "raw"


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0, []),
        (1, [("train", 1)]),
        (2, [("train", 1), ("featurize", 2)]),
        (3, [("train", 1), ("featurize", 2), ("prepare", 3)]),
        (None, [("train", 1), ("featurize", 2), ("prepare", 3)]),
        (lin.MAX_DEPTH, [("train", 1), ("featurize", 2), ("prepare", 3)]),
    ],
)
def test_upstream_depth_limits(repo: Repository, depth: int | None, expected: list[Any]) -> None:
    p = record_pipeline(repo)
    up = lin.upstream(repo, p.model, depth=depth)
    assert up.depth == depth
    assert step_names(up) == expected
    if depth == 0:
        assert up.raw_inputs == [] and up.triggers == {}
        assert set(up.artifacts) == {p.model}
    if depth == 1:
        # only the generating step, with what it used
        assert up.steps[0].iri == p.train
        assert set(up.artifacts) == {p.model, p.features, p.labels}


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0, []),
        (1, [("prepare", 1)]),
        (2, [("prepare", 1), ("featurize", 2)]),
        (None, [("prepare", 1), ("featurize", 2), ("train", 3), ("evaluate", 4)]),
    ],
)
def test_downstream_depth_limits(repo: Repository, depth: int | None, expected: list[Any]) -> None:
    p = record_pipeline(repo)
    assert step_names(lin.downstream(repo, p.raw, depth=depth)) == expected


def test_a_chain_25_runs_deep_reaches_the_first_raw_dataset(repo: Repository) -> None:
    exp = repo.experiment("refinement")
    # No version or digest on purpose: the cost of an executable shared by many runs is
    # test_lineage_cost_does_not_explode_with_runs_sharing_a_dataset's concern.
    derive = Executable("derive.py")
    datasets = [
        Dataset(f"d{i:02}", uri=f"file:///data/d{i:02}.csv", digest=digest("d", i))
        for i in range(26)
    ]
    runs = []
    for i in range(1, 26):
        trigger = Trigger.data_change(by="feeder", reason=f"batch {i}")
        with exp.run(trigger=trigger) as run, run.step("prepare", executable=derive) as step:
            step.use(datasets[i - 1])  # the previous run's output, by digest
            step.set_params(round=i)
            last = step.produce(datasets[i])
        runs.append(run.iri.value)

    up = within(GUARD_SECONDS, lin.upstream, repo, last)
    assert len(up.steps) == 25
    assert [s.depth for s in up.steps] == list(range(1, 26))
    assert [s.run for s in up.steps] == runs[::-1]
    assert [s.settings["round"] for s in up.steps] == list(range(25, 0, -1))
    assert names(up.raw_inputs) == ["d00"]
    assert up.raw_inputs[0].digest == digest("d", 0)
    assert len(up.triggers) == 25
    assert up.triggers[runs[0]].reason == "batch 1"
    assert names(up.descendants) == [f"d{i:02}" for i in range(25)]

    assert [s.settings["round"] for s in lin.upstream(repo, last, depth=10).steps] == list(
        range(25, 15, -1)
    )
    down = within(GUARD_SECONDS, lin.downstream, repo, by_digest(repo, digest("d", 0)))
    assert [s.depth for s in down.steps] == list(range(1, 26))
    assert names(down.descendants) == [f"d{i:02}" for i in range(1, 26)]

    recipe = lin.recipe(repo, last)
    assert [s.settings["round"] for s in recipe.steps] == list(range(1, 26))
    assert names(recipe.inputs) == ["d00"]


# -- FR5: downstream -------------------------------------------------------------------------------
def test_downstream_impact_across_runs_and_experiments(repo: Repository) -> None:
    """A raw dataset used by three runs of two experiments, and an audit in a third experiment
    evaluating one of the models: everything derived from it, and nothing else."""
    raw = Dataset("corpus", uri="file:///data/corpus.csv", digest=digest("corpus"))
    other = Dataset("other", uri="file:///data/other.csv", digest=digest("other"))
    glove = Dataset("glove", uri="file:///data/glove.txt", digest=digest("glove"))
    derived: set[str] = set()
    unrelated: set[str] = set()

    def pipeline(exp: kgrepo.Experiment, source: Dataset, tag: str, into: set[str]) -> str:
        with exp.run() as run:
            with run.step("prepare") as step:
                step.use(source)
                step.use(glove)  # a second raw input: not derived from the source
                step.set_params(tag=tag)
                train = step.produce(Dataset(f"{tag}-train", digest=digest(tag, "train")))
                test = step.produce(Dataset(f"{tag}-test"))  # no digest
            with run.step("train", kind="train") as step:
                step.use(train)
                model = step.produce(Model(f"{tag}-model", digest=digest(tag, "model")))
            with run.step("evaluate", kind="evaluate") as step:
                step.use(model)
                step.use(test)
                metric = step.log_metric("accuracy", 0.9, of=model)
        into.update(x.iri.value for x in (train, test, model, metric))
        return model.iri.value

    digits = repo.experiment("digits")
    letters = repo.experiment("letters")
    model_a = pipeline(digits, raw, "a", derived)
    pipeline(letters, raw, "b", derived)
    pipeline(digits, raw, "c", derived)
    pipeline(digits, other, "x", unrelated)  # not derived from the corpus
    with repo.experiment("audit").run() as run, run.step("audit", kind="evaluate") as step:
        audited = step.use(Model("a-model", digest=digest("a", "model")))
        assert audited.iri.value == model_a
        audit = step.log_metric("recall", 0.8, of=audited, scope="class 3")
        derived.add(audit.iri.value)

    down = lin.downstream(repo, by_digest(repo, digest("corpus")))
    assert down.direction == "downstream"
    assert {d.iri for d in down.descendants} == derived
    assert not {d.iri for d in down.descendants} & unrelated
    kinds = sorted({d.kind for d in down.descendants})
    assert kinds == ["Dataset", "Metrics", "Model"]
    assert names([d for d in down.descendants if d.kind == "Model"]) == [
        "a-model",
        "b-model",
        "c-model",
    ]
    assert len({s.run for s in down.steps}) == 4  # three pipeline runs and the audit
    assert "glove" not in names(down.descendants)
    assert [s.depth for s in down.steps] == sorted(s.depth for s in down.steps)
    assert {s.name: s.depth for s in down.steps if s.name != "evaluate"} == {
        "prepare": 1,
        "train": 2,
        "audit": 3,
    }


# -- cycles in recorded data -----------------------------------------------------------------------
def test_a_step_that_consumes_its_own_output_does_not_hang(repo: Repository) -> None:
    loop = Dataset("loop", uri="file:///data/loop.csv", digest=digest("loop"))
    with repo.experiment("cycles").run() as run, run.step("refine") as step:
        ref = step.use(loop)
        step.produce(loop)  # same digest in and out: the dataset generated itself
        refine = step.iri.value
    for fn in (lin.upstream, lin.downstream):
        found = within(GUARD_SECONDS, fn, repo, ref)
        assert [(s.iri, s.depth) for s in found.steps] == [(refine, 1)]
        assert found.steps[0].inputs == found.steps[0].outputs == (ref.iri.value,)
        assert found.descendants == []
    assert within(GUARD_SECONDS, lin.upstream, repo, ref, lin.MAX_DEPTH).raw_inputs == []
    assert [s.iri for s in within(GUARD_SECONDS, lin.recipe, repo, ref).steps] == [refine]


def test_a_cycle_across_two_steps_and_two_runs_does_not_hang(repo: Repository) -> None:
    raw = Dataset("raw", digest=digest("raw"))
    y = Dataset("y", digest=digest("y"))
    z = Dataset("z", digest=digest("z"))
    exp = repo.experiment("cycles")
    with exp.run() as run, run.step("a") as step:
        step.use(raw)
        step.use(y)
        step.produce(z)
        a = step.iri.value
    with exp.run() as run, run.step("b") as step:
        step.use(z)
        y_ref = step.produce(y)  # y generated from z, which was generated from y
        b = step.iri.value

    up = within(GUARD_SECONDS, lin.upstream, repo, y_ref)
    assert [(s.iri, s.depth) for s in up.steps] == [(b, 1), (a, 2)]
    assert names(up.raw_inputs) == ["raw"]  # the raw data is still found inside the cycle
    down = within(GUARD_SECONDS, lin.downstream, repo, y_ref)
    assert [(s.iri, s.depth) for s in down.steps] == [(a, 1), (b, 2)]
    assert names(down.descendants) == ["z"]
    assert within(GUARD_SECONDS, lin.upstream, repo, y_ref, 1).steps[0].iri == b

    recipe = within(GUARD_SECONDS, lin.recipe, repo, y_ref)
    assert sorted(s.iri for s in recipe.steps) == sorted([a, b])
    lin.flag(repo, y_ref, "corrupted in a loop")
    suspects = within(GUARD_SECONDS, lin.suspects, repo)
    assert {s.artifact.name for s in suspects} >= {"z"}
    cause = within(GUARD_SECONDS, lin.root_cause, repo, y_ref, y_ref)
    assert cause.step is None and cause.differences == ()


# -- bad input -------------------------------------------------------------------------------------
DIRECTIONS = [
    pytest.param(lin.upstream, id="upstream"),
    pytest.param(lin.downstream, id="downstream"),
]


@pytest.mark.parametrize("fn", DIRECTIONS)
def test_an_unknown_iri_is_not_found(repo: Repository, fn: Callable[..., lin.Lineage]) -> None:
    record_pipeline(repo)
    missing = "https://kgrepo.example/artifact/Dataset/nothing-here"
    with pytest.raises(
        NotFound, match=r"no artifact <https://kgrepo\.example/artifact/Dataset/nothing-here>"
    ):
        fn(repo, missing)


@pytest.mark.parametrize("fn", DIRECTIONS)
def test_an_experiment_run_or_execution_is_not_an_artifact(
    repo: Repository, fn: Callable[..., lin.Lineage]
) -> None:
    p = record_pipeline(repo)
    experiment = repo.experiment("pipeline").iri.value
    with pytest.raises(InvalidInput, match=r"is an Experiment, not an artifact") as err:
        fn(repo, experiment)
    assert err.value.field == "iri" and err.value.value == experiment
    with pytest.raises(InvalidInput, match=r"is a Run, not an artifact"):
        fn(repo, p.train_run)
    with pytest.raises(InvalidInput, match=r"is an Execution, not an artifact"):
        fn(repo, p.train)
    with pytest.raises(InvalidInput, match=r"not an absolute IRI"):
        fn(repo, "clf")


@pytest.mark.parametrize("fn", DIRECTIONS)
@pytest.mark.parametrize("depth", [-1, 10**9, lin.MAX_DEPTH + 1, "3", True, False, 1.0])
def test_a_bad_depth_is_refused(
    repo: Repository, fn: Callable[..., lin.Lineage], depth: object
) -> None:
    p = record_pipeline(repo)
    with pytest.raises(
        InvalidInput, match=r"field 'depth'.*must be an integer from 0 to 10000"
    ) as err:
        fn(repo, p.model, depth=depth)
    assert err.value.value == depth


@pytest.mark.parametrize("built", [False, True], ids=["queried", "indexed"])
def test_a_lineage_over_max_steps_is_refused_before_its_details_are_read(
    repo: Repository, built: bool
) -> None:
    p = record_pipeline(repo)
    index = repo.store.lineage_index
    if built and index is not None:
        index.build()
    whole = lin.upstream(repo, p.model)
    steps = len(whole.steps)
    assert steps > 1
    assert lin.upstream(repo, p.model, max_steps=steps) == whole
    with pytest.raises(kgrepo.TooLarge, match=rf"has {steps} steps, over the limit of 1: .*depth"):
        lin.upstream(repo, p.model, max_steps=1)
    with pytest.raises(kgrepo.TooLarge, match="upstream lineage"):
        lin.recipe(repo, p.model, max_steps=steps - 1)
    assert len(lin.upstream(repo, p.model, depth=1, max_steps=1).steps) == 1
    with pytest.raises(kgrepo.TooLarge, match="downstream lineage"):
        lin.downstream(repo, p.raw, max_steps=0)
    with pytest.raises(InvalidInput, match="max_steps"):
        lin.downstream(repo, p.raw, max_steps=-1)


# -- FR5: flags ------------------------------------------------------------------------------------
def test_flag_makes_every_descendant_a_suspect_and_deletes_nothing(repo: Repository) -> None:
    p = record_pipeline(repo)
    assert lin.suspects(repo) == []
    before = all_quads(repo)

    flag = lin.flag(repo, p.clean, "duplicated rows", by="carol")

    after = all_quads(repo)
    assert before < after  # only additions
    added = after - before
    # The flag lives in a graph of its own; only the new agent's description joins the entities.
    entities = repo.base + "entities"
    assert {q.graph_name.value for q in added} == {flag, entities}
    assert {q.subject.value for q in added if q.graph_name.value == entities} == {
        repo.base + "agent/carol"
    }
    assert flag.startswith(repo.base + "flag/")
    rows = repo.select(
        "SELECT ?flag ?g ?artifact ?reason ?by ?created WHERE { GRAPH ?g {"
        " ?flag a kg:Flag ; kg:flags ?artifact ; kg:reason ?reason ; kg:createdAt ?created ;"
        " kg:attributedTo ?agent } ?agent rdfs:label ?by }",
        flag=flag,
    )
    assert len(rows) == 1
    assert rows[0]["g"] == flag
    assert (rows[0]["artifact"], rows[0]["reason"], rows[0]["by"]) == (
        p.clean,
        "duplicated rows",
        "carol",
    )

    suspects = lin.suspects(repo)
    expected = {d.iri for d in lin.downstream(repo, p.clean).descendants}
    assert expected == {p.features, p.model, p.metric}
    assert {s.artifact.iri for s in suspects} == expected
    assert {(s.flagged, s.reason) for s in suspects} == {(p.clean, "duplicated rows")}
    assert {s.artifact.name for s in suspects} == {"features", "clf", "accuracy"}
    # upstream and sibling artifacts are not suspects
    assert not {p.raw, p.clean, p.labels} & {s.artifact.iri for s in suspects}
    json.dumps([s.to_dict() for s in suspects])


def test_flags_are_evaluated_when_asked_and_accumulate(repo: Repository) -> None:
    p = record_pipeline(repo)
    lin.flag(repo, p.raw, "licence withdrawn")
    lin.flag(repo, p.labels, "labels shuffled", by="qa-bot")
    # a model trained later on flagged data is a suspect too
    with repo.experiment("later").run() as run, run.step("retrain", kind="train") as step:
        step.use(Dataset("clean", uri="file:///data/clean.parquet", digest=digest("clean")))
        late = step.produce(Model("late", digest=digest("late")))

    reasons: dict[str, set[str]] = {}
    for s in lin.suspects(repo):
        reasons.setdefault(s.artifact.iri, set()).add(s.reason)
    assert reasons[late.iri.value] == {"licence withdrawn"}
    assert reasons[p.model] == {"licence withdrawn", "labels shuffled"}
    assert reasons[p.metric] == {"licence withdrawn", "labels shuffled"}
    assert reasons[p.clean] == {"licence withdrawn"}
    assert p.raw not in reasons and p.labels not in reasons
    assert repo.select("SELECT (COUNT(?f) AS ?n) WHERE { ?f a kg:Flag }")[0]["n"] == 2


def test_flag_refuses_unknown_iris_and_blank_reasons_and_writes_nothing(repo: Repository) -> None:
    p = record_pipeline(repo)
    before = all_quads(repo)
    missing = "https://kgrepo.example/artifact/Model/unknown"
    with pytest.raises(
        NotFound, match=r"no artifact <https://kgrepo\.example/artifact/Model/unknown>"
    ):
        lin.flag(repo, missing, "bad")
    for blank in ("", "   ", "\n\t"):
        with pytest.raises(InvalidInput, match=r"field 'reason'.*must not be empty") as err:
            lin.flag(repo, p.raw, blank)
        assert err.value.entity == "Flag"
    with pytest.raises(InvalidInput, match=r"field 'reason'.*expected a string"):
        lin.flag(repo, p.raw, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"field 'name'.*must not be empty"):
        lin.flag(repo, p.raw, "bad", by=" ")
    with pytest.raises(InvalidInput, match=r"is a Run, not an artifact"):
        lin.flag(repo, p.train_run, "bad")
    assert all_quads(repo) == before
    assert lin.suspects(repo) == []


# -- cost ------------------------------------------------------------------------------------------
def test_lineage_cost_does_not_explode_with_runs_sharing_a_dataset(repo: Repository) -> None:
    """SPEC: lineage answers in milliseconds. A dataset and an executable used by 14 runs are
    described in 14 run graphs; reading them must not cost more with each run that shares them
    (it took ~9 s here: the union of graphs repeats each description once per graph, and joining
    k such patterns costs runs**k before DISTINCT). Budget: 3 s, for a ~50 ms answer."""
    exp = repo.experiment("sweep")
    code = Executable(
        "train.py", version="1", uri="https://git.example.org/t.py", digest=digest("t")
    )
    corpus = Dataset("corpus", uri="file:///data/corpus.csv", digest=digest("corpus"))
    for i in range(14):
        with exp.run() as run, run.step("train", kind="train", executable=code) as step:
            step.use(corpus)
            step.set_params(C=float(i + 1))
            model = step.produce(Model(f"m{i}", uri=f"file:///m{i}", digest=digest("m", i)))
    up = within(3.0, lin.upstream, repo, model)
    assert names(up.raw_inputs) == ["corpus"]
    assert up.steps[0].executable is not None and up.steps[0].executable.uri == code.uri
