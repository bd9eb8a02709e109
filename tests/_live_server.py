"""A real ``kgrepo serve`` process on 127.0.0.1 for the server tests, with tokens of each role."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from kgrepo.api.tokens import Role, TokenStore


@dataclass
class LiveServer:
    url: str
    repo: Path
    tokens_path: str
    reader: str
    writer: str
    admin: str
    process: subprocess.Popen[bytes]

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def client(self, token: str | None) -> httpx.Client:
        headers = self.headers(token) if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def tokens(self) -> TokenStore:
        return TokenStore(self.tokens_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(directory: Path, *options: str, tokens: bool = True) -> Iterator[LiveServer]:
    """Starts ``kgrepo --repo DIR serve OPTIONS`` and waits until /healthz answers."""
    repo = directory / "repo"
    tokens_path = str(repo) + ".tokens.sqlite"
    issued = {}
    if tokens:
        store = TokenStore(tokens_path)
        for role in Role:
            issued[role] = store.create(f"{role.value}-user", role).token
        store.close()
    port = _free_port()
    command = [sys.executable, "-c", "from kgrepo.cli import main; main()"]
    command += ["--repo", str(repo), "serve", "--port", str(port), *options]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGREPO_")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_serving(url, process, lambda: process.stdout.read().decode() if process.stdout else "")
        yield LiveServer(
            url,
            repo,
            tokens_path,
            issued.get(Role.READER, ""),
            issued.get(Role.WRITER, ""),
            issued.get(Role.ADMIN, ""),
            process,
        )
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def wait_serving(url: str, process: subprocess.Popen[bytes], output: Callable[[], str]) -> None:
    """Returns once ``kgrepo serve`` at ``url`` answers /healthz; RuntimeError with the server's
    ``output()`` if it exits first or does not answer within 60 s."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"kgrepo serve exited: {output()}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("kgrepo serve did not start within 60 s")
        time.sleep(0.1)


def soon(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)
