"""An in-memory lineage index for the embedded store: what makes upstream and downstream fast.

Every lookup on disk costs 40–55 µs, so a lineage of a hundred steps read with queries costs
~150 ms, and one of a thousand ~1.5 s. The embedded store is opened by one process only (RocksDB's
lock) and every write of that process goes through :class:`~kgrepo.store.OxigraphStore`, so the
store can keep, exactly:

- the **edges** (``kg:generatedBy`` and ``kg:used`` in both directions), built by scanning the two
  predicates once a process has asked :data:`BUILD_AFTER` lineage questions (or when
  :meth:`LineageIndex.build` is called), then kept current by every ``extend`` and ``replace``;
- **records**: each execution's :class:`~kgrepo._lineage_records.StepRecord` and each artifact's
  :class:`~kgrepo.results.ArtifactInfo`, read with the named queries on a miss and cached, at most
  :data:`MAX_RECORDS` of them (the oldest forgotten first).

A record is dropped when a write adds or removes a statement about a node it was read from, or
reached without reading it whole (``StepRecord.depends``): the queries read only statements
*about* those nodes (the node as subject), except ``?run kg:hasExecution ?execution``, so a
written quad touches its subject, and the object of ``kg:hasExecution``. That costs no lookup: a
write under recording load drops only the records of what it writes about. Artifact records also
depend on the known kinds (an artifact's kind is the most specific known one). A SPARQL update or a
load may change anything: they drop the whole index.

Building costs about 2 s at 10,000 runs (142,000 edges, 35 MB) and grows with the store: more
than one question answered with queries costs (~150 ms for a hundred steps). A process that asks
one or two questions (a CLI command, a short script) never pays it; one that keeps asking (a
notebook, the server) pays it once, at its fourth question, and answers in milliseconds after.

A remote store has no index: other processes write there.

Questions run on many threads while writes happen. Every write holds the index's lock while it
writes and updates the index; a question walks the edges under the lock, reads the missing
records without it, and keeps them only if no write touched their nodes meanwhile (else it reads
them again), so an answer reflects the store either before or after each write, never half of one.

>>> import kgrepo
>>> from kgrepo import demo, lineage
>>> repo = kgrepo.Repository.in_memory()
>>> result = demo.record(repo)
>>> index = repo.store.lineage_index
>>> index.built, len(lineage.upstream(repo, result.bad_model).steps) > 0, index.built
(False, True, False)
>>> index.build()
>>> index.built, len(lineage.upstream(repo, result.bad_model).steps) > 0
(True, True)
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal, Protocol

from pyoxigraph import BlankNode, NamedNode, Quad

from kgrepo import queries
from kgrepo._lineage_records import StepRecord, read_steps
from kgrepo._vocab import KG
from kgrepo.results import ArtifactInfo

if TYPE_CHECKING:
    from kgrepo._bind import Value
    from kgrepo.repository import Repository
    from kgrepo.store import QueryResult

Direction = Literal["upstream", "downstream"]
Links = dict[str, set[str]]
Table = dict[str, tuple[str, ...]]

#: Questions that found records missing this many times in a row read them holding the lock.
_ROUNDS = 3
#: Lineage questions answered with queries before the next one builds the index.
BUILD_AFTER = 3
#: Records cached at most (executions and artifacts): beyond it the oldest are forgotten, so a
#: server answering questions about ever more of a large store keeps a bounded cache. A step
#: record takes ~3.3 KB, an artifact's ~0.4 KB (measured at 10,000 runs): ~170 MB at most.
MAX_RECORDS = 50_000


class Matcher(Protocol):
    """What the index needs of its store: queries, and the quads matching a pattern in any
    graph."""

    def query(self, text: str, bindings: Mapping[str, Value] | None = None) -> QueryResult: ...

    def match(
        self,
        subject: NamedNode | BlankNode | None,
        predicate: NamedNode,
        object: NamedNode | BlankNode | None,
    ) -> Iterator[Quad]: ...


@dataclasses.dataclass(frozen=True)
class Walk:
    """What a lineage answer is made of: each execution's depth from the root, the inputs and
    outputs the walk reached for it, its record, and the description of every artifact seen."""

    levels: dict[str, int]
    ins: Links
    outs: Links
    steps: dict[str, StepRecord]
    artifacts: dict[str, ArtifactInfo]


def levels(
    root: str,
    following: Mapping[str, Collection[str]],
    onward: Mapping[str, Collection[str]],
    depth: int | None,
) -> dict[str, int]:
    """Breadth-first depth of each execution from the root (1 = next to it); cycles stop."""
    found: dict[str, int] = {}
    queue = deque([(root, 0)])
    seen = {root}
    while queue:
        node, level = queue.popleft()
        if depth is not None and level >= depth:
            continue
        for execution in sorted(following.get(node, ())):
            if execution in found:
                continue
            found[execution] = level + 1
            for nxt in onward.get(execution, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append((nxt, level + 1))
    return found


class _Edges:
    """``kg:generatedBy`` and ``kg:used`` in both directions. Tuples, not sets, and every IRI
    kept once: at 10,000 runs sets took 68 MB, most of them holding one member."""

    def __init__(self) -> None:
        self.generated_by: Table = {}  # artifact -> executions
        self.outputs: Table = {}  # execution -> artifacts
        self.used: Table = {}  # execution -> artifacts
        self.used_by: Table = {}  # artifact -> executions
        self._names: dict[str, str] = {}

    def add(self, predicate: NamedNode, subject: str, object: str) -> None:
        s = self._names.setdefault(subject, subject)
        o = self._names.setdefault(object, object)
        forward, backward = self._tables(predicate)
        _link(forward, s, o)
        _link(backward, o, s)

    def fill(self, predicate: NamedNode, pairs: Iterable[tuple[str, str]]) -> None:
        """Adds many edges at once (one by one, a dataset used by thousands of executions would
        copy its tuple thousands of times)."""
        forward: dict[str, list[str]] = defaultdict(list)
        backward: dict[str, list[str]] = defaultdict(list)
        names = self._names
        for subject, object in pairs:
            s = names.setdefault(subject, subject)
            o = names.setdefault(object, object)
            forward[s].append(o)
            backward[o].append(s)
        for table, lists in zip(self._tables(predicate), (forward, backward), strict=True):
            for key, values in lists.items():
                have = table.get(key)
                if have is None and len(values) == 1:  # most keys: one generator, one input…
                    table[key] = (values[0],)
                else:
                    table[key] = tuple(dict.fromkeys((*(have or ()), *values)))

    def remove(self, predicate: NamedNode, subject: str, object: str) -> None:
        forward, backward = self._tables(predicate)
        _unlink(forward, subject, object)
        _unlink(backward, object, subject)

    def _tables(self, predicate: NamedNode) -> tuple[Table, Table]:
        if predicate == KG.generatedBy:
            return self.generated_by, self.outputs
        return self.used, self.used_by

    def walk(
        self, root: str, direction: Direction, depth: int | None
    ) -> tuple[dict[str, int], Links, Links]:
        """Levels, inputs and outputs as ``lineage-<direction>-edges.rq`` and :func:`levels` give
        them: the closure is walked whole (the depth limit only cuts levels); the side of each
        execution facing the root keeps only the closure's members."""
        back, forth = (
            (self.generated_by, self.used)
            if direction == "upstream"
            else (self.used_by, self.outputs)
        )
        closure, todo = {root}, [root]
        while todo:
            for execution in back.get(todo.pop(), ()):
                for nxt in forth.get(execution, ()):
                    if nxt not in closure:
                        closure.add(nxt)
                        todo.append(nxt)
        following = {a: back[a] for a in closure if a in back}
        found = levels(root, following, forth, depth)
        facing: Links = {e: set() for e in found}
        for artifact, executions in following.items():  # not near[e] & closure: near may be long
            for e in executions:
                if e in facing:
                    facing[e].add(artifact)
        away = {e: set(forth.get(e, ())) for e in found}
        return (found, away, facing) if direction == "upstream" else (found, facing, away)


def _link(table: Table, key: str, value: str) -> None:
    have = table.get(key, ())
    if value not in have:
        table[key] = (*have, value)


def _unlink(table: Table, key: str, value: str) -> None:
    rest = tuple(v for v in table.get(key, ()) if v != value)
    if rest:
        table[key] = rest
    else:
        table.pop(key, None)


@dataclasses.dataclass(eq=False)  # each reader is itself: list.remove must find this one
class _Reader:
    """A question reading records without the lock: what writes touched meanwhile."""

    touched: set[str] = dataclasses.field(default_factory=set)
    everything: bool = False


class LineageIndex:
    """The lineage index of one embedded store (see the module's documentation). The store calls
    :meth:`writing` around each write; :func:`kgrepo.lineage.upstream` and ``downstream`` call
    :meth:`walk`."""

    def __init__(self, store: Matcher, max_records: int | None = None) -> None:
        self._store = store
        self._max_records = MAX_RECORDS if max_records is None else max_records
        self._lock = threading.Lock()
        self._edges: _Edges | None = None
        self._exotic = False  # an edge with a blank node or literal end: answered by queries
        self._steps: dict[str, StepRecord] = {}
        self._readers_of: Links = defaultdict(set)  # node -> executions whose record read it
        self._artifacts: dict[str, ArtifactInfo] = {}
        self._kinds: tuple[tuple[str, str, str], ...] = ()
        self._readers: list[_Reader] = []
        self._asked = 0  # questions answered with queries, the index not built

    @property
    def built(self) -> bool:
        """Whether the edges are in memory (see :data:`BUILD_AFTER` and :meth:`build`)."""
        return self._edges is not None

    def build(self) -> None:
        """Builds the edges now, if they are not (a process about to ask many questions)."""
        with self._lock:
            if self._edges is None and not self._exotic:
                self._edges = self._build()

    def __len__(self) -> int:
        """How many records are cached (executions and artifacts)."""
        return len(self._steps) + len(self._artifacts)

    # -- writes ------------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[LineageIndex]:
        """Held around one write: questions wait for it and the write's effect on the index."""
        with self._lock:
            yield self

    def added(self, quads: Sequence[Quad]) -> None:
        """``quads`` were added (call within :meth:`writing`)."""
        self._changed((), quads)

    def replaced(self, removed: Sequence[Quad], added: Sequence[Quad]) -> None:
        """``removed`` were removed and ``added`` added (call within :meth:`writing`)."""
        self._changed(removed, added)

    def clear(self) -> None:
        """Anything may have changed (a SPARQL update, a load): forget everything."""
        self._edges, self._exotic = None, False
        self._steps.clear()
        self._readers_of.clear()
        self._artifacts.clear()
        for reader in self._readers:
            reader.everything = True

    def _changed(self, removed: Sequence[Quad], added: Sequence[Quad]) -> None:
        edges = self._edges
        for quad in removed:
            if edges is not None and quad.predicate in (KG.generatedBy, KG.used):
                still = self._store.match(quad.subject, quad.predicate, quad.object)  # type: ignore[arg-type]
                if next(still, None) is None:  # not held in another graph either
                    edges.remove(quad.predicate, _key(quad.subject), _key(quad.object))
        for quad in added:
            if edges is not None and quad.predicate in (KG.generatedBy, KG.used):
                if isinstance(quad.subject, NamedNode) and isinstance(quad.object, NamedNode):
                    edges.add(quad.predicate, quad.subject.value, quad.object.value)
                else:
                    self._edges, self._exotic, edges = None, True, None
        if not (self._steps or self._artifacts or self._readers):
            return
        touched = {_key(q.subject) for q in (*removed, *added)}
        touched.update(_key(q.object) for q in (*removed, *added) if q.predicate == KG.hasExecution)
        for node in touched:
            self._artifacts.pop(node, None)
            for execution in self._readers_of.pop(node, ()):
                record = self._steps.pop(execution, None)
                for other in record.depends if record is not None else ():
                    self._readers_of.get(other, set()).discard(execution)
        for reader in self._readers:
            reader.touched |= touched

    # -- questions ---------------------------------------------------------------------------------
    def walk(
        self,
        repo: Repository,
        root: str,
        direction: Direction,
        depth: int | None,
        check: Callable[[int], None],
    ) -> Walk | None:
        """The materials of the lineage of ``root``, or None when the recorded edges are not all
        between IRIs (the queries answer those); ``check(steps)`` runs before records are read
        (it may raise)."""
        reader: _Reader | None = None
        steps: dict[str, StepRecord] = {}
        artifacts: dict[str, ArtifactInfo] = {}
        kinds: tuple[tuple[str, str, str], ...] = ()  # read under the lock, before any reading
        for attempt in range(_ROUNDS + 1):
            with self._lock:
                if reader is not None:
                    self._readers.remove(reader)
                    self._keep(reader, kinds, steps, artifacts)
                if self._edges is None and not self._exotic:
                    if self._asked < BUILD_AFTER:
                        self._asked += 1
                        return None
                    self._edges = self._build()
                if self._edges is None:
                    return None
                found, ins, outs = self._edges.walk(root, direction, depth)
                if attempt == 0:
                    check(len(found))
                mentioned = {root, *(a for e in found for a in (*ins[e], *outs[e]))}
                kinds = _kinds(repo)
                if self._kinds != kinds:
                    self._artifacts.clear()
                    self._kinds = kinds
                want_steps = [e for e in found if e not in self._steps]
                want_artifacts = [a for a in mentioned if a not in self._artifacts]
                if (want_steps or want_artifacts) and attempt == _ROUNDS:
                    # writes kept touching what was read: read holding the lock
                    steps, artifacts = self._read(repo, want_steps, want_artifacts)
                    self._keep(_Reader(), kinds, steps, artifacts)
                if not (want_steps or want_artifacts) or attempt == _ROUNDS:
                    walk = Walk(
                        found,
                        ins,
                        outs,
                        {e: self._steps.get(e) or steps[e] for e in found},
                        {a: self._artifacts.get(a) or artifacts[a] for a in sorted(mentioned)},
                    )
                    self._bound()  # after the answer took its records: it needs none evicted
                    return walk
                reader = _Reader()
                self._readers.append(reader)
            try:
                steps, artifacts = self._read(repo, want_steps, want_artifacts)
            except BaseException:
                with self._lock:
                    self._readers.remove(reader)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(
        self, repo: Repository, executions: list[str], artifacts: list[str]
    ) -> tuple[dict[str, StepRecord], dict[str, ArtifactInfo]]:
        from kgrepo.history import read_artifacts  # history imports the store's module

        return read_steps(repo, executions), read_artifacts(repo, artifacts)

    def _keep(
        self,
        reader: _Reader,
        kinds: tuple[tuple[str, str, str], ...],
        steps: dict[str, StepRecord],
        artifacts: dict[str, ArtifactInfo],
    ) -> None:
        """Caches the records read unless a write touched what they were read from (or, for
        artifacts, the known kinds changed: ``kinds`` are those before the reading)."""
        if reader.everything:
            return
        for execution, record in steps.items():
            if reader.touched.isdisjoint(record.depends):
                self._steps[execution] = record
                for node in record.depends:
                    self._readers_of[node].add(execution)
        if self._kinds == kinds:
            for iri, info in artifacts.items():
                if iri not in reader.touched:
                    self._artifacts[iri] = info

    def _bound(self) -> None:
        """Forgets the records cached first until a tenth of the room is free again, once they
        exceed ``max_records`` (first in, first out: refreshing the order on every hit would cost
        more than the queries it saves)."""
        excess = len(self._steps) + len(self._artifacts) - self._max_records
        if excess <= 0:
            return
        excess += self._max_records // 10
        for execution in list(itertools.islice(self._steps, excess)):
            record = self._steps.pop(execution)
            for node in record.depends:
                readers = self._readers_of.get(node)
                if readers is not None:
                    readers.discard(execution)
                    if not readers:
                        del self._readers_of[node]
            excess -= 1
        for iri in list(itertools.islice(self._artifacts, max(excess, 0))):
            del self._artifacts[iri]

    def _build(self) -> _Edges | None:
        """The edges, read with a query per predicate (faster than reading the quads: a query
        does not read the graph names)."""
        edges = _Edges()
        text = queries.text("lineage-index-edges")
        for predicate in (KG.generatedBy, KG.used):
            pairs = []
            for s, o in self._store.query(text, {"predicate": predicate}):  # type: ignore[union-attr]
                if not (isinstance(s, NamedNode) and isinstance(o, NamedNode)):
                    self._exotic = True
                    return None
                pairs.append((s.value, o.value))
            edges.fill(predicate, pairs)
        return edges


def _key(term: object) -> str:
    """A term as query rows give it (an IRI's text, a blank node's ``_:id``)."""
    return term.value if isinstance(term, NamedNode) else str(term)


def _kinds(repo: Repository) -> tuple[tuple[str, str, str], ...]:
    """What an artifact's kind is computed from (the known kinds and their parents)."""
    return tuple(
        (k.iri.value, k.name, k.parent.iri.value if k.parent else "") for k in repo.kinds()
    )


__all__ = ["LineageIndex", "Walk", "levels"]
