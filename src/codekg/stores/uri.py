"""Store URIs: which database a `--store` or `--also-write` value names.

`ladybug:PATH` (the embedded store; PATH is an index directory), `falkordb://host:port/graph`, and
`bolt://` / `neo4j://host:port[/database]` for Neo4j and Memgraph (plus their `+s`/`+ssc` TLS forms).
Credentials are taken from the settings (`CODEKG_STORE_USER`, `CODEKG_STORE_PASSWORD`); a URI that
carries a password is accepted, but the password is never shown: `StoreLocation.display` drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from codekg.errors import StoreUriError

FALKORDB_DEFAULT_PORT = 6379
BOLT_DEFAULT_PORT = 7687
DEFAULT_GRAPH_NAME = "codekg"
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store URI. ``kind`` is `ladybug`, `falkordb` or `bolt`."""

    kind: str
    path: Path | None = None  # ladybug: the index directory
    scheme: str = ""
    host: str = ""
    port: int = 0
    graph: str = ""  # FalkorDB graph key, or Neo4j database ("" = the server's default)
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The URI without credentials: safe for logs, summaries and the dead-letter file."""
        if self.kind == "ladybug":
            return f"ladybug:{self.path}"
        suffix = f"/{self.graph}" if self.graph else ""
        return f"{self.scheme}://{self.host}:{self.port}{suffix}"

    @property
    def is_server(self) -> bool:
        return self.kind != "ladybug"


def parse_store_uri(text: str) -> StoreLocation:
    """Parse ``text``; a clear StoreUriError for anything else (the message never repeats a password)."""
    text = text.strip()
    if not text:
        raise StoreUriError("empty store URI")
    if text.startswith("ladybug:"):
        path = text.removeprefix("ladybug:").removeprefix("//")
        if not path:
            raise StoreUriError("`ladybug:` needs an index directory: `ladybug:PATH`")
        return StoreLocation("ladybug", path=Path(path).expanduser())
    if "://" not in text:
        raise StoreUriError(f"not a store URI: {_safe(text)!r}; use ladybug:PATH, falkordb://host:port/graph or bolt://host:port")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise StoreUriError(f"not a store URI: {_safe(text)!r} ({error})") from None
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise StoreUriError(f"the store URI {_safe(text)!r} names no host")
    path = unquote(parts.path.strip("/"))
    if "/" in path:
        raise StoreUriError(f"the store URI {_safe(text)!r} has more than one path segment; give one graph or database name")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if scheme == "falkordb" or scheme == "redis":
        return StoreLocation("falkordb", scheme="falkordb", host=parts.hostname, port=port or FALKORDB_DEFAULT_PORT,
                             graph=path or DEFAULT_GRAPH_NAME, user=user, password=password)
    if scheme in BOLT_SCHEMES:
        return StoreLocation("bolt", scheme=scheme, host=parts.hostname, port=port or BOLT_DEFAULT_PORT,
                             graph=path, user=user, password=password)
    raise StoreUriError(f"unknown store scheme {scheme!r} in {_safe(text)!r}; use ladybug:, falkordb://, bolt:// or neo4j://")


def _safe(text: str) -> str:
    """``text`` with any `user:password@` part masked."""
    scheme, sep, rest = text.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        credentials, _, host = rest.partition("@")
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return text
