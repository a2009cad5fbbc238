"""Store URIs: every form the README lists, and clear errors that never repeat a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from codekg.errors import StoreUriError
from codekg.stores.uri import parse_store_uri


@pytest.mark.parametrize(("text", "kind", "host", "port", "graph", "display"), [
    ("falkordb://db.example:6380/code", "falkordb", "db.example", 6380, "code", "falkordb://db.example:6380/code"),
    ("falkordb://localhost", "falkordb", "localhost", 6379, "codekg", "falkordb://localhost:6379/codekg"),
    ("bolt://neo:7688", "bolt", "neo", 7688, "", "bolt://neo:7688"),
    ("neo4j+s://u:secret@neo/graphs", "bolt", "neo", 7687, "graphs", "neo4j+s://neo:7687/graphs"),
])
def test_server_uris(text: str, kind: str, host: str, port: int, graph: str, display: str) -> None:
    location = parse_store_uri(text)
    assert (location.kind, location.host, location.port, location.graph, location.display) == (kind, host, port, graph, display)
    assert location.is_server and "secret" not in repr(location)


def test_credentials_in_the_uri_are_kept_but_never_displayed() -> None:
    location = parse_store_uri("bolt://alice:s%40cret@neo:7687")
    assert (location.user, location.password) == ("alice", "s@cret")
    assert "cret" not in location.display


def test_ladybug_uri_is_an_index_directory() -> None:
    location = parse_store_uri("ladybug:/tmp/some/index")
    assert (location.kind, location.path, location.is_server) == ("ladybug", Path("/tmp/some/index"), False)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty store URI"),
    ("ladybug:", "needs an index directory"),
    ("mysql://h/db", "unknown store scheme 'mysql'"),
    ("/just/a/path", "not a store URI"),
    ("falkordb:///graph", "names no host"),
    ("falkordb://h:notaport/g", "not a store URI"),
    ("falkordb://h/a/b", "more than one path segment"),
    ("mysql://bob:hunter2@h/db", "bob:***@h"),
])
def test_bad_uris_fail_clearly(text: str, message: str) -> None:
    with pytest.raises(StoreUriError) as caught:
        parse_store_uri(text)
    assert message in str(caught.value) and "hunter2" not in str(caught.value)
