"""Request and response bodies of ``/api/v1`` (pydantic; unknown fields are refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scalar = str | int | float | bool
Annotations = dict[str, Scalar]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _unicode(cls, value: Any) -> Any:
        return _unicode_text(value)


def _unicode_text(value: Any) -> Any:
    """``value``, if every text in it is Unicode: JSON's ``\\u`` escapes can carry a lone
    surrogate, which no store or response can hold."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode text (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _unicode_text(key)
            _unicode_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _unicode_text(item)
    return value


class ExperimentIn(_In):
    name: str = Field(min_length=1, examples=["digits"])
    goal: str | None = Field(None, examples=["recognise handwritten digits"])
    annotations: Annotations = Field(default_factory=dict, examples=[{"team": "vision"}])


class ExperimentOut(BaseModel):
    iri: str
    name: str
    goal: str | None = None


class ExperimentSummary(BaseModel):
    experiment: str = Field(examples=["https://kgrepo.example/experiment/digits"])
    name: str = Field(examples=["digits"])
    goal: str | None = None
    created: dt.datetime
    runs: int = Field(examples=[2])


class TriggerIn(_In):
    cause: Literal[
        "manual", "schedule", "data_change", "code_change", "requirement_failure", "other"
    ]
    by: str | None = Field(None, description="who or what caused it (default: the token's owner)")
    reason: str | None = None
    concerns: str | None = Field(None, description="IRI of what changed")


class WorkflowIn(_In):
    name: str = Field(min_length=1)
    version: str | None = None
    uri: str | None = None


class CodeIn(_In):
    commit: str = Field(min_length=1, max_length=100, examples=["3f9a1c2" + "0" * 33])
    repository: str = Field(min_length=1, max_length=4000, examples=["/home/ada/digits"])


class EnvironmentIn(_In):
    """Where the run executes (FR9), as the client captured it; ``kgrepo.Client`` sends its own.
    Without it the run records none: the server's would be wrong.

    Either in full (``python_version``, ``platform``, ``host``, ``packages``), or, once this
    repository has it, by its ``digest`` alone (the SHA-256 of its content, as
    ``kgrepo.environment.Environment.digest`` computes it): ``kgrepo.Client`` sends it in full
    with its first run, then by digest. A digest the repository does not know is a 422 naming
    ``digest``: send it in full."""

    python_version: str | None = Field(None, min_length=1, max_length=100, examples=["3.11.7"])
    platform: str | None = Field(
        None, min_length=1, max_length=1000, examples=["Linux-6.18-x86_64-with-glibc2.39"]
    )
    host: str | None = Field(None, min_length=1, max_length=1000, examples=["gpu-07"])
    packages: dict[str, str] | None = Field(
        None,
        max_length=20_000,
        description="installed distributions, name to version",
        examples=[{"numpy": "2.4.6", "scikit-learn": "1.8.0"}],
    )
    digest: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="an environment recorded before"
    )
    code: CodeIn | None = Field(None, description="the commit of the run's git working tree")

    @model_validator(mode="after")
    def _one_form(self) -> EnvironmentIn:
        full = (self.python_version, self.platform, self.host, self.packages)
        if self.digest is not None and any(v is not None for v in full):
            raise ValueError("give either the digest or the description, not both")
        needed = ("python_version", "platform", "host")
        missing = [name for name in needed if getattr(self, name) is None]
        if self.digest is None and missing:
            raise ValueError(f"a description needs {', '.join(missing)} (or give a digest)")
        return self


class RunIn(_In):
    experiment: str = Field(min_length=1, description="experiment name", examples=["digits"])
    trigger: TriggerIn | None = Field(
        None, examples=[{"cause": "schedule", "reason": "monthly retraining"}]
    )
    config: dict[str, Any] = Field(default_factory=dict, examples=[{"seed": 7}])
    workflow: WorkflowIn | None = None
    name: str | None = None
    annotations: Annotations = Field(default_factory=dict)
    environment: EnvironmentIn | None = None
    status: Literal["Succeeded", "Failed"] | None = Field(
        None,
        description=(
            "a final status records the whole run in this request, with its `steps`, in one "
            "transaction: bad input anywhere writes nothing. Within it, a step's `after` may name "
            "earlier steps as 'steps[i]', and an input may be {'iri': 'steps[i].outputs[j]'} "
            "(or 'steps[i].inputs[j]')"
        ),
    )
    error: str | None = Field(None, description="the error message of a failed run")
    steps: list[StepIn] = Field(default_factory=list, description="with `status` only")


class RunOut(BaseModel):
    iri: str
    experiment: str
    status: str = Field(examples=["Running"])
    agent: str | None = Field(None, description="recorded as prov:wasAssociatedWith")
    steps: list[StepOut] = Field(
        default_factory=list, description="the steps recorded by this request"
    )


class RunEnd(_In):
    status: Literal["Succeeded", "Failed"] = "Succeeded"
    error: str | None = Field(None, description="the error message of a failed run")


class ExecutableIn(_In):
    name: str = Field(min_length=1, examples=["train.py"])
    version: str | None = Field(None, examples=["2.1.0"])
    uri: str | None = None
    digest: str | None = None
    description: str | None = None


class ArtifactIn(_In):
    """A new artifact description, or ``{"iri": ...}`` for one already recorded."""

    iri: str | None = Field(
        None,
        description=(
            "an artifact already recorded (nothing else then); in a whole run, also "
            "'steps[i].outputs[j]' or 'steps[i].inputs[j]' for one of an earlier step's"
        ),
    )
    kind: str = Field("Artifact", examples=["Dataset"])
    name: str | None = Field(None, examples=["digits"])
    uri: str | None = Field(None, examples=["file:///data/digits.csv"])
    digest: str | None = Field(None, examples=["sha256:9f86d081"])
    version: str | None = None
    description: str | None = None
    annotations: Annotations = Field(default_factory=dict)
    attributes: dict[str, Scalar] = Field(
        default_factory=dict, description="the kind's attributes", examples=[{"algorithm": "SVC"}]
    )
    characteristics: dict[str, Scalar] = Field(
        default_factory=dict, description="Dataset characteristics", examples=[{"rows": 1797}]
    )


class MetricIn(_In):
    name: str = Field(min_length=1, examples=["accuracy"])
    value: float = Field(examples=[0.97])
    of: str | None = Field(
        None,
        description="what it measures: 'outputs[i]', 'inputs[i]' or an artifact IRI",
        examples=["outputs[0]"],
    )
    scope: str | None = None


class StepIn(_In):
    """A whole step in one request, written atomically when it is received."""

    name: str = Field(min_length=1, examples=["train"])
    kind: str = Field("transform", examples=["train"])
    executable: ExecutableIn | None = None
    after: list[str] | None = Field(
        None, description="IRIs of earlier steps of this run (default: the last one)"
    )
    inputs: list[ArtifactIn] = Field(default_factory=list)
    outputs: list[ArtifactIn] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"C": 1.0, "kernel": "rbf"}])
    metrics: list[MetricIn] = Field(default_factory=list)
    annotations: Annotations = Field(default_factory=dict)
    status: Literal["Succeeded", "Failed"] = "Succeeded"
    error: str | None = None


class StepOut(BaseModel):
    iri: str
    status: str
    inputs: list[str]
    outputs: list[str]
    metrics: list[str]


class AttributeIn(_In):
    type: Literal["str", "int", "float", "bool", "datetime"]
    required: bool = False


class KindIn(_In):
    name: str = Field(examples=["Validation"])
    parent: str = "Artifact"
    description: str | None = None
    attributes: dict[str, AttributeIn] = Field(
        default_factory=dict, examples=[{"verdict": {"type": "str", "required": True}}]
    )


class KindOut(BaseModel):
    name: str
    iri: str
    parent: str | None
    attributes: dict[str, str]


class FlagIn(_In):
    reason: str = Field(min_length=1, examples=["labels leak into the features"])


class FlagOut(BaseModel):
    flag: str = Field(description="IRI of the flag (a graph of its own)")


class OutputOut(BaseModel):
    iri: str
    name: str
    kind: str


class EquivalentOut(BaseModel):
    found: bool
    execution: str | None = Field(None, description="the earlier equivalent execution")
    run: str | None = None
    outputs: list[OutputOut] = Field(default_factory=list, description="reusable outputs")


class EquivalentIn(_In):
    executable: ExecutableIn
    inputs: list[ArtifactIn]
    params: dict[str, Any] = Field(default_factory=dict)


# RunIn and RunOut name the step models defined after them.
RunIn.model_rebuild()
RunOut.model_rebuild()

__all__ = [
    "ArtifactIn",
    "EquivalentIn",
    "EquivalentOut",
    "ExecutableIn",
    "ExperimentIn",
    "ExperimentOut",
    "ExperimentSummary",
    "FlagIn",
    "FlagOut",
    "KindIn",
    "KindOut",
    "MetricIn",
    "RunEnd",
    "RunIn",
    "RunOut",
    "StepIn",
    "StepOut",
    "TriggerIn",
    "WorkflowIn",
]
