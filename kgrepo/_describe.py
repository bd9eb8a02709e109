"""Turning records into triples: one place that knows how each entity is written as RDF.

Every statement goes through :class:`Triples`, which adds the super-types and super-properties of
the ontology as it goes (see ``docs/ontology.md``), so plain PROV-O and ML-Schema queries work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from kgrepo import _terms
from kgrepo._ontology import Ontology
from kgrepo._vocab import KG, MLS, RDF, RDFS
from kgrepo.artifacts import Artifact, Dataset
from kgrepo.environment import Environment
from kgrepo.iris import Minter
from kgrepo.records import Agent, Executable, Workflow

Term = NamedNode | BlankNode | Literal
Triple = tuple[Term, NamedNode, Term]

# ML-Schema's ranges (docs/ontology.md, "Two exceptions"): mls:hasOutput only for models and
# evaluations, mls:hasInput only for data.
_MLS_OUTPUTS = (MLS.Model, MLS.ModelEvaluation)
_MLS_INPUTS = (MLS.Dataset,)


class Triples:
    """Statements of one write, with the ontology's super-terms materialised."""

    def __init__(self, ontology: Ontology, *, top: bool = True) -> None:
        self._ontology = ontology
        self.items: list[Triple] = []
        self.types: dict[Term, list[NamedNode]] = {}
        #: Statements describing entities shared across runs (artifacts, executables, workflows,
        #: agents, hyperparameters, measures): they go to the repository's entity graph, each
        #: statement once, so no statement is held by many run graphs (see docs/ontology.md).
        self.shared: Triples = Triples(ontology, top=False) if top else self

    def merge(self, other: Triples) -> None:
        """Adds ``other``'s statements (and its shared ones) to these."""
        self.items.extend(other.items)
        self.types.update(other.types)
        if other.shared is not other and self.shared is not self:
            self.shared.merge(other.shared)

    def _types(self, s: Term) -> list[NamedNode]:
        return self.types.get(s) or self.shared.types.get(s) or []

    def add(self, s: Term, p: NamedNode, o: Term) -> None:
        self.items.append((s, p, o))
        for sup in self._ontology.property_supers.get(p, ()):
            self.items.append((s, sup, o))

    def type(self, s: Term, cls: NamedNode) -> None:
        types = self._ontology.types(cls)
        self.types[s] = types
        for c in types:
            self.items.append((s, RDF.type, c))

    def output(self, activity: NamedNode, artifact: NamedNode) -> None:
        """``activity mls:hasOutput artifact`` where ML-Schema's range allows it (the other
        direction, ``artifact kg:generatedBy activity``, is the one kgrepo always writes)."""
        if any(t in _MLS_OUTPUTS for t in self._types(artifact)):
            self.items.append((activity, MLS.hasOutput, artifact))

    def input(self, activity: NamedNode, prop: NamedNode, artifact: NamedNode) -> None:
        """``activity prop artifact``, plus ``mls:hasInput`` where its range allows it."""
        self.add(activity, prop, artifact)
        if any(t in _MLS_INPUTS for t in self._types(artifact)):
            self.items.append((activity, MLS.hasInput, artifact))

    def optional(self, s: Term, p: NamedNode, o: Term | None) -> None:
        if o is not None:
            self.add(s, p, o)

    def quads(self, graph: NamedNode) -> list[Quad]:
        return [Quad(s, p, o, graph) for s, p, o in self.items]  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Triple]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class Describer:
    """Writes records as triples, minting their IRIs."""

    def __init__(self, minter: Minter, ontology: Ontology) -> None:
        self.minter = minter
        self.ontology = ontology

    def triples(self) -> Triples:
        return Triples(self.ontology)

    def artifact_iri(self, artifact: Artifact) -> NamedNode:
        if artifact.digest is not None:
            _terms.digest(artifact.entity, artifact.digest)
        return self.minter.artifact(artifact.kind.name, artifact.digest)

    def artifact(
        self, t: Triples, artifact: Artifact, iri: NamedNode, *, shared: bool = True
    ) -> None:
        """Describes ``artifact``, among ``t``'s shared statements unless it belongs to one run
        only (a metrics record)."""
        entity = artifact.entity
        t = t.shared if shared else t
        t.type(iri, artifact.kind.iri)
        t.add(iri, RDFS.label, Literal(artifact.name))
        if artifact.uri is not None:
            t.add(iri, KG.uri, _terms.uri_literal(entity, "uri", artifact.uri))
        if artifact.digest is not None:
            t.add(iri, KG.digest, _terms.digest(entity, artifact.digest))
        if artifact.version is not None:
            t.add(iri, KG.version, _terms.text(entity, "version", artifact.version))
        if artifact.description is not None:
            t.add(iri, RDFS.comment, _terms.text(entity, "description", artifact.description))
        for name, attribute in artifact.kind.attributes.items():
            value = artifact.attributes.get(name)
            if value is not None:
                t.add(iri, attribute.predicate, attribute.literal(entity, value))
        if isinstance(artifact, Dataset):
            characteristics = _terms.flatten(
                entity, artifact.characteristics, what="characteristic"
            )
            for key, value in characteristics.items():
                node = Minter.child(iri, "characteristic", key)
                t.type(node, KG.DatasetCharacteristic)
                t.add(node, RDFS.label, Literal(key))
                t.add(node, KG.value, _terms.scalar(entity, f"characteristics[{key!r}]", value))
                t.add(iri, KG.hasCharacteristic, node)
        self.annotations(t, iri, artifact.annotations, entity)

    def annotations(
        self, t: Triples, subject: NamedNode, annotations: Mapping[str, Any], entity: str
    ) -> None:
        if not isinstance(annotations, Mapping):
            raise _terms.InvalidInput(entity, "annotations", annotations, "expected a mapping")
        for key, value in annotations.items():
            key_literal = _terms.text(entity, "annotation key", key)
            literal = _terms.scalar(entity, f"annotations[{key!r}]", value)
            # The same key and value on the same subject is the same annotation: recording it
            # again (an artifact described by many runs) adds nothing.
            digest = hashlib.sha256(f"{key}\0{literal}".encode()).hexdigest()[:32]
            node = Minter.child(subject, "annotation", digest)
            t.type(node, KG.Annotation)
            t.add(node, KG.key, key_literal)
            t.add(node, KG.annotationValue, literal)
            t.add(subject, KG.annotation, node)

    def agent(self, t: Triples, agent: Agent) -> NamedNode:
        iri = self.minter.agent(agent.name)
        t = t.shared
        t.type(iri, KG.SoftwareAgent if agent.software else KG.Person)
        t.add(iri, RDFS.label, Literal(agent.name))
        if agent.role is not None:
            t.add(iri, KG.role, Literal(agent.role))
        return iri

    def executable(self, t: Triples, exe: Executable) -> NamedNode:
        iri = self.minter.executable(exe.name, exe.version, exe.digest)
        t = t.shared
        t.type(iri, KG.Executable)
        t.add(iri, RDFS.label, Literal(exe.name))
        t.optional(iri, KG.version, Literal(exe.version) if exe.version else None)
        t.optional(iri, KG.digest, Literal(exe.digest) if exe.digest else None)
        t.optional(iri, RDFS.comment, Literal(exe.description) if exe.description else None)
        if exe.uri is not None:
            t.add(iri, KG.uri, _terms.uri_literal(f"Executable {exe.name!r}", "uri", exe.uri))
        return iri

    def workflow(self, t: Triples, workflow: Workflow) -> NamedNode:
        iri = self.minter.workflow(workflow.name, workflow.version)
        t = t.shared
        t.type(iri, KG.Workflow)
        t.add(iri, RDFS.label, Literal(workflow.name))
        t.optional(iri, KG.version, Literal(workflow.version) if workflow.version else None)
        if workflow.uri is not None:
            t.add(
                iri, KG.uri, _terms.uri_literal(f"Workflow {workflow.name!r}", "uri", workflow.uri)
            )
        return iri

    def settings(
        self,
        t: Triples,
        subject: NamedNode,
        values: Mapping[str, Any],
        parameter_owner: NamedNode,
        entity: str,
    ) -> None:
        """Hyperparameter settings of ``subject`` (an execution or a run), as ML-Schema has them."""
        for key, value in values.items():
            literal = _terms.scalar(entity, f"parameter {key!r}", value)
            parameter = Minter.child(parameter_owner, "parameter", key)
            setting = Minter.child(subject, "setting", key)
            v = t.shared
            v.type(parameter, KG.HyperParameter)
            v.add(parameter, RDFS.label, Literal(key))
            if parameter_owner.value.startswith(self.minter.base + "executable/"):
                v.add(parameter_owner, KG.hasParameter, parameter)
            t.type(setting, KG.HyperParameterSetting)
            t.add(setting, KG.parameter, parameter)
            t.add(setting, KG.value, literal)
            t.add(subject, KG.hasSetting, setting)

    def environment(self, t: Triples, env: Environment) -> NamedNode:
        iri = self.minter.environment(env.digest)
        t.type(iri, KG.Environment)
        t.add(iri, KG.pythonVersion, Literal(env.python_version))
        t.add(iri, KG.platform, Literal(env.platform))
        t.add(iri, KG.host, Literal(env.host))
        for name, version in env.packages:
            package = self.minter.package(name, version)
            t.type(package, KG.Package)
            t.add(package, RDFS.label, Literal(name))
            t.add(package, KG.version, Literal(version))
            t.add(iri, KG.hasPackage, package)
        return iri

    def describe(self, subject: Term, t: Triples) -> str:
        """How validation errors name a subject: its kind and its name when the write has them."""
        kind = t.types.get(subject, [None])[0]
        label = next(
            (
                o.value
                for s, p, o in t.items
                if s == subject and p == RDFS.label and isinstance(o, Literal)
            ),
            None,
        )
        kind_name = kind.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if kind else "record"
        return f"{kind_name} {label!r}" if label is not None else f"{kind_name} <{subject}>"
