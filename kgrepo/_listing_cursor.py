"""FR1: the opaque cursors of listing pages.

A cursor carries the listing's fingerprint and the last (sort key, IRI) of its page, as URL-safe
base64 of a small JSON document: the next page starts after that pair, and a cursor given to
another listing is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode

from kgrepo._listing_request import ENTITY
from kgrepo.errors import InvalidInput

if TYPE_CHECKING:
    from kgrepo.store import Term

_CURSOR_VERSION = 1


def encode_cursor(fingerprint: str, key: Term | None, iri: str) -> str:
    """The cursor of the page that ends at (``key``, ``iri``) of the listing ``fingerprint``."""
    encoded_key = None
    if isinstance(key, Literal):
        encoded_key = ["literal", key.value, key.datatype.value, key.language]
    elif isinstance(key, NamedNode):
        encoded_key = ["iri", key.value]
    payload = {"v": _CURSOR_VERSION, "q": fingerprint, "k": encoded_key, "i": iri}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Any, fingerprint: str) -> tuple[Term | None, str]:
    """The (key, IRI) a cursor of the listing ``fingerprint`` carries; InvalidInput otherwise."""

    def bad(reason: str) -> InvalidInput:
        return InvalidInput(ENTITY, "cursor", cursor, reason)

    if not isinstance(cursor, str) or not cursor:
        raise bad("expected the next_cursor text of a previous page")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode())
    except (binascii.Error, ValueError):
        raise bad("does not decode; pass next_cursor exactly as a previous page gave it") from None
    if not isinstance(payload, dict) or payload.get("v") != _CURSOR_VERSION:
        raise bad("is not a kgrepo listing cursor")
    if payload.get("q") != fingerprint:
        raise bad(
            "was made for another listing (kind, filters or sort); start again without a cursor"
        )
    iri, key = payload.get("i"), payload.get("k")
    if not isinstance(iri, str):
        raise bad("is not a kgrepo listing cursor")
    try:
        return _cursor_key(key), iri
    except (TypeError, ValueError):
        raise bad("is not a kgrepo listing cursor") from None


def _cursor_key(key: Any) -> Term | None:
    if key is None:
        return None
    if isinstance(key, list) and len(key) == 4 and key[0] == "literal":
        _, value, datatype, language = key
        if language is not None:
            return Literal(str(value), language=str(language))
        return Literal(str(value), datatype=NamedNode(str(datatype)))
    if isinstance(key, list) and len(key) == 2 and key[0] == "iri":
        return NamedNode(str(key[1]))
    raise ValueError("unknown key")
