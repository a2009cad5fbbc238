"""Store URIs: which database a `--store` or `--also-write` value names.

`ladybug:PATH` (the embedded store; PATH is an index directory), `falkordb://host:port/graph`, and
`bolt://` / `neo4j://host:port[/database]` for Neo4j and Memgraph (plus their `+s`/`+ssc` TLS forms),
and CozoDB: `cozo://PATH` (a directory; SQLite storage, or RocksDB with `cozo://PATH?engine=rocksdb`)
or `cozo://mem` (in this process's memory; `cozo://mem/NAME` for more than one).
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
COZO_ENGINES = ("sqlite", "rocksdb")  # the storages the cozo-embedded wheel is built with
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store URI. ``kind`` is `ladybug`, `falkordb`, `bolt` or `cozo` (``graph`` is then its
    engine for a directory, its name in memory)."""

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
        if self.kind == "cozo":
            if self.in_memory:
                return "cozo://mem" + ("" if self.graph == "mem" else f"/{self.graph}")
            return f"cozo://{self.path}" + ("" if self.graph == "sqlite" else f"?engine={self.graph}")
        suffix = f"/{self.graph}" if self.graph else ""
        return f"{self.scheme}://{self.host}:{self.port}{suffix}"

    @property
    def is_server(self) -> bool:
        """Whether the graph lives outside the index directory (a server, or a CozoDB location):
        the index directory then holds the run's state and a marker per build."""
        return self.kind != "ladybug"

    @property
    def in_memory(self) -> bool:
        return self.kind == "cozo" and self.path is None


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
    if text.startswith("cozo://"):
        return _cozo_location(text)
    if "://" not in text:
        raise StoreUriError(f"not a store URI: {_safe(text)!r}; use ladybug:PATH, falkordb://host:port/graph, bolt://host:port "
                            "or cozo://PATH")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise StoreUriError(f"not a store URI: {_safe(text)!r} ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("falkordb", "redis", *BOLT_SCHEMES):
        raise StoreUriError(f"unknown store scheme {scheme!r} in {_safe(text)!r}; use ladybug:, falkordb://, bolt://, neo4j:// or cozo://")
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
    raise StoreUriError(f"unknown store scheme {scheme!r} in {_safe(text)!r}; use ladybug:, falkordb://, bolt://, neo4j:// or cozo://")


def _cozo_location(text: str) -> StoreLocation:
    """`cozo://mem[/NAME]` or `cozo://PATH[?engine=sqlite|rocksdb]`."""
    rest, _, query = text.removeprefix("cozo://").partition("?")
    engine = "sqlite"
    if query:
        key, _, value = query.partition("=")
        if key != "engine" or value not in COZO_ENGINES:
            raise StoreUriError(f"{text!r}: the only option of a cozo:// URI is engine={' or engine='.join(COZO_ENGINES)}")
        engine = value
    if rest == "mem" or rest.startswith("mem/"):
        return StoreLocation("cozo", scheme="cozo", graph=rest.removeprefix("mem/") if "/" in rest else "mem")
    if not rest:
        raise StoreUriError("`cozo://` needs a directory (`cozo://PATH`) or `cozo://mem`")
    return StoreLocation("cozo", path=Path(rest).expanduser(), scheme="cozo", graph=engine)


def _safe(text: str) -> str:
    """``text`` with any `user:password@` part masked."""
    scheme, sep, rest = text.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        credentials, _, host = rest.partition("@")
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return text
