"""Runs open on this server: a REST run is started by one request and ended by a later one, so the
server keeps a handle on each open run (the :class:`kgrepo.Run` object, its steps by IRI).

What happens to open runs when the server stops: the handles are gone, and the store still says
"running", recorded with this server's host and process id. At the next start
:meth:`OpenRuns.abandon_stale` marks every run whose process is gone abandoned
(:meth:`Repository.abandon`), as ``kgrepo recover`` would; a client that then tries to add to such
a run gets a 409 ``run-not-open`` problem telling it so.

On the embedded store the handles live in the one server process (the store's lock allows no
other). On a store shared through a SPARQL server (``shared=True``), several workers serve the
same runs and a client's next request may reach any of them, so no handle outlives a request:
each request rebuilds the run from the store (:meth:`kgrepo.Run._resume`: the next step number,
the steps ``after=`` may name, what the run produced), which holds every step acknowledged so
far whichever worker wrote it. A worker takes over only a run the store says is running and that
was started through this deployment: on this host by this process or, with several workers, by a
live sibling worker (a child of the same ``kgrepo serve`` supervisor). A run being recorded by a
script connected to the same store is refused with 409, as before. Requests for one run are
serialised within a worker; a client adds a run's steps one at a time (as ``kgrepo.Client``
does), since two workers adding steps to one run at the same instant could number them alike.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kgrepo.api.problems import OpenRunGone
from pyoxigraph import Literal, NamedNode

from kgrepo import _resolve, _terms, environment
from kgrepo._vocab import KG
from kgrepo.errors import InvalidInput, InvalidState, NotFound
from kgrepo.recording import Run, Step
from kgrepo.repository import Repository

_RESTART = "the kgrepo server recording it stopped while the run was open"


class OpenRuns:
    """The open runs of one server process, by IRI (thread-safe)."""

    def __init__(self, repository: Repository, *, shared: bool = False, workers: int = 1) -> None:
        self.repository = repository
        self.shared = shared
        self.workers = workers
        self._runs: dict[str, Run] = {}
        self._steps: dict[str, dict[str, Step]] = {}
        self._lock = threading.Lock()
        self._run_locks: dict[str, threading.Lock] = {}

    def add(self, run: Run) -> None:
        if self.shared:  # rebuilt from the store by whichever worker gets the next request
            return
        with self._lock:
            self._runs[run.iri.value] = run
            self._steps[run.iri.value] = {}

    @contextmanager
    def using(self, iri: str | NamedNode) -> Iterator[Run]:
        """The open run ``iri`` for one request, which has it to itself within this process."""
        key = iri.value if isinstance(iri, NamedNode) else iri
        with self._lock:
            lock = self._run_locks.setdefault(key, threading.Lock())
        with lock:
            yield self.get(iri)

    def get(self, iri: str | NamedNode) -> Run:
        """The open run ``iri``: NotFound if no such run, OpenRunGone if it is not open here."""
        key = iri.value if isinstance(iri, NamedNode) else iri
        with self._lock:
            run = self._runs.get(key)
        if run is not None:
            return run
        if self.shared:
            # Rebuilt from the store first: each query is a round trip to the SPARQL server, and
            # the run's start statements already say where it was started (kg:host, kg:pid).
            try:
                run = Run._resume(self.repository, iri)
            except (NotFound, InvalidState):
                run = None  # not a run, or ended meanwhile: said precisely below
            if run is not None and self._ours(run):
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
            step = self._steps.get(run.iri.value, {}).get(iri) or run._recorded.get(iri)
        if step is None:
            raise InvalidInput("Step", "after", iri, f"is not a step of run <{run.iri.value}>")
        return step

    def add_step(self, run: Run, step: Step) -> None:
        if self.shared:  # the next request's handle finds it in the store
            return
        with self._lock:
            self._steps.setdefault(run.iri.value, {})[step.iri.value] = step

    def close(self, run: Run) -> None:
        with self._lock:
            self._runs.pop(run.iri.value, None)
            self._steps.pop(run.iri.value, None)
            self._run_locks.pop(run.iri.value, None)

    def _ours(self, run: Run) -> bool:
        """Whether the running ``run`` was started through this deployment (its start statements
        name this host and this process, or a sibling worker)."""
        items = run._start.items if run._start is not None else []
        started = {p.value: o for s, p, o in items if s == run.iri}
        host, pid = started.get(KG.host.value), started.get(KG.pid.value)
        if host is None or host.value != environment.capture().host:
            return False
        number = _terms.python_value(pid) if isinstance(pid, Literal) else None
        if number == os.getpid():
            return True
        # Sibling workers are the children of one supervisor; without one (a single worker) our
        # parent is a shell or a service manager, whose other children are none of ours.
        return self.workers > 1 and isinstance(number, int) and _parent(number) == os.getppid()

    def abandon_stale(self) -> int:
        """Marks abandoned every run left running by a process that is gone; returns how many."""
        stale = self.repository.stale_runs()
        for info in stale:
            self.repository.abandon(info.iri, _RESTART)
        return len(stale)


def _parent(pid: int) -> int | None:
    """The parent of process ``pid`` (Linux: ``/proc``); None if it is gone or unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (command) state ppid ...": the command may hold spaces and parentheses.
    return int(stat.rpartition(")")[2].split()[1])


__all__ = ["OpenRuns"]
