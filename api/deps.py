"""What routes depend on: the server's state, the repository and the caller's principal.

Routes take them as ``Annotated`` dependencies (``Repo``, ``Reader``, ``Writer``, ``Admin``), so
nothing is global and a test can build an app on any settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from kgrepo.api.open_runs import OpenRuns
from kgrepo.api.problems import Forbidden, Unauthenticated
from kgrepo.api.settings import Settings
from kgrepo.api.sparql_remote import RemoteQueryRunner
from kgrepo.api.sparql_runner import QueryRunner
from kgrepo.api.tokens import Principal, Role, TokenStore

from kgrepo.repository import Repository


@dataclass
class ServerState:
    """Everything the lifespan opens, closed again at shutdown."""

    settings: Settings
    repository: Repository
    tokens: TokenStore
    runner: QueryRunner | RemoteQueryRunner
    runs: OpenRuns


async def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.kgrepo
    return state


async def get_repository(request: Request) -> Repository:
    state: ServerState = request.app.state.kgrepo
    return state.repository


_bearer = HTTPBearer(auto_error=False, description="An API token: `kgrepo token create`")


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller: the owner and role of the bearer token, or an anonymous reader when the
    settings allow anonymous reads. Raises Unauthenticated (401) otherwise.

    Dependencies are ``async`` (they do not block: one indexed SQLite read) so that FastAPI runs
    them on the event loop instead of sending each to the thread pool."""
    state: ServerState = request.app.state.kgrepo
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        if state.settings.anonymous_read:
            return Principal(None, Role.READER)
        raise Unauthenticated(
            "this server needs a token: send 'Authorization: Bearer <token>' "
            "(an administrator creates one with `kgrepo token create`)"
        )
    return state.tokens.verify(credentials.credentials)


def require(role: Role) -> object:
    """A dependency that lets through principals with at least ``role`` (403 otherwise)."""

    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.role.allows(role):
            if principal.name is None:  # anonymous: a token would help, so 401 rather than 403
                raise Unauthenticated(f"this needs a token with the role {role.value}")
            who = principal.name
            raise Forbidden(
                f"{who} has the role {principal.role.value}; this needs {role.value}",
                role=principal.role.value,
                needed=role.value,
            )
        return principal

    return Depends(check)


State = Annotated[ServerState, Depends(get_state)]
Repo = Annotated[Repository, Depends(get_repository)]
Reader = Annotated[Principal, require(Role.READER)]
Writer = Annotated[Principal, require(Role.WRITER)]
Admin = Annotated[Principal, require(Role.ADMIN)]

__all__ = ["Admin", "Reader", "Repo", "ServerState", "State", "Writer", "get_state"]
