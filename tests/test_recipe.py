"""FR8 with a real pipeline: the recipe recorded for a model is enough to rebuild it.

Two small scripts are written into ``tmp_path`` and run as processes: ``prepare.py`` reads the
digits dataset bundled with scikit-learn (the ``digits.csv.gz`` file of ``sklearn.datasets``),
splits it with a seed and writes train/test ``.npz`` files; ``train.py`` fits a random forest with
hyperparameters given as JSON and pickles it. The run is recorded with kgrepo: executables with the
``file://`` URI and SHA-256 of each script, datasets and the model with ``file://`` URIs and the
SHA-256 of their files, the hyperparameters as settings.

Then the model and every intermediate file are deleted and rebuilt from
``kgrepo.lineage.recipe(...)`` alone (its JSON form): steps in the recipe's order, each script
found through its URI and checked against its recorded digest, each input file checked against its
recorded digest, each script run with the recorded settings. The rebuilt model must predict
exactly what the original predicted.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import pickle
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from kgrepo import Dataset, Executable, Model, Repository, Trigger, lineage

pytestmark = pytest.mark.slow

# The scripts take one argument, a JSON object: {"params": {...}, "inputs": {name: path},
# "outputs": {name: path}}. Files are written reproducibly (.npz members with a fixed timestamp,
# a seeded split, a seeded single-process forest), so a rebuild has the recorded digests.
PREPARE = '''\
"""Split the bundled digits dataset (CSV: 64 pixel columns, then the label) into train and test."""
import io
import json
import sys
import zipfile

import numpy as np
from sklearn.model_selection import train_test_split


def save_npz(path, **arrays):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            member = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(member, buffer.getvalue())


spec = json.loads(sys.argv[1])
params = spec["params"]
(source,) = spec["inputs"].values()
table = np.loadtxt(source, delimiter=",")
X, y = table[:, :-1] / params["scale"], table[:, -1].astype(np.int64)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=params["test_size"], random_state=params["seed"], stratify=y
)
save_npz(spec["outputs"]["digits-train"], X=X_train, y=y_train)
save_npz(spec["outputs"]["digits-test"], X=X_test, y=y_test)
'''

TRAIN = '''\
"""Fit a random forest on the training split with the given hyperparameters; pickle it."""
import json
import pickle
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier

spec = json.loads(sys.argv[1])
params = spec["params"]
data = np.load(spec["inputs"]["digits-train"])
model = RandomForestClassifier(n_jobs=1, **params)
model.fit(data["X"], data["y"])
with open(spec["outputs"]["digits-rf"], "wb") as out:
    pickle.dump(model, out, protocol=5)
'''

PREPARE_PARAMS = {"scale": 16.0, "test_size": 0.25, "seed": 42}
TRAIN_PARAMS = {
    "n_estimators": 25,
    "max_depth": 10,
    "max_features": 0.5,
    "criterion": "entropy",
    "bootstrap": True,
    "random_state": 0,
}


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def path_of(uri: str) -> Path:
    parsed = urllib.parse.urlparse(uri)
    assert parsed.scheme == "file", uri
    return Path(urllib.request.url2pathname(parsed.path))


def bundled_digits() -> Path:
    """The digits CSV shipped inside scikit-learn (what ``load_digits`` reads)."""
    spec = importlib.util.find_spec("sklearn")
    assert spec is not None and spec.submodule_search_locations
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    assert path.is_file(), path
    return path


def run_script(
    script: Path, params: dict[str, Any], inputs: dict[str, Path], outputs: dict[str, Path]
) -> None:
    spec = {
        "params": params,
        "inputs": {k: str(v) for k, v in inputs.items()},
        "outputs": {k: str(v) for k, v in outputs.items()},
    }
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stderr}"


def predict(model_file: Path, test_file: Path) -> Any:
    import numpy as np

    with model_file.open("rb") as f:
        model = pickle.load(f)
    with np.load(test_file) as data:
        return model.predict(data["X"]), data["y"]


def executable(script: Path, source: str) -> Executable:
    script.write_text(source, encoding="utf-8")
    return Executable(script.name, version="1.0.0", uri=script.as_uri(), digest=sha256(script))


def record_pipeline(repo: Repository, work: Path) -> tuple[str, Path, Path]:
    """Runs the two scripts, recording the run as it goes; returns the model IRI and the model and
    test files."""
    code, data = work / "code", work / "data"
    code.mkdir()
    data.mkdir()
    prepare = executable(code / "prepare.py", PREPARE)
    train = executable(code / "train.py", TRAIN)
    raw = bundled_digits()
    train_file, test_file, model_file = (
        data / "train.npz",
        data / "test.npz",
        data / "digits-rf.pkl",
    )

    exp = repo.experiment("digits", goal="recognise handwritten digits")
    with exp.run(trigger=Trigger.manual(by="alice"), config={"seed": 42}) as run:
        with run.step("prepare", kind="transform", executable=prepare) as step:
            step.use(Dataset("digits", uri=raw.as_uri(), digest=sha256(raw), storage_type="blob"))
            step.set_params(**PREPARE_PARAMS)
            run_script(
                path_of(prepare.uri or ""),
                PREPARE_PARAMS,
                {"digits": raw},
                {"digits-train": train_file, "digits-test": test_file},
            )
            train_split = step.produce(
                Dataset("digits-train", uri=train_file.as_uri(), digest=sha256(train_file))
            )
            test_split = step.produce(
                Dataset("digits-test", uri=test_file.as_uri(), digest=sha256(test_file))
            )
        with run.step("train", kind="train", executable=train) as step:
            step.use(train_split)
            step.set_params(**TRAIN_PARAMS)
            run_script(
                path_of(train.uri or ""),
                TRAIN_PARAMS,
                {"digits-train": train_file},
                {"digits-rf": model_file},
            )
            model = step.produce(
                Model(
                    "digits-rf",
                    uri=model_file.as_uri(),
                    digest=sha256(model_file),
                    algorithm="RandomForestClassifier",
                    framework="scikit-learn",
                )
            )
        with run.step("evaluate", kind="evaluate") as step:
            step.use(model)
            step.use(test_split)
            predicted, truth = predict(model_file, test_file)
            step.log_metric("accuracy", float((predicted == truth).mean()), of=model)
    return model.iri.value, model_file, test_file


def rebuild(recipe: dict[str, Any]) -> list[str]:
    """Rebuilds the recipe's artifact from the recipe alone; returns the scripts run, in order.
    Every script and every input must have its recorded digest."""
    artifacts = recipe["artifacts"]
    ran = []
    for step in recipe["steps"]:
        exe = step["executable"]
        script = path_of(exe["uri"])
        assert sha256(script) == exe["digest"], f"{script} is not the code that ran"
        inputs = {}
        for iri in step["inputs"]:
            info = artifacts[iri]
            path = path_of(info["uri"])
            assert path.is_file(), f"input {info['name']} missing at {path}"
            assert sha256(path) == info["digest"], f"input {info['name']} changed"
            inputs[info["name"]] = path
        outputs = {
            artifacts[iri]["name"]: path_of(artifacts[iri]["uri"]) for iri in step["outputs"]
        }
        run_script(script, step["settings"], inputs, outputs)
        ran.append(exe["name"])
    return ran


def test_a_model_is_rebuilt_from_its_recipe_alone(repo: Repository, tmp_path: Path) -> None:
    model_iri, model_file, test_file = record_pipeline(repo, tmp_path)
    original_predictions, truth = predict(model_file, test_file)
    assert (original_predictions == truth).mean() > 0.9  # a real classifier

    recipe_obj = lineage.recipe(repo, model_iri)
    recipe = recipe_obj.to_dict()
    assert json.loads(recipe_obj.to_json()) == recipe  # the JSON form is the same data

    # what the recipe holds
    assert recipe["artifact"]["iri"] == model_iri
    assert recipe["artifact"]["digest"] == sha256(model_file)
    assert [s["name"] for s in recipe["steps"]] == ["prepare", "train"]
    prepare, train = recipe["steps"]
    assert prepare["executable"]["version"] == train["executable"]["version"] == "1.0.0"
    assert prepare["settings"] == PREPARE_PARAMS
    assert train["settings"] == TRAIN_PARAMS
    assert {k: type(v) for k, v in train["settings"].items()} == {
        k: type(v) for k, v in TRAIN_PARAMS.items()
    }
    assert [i["name"] for i in recipe["inputs"]] == ["digits"]
    assert recipe["inputs"][0]["uri"] == bundled_digits().as_uri()
    assert [recipe["artifacts"][o]["name"] for o in train["outputs"]] == ["digits-rf"]
    # To re-run prepare.py one must know everything it writes, not only the split on the way to
    # the model: the recipe lists every output of each step it asks to run.
    assert sorted(recipe["artifacts"][o]["name"] for o in prepare["outputs"]) == [
        "digits-test",
        "digits-train",
    ], "the recipe leaves out outputs of the prepare step, so prepare.py cannot be re-run from it"
    saved_before = {name: sha256(p) for name, p in (("model", model_file), ("test", test_file))}

    # delete the model and every intermediate file
    intermediate = [
        path_of(recipe["artifacts"][o]["uri"]) for s in recipe["steps"] for o in s["outputs"]
    ]
    assert set(intermediate) == {model_file, test_file, tmp_path / "data" / "train.npz"}
    for path in intermediate:
        path.unlink()
    assert not any(p.exists() for p in intermediate)

    # rebuild from the recipe's JSON only
    assert rebuild(json.loads(recipe_obj.to_json())) == ["prepare.py", "train.py"]

    # the same files, bit for bit, and the same predictions
    for step in recipe["steps"]:
        for iri in step["outputs"]:
            info = recipe["artifacts"][iri]
            assert sha256(path_of(info["uri"])) == info["digest"], f"{info['name']} differs"
    assert {"model": sha256(model_file), "test": sha256(test_file)} == saved_before
    rebuilt_predictions, rebuilt_truth = predict(model_file, test_file)
    assert (rebuilt_predictions == original_predictions).all()
    assert (rebuilt_truth == truth).all()
