"""The lineage commands of the ``kgrepo`` CLI (``lineage``, ``recipe``, ``root-cause``, ``flag``,
``suspects``, ``equivalent``), in process with click's CliRunner, over a repository holding the
demo (``kgrepo --repo <tmp> demo``).

Every test has its own repository under its own ``tmp_path``: an embedded repository is opened by
one process at a time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kgrepo import demo
from kgrepo.cli import main

MISSING = "https://kgrepo.example/artifact/Model/sha256%3Adeadbeef"


def cli(repo: Path, *args: str, ok: bool = True) -> Result:
    """``kgrepo --repo <repo> <args>``; with ``ok`` the command must succeed."""
    result = CliRunner().invoke(main, ["--repo", str(repo), *args])
    if ok:
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
    return result


def failed_cleanly(result: Result, exit_code: int = 1) -> str:
    """A CLI error, not a crash: the exit code, an ``Error:`` line, no traceback; returns it."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Error:" in result.output
    assert "Traceback" not in result.output
    return result.output


@dataclass(frozen=True)
class Demo:
    path: Path
    good_run: str
    bad_run: str
    good_model: str
    bad_model: str


@pytest.fixture
def demo_repo(tmp_path: Path) -> Demo:
    path = tmp_path / "repo"
    out = cli(path, "demo").output
    runs = re.findall(r"^  run [12] \([^)]*\): +(\S+)$", out, re.MULTILINE)
    models = re.findall(r"^lineage of the model of run [12] <([^>]+)>:$", out, re.MULTILINE)
    assert len(runs) == 2 and len(models) == 2, out
    return Demo(path, runs[0], runs[1], models[0], models[1])


def dataset_iri(d: Demo, name: str) -> str:
    """The IRI of a raw dataset of the demo, read from the JSON lineage of the models."""
    for model in (d.good_model, d.bad_model):
        found = json.loads(cli(d.path, "lineage", model, "-o", "json").output)
        for iri, artifact in found["artifacts"].items():
            if artifact["name"] == name:
                return str(iri)
    raise AssertionError(f"no dataset {name!r} in the demo")


# -- lineage ---------------------------------------------------------------------------------------
def test_lineage_as_a_table(demo_repo: Demo) -> None:
    out = cli(demo_repo.path, "lineage", demo_repo.bad_model).output
    lines = out.splitlines()
    assert lines[0].split() == [
        "depth",
        "step",
        "kind",
        "executable",
        "inputs",
        "outputs",
        "trigger",
    ]
    assert re.search(
        r"^1 +train +train +train\.py 2\.1\.0 +alphanumeric-train +digits-svc"
        r" +DataChange by bob *$",
        out,
        re.MULTILINE,
    )
    assert re.search(
        r"^2 +prepare +transform +prepare\.py 1\.4\.0 +alphanumeric +alphanumeric-train"
        r" +DataChange by bob *$",
        out,
        re.MULTILINE,
    )
    assert lines[-1] == "(2 rows)"
    assert "digits " not in out.replace("digits-svc", "")


def test_lineage_as_json(demo_repo: Demo) -> None:
    found = json.loads(cli(demo_repo.path, "lineage", demo_repo.good_model, "-o", "json").output)
    assert found["root"]["iri"] == demo_repo.good_model
    assert found["direction"] == "upstream" and found["depth"] is None
    steps = found["steps"]
    assert [(s["name"], s["depth"]) for s in steps] == [("train", 1), ("prepare", 2)]
    assert steps[1]["executable"]["digest"] == demo.PREPARE.digest
    assert steps[1]["executable"]["version"] == "1.4.0"
    assert steps[1]["settings"] == {"scale": "minmax", "test_size": 0.25}
    assert steps[0]["settings"]["C"] == 10.0
    assert steps[0]["trigger"] == {
        "cause": "Manual",
        "by": "alice",
        "reason": "first model for the pilot",
        "concerns": None,
    }
    assert all(s["run"] == demo_repo.good_run for s in steps)
    raw = [a for a in found["artifacts"].values() if a["name"] == "digits"]
    assert [a["digest"] for a in raw] == [demo.DIGITS.digest]


def test_lineage_downstream_and_depth(demo_repo: Demo) -> None:
    digits = dataset_iri(demo_repo, "digits")
    down = json.loads(
        cli(demo_repo.path, "lineage", digits, "--direction", "downstream", "-o", "json").output
    )
    assert down["direction"] == "downstream"
    assert [(s["name"], s["depth"]) for s in down["steps"]] == [
        ("prepare", 1),
        ("train", 2),  # same depth: in start order
        ("evaluate", 2),
    ]
    derived = {a["name"] for iri, a in down["artifacts"].items() if iri != digits}
    assert derived == {"digits-train", "digits-test", "digits-svc", "accuracy", "macro_f1"}
    assert "alphanumeric" not in {a["name"] for a in down["artifacts"].values()}

    table = cli(demo_repo.path, "lineage", digits, "--direction", "downstream").output
    assert re.search(r"^1 +prepare +transform .* Manual by alice *$", table, re.MULTILINE)
    assert table.splitlines()[-1] == "(3 rows)"

    one = json.loads(
        cli(demo_repo.path, "lineage", demo_repo.bad_model, "--depth", "1", "-o", "json").output
    )
    assert one["depth"] == 1
    assert [s["name"] for s in one["steps"]] == ["train"]
    none = cli(demo_repo.path, "lineage", demo_repo.bad_model, "--depth", "0").output
    assert none.splitlines()[-1] == "(0 rows)"


def test_lineage_refuses_a_bad_depth(demo_repo: Demo) -> None:
    out = failed_cleanly(
        cli(demo_repo.path, "lineage", demo_repo.bad_model, "--depth", "-1", ok=False)
    )
    assert "depth" in out and "must be an integer from 0 to 10000" in out
    out = failed_cleanly(
        cli(demo_repo.path, "lineage", demo_repo.bad_model, "--depth", "x", ok=False), 2
    )
    assert "--depth" in out


# -- recipe ----------------------------------------------------------------------------------------
def test_recipe_is_json_with_ordered_steps(demo_repo: Demo) -> None:
    out = cli(demo_repo.path, "recipe", demo_repo.bad_model).output
    recipe = json.loads(out)
    assert recipe["artifact"]["iri"] == demo_repo.bad_model
    assert [s["name"] for s in recipe["steps"]] == ["prepare", "train"]
    prepare, train = recipe["steps"]
    assert prepare["executable"]["name"] == "prepare.py"
    assert prepare["executable"]["version"] == "1.4.0"
    assert prepare["executable"]["digest"] == demo.PREPARE.digest
    assert prepare["executable"]["uri"] == demo.PREPARE.uri
    assert prepare["settings"] == {"scale": "minmax", "test_size": 0.25}
    assert train["settings"] == {"C": 10.0, "algorithm": "SVC", "gamma": 0.001, "kernel": "rbf"}
    # every input of a step is a raw input of the recipe or an output of an earlier step
    produced = set(prepare["outputs"])
    assert set(train["inputs"]) <= produced
    assert [i["name"] for i in recipe["inputs"]] == ["alphanumeric"]
    assert recipe["inputs"][0]["digest"] == demo.ALPHANUMERIC.digest
    assert prepare["inputs"] == [recipe["inputs"][0]["iri"]]
    for iri in (*prepare["inputs"], *train["inputs"]):
        assert iri in recipe["artifacts"]


# -- root cause ------------------------------------------------------------------------------------
def test_root_cause_names_the_step_the_dataset_and_the_trigger(demo_repo: Demo) -> None:
    out = cli(demo_repo.path, "root-cause", demo_repo.good_model, demo_repo.bad_model).output
    assert out.startswith("first difference at step 'prepare':\n")
    assert f"input only in a: Dataset 'digits' ({demo.DIGITS.digest})" in out
    assert f"input only in b: Dataset 'alphanumeric' ({demo.ALPHANUMERIC.digest})" in out
    assert "run of a triggered by: Manual by alice — first model for the pilot" in out
    assert "run of b triggered by: DataChange by bob — data step pointed at the alphanumeric" in out
    affected = out.split("affected (derived from what only b used):\n")[1]
    assert f"<{demo_repo.bad_model}>" in affected
    assert f"<{demo_repo.good_model}>" not in affected
    assert re.search(r"^  Model +digits-svc", affected, re.MULTILINE)

    data = json.loads(
        cli(
            demo_repo.path, "root-cause", demo_repo.good_model, demo_repo.bad_model, "-o", "json"
        ).output
    )
    assert data["step"] == "prepare"
    assert [a["name"] for a in data["only_in_b"]] == ["alphanumeric"]
    assert data["trigger_b"]["cause"] == "DataChange" and data["trigger_b"]["by"] == "bob"


def test_root_cause_of_a_model_with_itself(demo_repo: Demo) -> None:
    out = cli(demo_repo.path, "root-cause", demo_repo.good_model, demo_repo.good_model).output
    assert out == "the upstream lineages do not differ\n"


# -- flags -----------------------------------------------------------------------------------------
def test_flag_then_suspects_lists_every_descendant(demo_repo: Demo) -> None:
    assert cli(demo_repo.path, "suspects").output.splitlines()[-1] == "(0 rows)"
    digits = dataset_iri(demo_repo, "digits")
    out = cli(
        demo_repo.path, "flag", digits, "--reason", "mislabelled 7s and 1s", "--by", "carol"
    ).output
    match = re.fullmatch(r"flagged: (\S+)  \(5 suspect artifacts downstream\)\n", out)
    assert match, out
    assert match.group(1).startswith("https://kgrepo.example/flag/")

    suspects = json.loads(cli(demo_repo.path, "suspects", "-o", "json").output)
    assert sorted(s["artifact"]["name"] for s in suspects) == [
        "accuracy",
        "digits-svc",
        "digits-test",
        "digits-train",
        "macro_f1",
    ]
    assert {(s["flagged"], s["reason"]) for s in suspects} == {(digits, "mislabelled 7s and 1s")}
    assert demo_repo.good_model in {s["artifact"]["iri"] for s in suspects}
    assert demo_repo.bad_model not in {s["artifact"]["iri"] for s in suspects}

    table = cli(demo_repo.path, "suspects").output
    assert table.splitlines()[0].split() == ["kind", "name", "suspect", "flagged", "reason"]
    assert re.search(r"^Model +digits-svc .* mislabelled 7s and 1s *$", table, re.MULTILINE)
    assert table.splitlines()[-1] == "(5 rows)"


def test_flag_refuses_a_blank_reason(demo_repo: Demo) -> None:
    digits = dataset_iri(demo_repo, "digits")
    out = failed_cleanly(cli(demo_repo.path, "flag", digits, "--reason", "  ", ok=False))
    assert "reason" in out and "must not be empty" in out
    out = failed_cleanly(cli(demo_repo.path, "flag", digits, ok=False), 2)
    assert "--reason" in out
    assert cli(demo_repo.path, "suspects").output.splitlines()[-1] == "(0 rows)"


# -- equivalent (FR6) ------------------------------------------------------------------------------
def equivalent_args(*extra: str, test_size: str = "0.25", data: str | None = None) -> list[str]:
    return [
        "equivalent",
        "--executable",
        "prepare.py",
        "--version",
        "1.4.0",
        "--digest",
        demo.PREPARE.digest or "",
        "--input",
        f"Dataset={data or demo.DIGITS.digest}",
        "--param",
        'scale="minmax"',
        "--param",
        f"test_size={test_size}",
        *extra,
    ]


def test_equivalent_finds_the_demo_execution(demo_repo: Demo) -> None:
    found = json.loads(cli(demo_repo.path, *equivalent_args()).output)
    assert found["run"] == demo_repo.good_run
    assert found["execution"] == demo_repo.good_run + "/execution/1"
    assert sorted(o["name"] for o in found["outputs"]) == ["digits-test", "digits-train"]
    assert {o["kind"] for o in found["outputs"]} == {"Dataset"}
    # the other dataset finds the other run
    other = json.loads(cli(demo_repo.path, *equivalent_args(data=demo.ALPHANUMERIC.digest)).output)
    assert other["run"] == demo_repo.bad_run


def test_equivalent_takes_plain_text_values(demo_repo: Demo) -> None:
    args = equivalent_args()
    args[args.index('scale="minmax"')] = "scale=minmax"
    assert json.loads(cli(demo_repo.path, *args).output)["run"] == demo_repo.good_run


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(equivalent_args(test_size="0.3"), id="another value"),
        pytest.param(equivalent_args(test_size='"0.25"'), id="a string instead of a number"),
        pytest.param(equivalent_args("--param", "seed=7"), id="an extra parameter"),
        pytest.param(equivalent_args(data="sha256:00"), id="another input digest"),
        pytest.param(equivalent_args("--input", "Dataset=sha256:11"), id="an extra input"),
        pytest.param(
            [a if a != "1.4.0" else "1.5.0" for a in equivalent_args()], id="another version"
        ),
    ],
)
def test_equivalent_without_match_exits_1(demo_repo: Demo, args: list[str]) -> None:
    result = cli(demo_repo.path, *args, ok=False)
    assert result.exit_code == 1
    assert result.output == "no equivalent execution: the step must run\n"
    assert "Traceback" not in result.output


def test_equivalent_refuses_bad_input(demo_repo: Demo) -> None:
    args = equivalent_args()
    args[args.index(f"Dataset={demo.DIGITS.digest}")] = "Picture=sha256:ab"
    out = failed_cleanly(cli(demo_repo.path, *args, ok=False))
    assert "no artifact kind 'Picture'" in out
    args = equivalent_args()
    args[args.index(f"Dataset={demo.DIGITS.digest}")] = "sha256:ab"
    out = failed_cleanly(cli(demo_repo.path, *args, ok=False), 2)
    assert "'sha256:ab' is not KIND=DIGEST" in out
    args = equivalent_args()
    args[args.index("test_size=0.25")] = "test_size"
    out = failed_cleanly(cli(demo_repo.path, *args, ok=False), 2)
    assert "'test_size' is not NAME=VALUE" in out
    out = failed_cleanly(cli(demo_repo.path, *equivalent_args("--param", "x=null"), ok=False))
    assert "parameter 'x'" in out


# -- unknown and wrong IRIs ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["lineage", MISSING], id="lineage"),
        pytest.param(
            ["lineage", MISSING, "--direction", "downstream", "-o", "json"], id="downstream"
        ),
        pytest.param(["recipe", MISSING], id="recipe"),
        pytest.param(["root-cause", MISSING, "{good}"], id="root-cause a"),
        pytest.param(["root-cause", "{good}", MISSING], id="root-cause b"),
        pytest.param(["flag", MISSING, "--reason", "bad"], id="flag"),
    ],
)
def test_unknown_iris_give_a_clean_error(demo_repo: Demo, command: list[str]) -> None:
    args = [c.replace("{good}", demo_repo.good_model) for c in command]
    out = failed_cleanly(cli(demo_repo.path, *args, ok=False))
    assert f"Error: no artifact <{MISSING}> in this repository" in out


@pytest.mark.parametrize("command", ["lineage", "recipe", "flag"])
def test_iris_of_other_things_give_a_clean_error(demo_repo: Demo, command: str) -> None:
    extra = ["--reason", "bad"] if command == "flag" else []
    out = failed_cleanly(cli(demo_repo.path, command, demo_repo.good_run, *extra, ok=False))
    assert f"'{demo_repo.good_run}': is a Run, not an artifact" in out
    out = failed_cleanly(cli(demo_repo.path, command, "not an IRI", *extra, ok=False))
    assert "not an absolute IRI" in out
