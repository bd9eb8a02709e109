"""Looking at SPARQL text without evaluating it: the keywords a public endpoint refuses.

pyoxigraph exposes no parser, and it would follow ``SERVICE <http://…>`` and ``LOAD <http://…>``
to the network. So the text is scanned with SPARQL's lexical rules: strings (all four quote
forms), IRIs (``<…>`` without spaces, which ``<`` as less-than never is) and comments are skipped,
and a keyword counts only as a whole token (not part of ``?service``, ``ex:service`` or
``service_level``). A false alarm needs a prefixed name or variable that the scan misreads, which
SPARQL's grammar does not allow; what is refused is named in the error.

>>> keywords_in('SELECT * WHERE { SERVICE <http://x.org/sparql> { ?s ?p ?o } }', {"SERVICE"})
['SERVICE']
>>> keywords_in('SELECT ?service WHERE { ?s ex:service "SERVICE" # SERVICE\\n }', {"SERVICE"})
[]
>>> keywords_in('INSERT DATA { <a:b> <a:c> 1 }', UPDATE_KEYWORDS)
['INSERT']
"""

from __future__ import annotations

import re
from collections.abc import Collection

_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n]*",
    re.DOTALL,
)
_WORD = re.compile(r"(?<![\w:?$.\-])([A-Za-z]+)(?![\w:\-])")

#: Keywords that only SPARQL Update has, at the start of an operation.
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)


def keywords_in(text: str, keywords: Collection[str]) -> list[str]:
    """The ``keywords`` (upper case) that occur in ``text`` as SPARQL keywords, in order."""
    code = _SKIP.sub(" ", text)
    found = []
    for match in _WORD.finditer(code):
        word = match.group(1).upper()
        if word in keywords and word not in found:
            found.append(word)
    return found


__all__ = ["UPDATE_KEYWORDS", "keywords_in"]
