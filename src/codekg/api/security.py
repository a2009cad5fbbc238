"""The HTTP API's and the MCP server's security checks: the bearer token and path confinement.

`token_matches` compares in constant time; the token itself is never logged or echoed.
`confine_path` resolves a repository-relative path (following symlinks) and refuses one that
leads outside the indexed root, so no request can make codekg read a file elsewhere.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from codekg.errors import PathOutsideRootError

BEARER_PREFIX = "bearer "


def token_matches(authorization: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>``."""
    if not authorization or not authorization[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
        return False
    offered = authorization[len(BEARER_PREFIX) :].strip()
    return secrets.compare_digest(offered.encode("utf-8"), token.encode("utf-8"))


def confine_path(root: Path, path: str | Path) -> Path:
    """``root / path`` resolved, if it stays inside ``root`` (symlinks followed); PathOutsideRootError otherwise."""
    base = root.resolve()
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if not resolved.is_relative_to(base):
        raise PathOutsideRootError(f"{path} leads outside the indexed repository")
    return resolved


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
