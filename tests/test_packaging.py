"""The wheel holds exactly the ``kgrepo`` namespace, and works when installed into a clean venv.

The folders ``api/``, ``embeddings/`` and ``ontology/`` sit at the top of the repository but must
install as ``kgrepo.api``, ``kgrepo.embeddings`` and ``kgrepo.ontology`` (pyproject's
``package-dir``): generic top-level names in users' site-packages would clash with their own code.

The wheel is built from a copy of the source tree, so the build's ``build/`` and ``*.egg-info``
never land in the checkout (and a stale ``build/lib`` cannot leak old files into the wheel). The
clean venv gets the runtime dependencies from pip's configured indexes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"
TOP_LEVEL_FOLDERS = ("api", "embeddings", "ontology", "tests")
# What the build must not see: build output, caches, virtual environments, local repositories.
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".ipynb_checkpoints",
    ".kgrepo*",
    ".cache",
)


def _run(
    args: list[str | Path], *, cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Runs a command with no PYTHONPATH (nothing from the checkout may leak in)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _check(result: subprocess.CompletedProcess[str], what: str) -> str:
    assert result.returncode == 0, (
        f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "kgrepo"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    dist = tmp_path_factory.mktemp("dist")
    result = _run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source],
        cwd=source,
    )
    if result.returncode != 0 and "project.license" in result.stdout + result.stderr:
        pytest.fail(
            f"setuptools {version('setuptools')} cannot read pyproject's SPDX `license` string "
            "(PEP 639 needs setuptools>=77): upgrade it in this environment "
            "(`pip install 'setuptools>=77'`), and require it in [build-system] and the dev extra"
        )
    _check(result, "python -m build --wheel --no-isolation")
    (built,) = dist.glob("kgrepo-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "kgrepo/__init__.py",
        "kgrepo/py.typed",
        "kgrepo/api/__init__.py",
        "kgrepo/embeddings/__init__.py",
        "kgrepo/ontology/__init__.py",
        "kgrepo/ontology/kgrepo.ttl",
        "kgrepo/ontology/shapes.ttl",
        "kgrepo/ontology/imports/MLSchema.ttl",
        "kgrepo/data/demo-tuning.json",
    ],
)
def test_wheel_contains(names: list[str], name: str) -> None:
    assert name in names


@pytest.mark.slow
def test_wheel_contains_every_module_and_query(names: list[str]) -> None:
    """Every module of the source packages is in the wheel (a subpackage missing from pyproject's
    ``packages`` list is silently left out by setuptools), and every named query."""
    expected = {
        f"kgrepo/{p.relative_to(ROOT / 'kgrepo').as_posix()}"
        for p in (ROOT / "kgrepo").rglob("*.py")
    }
    for folder in ("api", "embeddings", "ontology"):
        expected |= {
            f"kgrepo/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / folder).rglob("*.py")
        }
    queries = {
        f"kgrepo/{p.relative_to(ROOT).as_posix()}"
        for p in (ROOT / "ontology" / "queries").glob("*.rq")
    }
    assert queries, "no ontology/queries/*.rq in the source tree"
    missing = sorted((expected | queries) - set(names))
    assert not missing, (
        f"not in the wheel (a package missing from pyproject's packages?): {missing}"
    )


@pytest.mark.slow
def test_wheel_has_no_other_top_level_names(names: list[str]) -> None:
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"kgrepo"}
    for folder in TOP_LEVEL_FOLDERS:
        assert not [n for n in names if n.startswith(f"{folder}/")]


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv (no system site-packages) with the wheel installed and nothing else of ours."""
    where = tmp_path_factory.mktemp("venv") / "env"
    _check(_run([sys.executable, "-m", "venv", where], cwd=where.parent), "python -m venv")
    python = where / BIN / "python"
    _check(
        _run(
            [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel],
            cwd=where.parent,
        ),
        "pip install <wheel>",
    )
    return where


@pytest.mark.slow
def test_installed_wheel_imports(venv: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys, sysconfig
        import kgrepo
        kgrepo.Repository.in_memory()
        import kgrepo.api, kgrepo.ontology
        assert kgrepo.__file__.startswith(sysconfig.get_paths()["purelib"]), kgrepo.__file__
        try:  # installed without the extra: a clear hint, not a bare "No module named numpy"
            import kgrepo.embeddings
        except ImportError as err:
            assert "kgrepo[embeddings]" in str(err), err
        else:
            raise AssertionError("kgrepo.embeddings imported without the embeddings extra")
        print("ok")
        """
    )
    assert (
        _check(_run([venv / BIN / "python", "-c", code], cwd=tmp_path), "import kgrepo") == "ok\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["api", "embeddings", "ontology"])
def test_installed_wheel_has_no_generic_top_level_package(
    venv: Path, tmp_path: Path, name: str
) -> None:
    result = _run([venv / BIN / "python", "-c", f"import {name}"], cwd=tmp_path)
    assert result.returncode != 0
    assert f"No module named '{name}'" in result.stderr


@pytest.mark.slow
def test_installed_cli(venv: Path, tmp_path: Path) -> None:
    kgrepo = venv / BIN / "kgrepo"
    assert "demo" in _check(_run([kgrepo, "--help"], cwd=tmp_path), "kgrepo --help")
    out = _check(_run([kgrepo, "--repo", tmp_path / "repo", "demo"], cwd=tmp_path), "kgrepo demo")
    assert "digits" in out
    assert "alphanumeric" in out


def test_import_and_recording_do_not_import_heavy_dependencies(tmp_path: Path) -> None:
    """torch and pykeen are imported by the embeddings only. Checked in a fresh interpreter: in
    this one, another test may already have imported them."""
    code = textwrap.dedent(
        """
        import sys
        import kgrepo
        repo = kgrepo.Repository.in_memory()
        with repo.experiment("e").run() as run:
            with run.step("train", kind="train") as step:
                step.use(kgrepo.Dataset("d", uri="file:///d.csv"))
                model = step.produce(kgrepo.Model("m"))
                step.log_metric("accuracy", 0.9, of=model)
        repo.select("SELECT ?m WHERE { ?m prov:wasGeneratedBy ?s }")
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "pykeen"))
        print(heavy)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
