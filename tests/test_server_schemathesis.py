"""Property-based requests over the whole OpenAPI document of a live server: no input gives a 5xx.

Schemathesis's own command line (its pytest plugin does not support this pytest), bounded to a
few examples per operation, with an admin token so that write and update routes are exercised,
not only refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _live_server import live_server

HERE = Path(__file__).parent

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_no_input_gives_a_server_error(tmp_path: Path) -> None:
    with live_server(tmp_path, "--demo", "--query-timeout", "5") as server:
        command = [
            sys.executable,
            "-c",
            "from schemathesis.cli import schemathesis; schemathesis()",
            "run",
            server.url + "/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "5",
            "--seed",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-database",
            ":memory:",
            "--request-timeout",
            "30",
            "--header",
            f"Authorization: Bearer {server.admin}",
        ]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "_schemathesis_hooks"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
