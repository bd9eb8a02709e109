"""Runs open on this server: a REST run is started by one request and ended by a later one, so the
server keeps a handle on each open run (the :class:`kgrepo.Run` object, its steps by IRI).

What happens to open runs when the server stops: the handles are gone, and the store still says
"running", recorded with this server's host and process id. At the next start
:meth:`OpenRuns.abandon_stale` marks every run whose process is gone abandoned
(:meth:`Repository.abandon`), as ``kgrepo recover`` would; a client that then tries to add to such
a run gets a 409 ``run-not-open`` problem telling it so. The handles live in one process: the
embedded store is served by one worker (its lock allows no other).
"""

from __future__ import annotations

import threading

from kgrepo.api.problems import OpenRunGone
from pyoxigraph import NamedNode

from kgrepo import _resolve
from kgrepo.recording import Run, Step
from kgrepo.repository import Repository

_RESTART = "the kgrepo server recording it stopped while the run was open"


class OpenRuns:
    """The open runs of one server process, by IRI (thread-safe)."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self._runs: dict[str, Run] = {}
        self._steps: dict[str, dict[str, Step]] = {}
        self._lock = threading.Lock()

    def add(self, run: Run) -> None:
        with self._lock:
            self._runs[run.iri.value] = run
            self._steps[run.iri.value] = {}

    def get(self, iri: str | NamedNode) -> Run:
        """The open run ``iri``: NotFound if no such run, OpenRunGone if it is not open here."""
        key = iri.value if isinstance(iri, NamedNode) else iri
        with self._lock:
            run = self._runs.get(key)
        if run is not None:
            return run
        # Not open here: say whether it exists at all (and is a run).
        node = _resolve.require(self.repository, iri, "run")
        raise OpenRunGone(
            f"run <{node.value}> is not open on this server: it has ended, or it was started "
            "before a restart (then it has been marked abandoned) or by another process",
            run=node.value,
        )

    def step(self, run: Run, iri: str) -> Step:
        with self._lock:
            step = self._steps.get(run.iri.value, {}).get(iri)
        if step is None:
            from kgrepo.errors import InvalidInput

            raise InvalidInput("Step", "after", iri, f"is not a step of run <{run.iri.value}>")
        return step

    def add_step(self, run: Run, step: Step) -> None:
        with self._lock:
            self._steps.setdefault(run.iri.value, {})[step.iri.value] = step

    def close(self, run: Run) -> None:
        with self._lock:
            self._runs.pop(run.iri.value, None)
            self._steps.pop(run.iri.value, None)

    def abandon_stale(self) -> int:
        """Marks abandoned every run left running by a process that is gone; returns how many."""
        stale = self.repository.stale_runs()
        for info in stale:
            self.repository.abandon(info.iri, _RESTART)
        return len(stale)


__all__ = ["OpenRuns"]
