"""The embedded store: pyoxigraph on disk or in memory, behind the small interface kgrepo needs.

Every write method is one atomic pyoxigraph call: either all of it is stored or none of it. That is
what makes a run recorded as it happens (start, each step, end) never torn by a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
)

from kgrepo._bind import Value, bind
from kgrepo._lineage_index import LineageIndex
from kgrepo.errors import QuerySyntaxError, StoreUnavailable

Term = NamedNode | BlankNode | Literal
QueryResult = QuerySolutions | QueryBoolean | QueryTriples

_ARG = NamedNode("urn:kgrepo:function:argument")
_POSITION = re.compile(r"error at (\d+):(\d+)")

# Values are bound through a custom function, never formatted into the update text: the text only
# depends on how many quads are removed. Rows below `?n` are removed, the others added.
_REPLACE = """
PREFIX fn: <urn:kgrepo:function:>
DELETE {{ GRAPH ?dg {{ ?ds ?dp ?do }} }} INSERT {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{
  VALUES ?i {{ {rows} }}
  BIND(fn:argument(?i, 0) AS ?t0) BIND(fn:argument(?i, 1) AS ?t1)
  BIND(fn:argument(?i, 2) AS ?t2) BIND(fn:argument(?i, 3) AS ?t3)
  BIND(?i < {n} AS ?remove)
  BIND(IF(?remove, ?t0, ?unbound) AS ?dg) BIND(IF(?remove, ?t1, ?unbound) AS ?ds)
  BIND(IF(?remove, ?t2, ?unbound) AS ?dp) BIND(IF(?remove, ?t3, ?unbound) AS ?do)
  BIND(IF(?remove, ?unbound, ?t0) AS ?g) BIND(IF(?remove, ?unbound, ?t1) AS ?s)
  BIND(IF(?remove, ?unbound, ?t2) AS ?p) BIND(IF(?remove, ?unbound, ?t3) AS ?o)
}}
"""

#: Prefixes every query may use without declaring them.
PREFIXES = {
    "kg": "https://w3id.org/kgrepo#",
    "prov": "http://www.w3.org/ns/prov#",
    "mls": "http://www.w3.org/ns/mls#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}

FORMATS = {
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
}


def check_syntax(text: str) -> None:
    """Raises :class:`~kgrepo.errors.QuerySyntaxError` if ``text`` is not a SPARQL query."""
    try:
        Store().query(text, prefixes=PREFIXES)
    except SyntaxError as err:
        raise syntax_error(err) from None


def syntax_error(err: SyntaxError) -> QuerySyntaxError:
    """pyoxigraph reports ``error at LINE:COLUMN: …``; keep the position as numbers."""
    message = str(err)
    match = _POSITION.search(message)
    if match:
        return QuerySyntaxError(message, int(match.group(1)), int(match.group(2)))
    return QuerySyntaxError(message)


class OxigraphStore:
    """An Oxigraph store on disk (``path``) or in memory (``path=None``).

    A directory is opened by one process at a time (RocksDB's lock): a second process gets
    :class:`~kgrepo.errors.StoreUnavailable`. Use a SPARQL server to share a repository.
    """

    #: Writing a statement costs about as much as looking it up, and a repository remembers what
    #: it has seen: shared statements are checked before they are written.
    asks_before_sharing = True

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        #: Whether a pattern with a bound predicate yields its rows in (object, subject) order when
        #: read without ORDER BY: true of the on-disk store (RocksDB indexes), not of the
        #: in-memory one. Sorted listings read pages straight off the index when it is true
        #: (:mod:`kgrepo._sortkeys`); ``tests/test_sortkeys.py`` checks it holds.
        self.index_ordered = self.path is not None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._handle: Store | None = Store(str(path)) if path is not None else Store()
        except OSError as err:
            raise StoreUnavailable(
                f"cannot open the store at {str(path)!r}: {err}. "
                "An embedded store is opened by one "
                "process at a time; close the other process or share the repository through a "
                "SPARQL server."
            ) from err
        self._index = LineageIndex(self)

    @property
    def _store(self) -> Store:
        if self._handle is None:
            raise StoreUnavailable("the repository is closed; open it again to use it")
        return self._handle

    def extend(self, quads: Sequence[Quad]) -> None:
        """Adds the quads in one transaction."""
        # The index reads them too: an iterator would be spent by the store.
        quads = quads if isinstance(quads, list | tuple) else list(quads)
        with self._index.writing():
            self._store.extend(quads)
            self._index.added(quads)

    def replace(self, remove: Sequence[Quad], add: Sequence[Quad]) -> None:
        """Removes ``remove`` and adds ``add`` in one transaction (one SPARQL update)."""
        rows = [(q.graph_name, q.subject, q.predicate, q.object) for q in (*remove, *add)]
        if not rows:
            return
        text = _REPLACE.format(rows=" ".join(map(str, range(len(rows)))), n=len(remove))

        def argument(i: Literal, j: Literal) -> Any:
            return rows[int(i.value)][int(j.value)]

        with self._index.writing():
            self._store.update(text, custom_functions={_ARG: argument})
            self._index.replaced(remove, add)

    def query(
        self, text: str, bindings: Mapping[str, Value] | None = None, *, union: bool = True
    ) -> QueryResult:
        """Runs a SPARQL query; ``bindings`` are bound as inline data (see :mod:`kgrepo._bind`),
        never formatted into the text.

        With ``union`` (the default) the default graph is the union of all named graphs. The
        prefixes of :data:`PREFIXES` are predeclared.
        """
        bound = bind(text, bindings or {})
        try:
            return self._store.query(bound, prefixes=PREFIXES, use_default_graph_as_union=union)
        except SyntaxError as err:
            if bound is not text:
                check_syntax(text)  # report the position in the caller's text
            raise syntax_error(err) from None

    def update(self, text: str) -> None:
        """Runs a SPARQL update (administrators only; kgrepo's own writes use extend/replace)."""
        try:
            with self._index.writing():
                self._store.update(text, prefixes=PREFIXES)
                self._index.clear()
        except SyntaxError as err:
            raise syntax_error(err) from None

    def match(
        self,
        subject: NamedNode | BlankNode | None,
        predicate: NamedNode,
        object: NamedNode | BlankNode | None,
    ) -> Iterator[Quad]:
        """The quads of any graph matching a pattern (None matches anything)."""
        return iter(self._store.quads_for_pattern(subject, predicate, object, None))

    @property
    def lineage_index(self) -> LineageIndex | None:
        """Lineage kept in memory (:mod:`kgrepo._lineage_index`): exact, because this process
        makes every write of the store (a remote store has none)."""
        return self._index

    def contains(self, quad: Quad) -> bool:
        """Whether the store holds ``quad``."""
        return quad in self._store

    def held(self, quads: Sequence[Quad]) -> list[Quad]:
        """Those of ``quads`` that the store holds (one call for many, for remote stores)."""
        return [q for q in quads if q in self._store]

    def contains_graph(self, graph: NamedNode) -> bool:
        return bool(self._store.contains_named_graph(graph))

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, graph))

    def __len__(self) -> int:
        return len(self._store)

    def dump(self, output: IO[bytes], format: str) -> None:
        self._store.dump(output, FORMATS[format])

    def load(self, data: IO[bytes], format: str) -> None:
        """Loads quads in one transaction: a file that does not parse adds nothing."""
        with self._index.writing():
            self._store.load(data, FORMATS[format])
            self._index.clear()

    def flush(self) -> None:
        if self.path is not None:
            self._store.flush()

    def close(self) -> None:
        """Flushes and closes the store; closing again does nothing."""
        if self._handle is not None:
            self.flush()
            with self._index.writing():
                self._index.clear()  # its memory back; a closed store answers nothing
            self._handle = None
