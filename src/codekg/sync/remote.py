"""A git remote read through dulwich: fetch one branch into a bare mirror, list its tree, read blobs.

The mirror keeps every object fetched before, so a later sync asks the remote only for the objects it
lacks (the git protocol's own negotiation): a changed file costs its new blob, an unchanged one nothing.
Every transport dulwich speaks works: `file://` and local paths, `git://`, `http(s)://`, `ssh://`.
"""

from __future__ import annotations

import fnmatch
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from codekg.sync.errors import RemoteNotFound, classify

MIRROR_REF = b"refs/codekg/synced"  # keeps the fetched commit (and every object under it) in the mirror


@dataclass(frozen=True, slots=True)
class RemoteHead:
    commit: str
    branch: str


@dataclass(frozen=True, slots=True)
class RemoteFile:
    path: str
    blob: str  # the blob's SHA-1: what changed is what has another blob


def fetch_head(source: str, mirror: Path, branch: str | None, timeout: float) -> RemoteHead:
    """Fetch ``branch`` (default: the remote's HEAD) of ``source`` into ``mirror``."""
    from dulwich.client import get_transport_and_path
    from dulwich.repo import Repo

    ensure_mirror(mirror)
    repo = Repo(str(mirror))
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # dulwich's sockets take the default: a stalled remote is a NetworkTimeout
    try:
        client, path = get_transport_and_path(source, **_http_options(source, timeout))
        remote_refs = client.get_refs(path)
        refs = dict(getattr(remote_refs, "refs", remote_refs))
        symrefs = dict(getattr(remote_refs, "symrefs", {}) or {})
        wanted = f"refs/heads/{branch}".encode() if branch else symrefs.get(b"HEAD") or _default_branch(refs)
        if wanted not in refs:
            raise RemoteNotFound(f"the remote {source} has no branch {(branch or wanted.decode()).removeprefix('refs/heads/')}")
        commit = refs[wanted]
        if commit not in repo.object_store:
            client.fetch(path, repo, determine_wants=lambda _refs, depth=None: [commit])
        repo.refs[MIRROR_REF] = commit
        return RemoteHead(commit.decode(), wanted.decode().removeprefix("refs/heads/"))
    except RemoteNotFound:
        raise
    except Exception as error:  # noqa: BLE001 - dulwich and the sockets raise many kinds: classified here
        raise classify(error) from None
    finally:
        socket.setdefaulttimeout(previous)
        repo.close()


def _http_options(source: str, timeout: float) -> dict:
    """For http(s) remotes: urllib3 without retries of its own. The sync's retry policy is the one
    layer (run.py, `_retrying`): urllib3's three retries inside it multiplied the attempts and
    printed a warning for each."""
    if not source.startswith(("http://", "https://")):
        return {}
    import urllib3
    from dulwich.client import default_urllib3_manager

    manager = default_urllib3_manager(None, base_url=source, timeout=timeout)
    manager.connection_pool_kw["retries"] = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5)
    return {"pool_manager": manager}


def _default_branch(refs: dict[bytes, bytes]) -> bytes:
    for name in (b"refs/heads/main", b"refs/heads/master"):
        if name in refs:
            return name
    heads = sorted(name for name in refs if name.startswith(b"refs/heads/"))
    if not heads:
        raise RemoteNotFound("the remote has no branch")
    return heads[0]


def tree_files(mirror: Path, commit: str, includes: list[str]) -> list[RemoteFile]:
    """The regular files of ``commit`` (symlinks and submodules left out), those matching one of
    ``includes`` (globs on the path; none: every file)."""
    from dulwich.object_store import iter_tree_contents
    from dulwich.repo import Repo

    repo = Repo(str(mirror))
    try:
        tree = repo[commit.encode()].tree
        found = []
        for entry in iter_tree_contents(repo.object_store, tree):
            if not stat.S_ISREG(entry.mode):
                continue
            path = entry.path.decode("utf-8", errors="surrogateescape")
            if not included(path, includes):
                continue
            found.append(RemoteFile(path, entry.sha.decode()))
        return sorted(found, key=lambda f: f.path)
    finally:
        repo.close()


def included(path: str, includes: list[str]) -> bool:
    """Whether ``path`` matches one of the ``--include`` globs (none: every path)."""
    return not includes or any(fnmatch.fnmatch(path, pattern) for pattern in includes)


def ensure_mirror(mirror: Path) -> None:
    """The bare mirror, made beside its place and renamed into it: a sync killed while making it
    leaves nothing half made."""
    import shutil

    from dulwich.repo import Repo

    if (mirror / "HEAD").exists():
        return
    shutil.rmtree(mirror, ignore_errors=True)  # a mirror from before this rule, half made
    making = mirror.with_name(mirror.name + ".making")
    shutil.rmtree(making, ignore_errors=True)
    making.mkdir(parents=True)
    Repo.init_bare(str(making)).close()
    making.rename(mirror)


class BlobReader:
    """Blobs of the mirror by SHA-1, one repository handle for a whole sync."""

    def __init__(self, mirror: Path) -> None:
        from dulwich.repo import Repo

        self._repo = Repo(str(mirror))

    def read(self, blob: str) -> bytes:
        return self._repo.object_store[blob.encode()].as_raw_string()

    def close(self) -> None:
        self._repo.close()
