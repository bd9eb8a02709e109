"""The documentation's code runs.

Docstring examples in ``kgrepo/`` are collected by pytest itself (``--doctest-modules`` with
``kgrepo`` in ``testpaths``, see pyproject.toml); the first test here keeps that configuration from
being dropped. The others run the ```python blocks of README.md, in order and in one namespace, as a
reader would paste them, and the SPARQL queries of docs/ontology.md against the demo repository.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import kgrepo
from kgrepo import demo

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ONTOLOGY_DOC = ROOT / "docs" / "ontology.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """The fenced code blocks of ``language`` in ``path``, with the line each starts on."""
    text = path.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == language
    ]


def test_doctests_of_the_package_are_collected() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options = config["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"].split()
    assert "kgrepo" in options["testpaths"]


def test_readme_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not README.exists():
        pytest.skip("README.md does not exist yet")
    found = blocks(README, "python")
    if not found:
        pytest.skip("README.md has no ```python blocks")
    monkeypatch.chdir(tmp_path)  # the examples create repositories in the working directory
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    for line, code in found:
        # The traceback of a failing example names README.md and the block's first line.
        exec(compile(code, f"README.md, block at line {line}", "exec"), namespace)


def _documented_queries() -> list[str]:
    if not ONTOLOGY_DOC.exists():
        return []
    queries = []
    for _, code in blocks(ONTOLOGY_DOC, "sparql"):
        # One query per SELECT; a query may continue on indented lines.
        queries += [
            q.strip() for q in re.split(r"^(?=SELECT)", code, flags=re.MULTILINE) if q.strip()
        ]
    return queries


@pytest.fixture(scope="module")
def demo_repository() -> kgrepo.Repository:
    repo = kgrepo.Repository.in_memory()
    demo.record(repo)
    return repo


@pytest.mark.parametrize(
    "query", _documented_queries() or [pytest.param("", marks=pytest.mark.skip)]
)
def test_ontology_doc_queries_answer_on_the_demo(
    demo_repository: kgrepo.Repository, query: str
) -> None:
    """The plain PROV-O and ML-Schema queries docs/ontology.md promises work without a reasoner."""
    assert demo_repository.select(query), f"no rows for the documented query:\n{query}"
