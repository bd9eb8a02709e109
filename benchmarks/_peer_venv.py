"""The MLflow peer's own virtual environment, kept apart from kgrepo's.

Installing MLflow into kgrepo's environment downgrades libraries there, so the benchmark creates
(once, then reuses) a separate venv under ``$KGREPO_BENCH_CACHE`` (default
``~/.cache/kgrepo-bench``) with ``python -m venv`` and pip-installs the peer's pinned requirements.

``mlflow-skinny`` is the MLflow client and tracking stores without the UI/server and the ML
dependencies; the SQLite tracking store (``SqlAlchemyStore``) additionally needs SQLAlchemy and
alembic, which the full ``mlflow`` package would bring; ``mlflow server`` (uvicorn, the default)
further imports Flask, flask-cors, aiohttp, numpy and pandas, pinned below. Verified on Python
3.11.7: ``mlflow-skinny==3.17.2`` (the newest skinny release on PyPI at the time; full ``mlflow`` is
at 3.18.0), ``SQLAlchemy==2.1.9``, ``alembic==1.20.1`` — about 170 MB, ~35 s to install (~90 s
with the server's packages).

Usage from the command line (prints the peer's python)::

    python benchmarks/_peer_venv.py            # create if missing
    python benchmarks/_peer_venv.py --rebuild  # delete and create again
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = (
    "mlflow-skinny==3.17.2",
    "SQLAlchemy==2.1.9",
    "alembic==1.20.1",
    # ``mlflow server`` (bench_server.py's --mlflow phase) imports these, which skinny lacks;
    # found one ImportError at a time (flask, flask-cors, aiohttp, numpy, pandas).
    "Flask==3.1.3",
    "flask-cors==6.0.5",
    "aiohttp==3.14.5",
    "numpy==2.4.6",
    "pandas==3.1.1",
)
CHECK = (
    "import mlflow, sqlalchemy, alembic; "
    "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore; "
    "import mlflow.server.fastapi_app; "
    "print(mlflow.__version__)"
)


def cache_dir() -> Path:
    return Path(os.environ.get("KGREPO_BENCH_CACHE", "~/.cache/kgrepo-bench")).expanduser()


def venv_dir() -> Path:
    # The venv's name carries the requirements and the base interpreter, so changing either
    # builds a new one instead of reusing a stale one.
    key = "\n".join(REQUIREMENTS) + "\n" + sys.version + "\n" + sys.base_prefix
    return cache_dir() / f"mlflow-peer-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ok(venv: Path) -> bool:
    py = _python(venv)
    if not py.exists() or not (venv / ".complete").exists():
        return False
    r = subprocess.run([str(py), "-c", CHECK], capture_output=True, text=True)
    return r.returncode == 0


def ensure_peer_venv(rebuild: bool = False, quiet: bool = True) -> Path:
    """Return the python of the MLflow peer venv, creating the venv if needed."""
    venv = venv_dir()
    if rebuild and venv.exists():
        shutil.rmtree(venv)
    if _ok(venv):
        return _python(venv)
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    log = sys.stderr
    print(f"[peer-venv] creating {venv} (one-time; pip install {' '.join(REQUIREMENTS)})", file=log)
    # The base interpreter, not the current venv's python: a venv made from inside another venv
    # works too, but this keeps the peer independent of kgrepo's environment.
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    py = _python(venv)
    cmd = [str(py), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        cmd.append("-q")
    r = subprocess.run(cmd + list(REQUIREMENTS), capture_output=quiet, text=True)
    if r.returncode != 0:
        if quiet:
            print(r.stdout[-4000:], r.stderr[-4000:], file=log)
        raise RuntimeError(f"pip install into the peer venv failed (exit {r.returncode})")
    chk = subprocess.run([str(py), "-c", CHECK], capture_output=True, text=True)
    if chk.returncode != 0:
        raise RuntimeError(f"peer venv does not import MLflow's SQLite store:\n{chk.stderr}")
    (venv / ".complete").write_text("\n".join(REQUIREMENTS) + "\n")
    print(f"[peer-venv] ready: mlflow {chk.stdout.strip()}", file=log)
    return py


def main() -> int:
    ap = argparse.ArgumentParser(description="Create/locate the MLflow peer venv")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    print(ensure_peer_venv(rebuild=args.rebuild, quiet=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
