"""The recording objects of :class:`kgrepo.Client`: an experiment, run and step on a server, with
the same methods as :class:`kgrepo.Experiment`, :class:`kgrepo.Run` and :class:`kgrepo.Step`
(see :mod:`kgrepo.client` for what differs), and how they are written on the wire."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kgrepo.artifacts import DATASET, Artifact, ArtifactRef
from kgrepo.environment import KnownEnvironment, Origin
from kgrepo.errors import InvalidInput, InvalidState
from kgrepo.records import Executable, Status, Trigger, Workflow

if TYPE_CHECKING:
    from kgrepo.client import Client


class RemoteExperiment:
    """An experiment on a server (see :class:`kgrepo.Experiment`)."""

    def __init__(self, client: Client, iri: str, name: str, goal: str | None) -> None:
        self.client = client
        self.iri = iri
        self.name = name
        self.goal = goal

    def run(
        self,
        *,
        trigger: Trigger | None = None,
        config: Mapping[str, Any] | None = None,
        workflow: Workflow | None = None,
        name: str | None = None,
        annotations: Mapping[str, Any] | None = None,
        atomic: bool = False,
    ) -> RemoteRun:
        """A new run; use it as a context manager (or call ``start``/``end``). An ``atomic`` run
        is sent whole, in one request, when it ends (see :meth:`kgrepo.Experiment.run`); its
        ``iri`` and those of its steps and artifacts are set then."""
        if trigger is not None and not isinstance(trigger, Trigger):
            raise InvalidInput("Run", "trigger", trigger, "expected a kgrepo.Trigger")
        if workflow is not None and not isinstance(workflow, Workflow):
            raise InvalidInput("Run", "workflow", workflow, "expected a kgrepo.Workflow")
        body: dict[str, Any] = {
            "experiment": self.name,
            "config": dict(config or {}),
            "name": name,
            "annotations": dict(annotations or {}),
        }
        if trigger is not None:
            body["trigger"] = {
                "cause": _cause(trigger),
                "by": trigger.by.name if trigger.by else None,
                "reason": trigger.reason,
                "concerns": trigger.concerns,
            }
        if workflow is not None:
            body["workflow"] = {
                "name": workflow.name,
                "version": workflow.version,
                "uri": workflow.uri,
            }
        return RemoteRun(self, body, atomic)


class RemoteRun:
    """A run on a server (see :class:`kgrepo.Run`)."""

    def __init__(
        self, experiment: RemoteExperiment, body: dict[str, Any], atomic: bool = False
    ) -> None:
        self.experiment = experiment
        self.client = experiment.client
        self._body = body
        self.iri: str | None = None
        self.status: Status | None = None
        self._last: RemoteStep | None = None
        #: An atomic run's ended steps, sent with its end (None: each is sent as it ends).
        self._pending: list[RemoteStep] | None = [] if atomic else None
        #: Where the run executes, captured at its start.
        self._origin = Origin(None, None)

    def start(self) -> RemoteRun:
        if self.status is not None:
            raise InvalidState(f"run <{self.iri}> has already started")
        # Where the run executes is this process's, as in an embedded run, not the server's.
        self._origin = Origin.here()
        if self._pending is not None:
            self.status = Status.RUNNING
            return self
        out = self._post(self._body)
        self.iri = out["iri"]
        self.status = Status(out["status"])
        return self

    def end(self, status: Status = Status.SUCCEEDED, error: BaseException | None = None) -> None:
        if status is Status.RUNNING or not isinstance(status, Status):
            raise InvalidInput("Run", "status", status, "expected a final kgrepo.Status")
        self._check_running()
        body: dict[str, Any] = {"status": status.value}
        if error is not None:
            body["error"] = f"{type(error).__qualname__}: {error}"[:4000]
        if self._pending is not None:
            self._send_whole(body)
            return
        out = self.client._call("POST", f"/api/v1/runs/{_segment(self.iri)}/end", body)
        self.status = Status(out["status"])

    def _send_whole(self, end: dict[str, Any]) -> None:
        assert self._pending is not None
        steps = [step._body for step in self._pending]
        out = self._post({**self._body, **end, "steps": steps})
        self.iri = out["iri"]
        for step, recorded in zip(self._pending, out["steps"], strict=True):
            step._recorded(recorded)
        self.status = Status(out["status"])

    def _post(self, body: dict[str, Any]) -> Any:
        """``POST /runs`` with the run's origin: its environment by digest if the server has
        recorded it, in full the first time (or again, if the server no longer knows it)."""
        env = self._origin.environment
        known = self.client._environments
        by_digest = env is not None and env.digest in known
        try:
            out = self.client._call(
                "POST", "/api/v1/runs", {**body, "environment": _origin(self._origin, by_digest)}
            )
        except InvalidInput as err:
            if not (by_digest and err.entity == "Environment" and err.field == "digest"):
                raise
            assert env is not None
            known.discard(env.digest)
            full = _origin(self._origin, False)
            out = self.client._call("POST", "/api/v1/runs", {**body, "environment": full})
        if env is not None:
            known.add(env.digest)
        return out

    def __enter__(self) -> RemoteRun:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.status is Status.RUNNING:
            self.end(Status.FAILED if exc is not None else Status.SUCCEEDED, exc)

    def step(
        self,
        name: str,
        *,
        kind: str = "transform",
        executable: Executable | None = None,
        after: Sequence[RemoteStep] | None = None,
        annotations: Mapping[str, Any] | None = None,
    ) -> RemoteStep:
        """A step of this run; use it as a context manager. It is sent when it ends."""
        self._check_running()
        if executable is not None and not isinstance(executable, Executable):
            raise InvalidInput(
                f"Step {name!r}", "executable", executable, "expected a kgrepo.Executable"
            )
        previous = [self._last] if after is None and self._last else list(after or ())
        return RemoteStep(self, name, kind, executable, previous, dict(annotations or {}))

    def _check_running(self) -> None:
        if self.status is None:
            raise InvalidState("the run has not started; use 'with exp.run(...)'")
        if self.status is not Status.RUNNING:
            raise InvalidState(f"run <{self.iri}> has ended ({self.status.value})")


class RemoteRef:
    """An artifact a remote step used or produced; ``iri`` is set when the step has ended."""

    def __init__(self, artifact: Artifact | None, iri: str | None) -> None:
        self.artifact = artifact
        self.iri = iri
        #: Where an atomic run's request names it until it is recorded: 'steps[i].outputs[j]'.
        self.origin: str | None = None

    @property
    def name(self) -> str | None:
        return self.artifact.name if self.artifact else None

    def __repr__(self) -> str:
        return f"RemoteRef({self.iri!r})"


class RemoteStep:
    """A step of a remote run (see :class:`kgrepo.Step`), sent in one request when it ends."""

    def __init__(
        self,
        run: RemoteRun,
        name: str,
        kind: str,
        executable: Executable | None,
        after: list[RemoteStep],
        annotations: dict[str, Any],
    ) -> None:
        self.run = run
        self.name = name
        self.iri: str | None = None
        self.status: Status | None = None
        self._body: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "executable": _executable(executable),
            "annotations": annotations,
            "inputs": [],
            "outputs": [],
            "params": {},
            "metrics": [],
        }
        self._after = after
        self._inputs: list[RemoteRef] = []
        self._outputs: list[RemoteRef] = []
        self._metrics: list[RemoteRef] = []

    def __enter__(self) -> RemoteStep:
        self.run._check_running()
        if self.status is not None:
            raise InvalidState(f"Step {self.name!r} has already been entered")
        self.status = Status.RUNNING
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.status is not Status.RUNNING:
            return
        if exc is not None:
            self._body["status"] = "Failed"
            self._body["error"] = f"{type(exc).__qualname__}: {exc}"[:4000]
        pending = self.run._pending
        for step in self._after:
            if step.iri is None and (pending is None or step not in pending):
                raise InvalidState(f"step {step.name!r} (in after) has not been recorded")
        # Explicit: [the previous step] by default, [] for a parallel branch (or a first step).
        if pending is None:
            self._body["after"] = [s.iri for s in self._after]
            out = self.run.client._call(
                "POST", f"/api/v1/runs/{_segment(self.run.iri)}/steps", self._body
            )
            self._recorded(out)
        else:
            self._body["after"] = [f"steps[{pending.index(s)}]" for s in self._after]
            for where, refs in (("inputs", self._inputs), ("outputs", self._outputs)):
                for j, ref in enumerate(refs):
                    ref.origin = ref.origin or f"steps[{len(pending)}].{where}[{j}]"
            pending.append(self)
            self.status = Status(self._body.get("status", "Succeeded"))
        self.run._last = self

    def _recorded(self, out: dict[str, Any]) -> None:
        """Takes the IRIs the server gave this step and its artifacts."""
        self.iri = out["iri"]
        self.status = Status(out["status"])
        for refs, iris in (
            (self._inputs, out["inputs"]),
            (self._outputs, out["outputs"]),
            (self._metrics, out["metrics"]),
        ):
            for ref, iri in zip(refs, iris, strict=True):
                ref.iri = iri

    def use(self, artifact: Artifact | ArtifactRef | RemoteRef) -> RemoteRef:
        """Records that this step consumed ``artifact``."""
        self._check_open()
        self._body["inputs"].append(_artifact(artifact, f"Step {self.name!r}"))
        ref = RemoteRef(_described(artifact), _iri_of(artifact))
        self._inputs.append(ref)
        return ref

    def produce(self, artifact: Artifact | ArtifactRef | RemoteRef) -> RemoteRef:
        """Records that this step produced ``artifact``."""
        self._check_open()
        self._body["outputs"].append(_artifact(artifact, f"Step {self.name!r}"))
        ref = RemoteRef(_described(artifact), _iri_of(artifact))
        self._outputs.append(ref)
        return ref

    def set_params(self, **params: Any) -> None:
        """Records hyperparameter settings."""
        self.set_param_dict(params)

    def set_param_dict(self, params: Mapping[str, Any]) -> None:
        self._check_open()
        for key in params:
            if key in self._body["params"]:
                raise InvalidInput(
                    f"Step {self.name!r}", f"parameter {key!r}", params[key], "is already set"
                )
        self._body["params"].update(params)

    def log_metric(
        self,
        name: str,
        value: float,
        *,
        of: RemoteRef | ArtifactRef | None = None,
        scope: str | None = None,
    ) -> RemoteRef:
        """Records a measured quality of ``of`` (an artifact of this step or a recorded one)."""
        self._check_open()
        target = None
        if isinstance(of, RemoteRef):
            target = _position(of, self._inputs, "inputs") or _position(
                of, self._outputs, "outputs"
            )
            target = target or of.iri
            if target is None:
                raise InvalidInput(
                    f"Metric {name!r}", "of", of, "an artifact of another step not recorded yet"
                )
        elif isinstance(of, ArtifactRef):
            target = of.iri.value
        elif of is not None:
            raise InvalidInput(
                f"Metric {name!r}",
                "of",
                of,
                "expected the reference returned by use() or produce()",
            )
        self._body["metrics"].append({"name": name, "value": value, "of": target, "scope": scope})
        ref = RemoteRef(None, None)
        self._metrics.append(ref)
        return ref

    def annotate(self, **annotations: Any) -> None:
        self._check_open()
        self._body["annotations"].update(annotations)

    def _check_open(self) -> None:
        if self.status is None:
            raise InvalidState(f"Step {self.name!r} has not started; use 'with run.step(...)'")
        if self.status is not Status.RUNNING:
            raise InvalidState(f"Step {self.name!r} has ended ({self.status.value})")


# -- wire formats ----------------------------------------------------------------------------------


def _segment(iri: str | None) -> str:
    assert iri is not None
    return quote(iri, safe="")


def _cause(trigger: Trigger) -> str:
    names = {
        "MANUAL": "manual",
        "SCHEDULE": "schedule",
        "DATA_CHANGE": "data_change",
        "CODE_CHANGE": "code_change",
        "REQUIREMENT_FAILURE": "requirement_failure",
        "OTHER": "other",
    }
    return names[trigger.cause.name]


def _executable(executable: Executable | None) -> dict[str, Any] | None:
    if executable is None:
        return None
    return {
        "name": executable.name,
        "version": executable.version,
        "uri": executable.uri,
        "digest": executable.digest,
        "description": executable.description,
    }


def _described(artifact: Any) -> Artifact | None:
    if isinstance(artifact, Artifact):
        return artifact
    if isinstance(artifact, ArtifactRef | RemoteRef):
        return artifact.artifact
    return None


def _iri_of(artifact: Any) -> str | None:
    if isinstance(artifact, ArtifactRef):
        return artifact.iri.value
    if isinstance(artifact, RemoteRef):
        return artifact.iri
    return None


def _artifact(artifact: Any, entity: str) -> dict[str, Any]:
    if isinstance(artifact, ArtifactRef):
        return {"iri": artifact.iri.value}
    if isinstance(artifact, RemoteRef):
        iri = artifact.iri or artifact.origin
        if iri is None:
            raise InvalidInput(entity, "artifact", artifact, "not recorded yet (its step is open)")
        return {"iri": iri}
    if not isinstance(artifact, Artifact):
        raise InvalidInput(entity, "artifact", artifact, "expected a kgrepo.Artifact")
    attributes = {
        k: v.isoformat() if isinstance(v, dt.datetime) else v
        for k, v in artifact.attributes.items()
        if v is not None
    }
    body: dict[str, Any] = {
        "kind": artifact.kind.name,
        "name": artifact.name,
        "uri": artifact.uri,
        "digest": artifact.digest,
        "version": artifact.version,
        "description": artifact.description,
        "annotations": artifact.annotations,
        "attributes": attributes,
    }
    if artifact.kind is DATASET:
        body["characteristics"] = getattr(artifact, "characteristics", {})
    return body


def _position(ref: RemoteRef, refs: list[RemoteRef], where: str) -> str | None:
    for i, candidate in enumerate(refs):
        if candidate is ref:
            return f"{where}[{i}]"
    return None


def _origin(origin: Origin, by_digest: bool = False) -> dict[str, Any] | None:
    """``POST /runs``'s ``environment``: where the run executes (see ``EnvironmentIn``), the
    environment named by its digest if ``by_digest`` (or if that is all the origin has)."""
    env = origin.environment
    if env is None:
        return None
    code = origin.code
    body: dict[str, Any] = {
        "code": {"commit": code.commit, "repository": code.repository} if code else None
    }
    if by_digest or isinstance(env, KnownEnvironment):
        body["digest"] = env.digest
    else:
        body |= {
            "python_version": env.python_version,
            "platform": env.platform,
            "host": env.host,
            "packages": dict(env.packages),
        }
    return body


__all__ = ["RemoteExperiment", "RemoteRef", "RemoteRun", "RemoteStep"]
