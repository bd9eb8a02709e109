"""A real ``oxigraph serve`` process on loopback, for the remote-store tests and benchmarks.

The binary comes with the PyPI package ``oxigraph`` (the ``dev`` extra). The server keeps its data
on disk (``--location``), as a shared repository would.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import TracebackType

import httpx


def binary() -> str:
    """The ``oxigraph`` executable of this environment (installed by the ``dev`` extra)."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "oxigraph",
        Path(sys.executable).parent / "oxigraph",
    ]
    for path in candidates:
        if path.exists():
            return str(path)
    found = shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("no `oxigraph` executable: pip install 'kgrepo[dev]' (package oxigraph)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OxigraphServer:
    """``oxigraph serve --location DIRECTORY --bind 127.0.0.1:PORT``, started and waited for.

    ``url`` is the server's base (``/query``, ``/update``, ``/store`` under it).
    """

    def __init__(self, location: Path, *, startup_timeout: float = 30.0) -> None:
        self.location = location
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a pipe nobody reads would block the server once full.
        self.log = location.with_name(location.name + ".log")
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    binary(),
                    "serve",
                    "--location",
                    str(location),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                ],
                stdout=log,
                stderr=log,
            )
        self._client = httpx.Client(timeout=5.0)
        deadline = time.monotonic() + startup_timeout
        while True:
            if self._process.poll() is not None:
                err = self.log.read_text(errors="replace")
                raise RuntimeError(f"oxigraph serve exited ({self._process.returncode}): {err}")
            try:
                self.update("CLEAR ALL")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"oxigraph serve did not answer at {self.url}") from None
                time.sleep(0.01)

    def update(self, text: str) -> None:
        response = self._client.post(
            f"{self.url}/update",
            content=text.encode(),
            headers={"Content-Type": "application/sparql-update"},
        )
        response.raise_for_status()

    def clear(self) -> None:
        """Empties the store (every graph, the default graph included)."""
        self.update("CLEAR ALL")

    def stop(self) -> None:
        self._client.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> OxigraphServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
