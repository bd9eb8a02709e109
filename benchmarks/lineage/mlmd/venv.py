"""ML Metadata's own virtual environment, kept apart from kgrepo's (MLMD pins protobuf < 5).

Created once under ``${KGREPO_BENCH_CACHE:-~/.cache/kgrepo-bench}/mlmd-venv`` with
``python -m venv`` and ``pip install ml-metadata==1.17.1 'protobuf<5'`` (verified on Python 3.11.7:
ml-metadata 1.17.1, protobuf 4.25.9, grpcio 1.85.1, absl-py 1.4.0; ~10 s to install), then reused.

    python benchmarks/lineage/mlmd/venv.py            # create if missing; prints its python
    python benchmarks/lineage/mlmd/venv.py --rebuild  # delete and create again
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = ("ml-metadata==1.17.1", "protobuf<5")
CHECK = (
    "import ml_metadata, google.protobuf; "
    "print(ml_metadata.__version__, google.protobuf.__version__)"
)


def venv_dir() -> Path:
    cache = Path(os.environ.get("KGREPO_BENCH_CACHE", "~/.cache/kgrepo-bench")).expanduser()
    return cache / "mlmd-venv"


def python(venv: Path | None = None) -> Path:
    venv = venv or venv_dir()
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure(rebuild: bool = False) -> Path:
    venv = venv_dir()
    if rebuild and venv.exists():
        shutil.rmtree(venv)
    py = python(venv)
    if py.exists() and subprocess.run([str(py), "-c", CHECK], capture_output=True).returncode == 0:
        return py
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", *REQUIREMENTS], capture_output=True, text=True
    )
    if r.returncode != 0:
        raise SystemExit(f"pip install {' '.join(REQUIREMENTS)} failed:\n{r.stdout}\n{r.stderr}")
    check = subprocess.run([str(py), "-c", CHECK], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"ml-metadata installed but does not import:\n{check.stderr}")
    return py


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rebuild", action="store_true")
    print(ensure(ap.parse_args().rebuild))
