"""The service layer under the HTTP API and the MCP server: defence in depth behind the Cypher guard."""

import pytest

from codekg.errors import PathOutsideRootError, QueryError, WriteQueryError
from codekg.service import GraphService, served_repositories
from codekg.stores import open_index
from codekg.api.security import confine_path, is_loopback, token_matches


def test_write_refused_by_the_guard_and_by_the_read_only_database(index_fixture):
    indexed = index_fixture("pyrepo")
    service = GraphService(served_repositories([(indexed.repo, indexed.db, indexed.settings)]))
    with pytest.raises(WriteQueryError, match="write clause MERGE"):
        service.query("MERGE (n:Function {id: 'x'})")
    store = open_index(indexed.db, indexed.settings)  # what the service opens: read-only
    try:
        with pytest.raises(QueryError, match="read only|read-only"):
            store.query("CREATE (n:Function {id: 'x'})")
    finally:
        store.close()
    assert indexed.rows("MATCH (n:Function {id: 'x'}) RETURN n.id") == []


def test_repeated_folder_names_get_numbers(tmp_path):
    (tmp_path / "a" / "app").mkdir(parents=True)
    (tmp_path / "b" / "app").mkdir(parents=True)
    served = served_repositories([(tmp_path / "a" / "app", tmp_path / "db1", None), (tmp_path / "b" / "app", tmp_path / "db2", None)])
    assert [repo.name for repo in served] == ["app", "app-2"]


def test_confine_path(tmp_path):
    (tmp_path / "root" / "src").mkdir(parents=True)
    (tmp_path / "outside.py").write_text("x = 1\n")
    (tmp_path / "root" / "src" / "link.py").symlink_to(tmp_path / "outside.py")
    root = tmp_path / "root"
    assert confine_path(root, "src/ok.py") == (root / "src" / "ok.py").resolve()
    for escaping in ("../outside.py", "src/../../outside.py", "src/link.py", str(tmp_path / "outside.py")):
        with pytest.raises(PathOutsideRootError):
            confine_path(root, escaping)


def test_token_and_loopback_checks():
    assert token_matches("Bearer s3cret", "s3cret") and token_matches("bearer s3cret", "s3cret")
    assert not token_matches("Bearer s3cre", "s3cret") and not token_matches("s3cret", "s3cret")
    assert not token_matches(None, "s3cret") and not token_matches("Basic s3cret", "s3cret")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.com")
