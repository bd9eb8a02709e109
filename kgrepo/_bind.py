"""Binding values to a query's variables as inline data: one ``VALUES`` block at the start of
every ``WHERE`` group.

Why not pyoxigraph's ``substitutions=``: Oxigraph does not use substituted values to narrow its
search. The FR6 lookup (one indexed pattern on a bound signature) took 858 ms with a
substitution and 2.2 ms with the same value as a leading ``VALUES`` block, on a store of 3.6 M
quads; a trailing ``VALUES`` clause (joined after the pattern is evaluated) took 1,160 ms. Inline
data is also the only binding a remote SPARQL endpoint understands, so embedded and remote stores
bind the same way.

Values are never formatted into query text: a bound value is an RDF term, written by pyoxigraph's
own serialiser (which escapes quotes, backslashes and newlines), in a ``VALUES`` block whose place
depends on the query text only. Variable names are checked against SPARQL's ``VARNAME``. The block
goes into every ``WHERE`` group, subqueries included, so a value is bound wherever its variable
appears, as a substitution would. A variable bound to a collection of terms takes each in turn:
that is how the details of a set of executions are read in one query.

>>> from pyoxigraph import BlankNode, Literal, NamedNode
>>> bind("SELECT ?name WHERE { ?x rdfs:label ?name }", {"x": NamedNode("urn:a")})
'SELECT ?name WHERE { VALUES (?x) { (<urn:a>) } ?x rdfs:label ?name }'
>>> bind('ASK { ?x ?p "}" }', {"x": Literal('a "quoted" value')})
'ASK { VALUES (?x) { ("a \\\\"quoted\\\\" value") } ?x ?p "}" }'
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping

from pyoxigraph import BlankNode, Literal, NamedNode

from kgrepo.errors import InvalidInput

Term = NamedNode | BlankNode | Literal
#: A bound value: one term, or a collection of terms the variable takes in turn.
Value = Term | Collection[Term]

_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Tokens that matter for finding WHERE groups; strings, IRIs and comments are matched whole so a
# brace or keyword inside them is never mistaken for syntax.
_TOKEN = re.compile(
    r"""
      (?P<skip>\#[^\n]*
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
        | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n]|\\.)*"
        | '(?:[^'\\\n]|\\.)*'
        | <[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<word>[A-Za-z_:?$][\w:.\-]*)
    | (?P<open>\{) | (?P<close>\}) | (?P<lparen>\() | (?P<rparen>\))
    """,
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT", "ASK", "DESCRIBE"}


def where_groups(text: str) -> list[int]:
    """Offsets just after the ``{`` that opens each query's (and subquery's) WHERE group."""
    points: list[int] = []
    parens = 0
    pending: int | None = None  # paren depth at which the next "{" opens a WHERE group
    template: int | None = None  # paren depth of a CONSTRUCT whose template comes next
    skipping = 0  # depth inside a CONSTRUCT template
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            word = match.group().upper()
            if word in _FORMS:
                pending = parens
            elif word == "CONSTRUCT":
                template = parens
            elif word == "WHERE":
                if template is not None:
                    raise InvalidInput(
                        "Query",
                        "bindings",
                        "CONSTRUCT WHERE",
                        "values cannot be bound into the short CONSTRUCT WHERE form; write "
                        "CONSTRUCT { template } WHERE { pattern }",
                    )
                pending = parens
        elif kind == "open":
            if skipping:
                skipping += 1
            elif template is not None and parens == template:
                template, skipping = None, 1
            elif pending is not None and parens == pending:
                points.append(match.end())
                pending = None
        elif kind == "close" and skipping:
            skipping -= 1
            if not skipping:
                pending = None  # the WHERE keyword follows and sets it
        elif kind == "lparen":
            parens += 1
        elif kind == "rparen":
            parens -= 1
    return points


def values_block(bindings: Mapping[str, Value]) -> str:
    """``VALUES (?a ?b) { (term term) … }``, each term written by pyoxigraph's serialiser; a
    variable bound to a sequence of terms takes each of them (one row per combination)."""
    names, columns = [], []
    for name, value in bindings.items():
        if not isinstance(name, str) or not _VARNAME.match(name):
            raise InvalidInput("Query", "bindings", name, "is not a SPARQL variable name")
        terms = value if isinstance(value, list | tuple | set | frozenset) else (value,)
        for term in terms:
            if not isinstance(term, NamedNode | Literal):
                raise InvalidInput(
                    "Query",
                    f"bindings[{name!r}]",
                    term,
                    "a bound value must be an IRI (NamedNode) or a literal (Literal); SPARQL "
                    "cannot bind a blank node",
                )
        names.append(f"?{name}")
        columns.append(
            sorted(map(str, terms))
            if isinstance(value, set | frozenset)
            else [str(t) for t in terms]
        )
    rows = " ".join(f"({' '.join(row)})" for row in itertools.product(*columns))
    return f"VALUES ({' '.join(names)}) {{ {rows} }}"


def bind(text: str, bindings: Mapping[str, Value]) -> str:
    """``text`` with ``bindings`` as a leading ``VALUES`` block in every WHERE group.

    Without bindings the text is returned unchanged. Raises :class:`~kgrepo.errors.InvalidInput`
    for a bad variable name or value, or a query with no WHERE group to bind into. The block is
    inserted on the line of the ``{``, so line numbers of syntax errors do not move.
    """
    if not bindings:
        return text
    block = f" {values_block(bindings)}"
    points = where_groups(text)
    if not points:
        raise InvalidInput(
            "Query", "bindings", sorted(bindings), "the query has no WHERE group to bind values in"
        )
    parts, start = [], 0
    for point in points:
        parts += [text[start:point], block]
        start = point
    parts.append(text[start:])
    return "".join(parts)
