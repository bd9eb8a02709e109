"""The repository: where experiments, runs and artifacts are recorded and queried."""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions

from kgrepo import _ontology, _sortkeys, _terms, environment, kinds, queries
from kgrepo._bind import Value
from kgrepo._describe import Describer, Triple, Triples
from kgrepo._vocab import KG, PROV, RDFS
from kgrepo.artifacts import BUILTIN_KINDS, DATASET, ArtifactKind
from kgrepo.environment import Environment, KnownEnvironment
from kgrepo.errors import InvalidInput, NotFound
from kgrepo.iris import DEFAULT_BASE, Minter
from kgrepo.recording import Experiment
from kgrepo.records import Status
from kgrepo.store import FORMATS, OxigraphStore, Term
from kgrepo.validation import Validator, compile_shapes

if TYPE_CHECKING:
    from kgrepo.remote import SparqlStore


@dataclass(frozen=True)
class RunInfo:
    """A run as :meth:`Repository.stale_runs` reports it."""

    iri: str
    started: Any
    host: str | None
    pid: int | None


class Repository:
    """A knowledge graph of experiments, in an Oxigraph store.

    >>> import kgrepo
    >>> repo = kgrepo.Repository.in_memory()
    >>> exp = repo.experiment("digits", goal="recognise handwritten digits")
    >>> with exp.run(trigger=kgrepo.Trigger.manual(by="alice"), config={"seed": 1}) as run:
    ...     train = kgrepo.Executable("train.py", version="a1")
    ...     with run.step("train", kind="train", executable=train) as step:
    ...         data = step.use(kgrepo.Dataset("digits", uri="file:///d.csv", digest="sha256:ab"))
    ...         step.set_params(C=1.0, kernel="rbf")
    ...         model = step.produce(kgrepo.Model("svc", framework=("scikit-learn", "1.5")))
    ...         _ = step.log_metric("accuracy", 0.97, of=model)
    >>> run.status
    <Status.SUCCEEDED: 'Succeeded'>
    >>> rows = repo.select(
    ...     "SELECT ?model ?data WHERE { ?model prov:wasGeneratedBy/prov:used ?data }",
    ...     model=model.iri)
    >>> [r["data"] for r in rows] == [data.iri.value]
    True
    """

    def __init__(self, store: OxigraphStore | SparqlStore, *, base: str = DEFAULT_BASE) -> None:
        self.store = store
        self._minter = Minter(base)
        self._base_ontology = _ontology.load()
        self._shapes = compile_shapes(_ontology.shapes_quads())
        self._lock = threading.Lock()
        self._known_environments: set[NamedNode] = set()
        self._known_shared: set[Triple] = set()
        self._entities = self._minter.entity_graph()
        self._kinds: dict[str, ArtifactKind] = dict(BUILTIN_KINDS)
        self._refresh_kinds()
        if not _sortkeys.indexed(self):  # recorded before sort keys existed (or new): index once
            _sortkeys.index(self)

    # -- opening and closing -----------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, base: str = DEFAULT_BASE) -> Repository:
        """Opens (creating if needed) the embedded on-disk repository at ``path``.

        One process at a time may open a path; others get :class:`~kgrepo.errors.StoreUnavailable`.
        """
        Minter(base)  # refuse a bad base before anything is created on disk
        return cls(OxigraphStore(Path(path)), base=base)

    @classmethod
    def connect(
        cls,
        url: str | None = None,
        *,
        base: str = DEFAULT_BASE,
        query_url: str | None = None,
        update_url: str | None = None,
        store_url: str | None = None,
        timeout: float = 30.0,
        auth: Any = None,
    ) -> Repository:
        """A repository kept in a SPARQL 1.1 server, shared by every process connected to it.

        ``url`` is the server's base as ``oxigraph serve`` exposes it (``/query``, ``/update``
        and ``/store`` under it); other servers give their endpoints as ``query_url``,
        ``update_url`` and optionally ``store_url`` (Graph Store protocol). Every write is one
        request applied by the server in one transaction, so a run is never torn, whichever of
        the processes sharing the server dies. Raises :class:`~kgrepo.errors.StoreUnavailable`
        naming the URL when the server cannot be reached. See :mod:`kgrepo.remote`.

        >>> import kgrepo  # with `oxigraph serve --location data --bind 127.0.0.1:7878` running
        >>> repo = kgrepo.Repository.connect("http://127.0.0.1:7878")  # doctest: +SKIP
        >>> with repo.experiment("digits").run() as run:  # doctest: +SKIP
        ...     pass
        """
        from kgrepo.remote import SparqlStore  # httpx is imported by remote repositories only

        Minter(base)  # refuse a bad base before any request
        if url is not None:
            root = url.rstrip("/")
            query_url = query_url or f"{root}/query"
            update_url = update_url or f"{root}/update"
            store_url = store_url or f"{root}/store"
        if query_url is None or update_url is None:
            raise InvalidInput(
                "Repository", "url", url, "give the server's URL, or query_url and update_url"
            )
        store = SparqlStore(query_url, update_url, store_url, timeout=timeout, auth=auth)
        try:
            return cls(store, base=base)
        except BaseException:
            store.close()
            raise

    @classmethod
    def in_memory(cls, *, base: str = DEFAULT_BASE) -> Repository:
        """A repository that lives in memory only (tests, notebooks)."""
        return cls(OxigraphStore(None), base=base)

    @property
    def base(self) -> str:
        """The base under which this repository mints IRIs."""
        return self._minter.base

    def close(self) -> None:
        """Flushes and closes the store."""
        self.store.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- recording ---------------------------------------------------------------------------------
    def experiment(
        self, name: str, *, goal: str | None = None, annotations: Mapping[str, Any] | None = None
    ) -> Experiment:
        """The experiment called ``name``, created on first use.

        Asking again for an existing experiment returns it, adding a ``goal`` it did not have
        and the ``annotations`` it does not have yet; a goal that contradicts the recorded one is
        refused, so two scripts cannot silently disagree about an experiment.
        """
        name = _terms.name("Experiment", name)
        entity = f"Experiment {name!r}"
        if goal is not None:
            _terms.text(entity, "goal", goal)
        iri = self._minter.experiment(name)
        t = self._describer.triples()
        self._describer.annotations(t, iri, annotations or {}, entity)
        self._validate(t)
        with self._lock:
            rows = self.select(queries.text("experiment"), experiment=iri)
            if not rows:
                self._describe_creation(t, iri, name, goal)
                self._write(iri, t)
                self._settle_creation(iri)
                return Experiment(self, iri, name, goal)
            recorded = rows[0].get("goal")
            if goal is not None and recorded is not None and goal != recorded:
                raise InvalidInput(
                    entity, "goal", goal, f"the experiment exists with goal {recorded!r}"
                )
            have = (
                {
                    (r["key"], r["value"])
                    for r in self.select(queries.text("experiment-annotations"), subject=iri)
                }
                if annotations
                else set()
            )
            new = self._describer.triples()
            if goal is not None and recorded is None:
                new.add(iri, KG.goal, Literal(goal))
            missing = {k: v for k, v in (annotations or {}).items() if (k, v) not in have}
            self._describer.annotations(new, iri, missing, entity)
            if new.items:
                self._write(iri, new)
        return Experiment(self, iri, name, goal if recorded is None else recorded)

    def _experiment_deferred(self, name: str) -> Experiment:
        """The experiment called ``name``, like :meth:`experiment`, but one the store does not
        have yet is created by its first run's first write (its start, or an atomic run's commit),
        in the same call: a request refused for bad input leaves no experiment behind."""
        name = _terms.name("Experiment", name)
        iri = self._minter.experiment(name)
        rows = self.select(queries.text("experiment"), experiment=iri)
        if rows:
            return Experiment(self, iri, name, rows[0].get("goal"))
        t = self._describer.triples()
        self._describe_creation(t, iri, name, None)
        self._validate(t)
        return Experiment(self, iri, name, None, creation=t.quads(iri))

    @staticmethod
    def _describe_creation(t: Triples, iri: NamedNode, name: str, goal: str | None) -> None:
        t.type(iri, KG.Experiment)
        t.add(iri, RDFS.label, Literal(name))
        t.add(iri, KG.createdAt, _terms.timestamp())
        t.optional(iri, KG.goal, Literal(goal) if goal is not None else None)

    def _settle_creation(self, iri: NamedNode) -> None:
        """Keeps the earliest creation time of an experiment created concurrently.

        Processes sharing a server may each find the experiment missing and create it (the lock
        above is per process; the server's snapshot isolation lets even a conditional update
        race). Everything they write is identical but the time; the last of them to commit sees
        every time and removes all but the earliest, in one atomic write.
        """
        rows = self.store.query(
            "SELECT ?t WHERE { GRAPH ?e { ?e kg:createdAt ?t } }", {"e": iri}, union=False
        )
        times = sorted((row["t"] for row in rows), key=lambda t: t.value)  # type: ignore[union-attr]
        if len(times) > 1:
            self.store.replace([Quad(iri, KG.createdAt, t, iri) for t in times[1:]], [])

    def experiments(self) -> list[dict[str, Any]]:
        """Every experiment: IRI, name, goal, creation time and number of runs."""
        return self.select(queries.text("experiments"))

    def register_kind(
        self,
        name: str,
        attributes: Mapping[str, type | tuple[type, bool]],
        *,
        parent: ArtifactKind | str = "Artifact",
        description: str | None = None,
    ) -> ArtifactKind:
        """Registers a custom artifact kind (FR11) and returns it; call it to make artifacts.

        ``attributes`` maps names to ``str``, ``int``, ``float``, ``bool`` or ``datetime`` (or to
        ``(type, required)``). Registering the same definition again returns the existing kind;
        a conflicting one raises :class:`~kgrepo.errors.Conflict`.

        >>> import kgrepo
        >>> repo = kgrepo.Repository.in_memory()
        >>> Validation = repo.register_kind("Validation", {"verdict": (str, True), "history": str})
        >>> Validation("check-1", verdict="pass").attributes
        {'history': None, 'verdict': 'pass'}
        """
        parent_kind = self.kind(parent) if isinstance(parent, str) else parent
        new = kinds.define(self._minter, name, attributes, parent_kind, description)
        with self._lock:
            self._refresh_kinds()
            old = self._kinds.get(name)
            if old is not None:
                kinds.check_compatible(old, new)
                return old
            self.store.extend(kinds.to_quads(new, self._minter.schema_graph()))
            self._refresh_kinds()
        return self._kinds[name]

    def kind(self, name: str) -> ArtifactKind:
        """The artifact kind called ``name`` (built-in or custom)."""
        try:
            return self._kinds[name]
        except KeyError:
            raise NotFound(
                f"no artifact kind {name!r}; known kinds: {', '.join(sorted(self._kinds))}"
            ) from None

    def kinds(self) -> list[ArtifactKind]:
        """All artifact kinds, built-in and custom."""
        return sorted(self._kinds.values(), key=lambda k: k.name)

    # -- crashed runs ------------------------------------------------------------------------------
    def stale_runs(self, *, all_hosts: bool = False) -> list[RunInfo]:
        """Runs still marked running whose process is gone.

        On this host a run is stale when its process no longer exists. Runs of other hosts cannot
        be checked from here; ``all_hosts=True`` lists them too (decide from their start time).
        """
        host = environment.capture().host
        stale = []
        for row in self.select(queries.text("running-runs")):
            info = RunInfo(row["run"], row["started"], row.get("host"), row.get("pid"))
            if info.host == host and info.pid is not None:
                if not _alive(info.pid):
                    stale.append(info)
            elif all_hosts:
                stale.append(info)
        return stale

    def abandon(self, run: str | NamedNode, reason: str = "the process recording it died") -> None:
        """Marks a running run abandoned (with ``reason``), in one atomic write."""
        iri = _terms.iri("Run", "iri", run)
        _terms.text(f"Run <{iri.value}>", "reason", reason)
        rows = self.select(queries.text("run-status"), run=iri)
        if not rows:
            raise NotFound(f"no run <{iri.value}> in this repository")
        if rows[0]["status"] != Status.RUNNING.iri.value:
            status = Status.from_iri(NamedNode(rows[0]["status"]))
            raise InvalidInput(
                f"Run <{iri.value}>", "status", status.value, "only a running run can be abandoned"
            )
        t = self._describer.triples()
        t.add(iri, KG.status, Status.ABANDONED.iri)
        t.add(iri, PROV.endedAtTime, _terms.timestamp())
        t.add(iri, KG.reason, Literal(reason))
        self.store.replace([Quad(iri, KG.status, Status.RUNNING.iri, iri)], t.quads(iri))

    # -- querying ----------------------------------------------------------------------------------
    def query(self, sparql: str, **bindings: Term | str | Collection[Term | str]) -> Any:
        """Runs a SPARQL query over the union of all graphs; returns pyoxigraph's results
        (solutions for SELECT, a boolean for ASK, triples for CONSTRUCT/DESCRIBE).

        Keyword arguments bind variables: strings are taken as IRIs, other values as RDF terms;
        a list, tuple or set binds the variable to each of its members in turn.
        They are bound as inline data at the start of every WHERE group (:mod:`kgrepo._bind`),
        never formatted into the text. A
        statement held in several named graphs matches once per graph in the union (oxigraph#1919):
        use ``SELECT DISTINCT`` where that matters.
        The prefixes ``kg``, ``prov``, ``mls``, ``rdf``, ``rdfs``, ``xsd`` and ``owl`` are
        predeclared.
        """
        return self.store.query(sparql, _bind(bindings))

    def select(
        self, sparql: str, **bindings: Term | str | Collection[Term | str]
    ) -> list[dict[str, Any]]:
        """A SELECT query's rows as dicts of Python values (IRIs as strings, literals as values)."""
        results = self.query(sparql, **bindings)
        if not isinstance(results, QuerySolutions):
            raise InvalidInput("Query", "sparql", sparql[:60], "select() takes a SELECT query")
        names = [v.value for v in results.variables]
        return [
            {n: _terms.python_value(row[n]) for n in names if row[n] is not None} for row in results
        ]

    def counts(self) -> dict[str, int]:
        """How many entities of each kind (experiments, runs, executions, artifacts by kind…)."""
        out = {}
        for row in self.select(queries.text("counts")):
            label = row["class"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            out[label] = row["count"]
        return out

    def recommend(self, request: Any = None, **fields: Any) -> Any:
        """What to try next: :func:`kgrepo.embeddings.recommend` on this repository (needs the
        extra ``kgrepo[embeddings]`` and a trained model; see that function for the fields)."""
        try:
            from kgrepo.embeddings import recommend
        except ImportError as err:
            extra = "pip install 'kgrepo[embeddings]'"
            raise ImportError(
                f"recommendations need the embeddings extra: {extra} ({err})"
            ) from err
        return recommend(self, request, **fields)

    # -- export and import -------------------------------------------------------------------------
    def dump(self, output: IO[bytes], format: str = "nquads") -> None:
        """Writes every graph as N-Quads or TriG (named graphs kept: the round trip is lossless)."""
        self.store.dump(output, _graph_format(format))

    def load(self, data: IO[bytes], format: str = "nquads") -> None:
        """Loads N-Quads or TriG in one transaction (nothing is added if the file is bad), then
        writes the sort keys of metrics that lack them (data exported before they existed)."""
        try:
            self.store.load(data, _graph_format(format))
        except SyntaxError as err:
            raise InvalidInput("Import", "data", format, f"does not parse: {err}") from None
        with self._lock:
            self._refresh_kinds()
            _sortkeys.index(self)  # the data may come from a repository without sort keys

    # -- internals used by recording ---------------------------------------------------------------
    def _refresh_kinds(self) -> None:
        rows = self.store.query(
            queries.text("custom-kinds"), {"schema": self._minter.schema_graph()}, union=False
        )
        raw = [{v.value: row[v] for v in rows.variables} for row in rows]  # type: ignore[union-attr]
        custom = kinds.from_rows(raw, BUILTIN_KINDS)
        self._kinds = {**BUILTIN_KINDS, **custom}
        self._ontology = self._base_ontology.with_classes(
            (k.iri, k.parent.iri) for k in custom.values() if k.parent is not None
        )
        self._describer = Describer(self._minter, self._ontology)
        schema = list(self.store.quads(self._minter.schema_graph()))
        self._validator = Validator([*self._shapes, *compile_shapes(schema)])

    def _known_kind(self, kind: ArtifactKind) -> None:
        known = self._kinds.get(kind.name)
        if known is None or known.iri != kind.iri:
            raise InvalidInput(
                "Artifact",
                "kind",
                kind.name,
                "is not registered in this repository; use register_kind",
            )

    def _validate(self, t: Triples | Iterable[tuple[Any, NamedNode, Any]]) -> None:
        items = t.items if isinstance(t, Triples) else list(t)
        describe = t if isinstance(t, Triples) else self._describer.triples()
        self._validator.check(items, lambda s: self._describer.describe(s, describe))

    def _write(
        self,
        graph: NamedNode,
        t: Triples,
        extra: list[Quad] | None = None,
        *,
        validated: bool = False,
    ) -> None:
        """Validates ``t`` and writes it into ``graph``, its shared statements that the store does
        not hold yet into the entity graph, and ``extra``, in one atomic call."""
        self._commit(*self._prepare(graph, t, extra, validated=validated))

    def _prepare(
        self,
        graph: NamedNode,
        t: Triples,
        extra: list[Quad] | None = None,
        *,
        validated: bool = False,
    ) -> tuple[list[Quad], list[Triple]]:
        """What :meth:`_write` would write (validated), and the shared statements among it; an
        atomic run collects these and commits them all at its end."""
        if not validated:
            self._validate(t)
            self._validate(t.shared)
        shared = self._new_shared(t)
        entities = [Quad(s, p, o, self._entities) for s, p, o in shared]  # type: ignore[arg-type]
        return t.quads(graph) + entities + (extra or []), shared

    def _commit(self, quads: list[Quad], shared: list[Triple]) -> None:
        self.store.extend(quads)
        self._known_shared.update(shared)

    def _new_shared(self, t: Triples) -> list[Triple]:
        """``t``'s shared statements that the entity graph does not hold yet."""
        known = self._known_shared
        unknown = [x for x in dict.fromkeys(t.shared.items) if x not in known]
        if not unknown or not self.store.asks_before_sharing:
            return unknown
        # One question for all of them: a remote store answers each question over the network.
        asked = [Quad(*x, self._entities) for x in unknown]  # type: ignore[arg-type]
        held = {(q.subject, q.predicate, q.object) for q in self.store.held(asked)}
        known.update(held)  # type: ignore[arg-type]
        return [x for x in unknown if x not in held]

    def _replace(self, graph: NamedNode, remove: list[Quad], t: Triples, context: Triples) -> None:
        """Validates ``context`` minus ``remove`` plus ``t``, then swaps in one atomic call."""
        self._validate_replacement(remove, t, context)
        self.store.replace(remove, t.quads(graph))

    def _validate_replacement(self, remove: list[Quad], t: Triples, context: Triples) -> None:
        removed = {(q.subject, q.predicate, q.object) for q in remove}
        whole = [x for x in context.items if x not in removed] + t.items
        merged = self._describer.triples()
        merged.items = whole
        merged.types = context.types
        self._validate(merged)

    def _environment_quads(self, env: Environment | KnownEnvironment) -> list[Quad]:
        """The environment's description, unless the store already has it (which a
        KnownEnvironment says: refused if it does not)."""
        iri = self._minter.environment(env.digest)
        if iri in self._known_environments or self.store.contains_graph(iri):
            self._known_environments.add(iri)
            return []
        if isinstance(env, KnownEnvironment):
            raise InvalidInput(
                "Environment",
                "digest",
                env.digest,
                "no environment with this digest is recorded here: send it in full once",
            )
        t = self._describer.triples()
        self._describer.environment(t, env)
        self._validate(t)
        # Known once written (the next run finds the graph): an atomic run that never ends, or
        # fails on bad input, writes nothing, and the next run must then describe it.
        return t.quads(iri)

    def __repr__(self) -> str:
        where = self.store.path or getattr(self.store, "query_url", None) or "memory"
        return f"Repository({str(where)!r}, base={self.base!r})"


def _bind(bindings: Mapping[str, Term | str | Collection[Term | str]]) -> dict[str, Value]:
    """Strings are IRIs; a list, tuple or set binds the variable to each of its members."""

    def term(key: str, value: object) -> Any:
        return _terms.iri("Query", key, value) if isinstance(value, str) else value

    out: dict[str, Value] = {}
    for key, value in bindings.items():
        if isinstance(value, list | tuple | set | frozenset):
            out[key] = [term(key, v) for v in value]
        else:
            out[key] = term(key, value)
    return out


def _graph_format(format: str) -> str:
    if format not in ("nquads", "trig"):
        raise InvalidInput(
            "Export", "format", format, "use 'nquads' or 'trig' (formats that keep named graphs)"
        )
    assert format in FORMATS
    return format


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["DATASET", "Repository", "RunInfo"]
