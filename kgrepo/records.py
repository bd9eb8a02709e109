"""Small value objects that describe how and why something ran: statuses, triggers, agents,
executables and workflows. They are checked when made, so bad input fails at the line that made it.

>>> Trigger.schedule(by="airflow", reason="monthly retraining").cause
<Cause.SCHEDULE: 'Schedule'>
>>> Executable("train.py", version="a1b2c3").version
'a1b2c3'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pyoxigraph import NamedNode

from kgrepo import _terms
from kgrepo._vocab import KG
from kgrepo.errors import InvalidInput


class Status(enum.Enum):
    """The status of a run or an execution."""

    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ABANDONED = "Abandoned"

    @property
    def iri(self) -> NamedNode:
        return NamedNode(KG.NS + self.value)

    @classmethod
    def from_iri(cls, iri: NamedNode) -> Status:
        return cls(iri.value.removeprefix(KG.NS))


class Cause(enum.Enum):
    """Why a run started."""

    MANUAL = "Manual"
    SCHEDULE = "Schedule"
    DATA_CHANGE = "DataChange"
    CODE_CHANGE = "CodeChange"
    REQUIREMENT_FAILURE = "RequirementFailure"
    OTHER = "OtherCause"

    @property
    def iri(self) -> NamedNode:
        return NamedNode(KG.NS + self.value)

    @classmethod
    def from_iri(cls, iri: NamedNode) -> Cause:
        return cls(iri.value.removeprefix(KG.NS))


@dataclass(frozen=True)
class Agent:
    """A person or a program acting (``software=True`` for a program, e.g. a scheduler)."""

    name: str
    role: str | None = None
    software: bool = False

    def __post_init__(self) -> None:
        _terms.name("Agent", self.name)
        if self.role is not None:
            _terms.text(f"Agent {self.name!r}", "role", self.role)


def _agent(by: str | Agent | None, software: bool) -> Agent | None:
    if by is None or isinstance(by, Agent):
        return by
    if not isinstance(by, str):
        raise InvalidInput("Trigger", "by", by, "expected an agent name or an Agent")
    return Agent(by, software=software)


@dataclass(frozen=True)
class Trigger:
    """The event that started a run: its cause, who or what caused it, and why.

    ``concerns`` optionally names the IRI of what changed (a dataset for a data change, an
    executable for a code change).
    """

    cause: Cause
    by: Agent | None = None
    reason: str | None = None
    concerns: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.cause, Cause):
            raise InvalidInput("Trigger", "cause", self.cause, "expected a kgrepo.Cause")
        if self.reason is not None:
            _terms.text("Trigger", "reason", self.reason)
        if self.concerns is not None:
            _terms.iri("Trigger", "concerns", self.concerns)

    @classmethod
    def manual(cls, by: str | Agent | None = None, reason: str | None = None) -> Trigger:
        return cls(Cause.MANUAL, _agent(by, False), reason)

    @classmethod
    def schedule(cls, by: str | Agent | None = None, reason: str | None = None) -> Trigger:
        return cls(Cause.SCHEDULE, _agent(by, True), reason)

    @classmethod
    def data_change(
        cls, by: str | Agent | None = None, reason: str | None = None, concerns: str | None = None
    ) -> Trigger:
        return cls(Cause.DATA_CHANGE, _agent(by, True), reason, concerns)

    @classmethod
    def code_change(
        cls, by: str | Agent | None = None, reason: str | None = None, concerns: str | None = None
    ) -> Trigger:
        return cls(Cause.CODE_CHANGE, _agent(by, False), reason, concerns)

    @classmethod
    def requirement_failure(
        cls, by: str | Agent | None = None, reason: str | None = None, concerns: str | None = None
    ) -> Trigger:
        return cls(Cause.REQUIREMENT_FAILURE, _agent(by, True), reason, concerns)

    @classmethod
    def other(cls, by: str | Agent | None = None, reason: str | None = None) -> Trigger:
        return cls(Cause.OTHER, _agent(by, False), reason)


@dataclass(frozen=True)
class Executable:
    """The code of one step, reusable across runs: a script, a function or a container image.

    ``uri`` says where it lives (a git link, an image reference); ``digest`` identifies its content.
    Executables with the same name, version and digest are the same executable across runs.
    """

    name: str
    version: str | None = None
    uri: str | None = None
    digest: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        entity = f"Executable {self.name!r}"
        _terms.name(entity, self.name)
        for field_name in ("version", "description"):
            value = getattr(self, field_name)
            if value is not None:
                _terms.text(entity, field_name, value)
        if self.digest is not None:
            _terms.digest(entity, self.digest)
        if self.uri is not None:
            _terms.iri(entity, "uri", self.uri)


@dataclass(frozen=True)
class Workflow:
    """The plan a run follows: a named, versioned pipeline, with the URI of its source."""

    name: str
    version: str | None = None
    uri: str | None = None

    def __post_init__(self) -> None:
        entity = f"Workflow {self.name!r}"
        _terms.name(entity, self.name)
        if self.version is not None:
            _terms.text(entity, "version", self.version)
        if self.uri is not None:
            _terms.iri(entity, "uri", self.uri)
