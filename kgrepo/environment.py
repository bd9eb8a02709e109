"""FR9: the environment a run executes in, captured automatically.

The Python version, platform, host and installed packages form an :class:`Environment`, identified
by the digest of its content, so runs in the same environment share one description. The git commit
of the caller's working tree is read per run straight from ``.git`` (no subprocess: recording must
stay fast).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import platform
import socket
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Environment:
    python_version: str
    platform: str
    host: str
    packages: tuple[tuple[str, str], ...]

    @functools.cached_property
    def digest(self) -> str:
        text = "\n".join(
            [
                self.python_version,
                self.platform,
                self.host,
                *(f"{n}=={v}" for n, v in self.packages),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def capture() -> Environment:
    """The current process's environment. Cached: installed packages do not change under a
    running process in any way kgrepo could record faithfully anyway."""
    packages = {
        (dist.metadata["Name"] or "").lower(): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    }
    return Environment(
        python_version=sys.version.split()[0],
        platform=platform.platform(),
        host=socket.gethostname(),
        packages=tuple(sorted(packages.items())),
    )


@dataclass(frozen=True)
class CodeVersion:
    commit: str
    repository: str


@dataclass(frozen=True)
class KnownEnvironment:
    """An environment the repository already describes, named by its digest: what a client sends
    once the server has its environment in full (see ``EnvironmentIn``)."""

    digest: str


@dataclass(frozen=True)
class Origin:
    """Where a run executes, as recorded with it (FR9): its environment and the code version of
    its working tree, either unknown (None).

    A run records :meth:`here`, the recording process's, unless told otherwise: a server
    recording a client's run records the one the client sent (``kgrepo.Client`` sends its own),
    and none when the client sent none, rather than the server's.

    >>> Origin.here().environment == capture()
    True
    """

    environment: Environment | KnownEnvironment | None
    code: CodeVersion | None

    @classmethod
    def here(cls) -> Origin:
        """This process's environment and the code version of its working directory."""
        return cls(capture(), code_version())


def code_version(start: Path | None = None) -> CodeVersion | None:
    """The commit checked out in the git working tree containing ``start`` (default: cwd)."""
    where = str((start or Path.cwd()).resolve())
    found = _GIT_DIRS.get(where) or _git_dir(where)
    if found is None:
        return None
    _GIT_DIRS[where] = found
    folder, git = found
    commit = _resolve_head(git)
    return CodeVersion(commit, str(folder)) if commit else None


# Where the git directory of a working tree is does not change under a running process (its HEAD
# is read afresh every time); a folder without one may get one, so only finds are remembered.
_GIT_DIRS: dict[str, tuple[Path, Path]] = {}


def _git_dir(start: str) -> tuple[Path, Path] | None:
    """The working tree and git directory containing ``start``."""
    here = Path(start)
    for folder in (here, *here.parents):
        git = folder / ".git"
        if git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = git.read_text(errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            git = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if git.is_dir():
            return folder, git
    return None


def _resolve_head(git: Path) -> str | None:
    try:
        head = (git / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.removeprefix("ref:").strip()
    common = git
    commondir = git / "commondir"
    if commondir.is_file():
        common = (git / commondir.read_text().strip()).resolve()
    for base in (git, common):
        try:
            return (base / ref).read_text().strip()
        except OSError:
            pass
    try:
        for line in (common / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return None  # a branch with no commit yet


def process_id() -> int:
    return os.getpid()
