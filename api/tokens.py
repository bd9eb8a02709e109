"""API tokens: created once (shown once), stored hashed, with a role; listed and revoked.

Tokens live in a small SQLite file beside the store (``Settings.tokens_path``), not in a graph of
the store: ``kgrepo token create`` must work while a server holds the embedded store's lock, and a
credential has no business in a knowledge graph that readers may dump. A token is 32 random bytes
(``secrets``); only its SHA-256 is stored — with that much entropy a slow hash adds nothing, and a
lookup stays one indexed read per request.

Roles are ordered: ``reader`` < ``writer`` < ``admin``; a route asks for the least role it needs.

>>> store = TokenStore(":memory:")
>>> issued = store.create("alice", Role.WRITER)
>>> issued.token.startswith("kgr_"), store.verify(issued.token).name
(True, 'alice')
>>> store.revoke(issued.id)
>>> store.verify(issued.token)
Traceback (most recent call last):
...
kgrepo.api.problems.Unauthenticated: this token was revoked
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass

from kgrepo.api.problems import Unauthenticated

from kgrepo.errors import InvalidInput, NotFound

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT
)
"""


class Role(enum.Enum):
    """What a token may do; each role includes the ones before it."""

    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Principal:
    """Who is asking: the token's owner (the agent recorded on writes) and role.
    ``name`` is None for an anonymous reader."""

    name: str | None
    role: Role
    token_id: str | None = None


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    name: str
    role: Role
    created: dt.datetime
    expires: dt.datetime | None
    revoked: dt.datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``token`` is the secret, shown this once."""

    id: str
    token: str
    info: TokenInfo


class TokenStore:
    """Tokens in the SQLite file at ``path`` (``":memory:"`` for a throwaway store)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._db.execute(_SCHEMA)

    def create(
        self, name: str, role: Role | str, *, expires_in: dt.timedelta | None = None
    ) -> IssuedToken:
        """A new token for ``name`` (the agent its writes are attributed to) with ``role``."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("Token", "name", name, "must not be empty")
        role = _role(role)
        if expires_in is not None and expires_in <= dt.timedelta(0):
            raise InvalidInput("Token", "expires_in", expires_in, "must be positive")
        token_id = secrets.token_hex(6)
        secret = "kgr_" + secrets.token_urlsafe(32)
        now = _now()
        expires = now + expires_in if expires_in is not None else None
        with self._lock:
            self._db.execute(
                "INSERT INTO tokens (id, name, role, hash, created, expires) VALUES (?,?,?,?,?,?)",
                (token_id, name, role.value, _hash(secret), now.isoformat(), _iso(expires)),
            )
        return IssuedToken(token_id, secret, TokenInfo(token_id, name, role, now, expires, None))

    def list(self) -> list[TokenInfo]:
        """Every token, revoked and expired ones included, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, role, created, expires, revoked FROM tokens ORDER BY created, id"
            ).fetchall()
        return [
            TokenInfo(i, n, Role(r), _parse(c), _maybe(e), _maybe(v)) for i, n, r, c, e, v in rows
        ]

    def revoke(self, token_id: str) -> None:
        """Revokes a token by id; it is refused from the next request on."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                (_now().isoformat(), token_id),
            )
        if cursor.rowcount == 0:
            known = {t.id for t in self.list()}
            if token_id in known:
                return
            raise NotFound(f"no token with id {token_id!r}; `kgrepo token list` shows them")

    def verify(self, secret: str) -> Principal:
        """The principal of ``secret``; raises :class:`Unauthenticated` saying why not."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, name, role, expires, revoked FROM tokens WHERE hash = ?",
                (_hash(secret),),
            ).fetchone()
        if row is None:
            raise Unauthenticated("unknown token")
        token_id, name, role, expires, revoked = row
        if revoked is not None:
            raise Unauthenticated("this token was revoked")
        if expires is not None and _parse(expires) <= _now():
            raise Unauthenticated("this token has expired")
        return Principal(name, Role(role), token_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _role(role: Role | str) -> Role:
    if isinstance(role, Role):
        return role
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(
            "Token", "role", role, "expected one of: " + ", ".join(r.value for r in Role)
        ) from None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _maybe(text: str | None) -> dt.datetime | None:
    return _parse(text) if text is not None else None


__all__ = ["IssuedToken", "Principal", "Role", "TokenInfo", "TokenStore"]
