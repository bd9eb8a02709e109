"""``kgrepo serve`` (the REST API and SPARQL endpoint on uvicorn) and ``kgrepo token``
(create, list, revoke the API tokens of a repository)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kgrepo.cli._core import main
from kgrepo.errors import KgRepoError
from kgrepo.repository import Repository

if TYPE_CHECKING:
    from kgrepo.api.settings import Settings


def _need_server_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "the server needs the 'server' extra: pip install 'kgrepo[server]'"
        ) from None


def _tokens_path(ctx: click.Context, tokens: str | None) -> str:
    if tokens is not None:
        return tokens
    if isinstance(ctx.obj["path"], str):  # a URL: no directory to keep the file beside
        raise click.ClickException(
            "a repository at a URL keeps its tokens in a file you name: --tokens PATH "
            "(the same file for `kgrepo serve` and `kgrepo token`)"
        )
    return str(ctx.obj["path"]).rstrip("/") + ".tokens.sqlite"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes; more than one needs --repo http://... (a shared SPARQL server).",
)
@click.option("--demo", is_flag=True, help="Record the demo runs first (if the store is empty).")
@click.option("--memory", is_flag=True, help="Serve an in-memory store instead of --repo.")
@click.option("--anonymous-read", is_flag=True, help="Let requests without a token read.")
@click.option("--query-timeout", default=10.0, show_default=True, type=float)
@click.option("--max-rows", default=100_000, show_default=True, type=int)
@click.option(
    "--max-steps",
    default=10_000,
    show_default=True,
    type=int,
    help="The most steps a lineage or recipe answer may hold.",
)
@click.option("--tokens", default=None, help="Token file [default: <repo>.tokens.sqlite]")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    demo: bool,
    memory: bool,
    anonymous_read: bool,
    query_timeout: float,
    max_rows: int,
    max_steps: int,
    tokens: str | None,
) -> None:
    """Serve the repository: REST API (/api/v1), SPARQL (/sparql), docs (/docs).

    With --repo http://host:port (a SPARQL server such as `oxigraph serve`) several --workers
    share the store; they read their settings from KGREPO_* environment variables."""
    _need_server_extra()
    import uvicorn

    from kgrepo.api.settings import Settings

    location = ctx.obj["path"]
    remote = isinstance(location, str)
    if memory and remote:
        raise click.ClickException("--memory serves an in-memory store; leave out --repo URL")
    try:
        settings = Settings(
            store=None if memory else location if remote else str(Path(location).resolve()),
            base=ctx.obj["base"],
            tokens=_tokens_path(ctx, tokens),  # beside --repo, even for --memory
            anonymous_read=anonymous_read,
            query_timeout=query_timeout,
            max_rows=max_rows,
            max_steps=max_steps,
            demo=demo,
            workers=workers,
        )
    except KgRepoError as err:
        raise click.ClickException(str(err)) from None
    if workers > 1:
        _prepare_shared(settings)
    demo_token = _demo_token(settings.tokens_path) if demo else None
    os.environ.update(settings.to_env())
    where = f"http://{host}:{port}"
    click.echo(f"kgrepo serving {settings.store or 'an in-memory store'} at {where}")
    click.echo(f"  API docs:  {where}/docs")
    click.echo(f"  SPARQL:    {where}/sparql")
    click.echo(f"  REST:      {where}/api/v1")
    click.echo(
        f"  tokens:    kgrepo --repo {ctx.obj['path']} token create --name NAME --role writer"
    )
    if demo_token is not None:
        click.echo(f"  demo admin token (shown once): {demo_token}")
        query = "SELECT%20?run%20WHERE%20%7B%20?run%20a%20kg:Run%20%7D"
        click.echo(
            f"  try: curl -H 'Authorization: Bearer {demo_token}' '{where}/sparql?query={query}'"
        )
    uvicorn.run(
        "kgrepo.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


def _prepare_shared(settings: Settings) -> None:
    """What the app's lifespan does at start-up on one worker, done once before several start
    (each would otherwise do it, and two could end the same stale run twice or record the demo
    twice): marks abandoned the runs a previous server on this host left open; records the demo."""
    from kgrepo import demo
    from kgrepo.api.open_runs import OpenRuns

    assert settings.store is not None
    try:
        with Repository.connect(settings.store, base=settings.base) as repository:
            abandoned = OpenRuns(repository, shared=True).abandon_stale()
            if settings.demo and not repository.experiments():
                demo.record(repository)
                demo.record_tuning(repository)
    except KgRepoError as err:
        raise click.ClickException(str(err)) from None
    if abandoned:
        click.echo(f"abandoned {abandoned} runs left open by a previous server")


def _demo_token(path: str) -> str | None:
    """An admin token named ``demo`` when the token file has no active token yet (so a new user
    can try the demo server at once); None otherwise."""
    from kgrepo.api.tokens import Role, TokenStore

    store = TokenStore(path)
    try:
        if any(t.revoked is None for t in store.list()):
            return None
        token: str = store.create("demo", Role.ADMIN).token
        return token
    finally:
        store.close()


@main.group()
def token() -> None:
    """API tokens of the server (stored hashed beside the repository)."""
    _need_server_extra()


@token.command("create")
@click.option("--name", required=True, help="The owner: the agent the token's writes record.")
@click.option(
    "--role",
    type=click.Choice(["reader", "writer", "admin"]),
    default="reader",
    show_default=True,
)
@click.option("--expires-in-days", type=float, default=None)
@click.option("--tokens", default=None, help="Token file [default: <repo>.tokens.sqlite]")
@click.pass_context
def token_create(
    ctx: click.Context, name: str, role: str, expires_in_days: float | None, tokens: str | None
) -> None:
    """Create a token; it is printed once and cannot be shown again."""
    from kgrepo.api.tokens import TokenStore

    store = TokenStore(_tokens_path(ctx, tokens))
    try:
        expires = dt.timedelta(days=expires_in_days) if expires_in_days is not None else None
        issued = store.create(name, role, expires_in=expires)
    except KgRepoError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    click.echo(f"token {issued.id} for {name} ({role}); shown once, keep it secret:")
    click.echo(issued.token)


@token.command("list")
@click.option("--tokens", default=None, help="Token file [default: <repo>.tokens.sqlite]")
@click.pass_context
def token_list(ctx: click.Context, tokens: str | None) -> None:
    """List tokens (ids, owners, roles, states; never the secrets)."""
    from kgrepo.api.tokens import TokenStore

    store = TokenStore(_tokens_path(ctx, tokens))
    try:
        for t in store.list():
            state = "revoked" if t.revoked else "active"
            if t.expires and t.expires <= dt.datetime.now(dt.UTC) and not t.revoked:
                state = "expired"
            click.echo(f"{t.id}\t{t.name}\t{t.role.value}\t{state}\t{t.created:%Y-%m-%d %H:%M}")
    finally:
        store.close()


@token.command("revoke")
@click.argument("token_id")
@click.option("--tokens", default=None, help="Token file [default: <repo>.tokens.sqlite]")
@click.pass_context
def token_revoke(ctx: click.Context, token_id: str, tokens: str | None) -> None:
    """Revoke a token by id; the server refuses it from the next request on."""
    from kgrepo.api.tokens import TokenStore

    store = TokenStore(_tokens_path(ctx, tokens))
    try:
        store.revoke(token_id)
    except KgRepoError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    click.echo(f"revoked {token_id}")
