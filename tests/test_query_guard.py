"""The query guard: layer 1 (limits, characters, clauses) on exact queries, layer 2 (the plan) on the
real embedded database of an indexed fixture."""

import pytest

from codekg.errors import InputError, QueryForbiddenError, QueryTooLargeError, WriteQueryError
from codekg.query_guard import (
    GRAPH_WRITE_OPERATORS,
    READ_OPERATORS,
    QueryLimits,
    check_plan,
    check_query,
    returned_columns,
    run_checked,
)
from codekg.settings import Settings
from codekg.stores import open_index

LIMITS = QueryLimits()

READ_QUERIES = [
    "MATCH (f:Function) RETURN f.qualified_name",
    "MATCH (f) WHERE f.name = 'CREATE' RETURN f",
    'MATCH (f) WHERE f.docstring CONTAINS "delete everything; MERGE (x) LOAD FROM" RETURN f',
    "MATCH (f) RETURN f.set_x, f.created_at, f.merged",
    "MATCH (f) RETURN f.set, f.delete, f.load, f.copy",
    "MATCH (f) RETURN {create: 1, set: 2, copy: 3} AS m",
    "MATCH (f:Delete) RETURN f",
    "MATCH (f) WHERE f.name = $merge RETURN f",
    "MATCH (`create`) RETURN `create`",
    "MATCH (a)--(b) RETURN a // CREATE (x)",
    "MATCH (a) /* SET a.x = 1 */ RETURN a",
    r"MATCH (a) WHERE a.name = 'it\'s CREATE' RETURN a",
    "MATCH (a) WHERE a.name = 'café ✓' RETURN a",
    "MATCH (`naïve`) RETURN 1",
    "CALL show_tables() RETURN *",
    "CALL table_info('Function') RETURN *",
    "MATCH (a) RETURN a; MATCH (b) RETURN b",
    "MATCH (f:Function) RETURN CASE WHEN f.name = 'a' THEN 1 ELSE 2 END, f.end",
    "MATCH (f:Function) WHERE EXISTS { MATCH (f)-[:CALLS]->() } RETURN f.name",
    "MATCH (f:Function) CALL { WITH f RETURN f.name AS n } RETURN n",
]


@pytest.mark.parametrize("cypher", READ_QUERIES)
def test_read_queries_pass(cypher):
    checked = check_query(cypher, {"merge": "x"}, LIMITS, allow_writes=False)
    assert checked.writes is False and checked.cypher == cypher


@pytest.mark.parametrize("cypher, clause", [
    ("CREATE (n:Function {id: 'x'})", "CREATE"),
    ("CREATE p = (a:Function {id: 'x'})", "CREATE"),
    ("match (n) merge (m:Function {id: 'y'})", "MERGE"),
    ("MATCH (n) SET n.name = 'x'", "SET"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n) DELETE n", "DELETE"),
    ("MATCH (n) REMOVE n.name", "REMOVE"),
    ("MATCH (a) RETURN a; CREATE (b:Function {id: 'z'})", "CREATE"),
    ("MATCH (a) WHERE a.name = 'x' /* ok */ CREATE (b:Function {id: 'z'})", "CREATE"),
    ("MATCH (a)\n// comment\nSeT a.name = 'x'", "SET"),
    ("MATCH (a) // comment\rSET a.name = 'x'", "SET"),
    ("UNWIND [1] AS x FOREACH (y IN [x] | CREATE (:Function {id: 'q'}))", "FOREACH"),
])
def test_graph_writes_are_refused_unless_allowed(cypher, clause):
    with pytest.raises(WriteQueryError) as refused:
        check_query(cypher, {}, LIMITS, allow_writes=False)
    assert refused.value.clause == clause and refused.value.reason == "graph_write"
    assert check_query(cypher, {}, LIMITS, allow_writes=True).writes is True


@pytest.mark.parametrize("cypher, reason", [
    ("COPY Function TO '/tmp/out.csv'", "file_access"),
    ("COPY (MATCH (f) RETURN f.name) TO '/tmp/out.csv'", "file_access"),
    ("copy Function from '/etc/passwd'", "file_access"),
    ("LOAD FROM '/etc/passwd' (file_format='csv', delim=':') RETURN *", "file_access"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "file_access"),
    ("MATCH (a) RETURN a;LOAD FROM '/etc/passwd' RETURN *", "file_access"),
    ("EXPORT DATABASE '/tmp/dump'", "file_access"),
    ("IMPORT DATABASE '/tmp/dump'", "file_access"),
    ("INSTALL httpfs", "extension"),
    ("UNINSTALL httpfs", "extension"),
    ("LOAD EXTENSION httpfs", "extension"),
    ("load extension '/tmp/evil.so'", "extension"),
    ("DROP TABLE IndexMeta", "catalog"),
    ("ALTER TABLE Function ADD x INT64", "catalog"),
    ("CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))", "catalog"),
    ("CREATE MACRO m(x) AS x + 1", "catalog"),
    ("CREATE SEQUENCE s", "catalog"),
    ("COMMENT ON TABLE Function IS 'x'", "catalog"),
    ("ATTACH '/tmp/other.lbdb' AS o (dbtype lbug)", "catalog"),
    ("DETACH o", "catalog"),
    ("USE o", "catalog"),
    ("CHECKPOINT", "catalog"),
    ("BEGIN TRANSACTION", "transaction"),
    ("COMMIT", "transaction"),
    ("ROLLBACK", "transaction"),
    ("CALL threads = 1", "setting"),
    ("CALL create_fts_index('Function', 'idx', ['name'])", "procedure"),
    ("CALL clear_warnings()", "procedure"),
    ("CALL apoc.load.json('file:///etc/passwd')", "procedure"),
    ("CALL dbms.security.createUser('x', 'y')", "procedure"),
    ("TERMINATE TRANSACTIONS 'x'", "administration"),
    ("RETURN 'unterminated", "unterminated"),
    ("RETURN 1 /* LOAD FROM '/etc/passwd'", "unterminated"),
    ("MATCH (`a) RETURN 1", "unterminated"),
    ("ＬＯＡＤ FROM '/etc/passwd' RETURN *", "character"),
    ("RETURN 1\u00a0", "character"),
    ("RETURN 1 // \u2028 LOAD FROM '/etc/passwd' RETURN *", "character"),
    ("RETURN 1\x00", "character"),
])
def test_file_extension_catalog_clauses_are_refused_in_every_mode(cypher, reason):
    for allow_writes in (False, True):
        with pytest.raises(QueryForbiddenError) as refused:
            check_query(cypher, {}, LIMITS, allow_writes)
        assert refused.value.reason == reason, refused.value


def test_an_unterminated_string_says_where_as_the_parser_does():
    with pytest.raises(QueryForbiddenError) as refused:
        check_query("MATCH (n)\nWHERE n.name = 'abc\nRETURN n", {}, LIMITS, False)
    assert str(refused.value) == 'unterminated string (line: 2, offset: 15)\n"WHERE n.name = \'abc"\n                ^'


def test_the_caret_under_a_line_with_tabs_keeps_its_tabs():
    """A terminal widens a tab in the quoted line; the marker line has the same tab, so the caret
    stays under the quote that opens the string."""
    with pytest.raises(QueryForbiddenError) as refused:
        check_query("MATCH (n)\tWHERE n.x =\t'a RETURN n", {}, LIMITS, False)
    assert str(refused.value) == 'unterminated string (line: 1, offset: 22)\n"MATCH (n)\tWHERE n.x =\t\'a RETURN n"\n          \t           \t^'


@pytest.mark.parametrize("cypher, parameters, reason", [
    ("RETURN " + "(" * 17 + "1" + ")" * 17, {}, "too_deep"),
    ("RETURN " + "[" * 17 + "1" + "]" * 17, {}, "too_deep"),
    ("RETURN " + "{a:" * 17 + "1" + "}" * 17, {}, "too_deep"),
    ("RETURN " + "CASE WHEN true THEN " * 17 + "1" + " END" * 17, {}, "too_deep"),
    ("RETURN " + "(" * 3000 + "1" + ")" * 3000, {}, "too_deep"),
    ("RETURN " + "NOT " * 2000 + "true", {}, "too_many_tokens"),
    ("RETURN 1" + " + 1" * 1000, {}, "too_many_tokens"),
    ("RETURN '" + "a" * 20_000 + "'", {}, "too_long"),
    ("RETURN $p", {f"p{i}": i for i in range(1001)}, "too_many_parameters"),
    ("RETURN $p", {"p": "a" * (1024 * 1024)}, "parameters_too_large"),
    ("RETURN $p", {"p": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}, "parameters_too_deep"),
])
def test_limits_are_checked_before_the_database(cypher, parameters, reason):
    with pytest.raises(QueryTooLargeError) as refused:
        check_query(cypher, parameters, LIMITS, allow_writes=True)
    assert refused.value.reason == reason


def test_a_deeply_nested_parameter_is_measured_without_recursion():
    value: list = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(QueryTooLargeError, match="100,001 deep"):
        check_query("RETURN $p", {"p": value}, LIMITS, allow_writes=False)


def test_the_limits_just_inside_pass():
    assert check_query("RETURN " + "(" * 16 + "1" + ")" * 16, {}, LIMITS, False)
    assert check_query("RETURN $p", {"p": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}, LIMITS, False)


def test_an_alias_spelled_like_a_refused_keyword_gets_a_hint_and_passes_quoted():
    with pytest.raises(QueryForbiddenError, match=r"LOAD refused: no query may read or write files \(to name "
                                                  r"something `load`, quote it in backticks\)"):
        check_query("MATCH (n) RETURN n.name AS load", {}, LIMITS, allow_writes=False)
    assert check_query("MATCH (n) RETURN n.name AS `load`", {}, LIMITS, allow_writes=False)


def test_an_empty_query_is_an_input_error():
    with pytest.raises(InputError, match="empty query"):
        check_query("  \n", {}, LIMITS, allow_writes=False)


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = tmp_path_factory.mktemp("guard") / "pyrepo"
    shutil.copytree(Path(__file__).parent / "fixtures" / "pyrepo", repo)
    subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "-q"], check=True)
    store = open_index(repo / ".codekg", Settings(), read_only=False)  # EXPLAIN of a write needs a writable database
    yield store
    store.close()


PLANNED_READS = [
    "MATCH (f:Function) RETURN f.name LIMIT 3",
    "MATCH (f:Function)-[:CALLS]->(g) RETURN f.name, count(*) ORDER BY f.name SKIP 1 LIMIT 3",
    "MATCH (f:Function) WHERE f.name STARTS WITH 'a' RETURN DISTINCT f.file_path ORDER BY f.file_path",
    "OPTIONAL MATCH (f:Function)-[:CALLS*1..3]->(g:Function) RETURN f, g",
    "MATCH p = (a:Function)-[:CALLS* SHORTEST 1..5]->(b:Function) RETURN length(p)",
    "MATCH p = (a:Function)-[:CALLS* ALL SHORTEST 1..5]->(b:Function) RETURN nodes(p)",
    "MATCH (a)-[e]->(b) RETURN label(a), label(e), count(*)",
    "UNWIND [1, 2, 3] AS x RETURN x * 2",
    "MATCH (f:Function) RETURN f.name UNION MATCH (m:Method) RETURN m.name",
    "MATCH (f:Function) RETURN f.name UNION ALL MATCH (m:Method) RETURN m.name",
    "MATCH (f:Function) WITH f, size(f.name) AS n WHERE n > 3 RETURN f.name, n ORDER BY n DESC",
    "MATCH (f:Function) WHERE EXISTS { MATCH (f)-[:CALLS]->() } RETURN f.name",
    "MATCH (f:Function) RETURN f.name, COUNT { MATCH (f)<-[:CALLS]-() } AS callers",
    "MATCH (f:Function) RETURN collect(f.name), min(f.start_line), max(f.start_line)",
    "CALL show_tables() RETURN *",
    "CALL table_info('Function') RETURN *",
    "MATCH (a:Function), (b:Method) RETURN count(*)",
    "MATCH (a:Function) WHERE a.id = 'x' RETURN a",
    "MATCH (a:Function)-[:CALLS]->(b)-[:CALLS]->(c) WHERE a <> c RETURN a.name",
    "MATCH (a:Function)-[:CALLS*1..2 (r, n | WHERE r.confidence > 0.1)]->(b) RETURN count(*)",
    "MATCH (f:Function) RETURN f.name SKIP 2",
    "MATCH (c:Class)-[:HAS_METHOD]->(m) RETURN c.name, m.name",
    "RETURN $x",
]


@pytest.mark.parametrize("cypher", PLANNED_READS)
def test_every_read_form_plans_with_read_operators_only(fixture_store, cypher):
    checked = check_query(cypher, {"x": 1}, LIMITS, allow_writes=False)
    check_plan(fixture_store.explain(cypher, {"x": 1}), allow_writes=False)
    run_checked(fixture_store, checked, LIMITS, allow_writes=False)


@pytest.mark.parametrize("cypher, operator", [
    ("COPY (MATCH (f:Function) RETURN f.name) TO '/nonexistent/x.csv'", "COPY_TO"),
    ("INSTALL httpfs", "INSTALL_EXTENSION"),
    ("DROP TABLE CALLS", "DROP"),
    ("CREATE NODE TABLE T(id STRING, PRIMARY KEY(id))", "CREATE_TABLE"),
    ("CALL threads = 1", "STANDALONE_CALL"),
    ("CHECKPOINT", "TRANSACTION"),
    ("USE other", "USE_DATABASE"),
])
def test_the_plan_check_refuses_what_the_database_would_do(fixture_store, cypher, operator):
    """Layer 2 alone (as if layer 1 had misread the query): the plan names the operation, and it is refused."""
    plan = fixture_store.explain(cypher)
    assert f"{operator}[" in plan
    with pytest.raises(QueryForbiddenError, match=operator):
        check_plan(plan, allow_writes=True)


def test_the_plan_check_refuses_a_procedure_outside_the_list(fixture_store):
    with pytest.raises(QueryForbiddenError, match="clear_warnings"):
        check_plan(fixture_store.explain("CALL clear_warnings()"), allow_writes=True)


@pytest.mark.parametrize("cypher, operator", [
    ("CREATE (f:Function {id: 'zz1', name: 'zz'})", "INSERT"),
    ("MATCH (f:Function {id: 'zz1'}) SET f.name = 'yy'", "SET_PROPERTY"),
    ("MERGE (f:Function {id: 'zz2'})", "MERGE"),
    ("MATCH (f:Function {id: 'zz1'}) DETACH DELETE f", "DELETE"),
])
def test_graph_write_plans_need_writes_allowed(fixture_store, cypher, operator):
    plan = fixture_store.explain(cypher)
    assert f"{operator}[" in plan
    with pytest.raises(WriteQueryError):
        check_plan(plan, allow_writes=False)
    check_plan(plan, allow_writes=True)


def test_operator_lists_do_not_overlap():
    assert not READ_OPERATORS & GRAPH_WRITE_OPERATORS


def test_rows_beyond_the_limit_are_never_read(fixture_store):
    limits = QueryLimits(max_rows=5)
    checked = check_query("UNWIND range(1, 1000000) AS x RETURN x", {}, limits, allow_writes=False)
    result = run_checked(fixture_store, checked, limits, allow_writes=False)
    assert result.rows == [[1], [2], [3], [4], [5]] and result.truncated is True


@pytest.mark.parametrize(("cypher", "columns"), [
    ("MATCH (n:Function) RETURN label(n), count(*) ORDER BY count(*) DESC LIMIT 3", ["label(n)", "count(*)"]),
    ("MATCH (n) RETURN DISTINCT n.name,  labels( n )", ["n.name", "labels( n )"]),
    ("MATCH (n) WITH n, count(*) AS c RETURN n.name, c AS `my col`, {a: 1, b: [1, 2]} SKIP 1",
     ["n.name", "my col", "{a: 1, b: [1, 2]}"]),
    ("MATCH (n) WHERE n.name = 'RETURN x, y' RETURN n.name // a comment, here", ["n.name"]),
    ("MATCH (n) RETURN n.limit, n.order", ["n.limit", "n.order"]),
    ("MATCH (n) RETURN *", None),
    ("MATCH (a) RETURN a.x UNION MATCH (b) RETURN b.x", None),
    ("MATCH (n) SET n.x = 1", None),
])
def test_columns_are_named_as_the_return_writes_them(cypher, columns):
    assert returned_columns(cypher) == columns


def test_a_result_names_its_columns_as_written_not_as_the_database_rewrites_them(fixture_store):
    limits = QueryLimits()
    checked = check_query("MATCH (n:Function) RETURN label(n), count(*), n.name AS name ORDER BY name LIMIT 1", {},
                          limits, allow_writes=False)
    assert fixture_store.query(checked.cypher).columns[:2] != ["label(n)", "count(*)"]  # COUNT_STAR() and the like
    assert run_checked(fixture_store, checked, limits, allow_writes=False).columns == ["label(n)", "count(*)", "name"]


def test_reserved_labels_are_quoted_for_the_user():
    from codekg.query_guard import quote_reserved_labels

    assert quote_reserved_labels("MATCH (t:Table)-[:CONTAINS]->(c: Column) WHERE t.name = ':Table' RETURN c // :Column") == (
        "MATCH (t:`Table`)-[:CONTAINS]->(c: `Column`) WHERE t.name = ':Table' RETURN c // :Column")
    assert quote_reserved_labels("MATCH (t:`Table`) RETURN t.Table") == "MATCH (t:`Table`) RETURN t.Table"
    assert quote_reserved_labels("MATCH (f:Function) RETURN f") == "MATCH (f:Function) RETURN f"


def test_code_element_is_the_union_of_the_symbol_labels_for_the_embedded_store():
    from codekg.query_guard import expand_code_element

    union = "Class:Interface:Function:Method:Variable:Type:Enum"
    assert expand_code_element("MATCH (n:CodeElement)-[:BELONGS_TO]->(f) WHERE n.name <> ':CodeElement' RETURN n "
                               "// :CodeElement") == (
        f"MATCH (n:{union})-[:BELONGS_TO]->(f) WHERE n.name <> ':CodeElement' RETURN n // :CodeElement")
    assert expand_code_element("MATCH (n: CodeElement) RETURN n.CodeElement") == f"MATCH (n: {union}) RETURN n.CodeElement"
    assert expand_code_element("MATCH (f:Function) RETURN f") == "MATCH (f:Function) RETURN f"


# --- CozoScript (a cozo:// store's own language) ----------------------------------------------------

@pytest.mark.parametrize("script", [
    "?[name] := *Function{name} :limit 5",
    "?[a, count(b)] := *CALLS{from: a, to: b} :order -count(b)",
    '?[x] := x = ":put is only text here"  # and :rm in a comment',
    "::relations",
    "::columns Function",
])
def test_cozoscript_reads_pass(script):
    checked = check_query(script, {}, QueryLimits(), allow_writes=False, language="cozoscript")
    assert (checked.cypher, checked.writes) == (script, False)


@pytest.mark.parametrize(("script", "clause"), [
    ("?[id] <- [['Project:x']] :put Project {id}", ":put"),
    ("?[id] := *Project{id} :rm Project {id}", ":rm"),
    (":create Mine {a: Int}", ":create"),
    ("?[a] <- [[1]] :replace Mine {a}", ":replace"),
])
def test_cozoscript_writes_are_refused_unless_allowed(script, clause):
    with pytest.raises(WriteQueryError, match=f"write clause {clause} refused"):
        check_query(script, {}, QueryLimits(), allow_writes=False, language="cozoscript")
    assert check_query(script, {}, QueryLimits(), allow_writes=True, language="cozoscript").writes


@pytest.mark.parametrize(("script", "what"), [
    ('?[a] <~ CsvReader(url: "file:///etc/passwd", types: ["String"])', "CsvReader"),
    ('?[a] <~ JsonReader(url: "http://127.0.0.1:1/x", fields: ["a"])', "JsonReader"),
    ("::remove Function", "::remove"),
    ("::compact", "::compact"),
    ("::index drop CALLS:by_to", "::index"),
    ("?[a, b] := *Function{name: a}, *Function{name: b}\n:timeout 50", ":timeout"),
    ("?[x] := x = 1 :sleep 100", ":sleep"),
])
def test_cozoscript_that_reaches_outside_the_graph_is_refused_in_every_mode(script, what):
    for allow_writes in (False, True):
        with pytest.raises(QueryForbiddenError, match=f"{what} refused"):
            check_query(script, {}, QueryLimits(), allow_writes=allow_writes, language="cozoscript")


def test_cozoscript_limits_are_checked_before_the_engine():
    with pytest.raises(QueryTooLargeError):
        check_query("?[x] := x = " + "[" * 40 + "1" + "]" * 40, {}, QueryLimits(), allow_writes=False, language="cozoscript")
    with pytest.raises(QueryTooLargeError):
        check_query("?[x] := x = 1", {f"p{i}": i for i in range(2000)}, QueryLimits(), allow_writes=False, language="cozoscript")


@pytest.mark.parametrize(("value", "message"), [
    ([1, "a"], "the elements of $x are of different types (number and string): the embedded store takes lists of one type"),
    ([[1], [1, 2, [3]]], "the elements of $x[1] are of different types (number and list): the embedded store takes "
                         "lists of one type"),
    ([{"a": 1}, {"b": 2}], "the elements of $x are of different types (map with keys a and map with keys b): the "
                           "embedded store takes lists of one type"),
    ({"a": [1, "x"]}, "the elements of $x.a are of different types (number and string): the embedded store takes lists "
                      "of one type"),
    ([True, 1], "the elements of $x are of different types (boolean and number): the embedded store takes lists of one type"),
    ([], "$x is an empty list: the embedded store cannot tell the type of its elements (give it one element, or leave "
         "the condition out)"),
    (10**30, "$x is the integer 1000000000000000000000000000000, outside the 64 bits the database takes"),
    (float("inf"), "$x is not a finite number (inf)"),
])
def test_a_parameter_the_embedded_store_cannot_take_is_a_query_error(fixture_store, value, message):
    """Ladybug raised a bare ValueError for `[1, "a"]` (a 500 and a traceback through the API), turned
    `[[1], [1, 2, [3]]]` into a string and `[{a}, {b}]` into maps of the first one's keys, silently."""
    from codekg.errors import QueryError

    checked = check_query("RETURN $x", {"x": value}, LIMITS, allow_writes=False)
    with pytest.raises(QueryError) as raised:
        run_checked(fixture_store, checked, LIMITS, allow_writes=False)
    assert str(raised.value) == message


@pytest.mark.parametrize(("value", "returned"), [
    ([1, 2.5, None], [1.0, 2.5, None]), ([[1], []], [[1], []]), ([{"a": 1}, {"a": None}], [{"a": 1}, {"a": None}]),
    ({"k": "v", "n": [1]}, {"k": "v", "n": [1]}), (-(2**63), -(2**63)),
])
def test_parameters_of_one_type_per_list_are_returned_as_given(fixture_store, value, returned):
    checked = check_query("RETURN $x", {"x": value}, LIMITS, allow_writes=False)
    assert run_checked(fixture_store, checked, LIMITS, allow_writes=False).rows == [[returned]]


@pytest.mark.parametrize(("cypher", "parameters", "message"), [
    ("RETURN $x", {}, "the query uses $x but no value was given for it"),
    ("MATCH (f) WHERE f.name = $name AND f.x = $1 RETURN $name", {"name": "a"}, "the query uses $1 but no value was given for it"),
    ("RETURN $a, $b", {}, "the query uses $a, $b but no value was given for them"),
])
def test_a_parameter_the_query_reads_must_be_given(cypher, parameters, message):
    """The embedded database reads a parameter never given as null, without a word (`codekg query 'RETURN $x'`
    printed an empty cell and exit 0)."""
    with pytest.raises(InputError) as raised:
        check_query(cypher, parameters, LIMITS, allow_writes=False)
    assert str(raised.value).startswith(message + " (`codekg query --param NAME=VALUE`")


def test_a_dollar_inside_a_string_or_comment_is_no_parameter():
    assert check_query("RETURN '$x' AS s // $y\n", {}, LIMITS, allow_writes=False).parameters == {}
