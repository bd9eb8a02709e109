"""kgrepo.embeddings without training: characteristics, discretisation, the training-graph
projection, search spaces and requests, and the errors for bad input (tests that train a model
are in test_embeddings_training.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from kgrepo.embeddings import (
    Choice,
    NoModel,
    NotEnoughHistory,
    Projection,
    Range,
    RecommendationRequest,
    TrainingConfig,
    characteristics,
    describe_dataset,
    project,
    recommend,
    train,
)
from kgrepo.embeddings.discretise import Bins
from kgrepo.embeddings.space import check_space, space_from_json, space_to_json

import kgrepo

pd = pytest.importorskip("pandas")


def record(
    repo: kgrepo.Repository,
    experiment: str,
    dataset: kgrepo.Dataset,
    runs: list[tuple[dict[str, object], float]],
    *,
    measure: str = "accuracy",
) -> list[str]:
    exp = repo.experiment(experiment)
    iris = []
    for params, score in runs:
        with exp.run(config={"seed": 1}) as run, run.step("train", kind="train") as step:
            step.use(dataset)
            step.set_param_dict(params)
            step.log_metric(measure, score)
        iris.append(run.iri.value)
    return iris


IRIS = kgrepo.Dataset("iris", digest="sha256:01", characteristics={"rows": 150, "classes": 3})
WINE = kgrepo.Dataset("wine", digest="sha256:02", characteristics={"rows": 178, "classes": 3})


# -- importing stays light ------------------------------------------
def test_import_kgrepo_and_the_cli_do_not_import_torch() -> None:
    code = (
        "import sys, kgrepo, kgrepo.cli, kgrepo.embeddings; "
        "print(sorted(m for m in ('torch', 'pykeen') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- characteristics ------------------------------------------
def test_characteristics_of_an_array() -> None:
    X = np.array([[0.0, 1.0, np.nan], [1.0, 0.0, 2.0], [2.0, 1.0, 3.0], [3.0, 0.0, 4.0]])
    stats = characteristics(X, [0, 1, 1, 1])
    assert stats["rows"] == 4 and stats["features"] == 3 and stats["classes"] == 2
    assert stats["numeric_share"] == 1.0 and stats["missing_share"] == pytest.approx(1 / 12)
    assert stats["majority_share"] == 0.75 and stats["minority_share"] == 0.25
    assert stats["class_entropy"] == pytest.approx(0.8112781)


def test_characteristics_of_a_dataframe_with_a_target_column() -> None:
    frame = pd.DataFrame(
        {"age": [30, 40, 50, 60], "city": ["a", "b", None, "a"], "y": ["x", "y", "x", "y"]}
    )
    stats = characteristics(frame, "y")
    assert (stats["features"], stats["classes"], stats["class_entropy"]) == (2, 2, 1.0)
    assert stats["numeric_share"] == 0.5 and stats["categorical_share"] == 0.5
    assert stats["missing_share"] == 1 / 8
    dataset = describe_dataset("people", frame, "y", digest="sha256:aa", characteristics={"n": 1})
    assert dataset.characteristics["rows"] == 4 and dataset.characteristics["n"] == 1


@pytest.mark.parametrize(
    ("data", "target", "field", "reason"),
    [
        (np.zeros(3), None, "data", "expected 2-D data"),
        (np.zeros((0, 2)), None, "data", "has no rows or no features"),
        (np.zeros((3, 2)), [1, 2], "target", "the data has 3 rows"),
    ],
)
def test_characteristics_refuse_bad_data(
    data: object, target: object, field: str, reason: str
) -> None:
    with pytest.raises(kgrepo.InvalidInput, match=reason) as err:
        characteristics(data, target)
    assert err.value.field == field


def test_characteristics_refuse_an_unknown_target_column() -> None:
    with pytest.raises(kgrepo.InvalidInput, match="is not a column"):
        characteristics(pd.DataFrame({"a": [1]}), "y")


# -- discretisation ------------------------------------------
def test_bins_are_reversible() -> None:
    values = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 0.5]
    bins = Bins.fit("C", values, count=4)
    assert bins.count == 4
    for value in values:
        low, high = bins.interval(bins.bin(value))
        assert low <= value <= high
    for i in range(bins.count):
        low, high = bins.interval(i)
        assert low <= bins.representatives[i] <= high
        assert bins.bin(bins.representatives[i]) == i
    assert bins.bin(-5) == 0 and bins.bin(1e9) == 3
    assert Bins.from_dict(bins.to_dict()) == bins


def test_few_distinct_values_get_a_bin_each() -> None:
    bins = Bins.fit("depth", [1, 2, 2, 8], count=4)
    assert bins.exact and bins.representatives == (1.0, 2.0, 8.0)
    assert [bins.value(bins.bin(v)) for v in (1, 2, 8)] == [1, 2, 8]


# -- the projection ------------------------------------------
def test_projection_builds_configurations_outcomes_and_characteristics(
    repo: kgrepo.Repository,
) -> None:
    runs = record(
        repo,
        "tune-iris",
        IRIS,
        [
            ({"algorithm": "SVC", "C": 0.1, "kernel": "rbf"}, 0.70),
            ({"algorithm": "SVC", "C": 10.0, "kernel": "rbf"}, 0.95),
            ({"algorithm": "KNN", "k": 3}, 0.80),
        ],
    )
    record(repo, "tune-wine", WINE, [({"algorithm": "SVC", "C": 10.0, "kernel": "rbf"}, 0.5)])
    graph = project(repo, Projection(bins=2, outcome_levels=2))
    assert {r.iri for r in graph.runs} >= set(runs)
    assert all("seed" not in tokens for tokens in graph.configs.values())  # ignored setting
    svc_high = graph.config_label({"algorithm": "SVC", "C": "#1", "kernel": "=rbf"})
    iris = repo.select("SELECT ?d WHERE { ?d rdfs:label 'iris' }")[0]["d"]
    wine = repo.select("SELECT ?d WHERE { ?d rdfs:label 'wine' }")[0]["d"]
    assert (iris, "outcome:1", svc_high) in graph.triples  # the best on iris
    assert (wine, "outcome:1", svc_high) in graph.triples  # the only run on wine
    assert (svc_high, "param:SVC.kernel", "SVC.kernel=rbf") in graph.triples
    assert (svc_high, "algorithm", "algorithm=SVC") in graph.triples
    assert any(s == iris and p == "characteristic:rows" for s, p, _ in graph.triples)
    assert graph.parameter_types["SVC"] == {"C": "numeric", "kernel": "categorical"}
    assert graph.support[(svc_high, iris)] == [(runs[1], 1.0)]


def test_projection_leaves_out_failed_runs_and_other_measures(repo: kgrepo.Repository) -> None:
    exp = repo.experiment("tune")
    with pytest.raises(RuntimeError), exp.run() as run, run.step("train", kind="train") as step:
        step.use(IRIS)
        step.set_params(algorithm="SVC")
        raise RuntimeError("diverged")
    record(repo, "tune", IRIS, [({"algorithm": "KNN"}, 0.9)], measure='it\'s "f1" > 0')
    graph = project(repo, Projection(measure='it\'s "f1" > 0'))
    assert [r.algorithm for r in graph.runs] == ["KNN"]
    assert graph.runs[0].score == 0.9
    assert project(repo).runs[0].score is None  # no accuracy was logged


def test_projection_lower_is_better(repo: kgrepo.Repository) -> None:
    record(repo, "e", IRIS, [({"algorithm": "A"}, 0.1), ({"algorithm": "B"}, 0.9)], measure="loss")
    graph = project(repo, Projection(measure="loss", higher_is_better=False, outcome_levels=2))
    best = graph.config_label({"algorithm": "A"})
    assert any(p == "outcome:1" and o == best for _, p, o in graph.triples)


@pytest.mark.parametrize(("field", "value"), [("bins", 1), ("outcome_levels", 1000)])
def test_projection_refuses_bad_settings(field: str, value: int) -> None:
    with pytest.raises(kgrepo.InvalidInput, match="expected an integer from 2 to 100"):
        Projection(**{field: value})  # type: ignore[arg-type]


def test_too_little_history_is_a_cold_start_and_records_nothing(repo: kgrepo.Repository) -> None:
    record(repo, "tune", IRIS, [({"algorithm": "SVC", "C": 1.0}, 0.9)])
    before = len(repo.store)
    with pytest.raises(NotEnoughHistory, match="1 scored run") as err:
        train(repo, TrainingConfig(epochs=1, progress=False))
    assert (err.value.runs, err.value.datasets) == (1, 1)
    assert len(repo.store) == before


def test_recommending_without_a_model_says_how_to_train(repo: kgrepo.Repository) -> None:
    record(repo, "tune", IRIS, [({"algorithm": "SVC", "C": 1.0}, 0.9)])
    with pytest.raises(NoModel, match="kgrepo embeddings train"):
        recommend(repo, experiment="tune")
    with pytest.raises(NoModel, match="kgrepo embeddings train"):
        repo.recommend(experiment="tune")


# -- search spaces and requests ------------------------------------------
@pytest.fixture
def graph(repo: kgrepo.Repository) -> object:
    record(
        repo,
        "tune",
        IRIS,
        [
            ({"algorithm": "SVC", "C": 0.1, "kernel": "rbf"}, 0.7),
            ({"algorithm": "SVC", "C": 10.0, "kernel": "linear"}, 0.9),
        ],
    )
    return project(repo)


@pytest.mark.parametrize(
    ("space", "field", "reason"),
    [
        ({}, "search_space", "non-empty mapping"),
        ({"XGB": {}}, "algorithm", "unknown algorithm: no run in the history used it; known: SVC"),
        ({"SVC": {"C": (10.0, 1.0)}}, "SVC.C", "min > max"),
        ({"SVC": {"C": (1.0, 2.0, 3.0)}}, "SVC.C", "a range is"),
        ({"SVC": {"kernel": (1.0, 2.0)}}, "SVC.kernel", "the history has as categorical"),
        ({"SVC": {"degree": [1, 2]}}, "SVC.degree", "no run of SVC set 'degree'"),
        ({"SVC": {"kernel": ["rbf", "rbf"]}}, "SVC.kernel", "the same value twice"),
        ({"SVC": {"kernel": []}}, "SVC.kernel", "at least one value"),
        ({"SVC": ["C"]}, "SVC", "expected a mapping of parameters"),
    ],
)
def test_bad_search_spaces_are_refused(
    graph: object, space: object, field: str, reason: str
) -> None:
    with pytest.raises(kgrepo.InvalidInput, match=reason) as err:
        check_space(space, graph)  # type: ignore[arg-type]
    assert err.value.field == field


def test_search_space_json_round_trip(graph: object) -> None:
    space = {"SVC": {"C": Range(0.1, 10.0), "kernel": Choice(("rbf", "linear"))}}
    assert space_from_json(space_to_json(space)) == space
    assert check_space(space_from_json({"SVC": {"C": {"min": 1, "max": 2}}}), graph)  # type: ignore[arg-type]
    with pytest.raises(kgrepo.InvalidInput, match="min > max"):
        space_from_json({"SVC": {"C": {"min": 2, "max": 1}}})


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"experiment": "e", "k": 0}, "k", "from 1 to 1000"),
        ({"experiment": "e", "k": 10**9}, "k", "from 1 to 1000"),
        ({"experiment": "e", "k": True}, "k", "from 1 to 1000"),
        ({}, "experiment", "give an experiment, a dataset IRI or characteristics"),
        ({"experiment": "e", "search_space": {}, "candidates": []}, "candidates", "not both"),
        ({"characteristics": [1]}, "characteristics", "expected a mapping"),
        ({"experiment": "e", "neighbours": 0}, "neighbours", "from 1 to 100"),
        ({"experiment": "e", "neighbours": 101}, "neighbours", "from 1 to 100"),
    ],
)
def test_bad_requests_are_refused(fields: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(kgrepo.InvalidInput, match=reason) as err:
        RecommendationRequest(**fields)  # type: ignore[arg-type]
    assert err.value.field == field


def test_request_json_round_trip() -> None:
    request = RecommendationRequest(
        experiment="e", search_space={"SVC": {"C": Range(0.1, 1.0)}}, k=3, include_tried=True
    )
    assert RecommendationRequest.from_dict(request.to_dict()) == request
    assert request.neighbours is None  # the default: every training dataset, weighted
    some = RecommendationRequest(characteristics={"rows": 10}, neighbours=4)
    assert RecommendationRequest.from_dict(some.to_dict()).neighbours == 4
    with pytest.raises(kgrepo.InvalidInput, match="no such field"):
        RecommendationRequest.from_dict({"experiment": "e", "top": 3})


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"epochs": 0}, "expected an integer from 1 to 100000"),
        ({"embedding_dim": 2.5}, "expected an integer"),
        ({"learning_rate": 0}, r"expected a number in \(0.0, 10.0\]"),
        ({"validation_share": 0.9}, r"expected a number in \(0.0, 0.5\]"),
        ({"model": 3}, "expected a name or a class"),
        ({"threads": 0}, "expected a positive integer or None"),
    ],
)
def test_bad_training_configs_are_refused(fields: dict[str, object], reason: str) -> None:
    with pytest.raises(kgrepo.InvalidInput, match=reason):
        TrainingConfig(**fields)  # type: ignore[arg-type]
