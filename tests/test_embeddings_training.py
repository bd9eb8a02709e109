"""The recommender end to end with real PyKEEN training on a tiny history of real scikit-learn runs:
the model recorded with its lineage, loaded back, recommendations ranked, explained, recorded and
traced, bad model files refused, and the CLI. One model is trained per module (seconds)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from kgrepo.embeddings import (
    BadModelFile,
    EmbeddingModel,
    Range,
    RecommendationRequest,
    TrainingConfig,
    TrainingGraph,
    describe_dataset,
    load,
    recommend,
    train,
)
from kgrepo.embeddings.learn import train_graph

import kgrepo
from kgrepo.cli import main

pytestmark = pytest.mark.slow
sklearn_datasets = pytest.importorskip("sklearn.datasets")

from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

ALGORITHMS = {"DecisionTreeClassifier": DecisionTreeClassifier, "KNN": KNeighborsClassifier}
GRID = [
    *[
        ("DecisionTreeClassifier", {"max_depth": d, "criterion": c})
        for d in (1, 3, 8)
        for c in ("gini", "entropy")
    ],
    *[
        ("KNN", {"n_neighbors": n, "weights": w})
        for n in (1, 7, 40)
        for w in ("uniform", "distance")
    ],
]
CONFIG = TrainingConfig(embedding_dim=16, epochs=40, evaluate_every=10, progress=False, seed=3)


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    d = sklearn_datasets
    return {
        "iris": d.load_iris(return_X_y=True),
        "wine": d.load_wine(return_X_y=True),
        "cancer": d.load_breast_cancer(return_X_y=True),
        "blobs": d.make_classification(150, 6, n_informative=3, random_state=0),
    }


def record_history(repo: kgrepo.Repository, names: list[str] | None = None) -> dict[str, str]:
    """One experiment per dataset, one run per grid configuration, scored by 3-fold CV."""
    experiments = {}
    for name, (X, y) in datasets().items():
        if names is not None and name not in names:
            continue
        dataset = describe_dataset(name, X, y, digest=f"sha256:{name.encode().hex()}")
        exp = repo.experiment(f"tune-{name}")
        experiments[name] = exp.iri.value
        for algorithm, params in GRID:
            extra = {"random_state": 0} if algorithm == "DecisionTreeClassifier" else {}
            score = cross_val_score(ALGORITHMS[algorithm](**params, **extra), X, y, cv=3).mean()
            with exp.run() as run, run.step("train", kind="train") as step:
                step.use(dataset)
                step.set_params(algorithm=algorithm, **params, **extra)
                step.log_metric("accuracy", float(score))
    return experiments


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[kgrepo.Repository, EmbeddingModel]]:
    path = tmp_path_factory.mktemp("embeddings") / "store"
    with kgrepo.Repository.open(path) as repo:
        record_history(repo)
        yield repo, train(repo, CONFIG)


def test_training_is_recorded_with_its_lineage(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    assert model.iri is not None
    rows = repo.select(
        """SELECT DISTINCT ?model ?graph ?digest ?seed ?framework ?mrr WHERE {
             ?model kg:generatedBy ?step ; kg:framework ?framework .
             ?step kg:used ?graph .
             ?graph kg:digest ?digest .
             ?step kg:hasSetting [ kg:parameter/rdfs:label "seed" ; kg:value ?seed ] .
             ?metric kg:evaluates ?model ; kg:measure/rdfs:label "mrr" ; kg:value ?mrr .
           }""",
        model=model.iri,
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["seed"] == 3 and row["framework"] == "pykeen"
    assert row["digest"].startswith("sha256:") and 0 < row["mrr"] <= 1
    file = Path(repo.store.path.with_name("store-embeddings"))  # type: ignore[union-attr]
    assert any(file.glob("model-*.pt")) and any(file.glob("graph-*.tsv"))
    runs = repo.select(
        "SELECT (COUNT(?run) AS ?n) WHERE { ?e rdfs:label 'kgrepo-embeddings' ; kg:hasRun ?run }"
    )
    assert runs[0]["n"] == 1


def test_a_loaded_model_scores_like_the_trained_one(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    loaded = load(repo)
    assert loaded.iri == model.iri and loaded.graph.triples == model.graph.triples
    dataset = model.graph.datasets[0]
    configs = list(model.graph.configs)
    assert np.allclose(
        loaded.expected_outcome({dataset: 1.0}, configs),
        model.expected_outcome({dataset: 1.0}, configs),
    )
    # one batched call gives each dataset's row; weights average the rows
    datasets = model.graph.datasets
    rows = model.expected_outcomes(datasets, configs)
    assert rows.shape == (len(datasets), len(configs)) and ((rows >= 0) & (rows <= 1)).all()
    for i, d in enumerate(datasets):
        assert np.allclose(rows[i], model.expected_outcome({d: 1.0}, configs))
    weights = {datasets[0]: 3.0, datasets[1]: 1.0}
    assert np.allclose(model.expected_outcome(weights, configs), (3 * rows[0] + rows[1]) / 4)


def test_recommendations_for_an_experiment_skip_what_it_tried(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    everything = recommend(
        repo, experiment="tune-iris", k=5, include_tried=True, model=model, record=False
    )
    assert len(everything.items) == 5 and not everything.unseen
    assert all(i.tried for i in everything.items)
    assert [i.rank for i in everything.items] == [1, 2, 3, 4, 5]
    scores = [i.score for i in everything.items]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    run_iris = {r.iri for r in model.graph.runs}
    for item in everything.items:
        assert item.supporting_runs and set(item.supporting_runs) <= run_iris
        assert item.configuration["algorithm"] in ("DecisionTreeClassifier", "KNN")
        assert "predicted score quantile" in item.explanation
    fresh = recommend(repo, experiment="tune-iris", k=5, model=model, record=False)
    assert fresh.items == () and fresh.excluded_tried == len(GRID)


def test_an_unseen_dataset_is_represented_by_its_neighbours(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    X, y = sklearn_datasets.make_classification(
        300, 5, n_classes=3, n_informative=3, random_state=1
    )
    stats = describe_dataset("new", X, y).characteristics
    result = recommend(repo, characteristics=stats, k=3, neighbours=2, model=model, record=False)
    assert result.unseen and len(result.neighbours) == 2
    assert {d for d, _ in result.neighbours} <= set(model.graph.datasets)
    assert sum(w for _, w in result.neighbours) == pytest.approx(1.0)
    assert len(result.items) == 3 and "similar datasets" in result.items[0].explanation
    with pytest.raises(kgrepo.NotFound, match="no experiment 'nope'"):
        recommend(repo, experiment="nope", model=model, record=False)
    with pytest.raises(kgrepo.InvalidInput, match="has none of the characteristics it knows"):
        recommend(repo, characteristics={"colour": "blue"}, model=model, record=False)


def _label(model: EmbeddingModel, configuration: dict[str, object]) -> str:
    params = {k: v for k, v in configuration.items() if k != "algorithm"}
    return model.graph.config_label(model.graph.tokens(str(configuration["algorithm"]), params))


def _observed(model: EmbeddingModel, label: str, dataset: str) -> float | None:
    found = model.graph.support.get((label, dataset))
    return float(np.mean([q for _, q in found])) if found else None


def _new_dataset() -> dict[str, object]:
    X, y = sklearn_datasets.make_classification(
        300, 5, n_classes=3, n_informative=3, random_state=1
    )
    return describe_dataset("new", X, y).characteristics


def test_an_unseen_dataset_scores_the_weighted_observed_outcomes(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    result = recommend(repo, characteristics=_new_dataset(), k=len(GRID), model=model, record=False)
    weights = dict(result.neighbours)
    assert result.unseen and set(weights) == set(model.graph.datasets)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert [w for _, w in result.neighbours] == sorted(weights.values(), reverse=True)
    # the whole grid was tried on every dataset: each score is the similarity-weighted mean of
    # the observed quantiles, whatever the model predicts
    for item in result.items:
        label = _label(model, item.configuration)
        expected = sum(w * (_observed(model, label, d) or 0.0) for d, w in weights.items())
        assert item.score == pytest.approx(expected, abs=1e-6)
        assert "100% of the similarity weight on observed runs" in item.explanation


def test_a_sparse_history_is_completed_by_the_model(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, dense = trained
    first, *others = dense.graph.datasets
    labels = sorted(dense.graph.configs)
    # the first dataset keeps the whole grid, the others every other configuration
    dropped = {(label, d) for d in others for label in labels[1::2]}
    runs = [
        r
        for r in dense.graph.runs
        if not any(
            (_label(dense, {"algorithm": r.algorithm, **r.params}), d) in dropped
            for d in r.datasets
        )
    ]
    graph = TrainingGraph.build(runs, dense.graph.characteristics, dense.graph.projection)
    model = train_graph(graph, CONFIG)
    result = recommend(repo, characteristics=_new_dataset(), k=len(GRID), model=model, record=False)
    weights = dict(result.neighbours)
    datasets = list(weights)
    assert set(datasets) == {first, *others}
    by_label = {_label(model, i.configuration): i for i in result.items}
    predicted = model.expected_outcomes(datasets, list(by_label))
    for j, (label, item) in enumerate(by_label.items()):
        # observed outcomes are facts, the model predicts the links the history lacks
        values = [_observed(model, label, d) for d in datasets]
        expected = sum(
            weights[d] * (predicted[i, j] if v is None else v)
            for i, (d, v) in enumerate(zip(datasets, values, strict=True))
        )
        assert item.score == pytest.approx(expected, abs=1e-6)
        share = sum(weights[d] for d, v in zip(datasets, values, strict=True) if v is not None)
        assert f"{share:.0%} of the similarity weight on observed runs" in item.explanation
    # configurations only the first dataset tried rest on its weight alone
    thin = [by_label[label] for label in by_label if (label, others[0]) in dropped]
    assert thin and all(f"{weights[first]:.0%} of" in i.explanation for i in thin)


def test_a_search_space_limits_and_completes_the_configurations(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    space = {"KNN": {"n_neighbors": Range(5, 50), "weights": ["distance"]}}
    result = recommend(
        repo,
        characteristics={"rows": 200, "classes": 2},
        search_space=space,
        k=10,
        model=model,
        record=False,
    )
    assert result.items
    for item in result.items:
        config = item.configuration
        assert config["algorithm"] == "KNN" and config["weights"] == "distance"
        assert 5 <= config["n_neighbors"] <= 50
    listed = [
        {"algorithm": "KNN", "n_neighbors": 7, "weights": "distance"},
        {"algorithm": "KNN", "n_neighbors": 13, "weights": "distance", "p": 1},  # never tried
    ]
    result = recommend(
        repo, characteristics={"rows": 200}, candidates=listed, k=5, model=model, record=False
    )
    assert sorted(i.configuration["n_neighbors"] for i in result.items) == [7, 13]
    untried = next(i for i in result.items if i.configuration["n_neighbors"] == 13)
    assert "not tried before" in untried.explanation
    with pytest.raises(kgrepo.InvalidInput, match="unknown algorithm") as err:
        recommend(repo, experiment="tune-iris", candidates=[{"algorithm": "SVC"}], model=model)
    assert err.value.field == "candidates[0].algorithm"


def test_recommendations_are_recorded_and_traceable(
    trained: tuple[kgrepo.Repository, EmbeddingModel],
) -> None:
    repo, model = trained
    result = repo.recommend(RecommendationRequest(characteristics={"rows": 120, "classes": 2}, k=2))
    assert result.model == model.iri and result.activity is not None
    assert all(i.iri is not None and i.ref is not None for i in result.items)
    followed = result.items[0]
    # a later run follows the first recommendation: it traces back to the model that made it
    exp = repo.experiment("tune-new")
    with exp.run() as run, run.step("train", kind="train") as step:
        step.use(followed.ref)  # type: ignore[arg-type]
        step.set_param_dict(followed.configuration)
        step.log_metric("accuracy", 0.9)
    rows = repo.select(
        """SELECT DISTINCT ?step ?recommendation ?model ?rank WHERE {
             ?step kg:used ?recommendation .
             ?recommendation kg:generatedBy ?activity .
             ?activity kg:used ?model .
             ?model a kg:Model .
             ?recommendation ?rankProperty ?rank .
             ?rankProperty rdfs:label "rank" .
           }""",
        step=run.iri.value + "/execution/1",
    )
    assert [(r["recommendation"], r["model"]) for r in rows] == [(followed.iri, model.iri)]
    assert (
        json.loads(json.dumps(result.to_dict()))["items"][0]["configuration"]
        == followed.configuration
    )


def test_a_changed_or_foreign_model_file_is_refused(
    trained: tuple[kgrepo.Repository, EmbeddingModel], tmp_path: Path
) -> None:
    import torch

    repo, model = trained
    folder = Path(repo.store.path.with_name("store-embeddings"))  # type: ignore[union-attr]
    original = next(folder.glob("model-*.pt"))
    copy = tmp_path / "model.pt"
    shutil.copy(original, copy)
    digest = "sha256:" + __import__("hashlib").sha256(copy.read_bytes()).hexdigest()
    assert EmbeddingModel.load(copy, digest).graph.triples == model.graph.triples
    copy.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])  # a truncated copy
    with pytest.raises(BadModelFile, match="does not match the digest") as err:
        EmbeddingModel.load(copy, digest)
    assert err.value.field == "digest"
    with pytest.raises(BadModelFile, match="not a readable model file"):
        EmbeddingModel.load(copy)
    payload = torch.load(original, weights_only=True)
    torch.save({**payload, "format": "kgrepo-embeddings/0"}, copy)
    with pytest.raises(BadModelFile, match="expected 'kgrepo-embeddings/1'"):
        EmbeddingModel.load(copy)
    torch.save({**payload, "pykeen": "0.9.0"}, copy)
    with pytest.raises(BadModelFile, match=r"saved with PyKEEN 0\.9\.0"):
        EmbeddingModel.load(copy)


def test_cli_trains_and_recommends(tmp_path: Path) -> None:
    store = tmp_path / "repo"
    with kgrepo.Repository.open(store) as repo:
        record_history(repo, ["iris", "wine"])
    runner = CliRunner()
    base = ["--repo", str(store)]
    result = runner.invoke(main, [*base, "recommend", "--experiment", "tune-iris"])
    assert result.exit_code == 1 and "kgrepo embeddings train" in result.output
    args = [*base, "embeddings", "train", "--epochs", "10", "--dim", "8", "--no-progress"]
    result = runner.invoke(main, [*args, "--loss", "no-such-loss"])
    assert result.exit_code == 1 and "'loss'" in result.output and "no-such-loss" in result.output
    result = runner.invoke(main, [*args, "--stopping-metric", "mrr", "--learning-rate", "0.02"])
    assert result.exit_code == 0, result.output
    assert "validation MRR" in result.output
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"DecisionTreeClassifier": {"max_depth": {"min": 1, "max": 4}}}))
    args = [
        *base,
        "recommend",
        "--characteristic",
        "rows=300",
        "--characteristic",
        "classes=2",
        "--space",
        str(space),
        "-k",
        "2",
        "-o",
        "json",
    ]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["unseen"] and len(answer["items"]) == 2 and answer["activity"]
    assert all(1 <= i["configuration"]["max_depth"] <= 4 for i in answer["items"])
    result = runner.invoke(main, [*base, "recommend", "--experiment", "tune-iris", "-k", "0"])
    assert result.exit_code == 1 and "field 'k' = 0" in result.output


def test_a_new_user_learns_from_the_demo(tmp_path: Path) -> None:
    """`kgrepo demo` records a tuning history that `kgrepo embeddings train` learns from; the
    recommendations for a new dataset come from the demo's configurations, each explained."""
    runner = CliRunner()
    base = ["--repo", str(tmp_path / "demo")]
    result = runner.invoke(main, [*base, "demo"])
    assert result.exit_code == 0, result.output
    assert "embeddings train" in result.output
    args = [*base, "embeddings", "train", "--epochs", "20", "--dim", "16", "--no-progress"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    args = [*base, "recommend", "--characteristic", "rows=300", "--characteristic", "classes=2"]
    result = runner.invoke(main, [*args, "-k", "3", "-o", "json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["unseen"] and len(answer["items"]) == 3 and answer["activity"]
    algorithms = {"DecisionTree", "KNN", "LogisticRegression", "SVC"}
    for item in answer["items"]:
        assert item["configuration"]["algorithm"] in algorithms
        assert item["explanation"] and item["supporting_runs"]
