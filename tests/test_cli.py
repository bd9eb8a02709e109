"""The ``kgrepo`` command line, in process (click's CliRunner) and once as the installed executable.

Every test works on its own repository under its own ``tmp_path`` (``--repo``); a repository is
opened by one process at a time, so no test may share one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import kgrepo
from kgrepo import queries
from kgrepo.cli import main

MODELS = "SELECT ?model WHERE { ?model a kg:Model } ORDER BY ?model"


def kgrepo_cli(repo: Path, *args: str, ok: bool = True) -> Result:
    """Runs ``kgrepo --repo <repo> <args>``; with ``ok`` the command must succeed."""
    result = CliRunner().invoke(main, ["--repo", str(repo), *args])
    if ok:
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.output}"
    return result


def failed_cleanly(result: Result, exit_code: int) -> None:
    """A CLI error, not a crash: the expected exit code, an ``Error:`` line and no traceback."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Error:" in result.output
    assert "Traceback" not in result.output


def quad_count(repo: Path) -> int:
    with kgrepo.Repository.open(repo) as opened:
        return len(opened.store)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tmp_path / "repo"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo recorded once, by ``kgrepo demo``; the IRI of the second run's model."""
    path = tmp_path_factory.mktemp("demo-template") / "repo"
    out = kgrepo_cli(path, "demo").output
    match = re.search(r"--bind model=(\S+)", out)
    assert match, out
    return path, match.group(1)


@pytest.fixture
def demo_repo(demo_template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """This test's own copy of the demo repository (a closed store directory copies safely)."""
    template, model = demo_template
    path = tmp_path / "demo"
    shutil.copytree(template, path)
    return path, model


# -- init, info, demo ------------------------------------------------------------------------------
def test_init_creates_the_repository(repo: Path) -> None:
    result = kgrepo_cli(repo, "init")
    assert result.output == f"repository ready at {repo}\n"
    assert repo.is_dir()
    kgrepo_cli(repo, "init")  # again: opens the existing one


def test_info_of_an_empty_repository(repo: Path) -> None:
    out = kgrepo_cli(repo, "info").output
    assert out.startswith(f"repository: {repo}\n")
    assert out.rstrip().endswith("experiments:")


def test_info_counts_the_demo(demo_repo: tuple[Path, str]) -> None:
    path, _ = demo_repo
    out = kgrepo_cli(path, "info").output
    counts = dict(re.findall(r"^  (\w+) +(\d+)$", out, flags=re.MULTILINE))
    # the root-cause scenario (1 experiment, 2 runs of 3 steps) and the tuning history (5
    # experiments, 80 runs of one step, no model)
    assert counts["Experiment"] == "6"
    assert counts["Run"] == "82"
    assert counts["Model"] == "2"
    assert counts["Execution"] == "86"
    assert re.search(r"^  digits  \(2 runs\)  recognise handwritten digits$", out, re.MULTILINE)


def test_demo_prints_the_lineage_of_both_models(repo: Path) -> None:
    out = kgrepo_cli(repo, "demo").output
    assert "recorded experiment https://kgrepo.example/experiment/digits" in out
    first, second = out.split("lineage of the model of run 2")
    assert re.search(r"^  digits +-> prepare .* trigger: Manual by alice$", first, re.MULTILINE)
    assert "alphanumeric" not in first.split("lineage of the model of run 1")[1]
    assert re.search(
        r"^  alphanumeric +-> prepare .* trigger: DataChange by bob$", second, re.MULTILINE
    )
    assert "DataChange by bob" in second


# -- query -----------------------------------------------------------------------------------------
def test_query_argument_as_a_table(demo_repo: tuple[Path, str]) -> None:
    path, model = demo_repo
    lines = kgrepo_cli(path, "query", MODELS).output.splitlines()
    assert lines[0].split() == ["model"]
    assert set(lines[1]) == {"-"}
    assert "…" + model[-59:] in lines[2:4]  # the table clips cells to 60 characters
    assert lines[-1] == "(2 rows)"


def test_query_as_csv(demo_repo: tuple[Path, str]) -> None:
    path, model = demo_repo
    out = kgrepo_cli(path, "query", "--output", "csv", MODELS).output
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["model"]
    assert len(rows) == 3
    assert [model] in rows


def test_query_as_json(demo_repo: tuple[Path, str]) -> None:
    path, model = demo_repo
    rows = json.loads(kgrepo_cli(path, "query", "-o", "json", MODELS).output)
    assert len(rows) == 2
    assert {"model": model} in rows


def test_ask_query(demo_repo: tuple[Path, str]) -> None:
    path, _ = demo_repo
    assert kgrepo_cli(path, "query", "ASK { ?m a kg:Model }").output == "true\n"
    out = kgrepo_cli(path, "query", "-o", "json", "ASK { ?m a kg:Requirement }").output
    assert json.loads(out) == {"boolean": False}


def test_query_from_a_file(demo_repo: tuple[Path, str], tmp_path: Path) -> None:
    path, model = demo_repo
    query = tmp_path / "models.rq"
    query.write_text(f"# the models\n{MODELS}\n", encoding="utf-8")
    rows = json.loads(kgrepo_cli(path, "query", "--file", str(query), "-o", "json").output)
    assert {"model": model} in rows


def test_named_query_with_a_binding(demo_repo: tuple[Path, str]) -> None:
    path, model = demo_repo
    out = kgrepo_cli(
        path, "query", "--named", "model-upstream", "--bind", f"model={model}", "-o", "json"
    ).output
    rows = json.loads(out)
    assert {row["model"] for row in rows} == {model}
    assert {row["inputName"] for row in rows} == {"alphanumeric", "alphanumeric-train"}
    assert {(row["cause"], row["by"]) for row in rows} == {("DataChange", "bob")}


def test_bound_values_are_not_formatted_into_the_query(demo_repo: tuple[Path, str]) -> None:
    path, _ = demo_repo
    hostile = "https://x.example/a> } SELECT * WHERE { ?s ?p ?o"
    result = kgrepo_cli(path, "query", "--bind", f"model={hostile}", MODELS, ok=False)
    failed_cleanly(result, 1)
    assert "not an absolute IRI" in result.output


def test_query_list_names_the_packaged_queries(repo: Path) -> None:
    out = kgrepo_cli(repo, "query", "--list").output
    assert out.splitlines() == queries.names()
    assert "model-upstream" in out.splitlines()


def test_unknown_named_query_fails_cleanly(repo: Path) -> None:
    result = kgrepo_cli(repo, "query", "--named", "no-such-query", ok=False)
    failed_cleanly(result, 1)
    assert "no named query 'no-such-query'" in result.output


def test_syntax_error_gives_line_and_column(demo_repo: tuple[Path, str]) -> None:
    path, _ = demo_repo
    result = kgrepo_cli(path, "query", "SELECT ?x\nWHERE { ?x a }", ok=False)
    failed_cleanly(result, 1)
    assert re.search(r"\b2:\d+\b", result.output), result.output


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["SELECT * WHERE {}", "--named", "counts"], id="sparql-and-named"),
        pytest.param(["SELECT * WHERE {}", "--file", __file__], id="sparql-and-file"),
        pytest.param([], id="none"),
    ],
)
def test_exactly_one_query_source_is_a_usage_error(repo: Path, args: list[str]) -> None:
    result = kgrepo_cli(repo, "query", *args, ok=False)
    failed_cleanly(result, 2)
    assert "give exactly one of SPARQL, --file or --named" in result.output


def test_malformed_binding_is_a_usage_error(repo: Path) -> None:
    result = kgrepo_cli(repo, "query", "--bind", "model", MODELS, ok=False)
    failed_cleanly(result, 2)
    assert "'model' is not NAME=IRI" in result.output


# -- export and import -----------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".nq", ".trig"])
def test_export_and_import_round_trip(
    demo_repo: tuple[Path, str], tmp_path: Path, suffix: str
) -> None:
    path, _ = demo_repo
    dump = tmp_path / f"demo{suffix}"
    result = kgrepo_cli(path, "export", str(dump))
    assert f"exported to {dump}" in result.output
    copy = tmp_path / "copy"
    fresh = quad_count(copy)  # a new repository already states it has sort keys (one quad)
    out = kgrepo_cli(copy, "import", str(dump)).output
    original = quad_count(path)
    assert out == f"imported {dump}: {original - fresh} new quads\n"
    assert quad_count(copy) == original
    assert kgrepo_cli(copy, "info").output == kgrepo_cli(path, "info").output.replace(
        str(path), str(copy)
    )


def test_export_to_stdout_is_nquads(demo_repo: tuple[Path, str]) -> None:
    path, _ = demo_repo
    result = CliRunner().invoke(main, ["--repo", str(path), "export", "-"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == quad_count(path)
    assert all(line.endswith(" .") for line in lines)


def test_export_with_an_unknown_suffix_asks_for_format(
    demo_repo: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = demo_repo
    target = tmp_path / "demo.rdf"
    result = kgrepo_cli(path, "export", str(target), ok=False)
    failed_cleanly(result, 2)
    assert "use --format" in result.output
    assert not target.exists()  # refused before anything was opened (an existing file is kept)
    kgrepo_cli(path, "export", str(target), "--format", "trig")
    assert target.read_text(encoding="utf-8").startswith(("<", "@prefix", "PREFIX", "GRAPH"))


def test_import_of_a_broken_file_adds_nothing(demo_repo: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = demo_repo
    broken = tmp_path / "broken.nq"
    broken.write_text(
        '<urn:x:s> <urn:x:p> <urn:x:o> <urn:x:g> .\n<urn:x:s> <urn:x:p> "unterminated .\n',
        encoding="utf-8",
    )
    before = quad_count(path)
    result = kgrepo_cli(path, "import", str(broken), ok=False)
    failed_cleanly(result, 1)
    assert "does not parse" in result.output
    assert quad_count(path) == before
    assert kgrepo_cli(path, "query", "ASK { ?s <urn:x:p> ?o }").output == "false\n"


def test_import_with_an_unknown_suffix_asks_for_format(repo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("<urn:x:s> <urn:x:p> <urn:x:o> <urn:x:g> .\n", encoding="utf-8")
    failed_cleanly(kgrepo_cli(repo, "import", str(data), ok=False), 2)
    assert kgrepo_cli(repo, "import", str(data), "--format", "nquads").output.endswith(
        ": 1 new quads\n"
    )


# -- recover ---------------------------------------------------------------------------------------
def test_recover_dry_run_lists_a_stale_run_and_keeps_it(repo: Path) -> None:
    # A process that starts a run and dies without ending it.
    code = textwrap.dedent(
        f"""
        import os, kgrepo
        repo = kgrepo.Repository.open({str(repo)!r})
        run = repo.experiment("crash").run().start()
        print(run.iri.value)
        repo.close()
        os._exit(0)
        """
    )
    started = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    run = started.stdout.strip()
    for _ in range(2):  # a dry run changes nothing
        out = kgrepo_cli(repo, "recover", "--dry-run").output
        assert out.splitlines()[0].startswith(run)
        assert out.endswith("1 stale run(s) found\n")
    assert kgrepo_cli(repo, "recover").output.endswith("1 stale run(s) abandoned\n")
    assert kgrepo_cli(repo, "recover", "--dry-run").output == "0 stale run(s) found\n"


# -- the installed executable ----------------------------------------------------------------------
def test_installed_executable(tmp_path: Path) -> None:
    executable = Path(sys.executable).with_name("kgrepo")
    if not executable.exists():
        pytest.skip(f"no kgrepo executable next to {sys.executable} (kgrepo not pip-installed)")
    result = subprocess.run(
        [str(executable), "--repo", str(tmp_path / "repo"), "demo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "DataChange by bob" in result.stdout
