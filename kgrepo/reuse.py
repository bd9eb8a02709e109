"""FR6: has this step already run with the same executable, inputs and configuration?

An execution's *signature* is a digest of what determines its outputs: the executable's name,
version and digest, the kinds and content digests of its inputs, and its settings (names, values
and datatypes). kgrepo writes it with every execution whose inputs all carry a digest (without
digests, equal content cannot be told). Equal signatures mean an equivalent execution: its outputs
can be reused instead of recomputed. Looking one up is a single indexed lookup.

>>> import kgrepo
>>> repo = kgrepo.Repository.in_memory()
>>> exp = repo.experiment("reuse")
>>> code = kgrepo.Executable("featurize.py", version="1.0")
>>> data = kgrepo.Dataset("raw", digest="sha256:ab12")
>>> with exp.run() as run:
...     with run.step("featurize", executable=code) as step:
...         _ = step.use(data)
...         step.set_params(bins=10)
...         _ = step.produce(kgrepo.Dataset("features", digest="sha256:cd34"))
>>> with exp.run() as run:
...     with run.step("featurize", executable=code) as step:
...         _ = step.use(data)
...         step.set_params(bins=10)
...         earlier = step.find_reusable()
...         outputs = step.reuse(earlier) if earlier else None
>>> [o.name for o in outputs]
['features']
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode

from kgrepo import _terms, queries
from kgrepo.artifacts import Artifact, ArtifactRef
from kgrepo.errors import InvalidInput
from kgrepo.history import read_artifacts
from kgrepo.records import Executable
from kgrepo.results import Result

if TYPE_CHECKING:
    from kgrepo.repository import Repository


@dataclasses.dataclass(frozen=True)
class Reusable(Result):
    """An earlier successful equivalent execution and the outputs it offers."""

    execution: str
    run: str
    outputs: tuple[ArtifactRef, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "execution": self.execution,
            "run": self.run,
            "outputs": [
                {"iri": o.iri.value, "name": o.name, "kind": o.kind.name} for o in self.outputs
            ],
        }


def signature(
    executable: Executable | None, inputs: Iterable[Artifact], settings: Mapping[str, Any]
) -> str | None:
    """The signature of an execution, or None when it cannot have one (no executable, or an
    input without a digest)."""
    if executable is None:
        return None
    keys = []
    for artifact in inputs:
        if artifact.digest is None:
            return None
        keys.append([artifact.kind.iri.value, artifact.digest])
    values = []
    for name, value in settings.items():
        literal = _terms.scalar("Step", f"parameter {name!r}", value)
        values.append([name, literal.value, literal.datatype.value])
    text = json.dumps(
        {
            "executable": [executable.name, executable.version, executable.digest],
            "inputs": sorted(keys),
            "settings": sorted(values),
        },
        sort_keys=True,
    )
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def find_equivalent(
    repo: Repository,
    executable: Executable,
    inputs: Iterable[Artifact | ArtifactRef],
    params: Mapping[str, Any] | None = None,
) -> Reusable | None:
    """The latest successful execution of ``executable`` on inputs with the same digests and the
    same settings, or None. Inputs without a digest can never match (equal content cannot be told).
    """
    if not isinstance(executable, Executable):
        raise InvalidInput("Reuse", "executable", executable, "expected a kgrepo.Executable")
    artifacts = [i.artifact if isinstance(i, ArtifactRef) else i for i in inputs]
    for artifact in artifacts:
        if not isinstance(artifact, Artifact):
            raise InvalidInput("Reuse", "inputs", artifact, "expected kgrepo artifacts")
    flat = _terms.flatten("Reuse", params or {})
    key = signature(executable, artifacts, flat)
    return None if key is None else lookup(repo, key)


def lookup(repo: Repository, key: str) -> Reusable | None:
    """The latest successful execution with signature ``key``, with its reusable outputs.

    The question of ``reuse-lookup.rq``, asked in two phases: the executions with the signature,
    latest first (``reuse-candidates.rq``), then what each offers (``reuse-offer.rq``) until one
    succeeded with outputs. Steps re-run with the same inputs and settings share a signature, and
    the single query joins every one of them before keeping the latest, which is nearly always the
    answer (40 equivalent executions in the lineage benchmark: see BENCHMARKS.md).
    """
    text = queries.text("reuse-candidates")
    checked: set[str] = set()
    # Nearly always the latest is the answer: decode a few, and all of them only if none does.
    for query in (text + "\nLIMIT 4", text):
        for candidate in repo.select(query, signature=Literal(key)):
            if candidate["execution"] in checked:
                continue
            checked.add(candidate["execution"])
            execution = NamedNode(candidate["execution"])
            offered = repo.select(queries.text("reuse-offer"), execution=execution)
            if offered:
                iris = sorted({r["output"] for r in offered if not r["metrics"]})
                outputs = load_artifacts(repo, iris)
                outputs.sort(key=lambda ref: (ref.name, ref.iri.value))
                return Reusable(execution.value, offered[0]["run"], tuple(outputs))
    return None


def load_artifact(repo: Repository, iri: str) -> ArtifactRef:
    """A recorded artifact as a reference that later steps can ``use()``."""
    return load_artifacts(repo, [iri])[0]


def load_artifacts(repo: Repository, iris: list[str]) -> list[ArtifactRef]:
    """Recorded artifacts as references that later steps can ``use()``: their descriptions in one
    query, and the attributes of their kinds (a kind may require some) in another, if any."""
    info = read_artifacts(repo, iris)
    kinds = {iri: repo.kind(info[iri].kind) for iri in iris}
    predicates = sorted(
        {a.predicate for k in kinds.values() for a in k.attributes.values()}, key=str
    )
    values: dict[str, dict[str, Any]] = {iri: {} for iri in iris}
    if predicates:
        for row in queries.select_each(
            repo, "artifact-values", "artifact", map(NamedNode, iris), property=predicates
        ):
            held = values[row["artifact"]].get(row["property"])
            if held is None or str(row["value"]) < str(held):  # the smallest, as listings show
                values[row["artifact"]][row["property"]] = row["value"]
    refs = []
    for iri in iris:
        kind = kinds[iri]
        attributes = {
            a.name: values[iri][a.predicate.value]
            for a in kind.attributes.values()
            if a.predicate.value in values[iri]
        }
        described = info[iri]
        artifact = Artifact(
            described.name, kind=kind, uri=described.uri, digest=described.digest, **attributes
        )
        refs.append(ArtifactRef(NamedNode(iri), artifact))
    return refs
