"""``kgrepo token create/list/revoke`` on a repository's token file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from kgrepo.api.tokens import TokenStore

from kgrepo.cli import main


def test_token_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    repo = str(tmp_path / "repo")
    created = runner.invoke(
        main, ["--repo", repo, "token", "create", "--name", "alice", "--role", "writer"]
    )
    assert created.exit_code == 0, created.output
    token_id = created.output.split()[1]
    secret = created.output.strip().splitlines()[-1]
    store = TokenStore(repo + ".tokens.sqlite")
    assert store.verify(secret).name == "alice"
    listed = runner.invoke(main, ["--repo", repo, "token", "list"])
    assert listed.output.split("\t")[:4] == [token_id, "alice", "writer", "active"]
    assert secret not in listed.output
    revoked = runner.invoke(main, ["--repo", repo, "token", "revoke", token_id])
    assert revoked.exit_code == 0
    assert "revoked" in runner.invoke(main, ["--repo", repo, "token", "list"]).output
    unknown = runner.invoke(main, ["--repo", repo, "token", "revoke", "nope"])
    assert unknown.exit_code != 0 and "no token with id 'nope'" in unknown.output
    bad_role = runner.invoke(
        main, ["--repo", repo, "token", "create", "--name", "x", "--role", "god"]
    )
    assert bad_role.exit_code != 0
    store.close()


def test_serve_refuses_several_workers_on_an_embedded_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--repo", str(tmp_path / "r"), "serve", "--workers", "2"])
    assert result.exit_code != 0
    assert "SPARQL server" in result.output


def test_serve_on_a_url_needs_a_shared_token_file() -> None:
    url = "http://127.0.0.1:9"
    result = CliRunner().invoke(main, ["--repo", url, "serve", "--workers", "2"])
    assert result.exit_code != 0
    assert "--tokens PATH" in result.output
    memory = CliRunner().invoke(main, ["--repo", url, "serve", "--memory", "--tokens", "t.db"])
    assert memory.exit_code != 0 and "leave out --repo URL" in memory.output
