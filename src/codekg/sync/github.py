"""A GitHub repository read through its REST API, for hosts where the git transport is closed.

The branch's head commit (`GET /repos/{owner}/{repo}/commits/{branch}`, or the repository's default
branch), its tree (`GET …/git/trees/{sha}?recursive=1`) and each blob (`GET …/git/blobs/{sha}`) go into
the same bare mirror the git transport fills (remote.py), so the rest of a sync does not tell them apart:
a blob the mirror holds is never asked for again. Every answer is cached with its ETag; a request sends
`If-None-Match` and a `304` reuses the cached answer (GitHub does not count it against the rate limit).

Rate limits: a `429`, or a `403` with `X-RateLimit-Remaining: 0`, is RateLimitExceeded with the wait
the host asks for (`Retry-After` seconds, else `X-RateLimit-Reset` minus now): the retry policy waits at
least that long. The token (the `github_token` setting) is sent as a bearer token and never printed.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from codekg.sync.errors import NetworkError, NetworkTimeout, RateLimitExceeded, RemoteNotFound, SyncError
from codekg.sync.remote import RemoteFile, RemoteHead

ETAGS_FILE = "etags.json"


def github_repository(source: str) -> tuple[str, str]:
    """(owner, name) of `https://github.com/owner/name[.git]`, `github.com/owner/name` or `owner/name`."""
    path = urlparse(source).path if "://" in source else source.split("github.com/", 1)[-1]
    parts = [part for part in path.strip("/").removesuffix(".git").split("/") if part]
    if len(parts) != 2:
        raise RemoteNotFound(f"not a GitHub repository: {source} (expected owner/name)")
    return parts[0], parts[1]


class GitHubRemote:
    """Reads one repository through the API into ``mirror``; ``retrying`` runs each request under the
    sync's retry policy."""

    def __init__(self, source: str, api_url: str, token: str | None, mirror: Path, timeout: float,
                 retrying: Callable[[Callable[[], Any]], Any]) -> None:
        import httpx

        self.owner, self.name = github_repository(source)
        headers = {"Accept": "application/vnd.github+json", "User-Agent": "codekg-sync"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=timeout)
        self._retrying = retrying
        self._etags_path = mirror.parent / ETAGS_FILE
        try:
            self._etags: dict[str, list[Any]] = json.loads(self._etags_path.read_text("utf-8"))
        except (OSError, ValueError):
            self._etags = {}
        self.mirror = mirror
        self.requests = self.not_modified = 0

    def close(self) -> None:
        self._client.close()
        temporary = self._etags_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._etags), "utf-8")
        temporary.replace(self._etags_path)

    def fetch_head(self, branch: str | None) -> tuple[RemoteHead, list[RemoteFile]]:
        """The branch's head commit and its files, the tree stored in the mirror as git objects."""
        repository = f"/repos/{self.owner}/{self.name}"
        if branch is None:
            branch = self._get(repository)["default_branch"]
        commit = self._get(f"{repository}/commits/{branch}")
        tree = self._get(f"{repository}/git/trees/{commit['commit']['tree']['sha']}?recursive=1")
        if tree.get("truncated"):
            raise SyncError(f"GitHub truncated the tree of {self.owner}/{self.name}: too many files for the API mode")
        files = sorted((RemoteFile(entry["path"], entry["sha"]) for entry in tree["tree"]
                        if entry["type"] == "blob" and entry.get("mode") in ("100644", "100755")), key=lambda f: f.path)
        return RemoteHead(commit["sha"], branch), files

    def store_blobs(self, files: list[RemoteFile]) -> None:
        """Every blob of ``files`` the mirror lacks, fetched and stored under its SHA-1."""
        from dulwich.objects import Blob
        from dulwich.repo import Repo

        repo = Repo(str(self.mirror))
        try:
            for remote_file in files:
                if remote_file.blob.encode() in repo.object_store:
                    continue
                answer = self._get(f"/repos/{self.owner}/{self.name}/git/blobs/{remote_file.blob}", cache=False)
                blob = Blob.from_string(base64.b64decode(answer["content"]))
                if blob.id.decode() != remote_file.blob:
                    raise SyncError(f"the blob of {remote_file.path} does not match its SHA-1")
                repo.object_store.add_object(blob)
        finally:
            repo.close()

    def _get(self, path: str, cache: bool = True) -> dict[str, Any]:
        """``path``'s JSON; with ``cache``, kept with its ETag (a blob never changes: it is not kept)."""
        return self._retrying(lambda: self._request(path, cache))

    def _request(self, path: str, cache: bool) -> dict[str, Any]:
        import httpx

        cached = self._etags.get(path) if cache else None
        headers = {"If-None-Match": cached[0]} if cached else {}
        self.requests += 1
        try:
            response = self._client.get(path, headers=headers)
        except httpx.TimeoutException as error:
            raise NetworkTimeout(f"the GitHub API did not answer in time: {error}") from None
        except httpx.TransportError as error:
            raise NetworkError(f"the connection to the GitHub API failed: {error}") from None
        if response.status_code == 304 and cached:
            self.not_modified += 1
            return cached[1]
        if response.status_code == 429 or (response.status_code == 403 and response.headers.get("X-RateLimit-Remaining") == "0"):
            raise RateLimitExceeded(f"the GitHub API rate limit was hit ({response.status_code})", _wait(response.headers))
        if response.status_code == 404:
            raise RemoteNotFound(f"GitHub has no {path} (a private repository needs the github_token setting)")
        if response.status_code >= 500:
            raise NetworkError(f"the GitHub API answered {response.status_code}")
        if response.status_code != 200:
            raise SyncError(f"the GitHub API answered {response.status_code} for {path}: {response.text[:200]}")
        body = response.json()
        if cache and response.headers.get("ETag"):
            self._etags[path] = [response.headers["ETag"], body]
        return body


def _wait(headers: Any) -> float:
    """Seconds the host asks to wait: `Retry-After`, else until `X-RateLimit-Reset`, else a minute."""
    if headers.get("Retry-After", "").strip().isdigit():
        return float(headers["Retry-After"])
    reset = headers.get("X-RateLimit-Reset", "")
    if reset.strip().isdigit():
        return max(0.0, float(reset) - time.time())
    return 60.0
