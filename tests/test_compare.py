"""FR2: what differs between two runs, or two artifacts of the same kind (kgrepo.compare and the
``diff`` commands), over every backend."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgrepo import (
    DATASET,
    Dataset,
    Executable,
    InvalidInput,
    Model,
    NotFound,
    Repository,
    Trigger,
    Workflow,
    demo,
)
from kgrepo.artifacts import ArtifactRef
from kgrepo.cli import main
from kgrepo.compare import Diff, Difference, diff_artifacts, diff_runs
from kgrepo.recording import Experiment, Run


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def fields(diff: Diff) -> dict[str, tuple[object, object]]:
    return {d.field: (d.a, d.b) for d in diff.differences}


def pipeline(
    exp: Experiment,
    *,
    data: str = "digits",
    c: float = 1.0,
    accuracy: float = 0.9,
    version: str = "1",
    trigger: Trigger | None = None,
    extra_step: bool = False,
    fail: bool = False,
) -> tuple[Run, ArtifactRef]:
    """A run: prepare (uses ``data``), train (parameters, produces a model), evaluate."""
    run = exp.run(
        trigger=trigger or Trigger.manual(by="alice"),
        config={"seed": 7},
        workflow=Workflow("pipeline", version="2"),
    )
    try:
        with run:
            with run.step("prepare", kind="transform") as step:
                step.use(Dataset(data, digest=digest(data), uri=f"file:///data/{data}.csv"))
                train_set = step.produce(Dataset(f"{data}-train", digest=digest(data + "-train")))
            with run.step(
                "train", kind="train", executable=Executable("train.py", version)
            ) as step:
                step.use(train_set)
                step.set_params(C=c, kernel="rbf")
                model = step.produce(Model("svc", digest=digest(f"{data}-{c}"), algorithm="SVC"))
            with run.step("evaluate", kind="evaluate") as step:
                step.use(model)
                step.log_metric("accuracy", accuracy, of=model)
                if fail:
                    raise RuntimeError("evaluation crashed")
            if extra_step:
                with run.step("deploy", kind="deploy") as step:
                    step.use(model)
    except RuntimeError:
        pass
    return run, model


# -- runs ------------------------------------------------------------------------------------------
def test_demo_runs_differ_in_the_prepare_input_and_the_trigger(repo: Repository) -> None:
    result = demo.record(repo)
    diff = diff_runs(repo, result.good_run, result.bad_run)
    changed = fields(diff)
    assert changed["trigger cause"] == ("Manual", "DataChange")
    assert changed["trigger by"] == ("alice", "bob")
    assert changed["step 'prepare' input 'digits'"] == (demo.DIGITS.digest, None)
    assert changed["step 'prepare' input 'alphanumeric'"] == (None, demo.ALPHANUMERIC.digest)
    assert changed["step 'evaluate' metric accuracy of 'digits-svc'"] == (0.974, 0.861)
    # What did not change is said too: same code, same hyperparameters.
    for field in (
        "status",
        "workflow",
        "configuration seed",
        "step 'prepare' executable",
        "step 'train' executable",
        "step 'train' parameter C",
    ):
        assert field in diff.same
    assert diff.a == result.good_run and diff.b == result.bad_run
    assert diff["trigger cause"] == Difference("trigger cause", "Manual", "DataChange")
    with pytest.raises(KeyError, match="status"):
        diff["status"]


def test_a_run_compared_with_itself_has_no_differences(repo: Repository) -> None:
    run, _ = pipeline(repo.experiment("e"))
    diff = diff_runs(repo, run, run.iri.value)
    assert diff.differences == ()
    assert diff.fields() == []
    assert "step 'train' parameter kernel" in diff.same
    assert diff.to_dict()["differences"] == []


def test_parameters_executable_metrics_and_outputs(repo: Repository) -> None:
    exp = repo.experiment("e")
    a, _ = pipeline(exp, c=1.0, accuracy=0.9)
    b, _ = pipeline(exp, c=10.0, accuracy=0.8, version="2")
    changed = fields(diff_runs(repo, a, b))
    assert changed["step 'train' parameter C"] == (1.0, 10.0)
    assert changed["step 'train' executable"] == ("train.py 1", "train.py 2")
    assert changed["step 'train' output 'svc'"] == (digest("digits-1.0"), digest("digits-10.0"))
    assert changed["step 'evaluate' metric accuracy of 'svc'"] == (0.9, 0.8)
    assert "step 'train' parameter kernel" not in changed
    assert "step 'prepare' input 'digits'" not in changed


def test_steps_status_and_workflow(repo: Repository) -> None:
    exp = repo.experiment("e")
    a, _ = pipeline(exp, extra_step=True)
    b, _ = pipeline(exp, fail=True)
    changed = fields(diff_runs(repo, a, b))
    assert changed["status"] == ("Succeeded", "Failed")
    assert changed["step 'evaluate' status"] == ("Succeeded", "Failed")
    assert changed["step 'deploy'"] == ("present", None)
    assert changed["step 'deploy' kind"] == ("deploy", None)
    assert changed["step 'deploy' input 'svc'"] == (digest("digits-1.0"), None)
    with exp.run(config={"seed": 8}) as c:
        pass
    changed = fields(diff_runs(repo, a, c))
    assert changed["configuration seed"] == (7, 8)
    assert changed["workflow"] == ("pipeline 2", None)
    assert changed["trigger by"] == ("alice", None)
    assert changed["step 'prepare'"] == ("present", None)


def test_repeated_step_names_are_matched_in_order(repo: Repository) -> None:
    exp = repo.experiment("e")
    runs = []
    for epochs in ((1, 2), (1, 3)):
        with exp.run() as run:
            for n in epochs:
                with run.step("train", kind="train") as step:
                    step.set_params(epochs=n)
        runs.append(run)
    changed = fields(diff_runs(repo, *runs))
    assert changed == {"step 'train #2' parameter epochs": (2, 3)}


def test_diff_field_order_interleaves_both_sides(repo: Repository) -> None:
    result = demo.record(repo)
    order = diff_runs(repo, result.good_run, result.bad_run).fields()
    prepare = [f for f in order if f.startswith("step 'prepare'")]
    assert prepare[:2] == [
        "step 'prepare' input 'alphanumeric'",
        "step 'prepare' input 'digits'",
    ]
    assert order.index("trigger cause") < order.index("step 'prepare' input 'digits'")
    assert order.index("step 'prepare' input 'digits'") < order.index(
        "step 'train' input 'digits-train'"
    )


# -- artifacts -------------------------------------------------------------------------------------
def test_demo_models_differ_in_their_lineage_and_metrics(repo: Repository) -> None:
    result = demo.record(repo)
    diff = diff_artifacts(repo, result.good_model, result.bad_model)
    changed = fields(diff)
    assert changed["metric accuracy"] == (0.974, 0.861)
    assert changed["generated from input 'digits-train'"][0] is not None
    assert changed["generated from input 'alphanumeric-train'"][0] is None
    assert changed["digest"][0] != changed["digest"][1]
    for field in ("name", "algorithm", "framework", "generated by executable"):
        assert field in diff.same
    assert "generated with parameter C" in diff.same


def test_demo_datasets_differ_in_their_characteristics(repo: Repository) -> None:
    demo.record(repo)
    iris = {
        row["name"]: row["artifact"]
        for row in repo.select(
            "SELECT ?artifact ?name WHERE { ?artifact a kg:Dataset ; rdfs:label ?name }"
        )
    }
    changed = fields(diff_artifacts(repo, iris["digits"], iris["alphanumeric"]))
    assert changed["name"] == ("digits", "alphanumeric")
    assert changed["characteristic classes"] == (10, 36)
    assert changed["characteristic rows"] == (1797, 4212)
    assert "characteristic features" not in changed
    assert "generated by step" not in changed  # raw data: no step made either


def test_custom_kind_attributes_annotations_and_parameters(repo: Repository) -> None:
    images = repo.register_kind("ImageSet", {"resolution": int, "source": str}, parent=DATASET)
    refs = []
    with repo.experiment("e").run() as run:
        for n, (resolution, scale) in enumerate(((64, 1.0), (128, 2.0))):
            with run.step("resize", kind="transform") as step:
                step.set_params(scale=scale)
                refs.append(
                    step.produce(
                        images(
                            f"faces{n}",
                            resolution=resolution,
                            source="camera",
                            digest=digest(f"faces{n}"),
                            annotations={"reviewed": n == 0},
                        )
                    )
                )
    diff = diff_artifacts(repo, refs[0], refs[1].iri)
    changed = fields(diff)
    assert changed["resolution"] == (64, 128)
    assert changed["annotation reviewed"] == (True, False)
    assert changed["generated with parameter scale"] == (1.0, 2.0)
    assert "source" in diff.same and "generated by step" in diff.same


# -- bad input -------------------------------------------------------------------------------------
def test_unknown_iris_are_not_found(repo: Repository) -> None:
    result = demo.record(repo)
    missing = repo.base + "run/nope"
    with pytest.raises(NotFound, match=r"no run <https://kgrepo.example/run/nope>"):
        diff_runs(repo, result.good_run, missing)
    with pytest.raises(NotFound, match=r"no artifact <https://kgrepo.example/artifact/x>"):
        diff_artifacts(repo, repo.base + "artifact/x", result.good_model)


def test_iris_of_the_wrong_kind(repo: Repository) -> None:
    result = demo.record(repo)
    with pytest.raises(InvalidInput, match=r"field 'iri' = .*: is a Model, not a run"):
        diff_runs(repo, result.good_run, result.good_model)
    with pytest.raises(InvalidInput, match=r"field 'iri' = .*: is a Run, not an artifact"):
        diff_artifacts(repo, result.good_run, result.good_model)
    with pytest.raises(InvalidInput, match=r"field 'iri' = 'not an iri': not an absolute IRI"):
        diff_runs(repo, "not an iri", result.good_run)
    with pytest.raises(InvalidInput, match=r"field 'iri' = 3: expected an IRI string"):
        diff_artifacts(repo, 3, result.good_model)


def test_a_dataset_and_a_model_cannot_be_compared(repo: Repository) -> None:
    result = demo.record(repo)
    data = repo.base + "artifact/Dataset/" + demo.DIGITS.digest.replace(":", "%3A")
    with pytest.raises(
        InvalidInput,
        match=r"Diff: field 'b' = .*: is a Model and a is a Dataset; compare artifacts of the "
        r"same kind",
    ):
        diff_artifacts(repo, data, result.good_model)


# -- the command line ------------------------------------------------------------------------------
def run_cli(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--repo", str(path), *args])
    return result.exit_code, result.output


def recorded(path: Path) -> demo.DemoResult:
    with Repository.open(path) as repo:
        return demo.record(repo)


def test_cli_diff_runs(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    result = recorded(path)
    code, out = run_cli(path, "diff", "runs", result.good_run, result.bad_run)
    assert code == 0, out
    assert "trigger cause" in out and "DataChange" in out and "bob" in out
    assert "step 'prepare' input 'alphanumeric'" in out
    code, out = run_cli(path, "diff", "runs", result.good_run, result.bad_run, "--same")
    assert "same: status, workflow" in out
    code, out = run_cli(path, "diff", "runs", result.good_run, result.bad_run, "-o", "json")
    assert code == 0, out
    data = json.loads(out)
    assert {"field": "trigger by", "a": "alice", "b": "bob"} in data["differences"]


def test_cli_diff_artifacts(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    result = recorded(path)
    code, out = run_cli(path, "diff", "artifacts", result.good_model, result.bad_model)
    assert code == 0, out
    assert "metric accuracy" in out and "0.974" in out and "0.861" in out
    code, out = run_cli(
        path, "diff", "artifacts", result.good_model, result.bad_model, "-o", "json"
    )
    assert code == 0 and json.loads(out)["a"] == result.good_model


@pytest.mark.parametrize(
    ("kind", "message"),
    [("runs", "is a Model, not a run"), ("artifacts", "is a Run, not an artifact")],
)
def test_cli_diff_bad_input(tmp_path: Path, kind: str, message: str) -> None:
    path = tmp_path / "repo"
    result = recorded(path)
    code, out = run_cli(path, "diff", kind, result.good_run, result.good_model)
    assert code == 1 and message in out
