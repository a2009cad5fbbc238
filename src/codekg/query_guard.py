"""The one gate every Cypher query from a user passes: the CLI's `query`, the HTTP API, the MCP server.

Takes: a query, its parameters, the limits (from settings) and whether graph writes are allowed.
Returns: a `CheckedQuery`, or raises `QueryTooLargeError` (413/400), `QueryForbiddenError` (403) or
`WriteQueryError` (403), each with a stable ``reason``.

Two layers, because keyword matching alone can be fooled and the database alone can be harmed:
1. Before the database sees the query (`check_query`): size limits (characters, tokens, nesting,
   parameters), ASCII outside string literals (no look-alike letters, no characters the two lexers
   might split differently), and clauses by category. File access (LOAD, COPY, IMPORT, EXPORT),
   extensions (INSTALL, LOAD EXTENSION), the catalog (CREATE TABLE, DROP, ALTER, COMMENT, ATTACH, USE),
   transactions, settings (`CALL x = …`) and procedures outside `READ_ONLY_PROCEDURES` are refused in
   every mode; graph writes (CREATE, MERGE, SET, DELETE, REMOVE) only where writes are allowed.
   This layer must come first: the embedded database reads a file while it merely plans `LOAD FROM`.
2. The database's own parse (`check_plan`): the embedded store plans the query with EXPLAIN and every
   operator of the plan must be a read operator (or a graph-write one where writes are allowed), every
   table function an allowed one. Whatever layer 1 misread, the plan names.
The limits keep a query inside what the embedded database parses without crashing: its parser is
recursive and, for nested CASE, exponential (figures in docs/security.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from codekg.errors import InputError, QueryForbiddenError, QueryTooLargeError, WriteQueryError

if TYPE_CHECKING:
    from codekg.settings import Settings
    from codekg.stores import GraphStore

# Clauses refused in every mode, by what they would reach.
FORBIDDEN_KEYWORDS: dict[str, str] = {
    **dict.fromkeys(("COPY", "LOAD", "IMPORT", "EXPORT"), "file_access"),
    **dict.fromkeys(("INSTALL", "UNINSTALL"), "extension"),
    **dict.fromkeys(("DROP", "ALTER", "COMMENT", "ATTACH", "USE", "CHECKPOINT"), "catalog"),
    **dict.fromkeys(("BEGIN", "COMMIT", "ROLLBACK"), "transaction"),
    # Server stores' administration (Neo4j, FalkorDB): never from a query endpoint.
    **dict.fromkeys(("GRANT", "DENY", "REVOKE", "TERMINATE"), "administration"),
}
# Graph writes: allowed only where the interface allows writes (`--allow-writes`).
GRAPH_WRITE_KEYWORDS = frozenset({"CREATE", "MERGE", "SET", "DELETE", "REMOVE", "DETACH", "FOREACH"})

# Procedures (table functions) that only read; any other CALL target is refused.
READ_ONLY_PROCEDURES = frozenset({
    "show_tables", "table_info", "show_connection", "db_version", "current_setting", "show_functions",
    "show_warnings", "show_indexes", "show_projected_graphs", "show_attached_databases",
    "show_loaded_extensions", "show_official_extensions", "show_sequences", "show_macros", "storage_info",
    "query_fts_index", "query_vector_index",
    # the server stores' schema listings
    "db.labels", "db.relationshiptypes", "db.propertykeys",
})

# The embedded database's physical operators a read plan is made of (from EXPLAIN of every read
# form: tests/test_query_guard.py keeps the list honest), and those of graph writes.
READ_OPERATORS = frozenset({
    "AGGREGATE", "AGGREGATE_FINALIZE", "AGGREGATE_SCAN", "COUNT_REL_TABLE", "CROSS_PRODUCT", "DUMMY_SINK",
    "DUMMY_SIMPLE_SINK", "EMPTY_RESULT", "EXPRESSIONS_SCAN", "FILTER", "FLATTEN", "HASH_JOIN_BUILD",
    "HASH_JOIN_PROBE", "INDEX_LOOKUP", "INTERSECT", "INTERSECT_BUILD", "LIMIT", "MULTIPLICITY_REDUCER",
    "NODE_LABEL_FILTER", "ORDER_BY", "ORDER_BY_MERGE", "ORDER_BY_SCAN", "PATH_PROPERTY_PROBE",
    "PRIMARY_KEY_SCAN_NODE_TABLE", "PROJECTION", "QUERY_PRIMARY_KEY_LOOKUP", "RECURSIVE_EXTEND", "RESULT_COLLECTOR", "SCAN_NODE_TABLE",
    "SCAN_REL_TABLE", "SEMI_MASKER", "SKIP", "TABLE_FUNCTION_CALL", "TOP_K", "TOP_K_SCAN", "UNION_ALL_SCAN",
    "UNWIND",
})
GRAPH_WRITE_OPERATORS = frozenset({"INSERT", "SET_PROPERTY", "MERGE", "DELETE"})
# READ_FTABLE: the database's scan of an intermediate result (UNWIND, RETURN 1, variable-length paths).
PLAN_TABLE_FUNCTIONS = frozenset({"READ_FTABLE", *(name.upper() for name in READ_ONLY_PROCEDURES)})

_OPENERS, _CLOSERS = frozenset("([{"), frozenset(")]}")
_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\n\r]+)
    | (?P<line_comment>//[^\n\r]*)
    | (?P<block_comment>/\*.*?\*/)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<backtick>`(?:[^`]|``)*`)
    | (?P<unterminated>['"`]|/\*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<symbol>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_PLAN_OPERATOR = re.compile(r"\b([A-Z][A-Z0-9_]+)\[\d+\]")
_PLAN_FUNCTION = re.compile(r"Function: ([A-Za-z0-9_.]+)")


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_chars: int = 20_000
    max_tokens: int = 2_000
    max_depth: int = 16
    max_parameters: int = 1_000
    max_parameter_bytes: int = 1024 * 1024
    max_rows: int = 10_000

    @classmethod
    def from_settings(cls, settings: "Settings") -> "QueryLimits":
        return cls(settings.query_max_chars, settings.query_max_tokens, settings.query_max_depth,
                   settings.query_max_parameters, settings.query_max_parameter_bytes, settings.query_max_rows)


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    cypher: str
    parameters: dict[str, Any]
    writes: bool  # has a graph write (allowed, or it would have been refused)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def check_query(cypher: str, parameters: dict[str, Any] | None, limits: QueryLimits, allow_writes: bool,
                language: str = "cypher") -> CheckedQuery:
    """``cypher`` with ``parameters`` if they pass every rule of layer 1; the refusal otherwise. A
    ``language`` of `cozoscript` (a CozoDB store) is checked by `check_cozoscript` instead."""
    parameters = dict(parameters or {})
    if not cypher.strip():
        raise InputError("empty query")
    if len(cypher) > limits.max_chars:
        raise QueryTooLargeError("too_long", f"the query has {len(cypher):,} characters; at most "
                                 f"{limits.max_chars:,} are accepted (the query_max_chars setting; the HTTP API and MCP "
                                 "also take long lists as query parameters)")
    if language == "cozoscript":
        return check_cozoscript(cypher, parameters, limits, allow_writes)
    tokens = list(_significant_tokens(cypher))
    depth = _nesting_depth(tokens)
    if depth > limits.max_depth:
        raise QueryTooLargeError("too_deep", f"the query nests brackets or CASE {depth:,} deep; at most "
                                 f"{limits.max_depth} levels are accepted")
    if len(tokens) > limits.max_tokens:
        raise QueryTooLargeError("too_many_tokens", f"the query has {len(tokens):,} tokens; at most "
                                 f"{limits.max_tokens:,} are accepted (the query_max_tokens setting; the HTTP API and MCP "
                                 "also take long lists as query parameters)")
    _check_parameters(parameters, limits)
    writes = _check_clauses(tokens, allow_writes)  # a refused clause is said first, whatever else is wrong
    missing = [name for name in _parameter_names(tokens) if name not in parameters]
    if missing:  # the embedded database would read each as null, without a word
        raise InputError(f"the query uses {', '.join('$' + name for name in missing)} but no value was given "
                         f"for {'it' if len(missing) == 1 else 'them'} (`codekg query --param NAME=VALUE`; "
                         "`parameters` of the HTTP API and MCP)")
    return CheckedQuery(quote_reserved_labels(cypher), parameters, writes)


def _parameter_names(tokens: list[_Token]) -> list[str]:
    """The `$name` parameters a query reads (outside strings and comments), in order, once each."""
    names = [tokens[at + 1].text for at in range(len(tokens) - 1)
             if tokens[at].text == "$" and tokens[at + 1].kind in ("word", "number")]
    return list(dict.fromkeys(names))


# CozoScript that reaches outside the graph: fixed rules reading files or URLs, and system operations
# (`::remove`, `::compact`, `::index drop`, …) but the read-only ones listed after.
_COZO_FORBIDDEN = re.compile(r"\b(CsvReader|JsonReader)\b|^\s*::(?!(relations|columns|indices|explain|running|describe)\b)(\w+)",
                             re.MULTILINE)
_COZO_WRITES = re.compile(r"(?<![:\w]):(put|rm|create|replace|insert|update|delete|ensure|ensure_not)\b")
_COZO_OWN_LIMITS = re.compile(r"(?<![:\w]):(timeout|sleep)\b")
_COZO_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#[^\n]*")


def check_cozoscript(script: str, parameters: dict[str, Any], limits: QueryLimits, allow_writes: bool) -> CheckedQuery:
    """A CozoScript query (the `cozo://` store's own language) with ``parameters``: the size limits,
    no fixed rule that reads a file or a URL and no system operation but the read-only ones (in every
    mode), and no write (`:put`, `:rm`, `:create`, …) unless writes are allowed. The engine runs a
    read as `immutable` besides, so a write the pattern missed is refused there too."""
    code = _COZO_STRING.sub('""', script)  # strings and comments are not clauses
    _check_parameters(parameters, limits)
    depth = _nesting_depth([_Token("symbol", c) for c in code if c in "()[]{}"])
    if depth > limits.max_depth:
        raise QueryTooLargeError("too_deep", f"the query nests brackets {depth:,} deep; at most {limits.max_depth} "
                                 "levels are accepted")
    forbidden = _COZO_FORBIDDEN.search(code)
    if forbidden:
        what = forbidden.group(1) or f"::{forbidden.group(3)}"
        raise QueryForbiddenError("forbidden_operation", f"{what} refused: it reaches outside the graph or changes the database")
    limit = _COZO_OWN_LIMITS.search(code)
    if limit:
        raise QueryForbiddenError("time_limit", f":{limit.group(1)} refused: the time a query may run is the server's "
                                  "(query_timeout_seconds)")
    write = _COZO_WRITES.search(code)
    if write and not allow_writes:
        raise WriteQueryError(f":{write.group(1)}")
    return CheckedQuery(script, parameters, bool(write))


def quote_reserved_labels(cypher: str) -> str:
    """``cypher`` with each unquoted reserved label after a colon (`:Table`, `:Column`: schema.RESERVED_LABELS)
    in backticks; strings and comments untouched."""
    from codekg.schema import RESERVED_LABELS

    if not any(label in cypher for label in RESERVED_LABELS):
        return cypher
    return _relabel(cypher, {label: f"`{label}`" for label in RESERVED_LABELS})


def expand_code_element(cypher: str) -> str:
    """``cypher`` with each unquoted `:CodeElement` written as the union of the labels it stands for
    (`:Class:Interface:…`: Ladybug reads several labels on a node pattern as "any of them"), for the
    embedded store, where a node has one label; strings and comments untouched."""
    from codekg.schema import CODE_ELEMENT_LABELS

    if "CodeElement" not in cypher:
        return cypher
    return _relabel(cypher, {"CodeElement": ":".join(CODE_ELEMENT_LABELS)})


def _relabel(cypher: str, replacements: dict[str, str]) -> str:
    """``cypher`` with each word of ``replacements`` that follows a colon (a label) replaced."""
    pieces, last, previous = [], 0, ""
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "symbol"
        if kind == "word" and match.group() in replacements and previous == ":":
            pieces.append(cypher[last:match.start()] + replacements[match.group()])
            last = match.end()
        if kind not in ("space", "line_comment", "block_comment"):
            previous = match.group()
    return "".join(pieces) + cypher[last:]


def check_plan(plan_text: str, allow_writes: bool) -> None:
    """Refuse a plan (the embedded database's EXPLAIN output) with an operator or table function
    outside the allow-lists: whatever layer 1 misread, the database's own parse names it."""
    for operator in _PLAN_OPERATOR.findall(plan_text):
        if operator in GRAPH_WRITE_OPERATORS:
            if not allow_writes:
                raise WriteQueryError(operator)
        elif operator not in READ_OPERATORS:
            raise QueryForbiddenError("plan_operator", f"the query plans a {operator} operation, which no "
                                      "query may run here (only reads and, where allowed, graph writes)")
    for function in _PLAN_FUNCTION.findall(plan_text):
        if function.upper() not in PLAN_TABLE_FUNCTIONS:
            raise QueryForbiddenError("procedure", f"the query calls {function.lower()}, which is not a "
                                      "read-only procedure")


def _significant_tokens(cypher: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "symbol"
        text = match.group()
        if kind == "unterminated":
            raise QueryForbiddenError("unterminated", f"unterminated {_OPENING_NAMES[text]} {_where(cypher, match.start())}")
        if kind not in ("string", "backtick") and not _plain_ascii(text):
            bad = next(ch for ch in text if not _plain_ascii(ch))
            raise QueryForbiddenError("character", f"character U+{ord(bad):04X} at {match.start() + 1}: outside "
                                      "string literals and `quoted names` a query is plain ASCII")
        if kind not in ("space", "line_comment", "block_comment"):
            yield _Token(kind, text)


_OPENING_NAMES = {"'": "string", '"': "string", "`": "quoted name", "/*": "comment"}


def _where(cypher: str, offset: int) -> str:
    """Where ``offset`` of the query is, as the database's own parser errors say it: its line, its
    offset in that line (from 0), then that line quoted with a caret under the place."""
    line_start = cypher.rfind("\n", 0, offset) + 1
    line_end = cypher.find("\n", offset)
    line = cypher[line_start:line_end if line_end >= 0 else len(cypher)]
    column = offset - line_start
    quoted = f'"{line}"'
    return f"(line: {cypher.count(chr(10), 0, offset) + 1}, offset: {column})\n{quoted}\n{align_marker(quoted, ' ' * (column + 1) + '^')}"


def align_marker(quoted: str, marker: str) -> str:
    """``marker`` (spaces, then carets under a place of ``quoted``) with a tab wherever ``quoted`` has
    one: a terminal widens both alike, so the caret stays under its character."""
    return "".join("\t" if character == " " and quoted[index:index + 1] == "\t" else character
                   for index, character in enumerate(marker))


def _plain_ascii(text: str) -> bool:
    return all(" " <= ch <= "~" or ch in "\t\n\r" for ch in text)


def _nesting_depth(tokens: list[_Token]) -> int:
    """The deepest nesting of brackets and CASE … END (each CASE is a level, as in the parser)."""
    depth = deepest = 0
    for position, token in enumerate(tokens):
        if token.kind == "symbol":
            if token.text in _OPENERS:
                depth += 1
            elif token.text in _CLOSERS:
                depth -= 1
        elif token.kind == "word" and _is_keyword(tokens, position):
            upper = token.text.upper()
            if upper == "CASE":
                depth += 1
            elif upper == "END":
                depth -= 1
        deepest = max(deepest, depth)
    return deepest


def _is_keyword(tokens: list[_Token], position: int) -> bool:
    """A word in a keyword's place: not a property (`n.set`), label (`:Delete`), parameter (`$merge`)
    or map key (`{create: 1}`), positions where no clause can start."""
    before = tokens[position - 1].text if position > 0 else ""
    after = tokens[position + 1].text if position + 1 < len(tokens) else ""
    return before not in (".", ":", "$") and after != ":"


def _check_clauses(tokens: list[_Token], allow_writes: bool) -> bool:
    writes = False
    for position, token in enumerate(tokens):
        if token.kind != "word" or not _is_keyword(tokens, position):
            continue
        keyword = token.text.upper()
        rest = tokens[position + 1 :]
        if keyword in FORBIDDEN_KEYWORDS:
            reason = FORBIDDEN_KEYWORDS[keyword]
            if keyword == "LOAD" and rest and rest[0].text.upper() == "EXTENSION":
                reason = "extension"
            alias = position > 0 and tokens[position - 1].text.upper() == "AS"
            hint = f" (to name something `{token.text}`, quote it in backticks)" if alias else ""
            raise QueryForbiddenError(reason, f"{keyword} refused: {_REASON_TEXT[reason]}{hint}")
        if keyword == "CALL":
            _check_call(rest)
        elif keyword == "CREATE" and rest and not _creates_pattern(rest):
            raise QueryForbiddenError("catalog", f"CREATE {rest[0].text.upper()} refused: {_REASON_TEXT['catalog']}")
        elif keyword == "DETACH" and not (rest and rest[0].text.upper() == "DELETE"):
            raise QueryForbiddenError("catalog", f"DETACH refused: {_REASON_TEXT['catalog']}")
        if keyword in GRAPH_WRITE_KEYWORDS:
            if not allow_writes:
                raise WriteQueryError(keyword)
            writes = True
    return writes


_REASON_TEXT = {
    "file_access": "no query may read or write files",
    "extension": "no query may install or load database extensions",
    "catalog": "no query may change the schema, the catalog or the attached databases",
    "transaction": "each query runs in its own transaction",
    "administration": "no query may administer the database server",
    "procedure": "only read-only procedures may be called",
    "setting": "no query may change database settings",
}


def _creates_pattern(rest: list[_Token]) -> bool:
    """CREATE (…) or CREATE p = (…) makes graph data; CREATE TABLE/MACRO/SEQUENCE/… changes the catalog."""
    return rest[0].text == "(" or (len(rest) > 1 and rest[0].kind in ("word", "backtick") and rest[1].text == "=")


def _check_call(rest: list[_Token]) -> None:
    """CALL { … } (a subquery, whose clauses are checked like the rest) or CALL of a read-only procedure."""
    if rest and rest[0].text == "{":
        return
    name_parts: list[str] = []
    for token in rest:
        if token.kind == "word" or (token.text == "." and name_parts):
            name_parts.append(token.text)
        else:
            break
    name = "".join(name_parts)
    following = rest[len(name_parts)].text if len(rest) > len(name_parts) else ""
    if following == "=":
        raise QueryForbiddenError("setting", f"CALL {name} = … refused: {_REASON_TEXT['setting']}")
    if name.lower() not in READ_ONLY_PROCEDURES:
        raise QueryForbiddenError("procedure", f"CALL {name or '…'} refused: {_REASON_TEXT['procedure']}")


def _check_parameters(parameters: dict[str, Any], limits: QueryLimits) -> None:
    if len(parameters) > limits.max_parameters:
        raise QueryTooLargeError("too_many_parameters", f"{len(parameters):,} parameters; at most "
                                 f"{limits.max_parameters:,} are accepted")
    depth = _value_depth(parameters.values())
    if depth > limits.max_depth:
        raise QueryTooLargeError("parameters_too_deep", f"a parameter nests lists or maps {depth:,} deep; at most "
                                 f"{limits.max_depth} levels are accepted")
    size = len(json.dumps(parameters, default=str, ensure_ascii=False).encode("utf-8"))
    if size > limits.max_parameter_bytes:
        raise QueryTooLargeError("parameters_too_large", f"the parameters take {size:,} bytes as JSON; at most "
                                 f"{limits.max_parameter_bytes:,} are accepted")


def _value_depth(values: Iterable[Any]) -> int:
    """How deep lists and maps nest in ``values`` (iteratively: a hostile value may nest thousands deep)."""
    deepest = 0
    stack = [(value, 1) for value in values]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, tuple, dict)):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


@dataclass(slots=True)
class GuardedResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool  # more rows matched than the limit returned


def run_checked(store: "GraphStore", checked: CheckedQuery, limits: QueryLimits, allow_writes: bool) -> GuardedResult:
    """Layer 2, then the query: the store's plan (where it has one) must pass `check_plan`; at most
    ``limits.max_rows`` rows are read from the result, so a huge result is never materialised."""
    plan = store.explain(checked.cypher, checked.parameters)
    if plan is not None:
        check_plan(plan, allow_writes)
    result = store.query(checked.cypher, checked.parameters, max_rows=limits.max_rows + 1)
    written = returned_columns(checked.cypher)
    columns = written if written is not None and len(written) == len(result.columns) else result.columns
    return GuardedResult(columns, result.rows[: limits.max_rows], len(result.rows) > limits.max_rows)


_RETURN_ENDS = frozenset({"ORDER", "SKIP", "LIMIT", "UNION"})


def returned_columns(cypher: str) -> list[str] | None:
    """The columns of the query's RETURN as written: an item's alias, else its text (whitespace
    collapsed), as Neo4j names them. The embedded database names a column after its own rewrite of the
    expression (`COUNT_STAR()` for `count(*)`, `LABEL(n._ID,[…])` or the one label it folds `label(n)`
    to). None when the columns are not the items of one RETURN (none, a UNION, `RETURN *`)."""
    tokens = [(m.lastgroup or "symbol", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(cypher)
              if m.lastgroup not in ("space", "line_comment", "block_comment")]
    depth, returns, items, current, collecting = 0, 0, [], [], False
    for position, (kind, text, start, end) in enumerate(tokens):
        before = tokens[position - 1][1] if position else ""
        after = tokens[position + 1][1] if position + 1 < len(tokens) else ""
        keyword = text.upper() if kind == "word" and before not in (".", ":", "$") and after != ":" and depth == 0 else ""
        if keyword == "RETURN":
            returns += 1
            collecting = True
            continue
        if keyword in _RETURN_ENDS or (kind == "symbol" and text == ";" and depth == 0):
            if keyword == "UNION":
                return None
            collecting = False
            continue
        if kind == "symbol" and text in _OPENERS:
            depth += 1
        elif kind == "symbol" and text in _CLOSERS:
            depth -= 1
        if not collecting or (keyword == "DISTINCT" and not current and not items):
            continue
        if kind == "symbol" and text == "," and depth == 0:
            items.append(current)
            current = []
        else:
            current.append((kind, text, start, end))
    if current:
        items.append(current)
    if returns != 1 or not items:
        return None
    names = []
    for item in items:
        if len(item) >= 3 and item[-2][0] == "word" and item[-2][1].upper() == "AS":
            alias = item[-1][1]
            names.append(alias[1:-1].replace("``", "`") if item[-1][0] == "backtick" else alias)
        elif len(item) == 1 and item[0][1] == "*":
            return None
        else:
            names.append(" ".join(cypher[item[0][2]:item[-1][3]].split()))
    return names
