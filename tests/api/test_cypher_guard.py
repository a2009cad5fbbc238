"""Write-clause detection: keywords count only as whole words outside literals, identifiers and comments."""

import pytest

from codekg.api.cypher_guard import find_write_clause


@pytest.mark.parametrize("cypher", [
    "MATCH (f:Function) RETURN f.qualified_name",
    "MATCH (f) WHERE f.name = 'CREATE' RETURN f",
    'MATCH (f) WHERE f.docstring CONTAINS "delete everything; MERGE (x)" RETURN f',
    "MATCH (f) RETURN f.set_x, f.created_at, f.merged",
    "MATCH (f) RETURN f.set, f.delete",
    "MATCH (f) RETURN {create: 1, set: 2} AS m",
    "MATCH (f:Delete) RETURN f",
    "MATCH (f) WHERE f.name = $merge RETURN f",
    "MATCH (`create`) RETURN `create`",
    "MATCH (a)--(b) RETURN a // CREATE (x)",
    "MATCH (a) /* SET a.x = 1 */ RETURN a",
    r"MATCH (a) WHERE a.name = 'it\'s CREATE' RETURN a",
    "CALL show_tables() RETURN *",
    "CALL table_info('Function') RETURN *",
    "MATCH (a) RETURN a; MATCH (b) RETURN b",
])
def test_read_queries_pass(cypher):
    assert find_write_clause(cypher) is None


@pytest.mark.parametrize("cypher, clause", [
    ("CREATE (n:Function {id: 'x'})", "CREATE"),
    ("match (n) merge (m:Function {id: 'y'})", "MERGE"),
    ("MATCH (n) SET n.name = 'x'", "SET"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n) DELETE n", "DELETE"),
    ("MATCH (n) REMOVE n.name", "REMOVE"),
    ("DROP TABLE Function", "DROP"),
    ("ALTER TABLE Function ADD x INT64", "ALTER"),
    ("COPY Function TO '/tmp/out.csv'", "COPY"),
    ("LOAD FROM '/etc/passwd' RETURN *", "LOAD"),
    ("INSTALL httpfs", "INSTALL"),
    ("ATTACH 'other.db' AS other", "ATTACH"),
    ("EXPORT DATABASE '/tmp/dump'", "EXPORT"),
    ("IMPORT DATABASE '/tmp/dump'", "IMPORT"),
    ("CALL create_fts_index('Function', 'idx', ['name'])", "CALL create_fts_index"),
    ("CALL threads = 1", "CALL threads ="),
    ("MATCH (a) RETURN a; CREATE (b:Function {id: 'z'})", "CREATE"),
    ("MATCH (a) WHERE a.name = 'x' /* ok */ CREATE (b:Function {id: 'z'})", "CREATE"),
    ("MATCH (a)\n// comment\nSeT a.name = 'x'", "SET"),
])
def test_write_clauses_are_named(cypher, clause):
    assert find_write_clause(cypher) == clause
