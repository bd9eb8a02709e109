"""Binding values to a query's variables as inline data: a ``VALUES`` block at the start of every
group that uses a bound variable, and of every ``WHERE`` group.

Why not pyoxigraph's ``substitutions=``: Oxigraph does not use substituted values to narrow its
search. The FR6 lookup (one indexed pattern on a bound signature) took 858 ms with a
substitution and 2.2 ms with the same value as a leading ``VALUES`` block, on a store of 3.6 M
quads; a trailing ``VALUES`` clause (joined after the pattern is evaluated) took 1,160 ms. Inline
data is also the only binding a remote SPARQL endpoint understands, so embedded and remote stores
bind the same way.

Values are never formatted into query text: a bound value is an RDF term, written by pyoxigraph's
own serialiser (which escapes quotes, backslashes and newlines), in a ``VALUES`` block whose place
depends on the query text only. Variable names are checked against SPARQL's ``VARNAME``.

A block goes into every group that mentions a bound variable (union branches, OPTIONAL, MINUS,
EXISTS, GRAPH groups, subqueries), with the variables it mentions, and into every WHERE group
with all of them, so a value is bound wherever its variable appears, as a substitution would.
Only at the top it would not narrow the groups Oxigraph evaluates on their own before joining
(the branches of a UNION: the FR10 trace of 1,000 runs took 24 s that way). A variable bound to
a collection of terms takes each in turn: that is how the details of a set of executions are
read in one query.

>>> from pyoxigraph import BlankNode, Literal, NamedNode
>>> bind("SELECT ?name WHERE { ?x rdfs:label ?name }", {"x": NamedNode("urn:a")})
'SELECT ?name WHERE { VALUES (?x) { (<urn:a>) } ?x rdfs:label ?name }'
>>> bind('ASK { ?x ?p "}" }', {"x": Literal('a "quoted" value')})
'ASK { VALUES (?x) { ("a \\\\"quoted\\\\" value") } ?x ?p "}" }'
"""

from __future__ import annotations

import dataclasses
import functools
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


@dataclasses.dataclass
class _Group:
    role: str  # "where", "group", "wrapper" (holds a subquery), "skip" (template or data block)
    offset: int  # just after its "{"
    mentioned: set[str] = dataclasses.field(default_factory=set)


@functools.lru_cache(maxsize=256)
def groups(text: str) -> tuple[tuple[int, frozenset[str] | None], ...]:
    """Where values go: the offset just after each group's ``{`` and the variables the group
    mentions, or ``None`` for a query's (or subquery's) WHERE group, which takes every bound
    variable (so that a bound variable is in the results even when the pattern does not use it).
    Groups inside a CONSTRUCT template or a VALUES data block, and the braces around a subquery,
    take none. Cached: kgrepo's queries are a few constant texts."""
    points: list[tuple[int, frozenset[str] | None]] = []
    stack: list[_Group] = []
    parens = 0
    pending: int | None = None  # paren depth at which the next "{" opens a WHERE group
    template: int | None = None  # paren depth of a CONSTRUCT whose template comes next
    data: int | None = None  # paren depth of a VALUES whose data block comes next
    tokens = list(_TOKEN.finditer(text))
    for i, match in enumerate(tokens):
        kind = match.lastgroup
        if kind == "word":
            word = match.group()
            if word[0] in "?$":
                if stack:
                    stack[-1].mentioned.add(word[1:])
                continue
            word = word.upper()
            if word in _FORMS:
                pending = parens
            elif word == "CONSTRUCT":
                template = parens
            elif word == "VALUES":
                data = parens
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
            following = next(
                (t.group().upper() for t in tokens[i + 1 :] if not t.group().startswith("#")), ""
            )
            if stack and stack[-1].role == "skip":
                role = "skip"
            elif template is not None and parens == template:
                role, template = "skip", None
            elif data is not None and parens == data:
                role, data = "skip", None
            elif pending is not None and parens == pending:
                role, pending = "where", None
            else:
                role = "wrapper" if following == "SELECT" else "group"
            stack.append(_Group(role, match.end()))
        elif kind == "close" and stack:
            group = stack.pop()
            if group.role == "where":
                points.append((group.offset, None))
            elif group.role == "group":
                points.append((group.offset, frozenset(group.mentioned)))
            if stack:
                stack[-1].mentioned |= group.mentioned
        elif kind == "lparen":
            parens += 1
        elif kind == "rparen":
            parens -= 1
    return tuple(sorted(points))


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
    """``text`` with ``bindings`` as leading ``VALUES`` blocks (see the module's description).

    Without bindings the text is returned unchanged. Raises :class:`~kgrepo.errors.InvalidInput`
    for a bad variable name or value, or a query with no WHERE group to bind into. The block is
    inserted on the line of the ``{``, so line numbers of syntax errors do not move.
    """
    if not bindings:
        return text
    values_block(bindings)  # checks every name and value, used or not
    points = groups(text)
    if not any(mentioned is None for _, mentioned in points):
        raise InvalidInput(
            "Query", "bindings", sorted(bindings), "the query has no WHERE group to bind values in"
        )
    parts, start = [], 0
    for point, mentioned in points:
        names = [n for n in bindings if mentioned is None or n in mentioned]
        if not names:
            continue
        parts += [text[start:point], " ", values_block({n: bindings[n] for n in names})]
        start = point
    parts.append(text[start:])
    return "".join(parts)
