"""Python extractor: classes, functions, methods, variables, imports and call sites, via python.scm."""

from __future__ import annotations

import builtins
import codecs
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts
import tree_sitter_python

from codekg.language_table import LANGUAGES, module_parts
from codekg.languages.base import (
    EXTRACTION,
    FoldedDefinitions,
    Regions,
    TreeSitterExtractor,
    error_regions,
    iter_matches,
    syntax_error_warning,
    line_count,
    WHOLE_SCOPE,
    node_text,
    unique_local_bindings,
)
from codekg.languages.python_flow import flow_facts, protocol_variant
from codekg.sql.embedded import PLACEHOLDER, SQL_CALLS, embedded_statements, is_sql_call, looks_like_sql, string_text
from codekg.records import (
    CALL_RESULT_RECEIVER,
    ELEMENT_CALL,
    RETURN_TARGET,
    YIELD_TARGET,
    CallSite,
    Definition,
    ExportBinding,
    FileParse,
    ImportBinding,
    LocalBinding,
    NameUse,
    Scope,
    SqlStatement,
    ValueBinding,
)

_LANGUAGE = ts.Language(tree_sitter_python.language())
_PROPERTY_DECORATORS = ("property", "cached_property", "functools.cached_property")
_PROPERTY_SUFFIXES = (".setter", ".getter", ".deleter")
_SIGNATURE_LIMIT = 300


class PythonExtractor(TreeSitterExtractor):
    name = "python"
    extensions = LANGUAGES[name].extensions
    version = LANGUAGES[name].version
    query_files = ("python.scm",)
    builtin_names = frozenset(name for name in dir(builtins) if not name.startswith("_"))
    self_receivers = ("self", "cls")
    constructor_name = "__init__"
    resolution_family = "python"
    describes_syntax_errors = True  # its warnings name the lines of each error region

    def tree_sitter_language(self, path: str) -> ts.Language:
        return _LANGUAGE

    def module_name(self, path: str, source_roots: tuple[str, ...]) -> str:
        """`src/flask/app.py` → `flask.app` (with `src` a source root); `pkg/__init__.py` → `pkg`."""
        relative = path
        for root in sorted(source_roots, key=len, reverse=True):
            prefix = root.rstrip("/") + "/"
            if root and path.startswith(prefix):
                relative = path[len(prefix) :]
                break
        parts = module_parts(relative)
        if len(parts) > 1 and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def import_aliases(self, path: str, language_paths: set[str]) -> tuple[str, ...]:
        """The name counted from the first ancestor folder that is not a package (no __init__.py), as a
        script in that folder would import it, and the name counted from the repository root."""
        parts = module_parts(path)
        start = len(parts) - 1
        while start > 0 and "/".join(parts[:start]) + "/__init__.py" in language_paths:
            start -= 1
        names = parts[start:]
        if len(names) > 1 and names[-1] == "__init__":
            names.pop()
        return (".".join(names), self.module_name(path, ()))

    def extract(self, path: str, source: bytes) -> FileParse:
        utf8, encoding, warnings = utf8_source(source)
        tree, query = self.parse_tree(path, utf8)
        root = tree.root_node
        syntax_errors = error_regions(root)
        result = FileParse(
            path=path,
            language=self.name,
            line_count=line_count(source),
            parse_errors=len(syntax_errors),
            docstring=_docstring_of(root),
            encoding=encoding,
        )
        captures: dict[str, list[ts.Node]] = {}
        calls: list[tuple[ts.Node, dict[str, list[ts.Node]]]] = []
        for _, match in iter_matches(query, root):
            if "call" in match:
                calls.append((match["call"][0], match))
                continue
            for name, nodes in match.items():
                captures.setdefault(name, []).extend(nodes)

        folded = FoldedDefinitions()
        lambdas = [node for node in captures.get("region", []) if node.type == "lambda"]
        placed = _place_definitions(captures.get("class", []) + captures.get("function", []) + lambdas, folded)
        regions = _Regions(root, placed, captures)
        for node, path, kept in placed:
            if kept:
                result.definitions.append(_definition(node, path, regions))
        named_lambdas = {path for node, path, kept in placed if kept and node.type == "lambda"}
        result.definitions.extend(v for v in _variables(captures.get("variable", []), regions) if v.path not in named_lambdas)
        result.definitions.extend(_type_aliases(captures.get("type_alias", []), regions))
        _mark_enums(result.definitions)
        for node in captures.get("import", []):
            result.imports.extend(_plain_imports(node, regions.scope(node)))
        for node in captures.get("import.from", []):
            result.imports.extend(_from_imports(node, regions.scope(node)))
        result.imports.sort(key=lambda b: (b.line, b.module, b.name))
        result.local_bindings = _local_bindings(captures.get("local", []), regions)
        result.exports = _dunder_all(captures.get("all", []))
        result.values = _value_bindings(captures, regions, result)
        sites = [(node, _call_site(node, match, regions.runtime_scope(node))) for node, match in calls]
        embedded = _EmbeddedSql(path, utf8, captures, regions)
        for node, site in sites:
            if site.callee in SQL_CALLS and is_sql_call(site.callee, site.receiver):
                embedded.read(node, site.scope)
        sites += [(node, _decorator_call(node, regions.runtime_scope(node))) for node in captures.get("decorator", [])
                  if not node_text(node).endswith(_PROPERTY_SUFFIXES)]  # `@x.setter` is part of `@property`
        result.calls = [site for _, site in sorted(sites, key=lambda item: (item[0].start_byte, item[0].end_byte))]
        result.uses = _name_uses(root, utf8, captures, regions, result)
        result.flow = flow_facts(root, placed, utf8) if EXTRACTION.flow_facts else []
        result.sql = embedded.statements
        result.warnings = syntax_error_warning(syntax_errors) + warnings + folded.warnings() + embedded.warnings
        return result


# --- SQL in string literals -----------------------------------------------------------------------

_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsab%]")
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
_WHITESPACE_ESCAPES = frozenset({"\\n", "\\r", "\\t", "\\f", "\\v"})


class _EmbeddedSql:
    """The SQL strings a file's calls run (`cur.execute("SELECT …")`): see codekg/sql/embedded.py.
    Asked only about calls that `is_sql_call` names; sqlglot is imported only once a string that
    looks like SQL is found, and the file's dialect is looked up only then."""

    def __init__(self, path: str, source: bytes, captures: dict[str, list[ts.Node]], regions: _Regions) -> None:
        self.path, self.source, self.captures, self.regions = path, source, captures, regions
        self.statements: list[SqlStatement] = []
        self.warnings: list[str] = []
        self._dialect: str | None = None
        self._bindings: dict[str, list[ts.Node]] | None = None

    def read(self, call: ts.Node, scope: Scope) -> None:
        """The statements of the SQL string ``call`` (a call that runs SQL) is given, if it is one."""
        arguments = call.child_by_field_name("arguments")
        argument = _sql_argument(arguments) if arguments is not None and arguments.type == "argument_list" else None
        if argument is None:
            return
        if argument.type == "identifier":  # `q = "SELECT …"; cur.execute(q)`
            argument = self._constant(argument, scope)
            if argument is None:
                return
        found = _sql_string(argument)
        if found is None or not looks_like_sql(found[0]):
            return
        text, line, interpolated = found
        callee = "".join(node_text(call.child_by_field_name("function")).split())
        self.statements.extend(embedded_statements(text, self.dialect, line, scope, callee, interpolated))

    @property
    def dialect(self) -> str:
        """The file's SQL dialect: its `# dialect: x` comment, else the settings'. An unknown name in
        the comment is a warning (the file's code is still read), not an error as in a `.sql` file."""
        if self._dialect is None:
            from codekg.sql.embedded import code_dialect

            self._dialect = code_dialect(self.path, self.source, EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects,
                                         self.warnings)
        return self._dialect

    def _constant(self, name: ts.Node, scope: Scope) -> ts.Node | None:
        """The string a name stands for where the call runs: the value of its one binding in the
        calling function (before the call), or, with none there, of its one module-level binding.
        Anything else (bound twice, a parameter, a loop target, not a string) is no constant."""
        if self._bindings is None:
            self._bindings = {}
            for node in self.captures.get("local", []):
                self._bindings.setdefault(node_text(node), []).append(node)
        candidates = self._bindings.get(node_text(name), [])
        for where in ((scope, ()) if scope else ((),)):
            bound = [node for node in candidates if self.regions.scope(node) == where]
            if not bound:
                continue
            assignment = bound[0].parent
            if len(bound) != 1 or assignment is None or assignment.type != "assignment" or (
                    where == scope and bound[0].start_byte > name.start_byte):
                return None
            value = assignment.child_by_field_name("right")
            return value if value is not None and value.type in _STRING_EXPRESSIONS else None
        return None


_STRING_EXPRESSIONS = frozenset(
    {"string", "concatenated_string", "binary_operator", "parenthesized_expression", "call"})


def _sql_argument(arguments: ts.Node) -> ts.Node | None:
    """The first positional argument, else a `sql=` keyword argument (pandas' `read_sql(sql=…)`)."""
    for child in arguments.named_children:
        if child.type == "comment":
            continue
        if child.type != "keyword_argument":
            return child if child.type not in ("list_splat", "dictionary_splat") else None
        if node_text(child.child_by_field_name("name")) == "sql":
            return child.child_by_field_name("value")
    return None


def _sql_string(node: ts.Node) -> tuple[str, int, bool] | None:
    """(text, the line its content starts on, whether it has holes) of a string expression: a
    literal (not bytes), literals side by side or joined by `+` (another operand of `+` is a hole),
    an f-string (each `{…}` a hole), a `%` or `.format` template (each field a hole); else None.
    A hole reads as PLACEHOLDER. Line breaks stay where the source has them (an escaped `\\n` reads
    as a space; literals on later lines start on their own line), so statement lines are file lines."""
    return string_text(node, _string_segments)


def _string_segments(node: ts.Node, segments: list[tuple[int, str]]) -> bool | None:
    """Append the (row, text) pieces of string expression ``node`` to ``segments``; whether it has
    holes, or None when it is no string (then what it appended is left for the caller to drop)."""
    kind = node.type
    if kind == "parenthesized_expression":
        inner = [child for child in node.named_children if child.type != "comment"]
        return _string_segments(inner[0], segments) if len(inner) == 1 else None
    if kind == "string":
        return _literal_segment(node, segments)
    if kind == "concatenated_string":
        holes = False
        for child in node.named_children:
            if child.type == "string":
                found = _literal_segment(child, segments)
                if found is None:
                    return None
                holes = holes or found
        return holes
    if kind == "binary_operator":
        operator = node_text(node.child_by_field_name("operator"))
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return None
        if operator == "+":
            start = len(segments)
            holes = _operand_segments(left, segments) | _operand_segments(right, segments)
            return None if all(text == PLACEHOLDER for _, text in segments[start:]) else holes
        if operator == "%":
            return _template_segments(left, segments, _PERCENT_FIELD)
        return None
    if kind == "call":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "attribute" \
                and node_text(function.child_by_field_name("attribute")) == "format":
            template = function.child_by_field_name("object")
            if template is not None:
                return _template_segments(template, segments, _FORMAT_FIELD)
    return None


def _operand_segments(node: ts.Node, segments: list[tuple[int, str]]) -> bool:
    """An operand of `+`: its segments when it is a string, else one hole."""
    start = len(segments)
    found = _string_segments(node, segments)
    if found is not None:
        return found
    del segments[start:]
    segments.append((node.start_point.row, PLACEHOLDER))
    return True


def _template_segments(template: ts.Node, segments: list[tuple[int, str]], fields: re.Pattern[str]) -> bool | None:
    """The segments of a `%` or `.format` template, each of its fields a hole."""
    start = len(segments)
    if _string_segments(template, segments) is None:
        return None

    def field(match: re.Match[str]) -> str:
        escaped = match.group(0)
        return escaped[0] if escaped in ("%%", "{{", "}}") else PLACEHOLDER

    segments[start:] = [(row, text if text == PLACEHOLDER else fields.sub(field, text))
                        for row, text in segments[start:]]
    return True


def _literal_segment(node: ts.Node, segments: list[tuple[int, str]]) -> bool | None:
    """Append one string literal's content (escapes read, an f-string's `{…}` a hole); whether it has
    holes, or None for a bytes literal."""
    children = node.children
    start = children[0] if children else None
    if start is None or start.type != "string_start":
        return None
    prefix = node_text(start).rstrip("'\"").lower()
    if "b" in prefix:
        return None
    raw, holes, parts = "r" in prefix, False, []
    for child in children:
        if child.type == "string_content":
            parts.append(_content_text(child, raw))
        elif child.type == "interpolation":
            parts.append(PLACEHOLDER + "\n" * node_text(child).count("\n"))
            holes = True
    segments.append((start.end_point.row, "".join(parts)))
    return holes


def _content_text(content: ts.Node, raw: bool) -> str:
    """A literal's `string_content` with its escapes read; a line continuation stays a line break
    and `\\n` (and the like) reads as a space, so the text keeps the source's lines."""
    if not content.child_count:
        return node_text(content)
    data, base, position, out = content.text, content.start_byte, 0, []
    for escape in content.children:
        text = node_text(escape)
        if escape.type == "escape_interpolation":
            value = text[0]  # `{{` in an f-string
        elif raw or escape.type != "escape_sequence":
            continue
        elif text[1:].lstrip("\r").startswith("\n"):
            value = "\n"  # a line continuation
        elif text in _WHITESPACE_ESCAPES:
            value = " "
        else:
            try:
                value = codecs.decode(text, "unicode_escape").replace("\n", " ")
            except UnicodeDecodeError:
                value = text
        out.append(data[position:escape.start_byte - base].decode("utf-8", "replace"))
        out.append(value)
        position = escape.end_byte - base
    out.append(data[position:].decode("utf-8", "replace"))
    return "".join(out)


# --- source encoding (PEP 263) ---------------------------------------------------------------------

_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def utf8_source(source: bytes) -> tuple[bytes, str, list[str]]:
    """(the bytes to parse, as UTF-8; the codec the source is written in; warnings). A UTF-8 byte
    order mark is dropped; a coding cookie on the first or second line names the codec, whose text is
    re-encoded as UTF-8 for tree-sitter. Line breaks are kept, so line numbers stay those of the file.
    An unknown codec, or one that is not ASCII-compatible (no Python source can be), leaves the bytes
    as UTF-8, with a warning."""
    has_bom = source.startswith(codecs.BOM_UTF8)
    body = source[len(codecs.BOM_UTF8):] if has_bom else source
    utf8 = "utf-8-sig" if has_bom else "utf-8"
    declared = _coding_cookie(body)
    if declared is None:
        return body, utf8, []
    try:
        codec = codecs.lookup(declared).name
        ascii_compatible = "\n#:=".encode(codec) == b"\n#:="
    except (LookupError, UnicodeError):
        codec, ascii_compatible = "", False
    if codec in ("utf-8", "utf-8-sig"):
        return body, utf8, []
    if not ascii_compatible:
        return body, utf8, [f"unknown encoding {declared!r} in the coding cookie: decoded as UTF-8"]
    if has_bom:  # CPython refuses such a file; the mark is the stronger claim
        return body, utf8, [f"coding cookie {declared!r} contradicts the UTF-8 byte order mark: decoded as UTF-8"]
    try:
        return body.decode(codec).encode("utf-8"), codec, []
    except UnicodeDecodeError:
        text = body.decode(codec, errors="replace")
        return text.encode("utf-8"), codec, [f"not valid {declared}: decoded with replacement characters"]


def _coding_cookie(source: bytes) -> str | None:
    """The codec a PEP 263 cookie names: on line 1, or on line 2 after a blank or comment line 1."""
    start = 0
    for _ in range(2):
        end = source.find(b"\n", start)
        line = source[start:] if end < 0 else source[start:end]
        match = _CODING_COOKIE.match(line)
        if match is not None:
            return match.group(1).decode("ascii")
        if end < 0 or not _BLANK_OR_COMMENT.match(line):
            return None
        start = end + 1
    return None


# --- scopes ---------------------------------------------------------------------------------------

Placed = list[tuple[ts.Node, Scope, bool]]


def _place_definitions(nodes: list[ts.Node], folded: FoldedDefinitions) -> Placed:
    """Each class, def and lambda with the scope path code inside it belongs to, and whether it is
    kept as a definition of its own; top-down in one sweep over byte ranges (they nest). One nested
    past the bounds is folded: it keeps its parent's path.

    A lambda bound directly to a name (`f = lambda: …`) takes that name; any other is `<lambdaN>`,
    N counting the unnamed lambdas of its enclosing definition from 1 by start position. A def's
    or lambda's parent is the innermost one whose *body* holds it: a lambda in a parameter default
    or a base-class list belongs to the scope where the statement runs."""
    placed: Placed = []
    # (end byte, body start, body end, path of its contents, kept owner's line, fold cause)
    stack: list[tuple[int, int, int, Scope, int, str]] = []
    unnamed: dict[Scope, int] = {}
    for node in sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)):
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        depth = len(stack)
        while depth and not (stack[depth - 1][1] <= node.start_byte and node.end_byte <= stack[depth - 1][2]):
            depth -= 1  # in a header (parameters, bases), not the body: the statement runs outside
        parent, parent_line, parent_cause = stack[depth - 1][3:] if depth else ((), 0, "")
        line = node.start_point[0] + 1
        if node.type == "lambda":
            name = lambda_binding_name(node)
            if not name:
                unnamed[parent] = unnamed.get(parent, 0) + 1
                name = f"<lambda{unnamed[parent]}>"
        else:
            name = node_text(node.child_by_field_name("name"))
        cause = folded.place(parent, parent_line, name, line, parent_cause)
        path = parent if cause else (*parent, name)
        body = node.child_by_field_name("body")
        body_start, body_end = (body.start_byte, body.end_byte) if body is not None else (node.end_byte, node.end_byte)
        stack.append((node.end_byte, body_start, body_end, path, parent_line if cause else line, cause))
        placed.append((node, path, not cause))
    return placed


def lambda_binding_name(node: ts.Node) -> str:
    """The name a lambda is bound to directly (`f = lambda: …`, also in a class body), else ""."""
    parent = node.parent
    if parent is None or parent.type != "assignment" or parent.child_by_field_name("right") != node:
        return ""
    left = parent.child_by_field_name("left")
    return node_text(left) if left is not None and left.type == "identifier" else ""


@dataclass(frozen=True, slots=True)
class _Span:
    """A byte range standing in for a node as a region."""

    start_byte: int
    end_byte: int
    id: int


class _Regions:
    """Which class, def, lambda or comprehension holds a node, and where the code at it runs: by byte
    range, so the cost never depends on how deep the node sits."""

    def __init__(self, root: ts.Node, placed: Placed, captures: dict[str, list[ts.Node]]) -> None:
        self.root = root
        self.kept = {node.id: path for node, path, kept in placed if kept}  # node id -> scope path of each kept def
        # (kind, node, scope path of the code inside): the kind is the node type, "body" for the body of
        # a class or def, "type_checking" for that of an `if TYPE_CHECKING:`. Blocks come first: a
        # block holding a single statement spans the same bytes as it, and is the outer one.
        regions: list[tuple[str, ts.Node, Scope]] = []
        for node, path, _ in placed:
            body = node.child_by_field_name("body")
            if body is not None and node.type == "lambda":
                # a lambda's body is one expression, often the very call asked about: a region never
                # holds its own node, so the body's span stands in under an id no node has
                regions.append(("body", _Span(body.start_byte, body.end_byte, -1 - body.id), path))
            elif body is not None:
                regions.append(("body", body, path))
        regions.extend(("type_checking", node, ()) for node in captures.get("region.type_checking", []))
        regions.extend((node.type, node, path) for node, path, _ in placed)
        regions.extend((node.type, node, ()) for node in captures.get("region", []) if node.type != "lambda")
        self._regions = Regions(regions)

    def innermost(self, node: ts.Node, kinds: frozenset[str]) -> tuple[str, ts.Node, Scope] | None:
        return self._regions.innermost(node, kinds)

    def nearest(self, node: ts.Node, kinds: frozenset[str]) -> ts.Node | None:
        region = self._regions.innermost(node, kinds)
        return region[1] if region is not None else None

    def scope(self, node: ts.Node) -> Scope:
        """The path of the innermost class, def or lambda around ``node``."""
        region = self._regions.innermost(node, _SCOPE_KINDS)
        return region[2] if region is not None else ()

    def runtime_scope(self, node: ts.Node) -> Scope:
        """Where code at ``node`` runs. Parameter defaults, annotations and base-class lists are
        evaluated when the `def`/`class` statement runs, in the enclosing scope, not in the body."""
        region = self._regions.innermost(node, _BODY)
        return region[2] if region is not None else ()

    def binding_function(self, node: ts.Node, stops: frozenset[str]) -> ts.Node | None:
        """The innermost function-like node around a bound name, the root when there is none, or None
        when a ``stops`` node (a class body: its bindings are Variables) comes first."""
        region = self._regions.innermost(node, _FUNCTION_LIKE | stops)
        if region is None:
            return self.root
        return None if region[0] in stops else region[1]


def _definition(node: ts.Node, path: Scope, regions: _Regions) -> Definition:
    scope, name = path[:-1], path[-1]
    if node.type == "lambda":
        return _lambda_definition(node, scope, name, regions)
    body = node.child_by_field_name("body")
    outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
    decorator_nodes = [child for child in outer.children if child.type == "decorator"] if outer is not node else []
    decorators = tuple(
        node_text(next((c for c in child.named_children if c.type != "comment"), child)).lstrip("@").strip()
        for child in decorator_nodes
    )
    decorator_lines = tuple(child.start_point[0] + 1 for child in decorator_nodes)
    signature = _header(node, body)
    docstring = _docstring_of(body) if body is not None else ""
    if node.type == "class_definition":
        superclasses = node.child_by_field_name("superclasses")
        bases = tuple(
            node_text(arg)
            for arg in (superclasses.named_children if superclasses is not None else [])
            if arg.type in ("identifier", "attribute")
        )
        return Definition(
            "Class", name, scope, outer.start_point[0] + 1, node.end_point[0] + 1,
            signature=signature, docstring=docstring, bases=bases, decorators=decorators,
            is_type_only=_under_type_checking(outer, regions), decorator_lines=decorator_lines,
        )
    in_class_body = _directly_in_class(outer, regions)
    return Definition(
        "Method" if in_class_body else "Function",
        name,
        scope,
        outer.start_point[0] + 1,
        node.end_point[0] + 1,
        signature=signature,
        docstring=docstring,
        decorators=decorators,
        is_async=any(child.type == "async" for child in node.children),
        parameters=_positional_parameters(node.child_by_field_name("parameters")),
        is_static=in_class_body and "staticmethod" in decorators,
        is_classmethod=in_class_body and "classmethod" in decorators,
        is_property=in_class_body
        and any(d in _PROPERTY_DECORATORS or d.endswith(_PROPERTY_SUFFIXES) for d in decorators),
        is_variant=any(d == "overload" or d.endswith((".overload", ".setter", ".deleter")) for d in decorators),
        is_type_only=_under_type_checking(outer, regions),
        decorator_lines=decorator_lines,
    )


def _header(node: ts.Node, body: ts.Node | None) -> str:
    """A definition's header as one line: from `def`/`class`/`lambda` to the colon before its body,
    without comments (`def f(x):  # noqa`, a comment between the colon and the first statement, or
    one among the parameters: the body's node starts at its first statement)."""
    colon = body.prev_sibling if body is not None else None
    while colon is not None and colon.type != ":":  # comments may sit between the colon and the body
        colon = colon.prev_sibling
    start = node.start_byte
    end = colon.end_byte if colon is not None else body.start_byte if body is not None else node.end_byte
    text = node.text[: end - start]
    if b"#" in text:  # may hold a comment (or a `#` in a string default): cut the comment nodes out
        cuts, work = [], [child for child in node.children if child.start_byte < end and child is not body]
        while work:
            current = work.pop()
            if current.type == "comment":
                cuts.append((current.start_byte - start, current.end_byte - start))
            else:
                work.extend(current.children)
        kept, at = [], 0
        for cut_start, cut_end in sorted(cuts):
            kept.append(text[at:cut_start])
            at = cut_end
        text = b" ".join([*kept, text[at:]])
    return " ".join(text.decode("utf-8", "replace").split()).rstrip(":").strip()[:_SIGNATURE_LIMIT]


def _lambda_definition(node: ts.Node, scope: Scope, name: str, regions: _Regions) -> Definition:
    """A lambda as a Function (a Method when bound to a name in a class body: a class attribute)."""
    body = node.child_by_field_name("body")
    method = not name.startswith("<lambda") and _directly_in_class(node, regions)
    return Definition(
        "Method" if method else "Function", name, scope, node.start_point[0] + 1, node.end_point[0] + 1,
        signature=_header(node, body),
        parameters=_positional_parameters(node.child_by_field_name("parameters")),
        is_type_only=_under_type_checking(node, regions),
    )


def _under_type_checking(node: ts.Node, regions: _Regions) -> bool:
    """In the body of an `if TYPE_CHECKING:` (not its `else`), within the same scope."""
    region = regions.innermost(node, _TYPE_CHECKING_OR_SCOPE)
    return region is not None and region[0] == "type_checking"


def _directly_in_class(node: ts.Node, regions: _Regions) -> bool:
    """A def in a class body, also under `if`/`try`/`with` there: a method (it becomes a class attribute)."""
    region = regions.innermost(node, _CLASS_OR_FUNCTION)
    return region is not None and region[0] == "class_definition"


def _docstring_of(block: ts.Node) -> str:
    """The string literal that opens a module or a body block, unquoted."""
    for child in block.named_children:
        if child.type == "comment":
            continue
        if child.type == "expression_statement" and child.named_children and child.named_children[0].type == "string":
            parts = [node_text(p) for p in child.named_children[0].named_children if p.type == "string_content"]
            return inspect.cleandoc("".join(parts).replace("\r\n", "\n"))
        return ""
    return ""


def _variables(nodes: list[ts.Node], regions: _Regions) -> list[Definition]:
    """Module- and class-level bindings; a name bound twice in one scope is one variable (its first binding)."""
    seen: set[Scope] = set()
    found: list[Definition] = []
    for assignment in sorted((n for n in nodes if n.type == "assignment"), key=lambda n: n.start_byte):
        scope = regions.scope(assignment)
        for target in _bound_identifiers(assignment.child_by_field_name("left")):
            name = node_text(target)
            if (*scope, name) in seen:
                continue
            seen.add((*scope, name))
            found.append(
                Definition(
                    "Type" if _declares_type(assignment) else "Variable", name, scope, assignment.start_point[0] + 1,
                    assignment.end_point[0] + 1, signature=" ".join(node_text(assignment).split())[:_SIGNATURE_LIMIT],
                )
            )
    return found


_TYPE_FACTORIES = frozenset({"NewType", "TypeVar", "ParamSpec", "TypeVarTuple", "TypeAliasType"})
ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
"""The standard library's enum classes (by their last name: `enum.Enum`, `Enum`)."""


def _declares_type(assignment: ts.Node) -> bool:
    """`X: TypeAlias = …`, `X = NewType("X", int)`, `T = TypeVar("T")`: a name for a type, not a value."""
    annotation = assignment.child_by_field_name("type")
    if annotation is not None:
        return node_text(annotation).rsplit(".", 1)[-1] == "TypeAlias"
    value = assignment.child_by_field_name("right")
    if value is None or value.type != "call":
        return False
    function = value.child_by_field_name("function")
    return function is not None and node_text(function).rsplit(".", 1)[-1] in _TYPE_FACTORIES


def _type_aliases(nodes: list[ts.Node], regions: _Regions) -> list[Definition]:
    """`type X = …` (Python 3.12) at module or class level."""
    found = []
    for statement in nodes:
        name = statement.child_by_field_name("left")
        if name is None:
            continue
        found.append(Definition("Type", node_text(name), regions.scope(statement), statement.start_point[0] + 1,
                                statement.end_point[0] + 1,
                                signature=" ".join(node_text(statement).split())[:_SIGNATURE_LIMIT]))
    return found


def _mark_enums(definitions: list[Definition]) -> None:
    """Make Enum each class whose bases name a standard enum class or an enum class of the file
    declared before it; the class-level Variables of an enum are its members."""
    enum_names: set[str] = set()
    for definition in definitions:  # classes come in source order
        if definition.kind != "Class":
            continue
        if any(base.rsplit(".", 1)[-1] in ENUM_BASES or base in enum_names for base in definition.bases):
            definition.kind = "Enum"
            enum_names.add(".".join(definition.path))


_FUNCTION_LIKE = frozenset(
    {"function_definition", "lambda", "list_comprehension", "set_comprehension", "dictionary_comprehension",
     "generator_expression"}
)
_BINDING_STOPS = frozenset({"class_definition"})
_FUNCTION_OR_CLASS = frozenset({"function_definition", "class_definition"})
_CLASS_OR_FUNCTION = frozenset({"function_definition", "class_definition", "lambda"})  # what a def sits directly in
_TYPE_CHECKING_OR_SCOPE = _FUNCTION_OR_CLASS | {"type_checking"}
_SCOPE_KINDS = _FUNCTION_OR_CLASS | {"lambda"}  # what has a scope path of its own
_BODY = frozenset({"body"})
_FUNCTION_OR_LAMBDA = frozenset({"function_definition", "lambda"})


def _owns_scope(function: ts.Node, regions: _Regions) -> bool:
    """Whether bindings in ``function`` belong to a scope path: the module, or a def kept as a definition
    (a folded one is like a lambda: its bindings keep its lines)."""
    return function.type == "module" or function.id in regions.kept


def _local_bindings(nodes: list[ts.Node], regions: _Regions) -> list[LocalBinding]:
    """Names bound in functions, lambdas, comprehensions and module-level blocks (class-level ones are Variables)."""
    found = []
    for node in sorted(nodes, key=lambda n: n.start_byte):
        function = regions.binding_function(node, _BINDING_STOPS)
        if function is None:
            continue
        region = WHOLE_SCOPE if _owns_scope(function, regions) else (function.start_point[0] + 1, function.end_point[0] + 1)
        found.append(LocalBinding(node_text(node), regions.scope(node), node.start_point[0] + 1, *region))
    return unique_local_bindings(found)


def _bound_identifiers(target: ts.Node | None) -> list[ts.Node]:
    """The names an assignment target binds, through nested tuples and lists, in source order."""
    found, pending = [], [target]
    while pending:
        node = pending.pop()
        if node is None:
            continue
        if node.type == "identifier":
            found.append(node)
        elif node.type in ("pattern_list", "tuple_pattern", "list_pattern"):
            pending.extend(reversed(node.named_children))
    return found


def _name_and_alias(node: ts.Node) -> tuple[str, str]:
    """(`a.b`, `m`) for `a.b as m`; (`a.b`, `a.b`) for a plain dotted name."""
    if node.type == "aliased_import":
        return node_text(node.child_by_field_name("name")), node_text(node.child_by_field_name("alias"))
    return node_text(node), node_text(node)


def _plain_imports(node: ts.Node, scope: Scope) -> list[ImportBinding]:
    """`import a.b.c` binds the dotted path itself as its alias; `import a.b as m` binds `m`."""
    line = node.start_point[0] + 1
    bindings = []
    for child in node.children_by_field_name("name"):
        module, alias = _name_and_alias(child)
        if module:
            bindings.append(ImportBinding("module", module, "", alias, line, scope))
    return bindings


def _from_imports(node: ts.Node, scope: Scope) -> list[ImportBinding]:
    line = node.start_point[0] + 1
    module = "".join(node_text(node.child_by_field_name("module_name")).split())
    if not module:
        return []
    if any(child.type == "wildcard_import" for child in node.children):
        return [ImportBinding("star", module, "*", "", line, scope)]
    bindings = []
    for child in node.children_by_field_name("name"):
        name, alias = _name_and_alias(child)
        if name:
            bindings.append(ImportBinding("symbol", module, name, alias, line, scope))
    return bindings


def _call_site(node: ts.Node, match: dict[str, list[ts.Node]], scope: Scope) -> CallSite:
    if "call.container" in match:
        return CallSite(ELEMENT_CALL, node_text(match["call.container"][0]), scope, node.start_point[0] + 1)
    callee = node_text(match["call.name"][0])
    receiver_nodes = match.get("call.receiver")
    receiver = _receiver_text(receiver_nodes[0]) if receiver_nodes else None
    return CallSite(callee, receiver, scope, node.start_point[0] + 1,
                    arguments=_positional_arguments(node.child_by_field_name("arguments")))


_PLAIN_PARAMETERS = ("identifier", "typed_parameter", "default_parameter", "typed_default_parameter")


def _positional_parameters(parameters: ts.Node | None) -> tuple[str, ...]:
    """Parameter names that a positional argument can bind, in order (up to `*`, `*args` or `**kw`)."""
    names: list[str] = []
    for child in parameters.named_children if parameters is not None else ():
        if child.type in ("positional_separator", "comment"):
            continue  # `/`: the parameters before it are positional-only, still positional
        if child.type not in _PLAIN_PARAMETERS:
            break
        name = child if child.type == "identifier" else child.child_by_field_name("name") or next(
            (c for c in child.named_children if c.type == "identifier"), None)
        names.append(node_text(name))
    return tuple(names)


def _positional_arguments(arguments: ts.Node | None) -> tuple[str, ...]:
    """Positional arguments up to the first keyword or unpacked one: a name as written, else ""."""
    values: list[str] = []
    for child in arguments.named_children if arguments is not None and arguments.type == "argument_list" else ():
        if child.type in ("keyword_argument", "list_splat", "dictionary_splat", "comment"):
            break
        values.append(node_text(child) if child.type == "identifier" else "")
    return tuple(values)


def _receiver_text(node: ts.Node | None) -> str:
    """A dotted name chain as written, `super` for `super()`, CALL_RESULT_RECEIVER and the callee for
    what a call of a dotted name gives, or `<expr>` for anything else."""
    attributes: list[str] = []
    while node is not None and node.type == "attribute":
        attributes.append(node_text(node.child_by_field_name("attribute")))
        node = node.child_by_field_name("object")
    if node is not None and node.type == "identifier":
        return ".".join([node_text(node), *reversed(attributes)])
    if node is not None and node.type == "call" and not attributes:
        function = node.child_by_field_name("function")
        if function is not None and function.type == "identifier" and node_text(function) == "super":
            return "super"
        called = _receiver_text(function) if function is not None and function.type in ("identifier", "attribute") else "<expr>"
        if not called.startswith("<expr>") and called != "super":
            return CALL_RESULT_RECEIVER + called  # `Cls().m()`, `make().go()`
    return "<expr>"


def _decorator_call(node: ts.Node, scope: Scope) -> CallSite:
    """`@deco` / `@mod.deco` calls the decorator with the function, where the `def` runs (the decorated
    name stays bound to what the decorator returns, which calls still resolve to the definition)."""
    if node.type == "attribute":
        return CallSite(node_text(node.child_by_field_name("attribute")), _receiver_text(node.child_by_field_name("object")),
                        scope, node.start_point[0] + 1)
    return CallSite(node_text(node), None, scope, node.start_point[0] + 1)


def _dunder_all(nodes: list[ts.Node]) -> list[ExportBinding]:
    """The names of module-level `__all__ = [...]`, `+= [...]`, `.extend([...])` and `.append("x")`;
    anything that is not a literal of strings adds `*` (the list is not fully known)."""
    found: list[ExportBinding] = []
    for node in sorted(nodes, key=lambda n: n.start_byte):
        line = node.start_point[0] + 1
        if node.type == "argument_list":
            method = node_text(node.parent.child_by_field_name("function").child_by_field_name("attribute"))
            args = node.named_children
            if method == "append" and len(args) == 1:
                value = args[0]
                names = [_string_value(value)] if value.type == "string" else None
            elif method == "extend" and len(args) == 1:
                names = _string_list(args[0])
            elif method in ("remove", "pop", "clear", "insert"):
                names = None
            else:
                continue
        else:
            names = _string_list(node.child_by_field_name("right"))
        if names is None or not all(names):
            found.append(ExportBinding("*", "", line))
        else:
            found.extend(ExportBinding(name, name, line) for name in names)
    return found


def _string_list(node: ts.Node | None) -> list[str] | None:
    if node is None or node.type not in ("list", "tuple"):
        return None
    items = [child for child in node.named_children if child.type != "comment"]
    if not all(item.type == "string" for item in items):
        return None
    return [_string_value(item) for item in items]


def _string_value(node: ts.Node) -> str:
    """The text of a plain string literal, or "" for an f-string or a concatenation."""
    parts = [child for child in node.named_children if child.type not in ("string_start", "string_end")]
    if any(part.type != "string_content" for part in parts):
        return ""
    return "".join(node_text(part) for part in parts)


# --- names used other than by calls ------------------------------------------------------------------

_SELF_NAMES = (b"self", b"cls")
# a literal start lets the regex engine skip ahead to it; the word boundary before it is checked after
_CHECKS = re.compile(rb"is(?:instance|subclass)\s*\(")
_WORD = re.compile(rb"[A-Za-z_]\w*")
# where a name is not a read of a variable: it names, binds or declares something
_NOT_READS = frozenset({
    "function_definition", "class_definition", "parameters", "typed_parameter", "aliased_import", "dotted_name",
    "import_from_statement", "global_statement", "nonlocal_statement", "type", "keyword_pattern", "list_splat_pattern",
    "dictionary_splat_pattern", "lambda_parameters", "as_pattern_target", "type_alias_statement", "pattern_list",
    "tuple_pattern", "for_statement", "for_in_clause", "named_expression", "decorator",
})
_NAMED_BY = frozenset({"keyword_argument", "default_parameter", "typed_default_parameter"})  # `name=value`: the value is read


def _name_uses(root: ts.Node, source: bytes, captures: dict[str, list[ts.Node]], regions: _Regions,
               parsed: FileParse) -> list[NameUse]:
    """The names the file's code uses other than by calling them (USES and ACCESSES are resolved from
    them): the types annotations and `isinstance`/`issubclass` checks name; attributes of the names
    the module binds (its definitions, its imports) and of `self`/`cls`, read or written
    (`config.debug`, `Color.RED`, `self.count`); those names read bare when UPPER_CASE (module
    constants by convention); names a `global` statement lets a function assign. They are found in
    the text first, then taken as nodes: matching every identifier and attribute of the tree cost a
    quarter of the parse, and almost none of them is one of those names."""
    uses: list[NameUse] = []

    def add(kind: str, name: str, node: ts.Node, scope: Scope) -> None:
        uses.append(NameUse(kind, name, scope, node.start_point[0] + 1))  # type: ignore[arg-type]

    # A type named by nothing the file binds (no definition, no import, no star import) is a builtin
    # or unknown wherever it is written: most annotations name `str`, `int`, `None`.
    bound = None if any(b.kind == "star" for b in parsed.imports) else (
        {d.name for d in parsed.definitions} | {b.alias.split(".")[0] for b in parsed.imports if b.alias})
    bound_words = {name.encode() for name in bound} if bound is not None else set()
    covered_to = -1
    for node in sorted(captures.get("use.type", []), key=lambda n: n.start_byte):
        if node.end_byte <= covered_to:
            continue  # a type inside a type already read (`list[Foo]`)
        covered_to = node.end_byte
        if bound is not None and bound_words.isdisjoint(_WORD.findall(source, node.start_byte, node.end_byte)):
            continue  # the text names nothing the file binds: no need to walk its tree
        named = [(name_node, name) for name_node, name in _type_names(node)
                 if bound is None or name.partition(".")[0] in bound]
        if not named:
            continue
        parent, scope = node.parent, regions.scope(node)
        if parent is not None and parent.type == "type_alias_statement":
            declared = parent.child_by_field_name("left")
            if declared == node:
                continue  # the name `type X = …` declares
            if declared is not None:  # its value: what the Type uses
                scope = (*scope, node_text(declared))
        for name_node, name in named:
            add("type", name, name_node, scope)
    for match in _CHECKS.finditer(source):
        before = source[match.start() - 1:match.start()] if match.start() else b""
        if before.isalnum() or before == b"_":
            continue  # `myisinstance(`
        call = root.named_descendant_for_byte_range(match.start(), match.start())
        call = call.parent if call is not None else None
        arguments = call.child_by_field_name("arguments") if call is not None and call.type == "call" else None
        checked = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
        if len(checked) == 2:
            for element in checked[1].named_children if checked[1].type == "tuple" else checked[1:]:
                if (name := _dotted(element)) and (bound is None or name.partition(".")[0] in bound):
                    add("type", name, element, regions.scope(element))
    globals_by_scope: dict[Scope, set[str]] = {}
    for node in captures.get("use.global", []):
        globals_by_scope.setdefault(regions.scope(node), set()).add(node_text(node))
    names = {d.name for d in parsed.definitions if not d.scope} | {
        b.alias.split(".")[0] for b in parsed.imports if b.alias and not b.scope}
    for node, kind in _name_nodes(root, source, names):
        scope = regions.scope(node)
        name = "".join(node_text(node).split())
        if kind != "write":
            add("read", name, node, scope)
        if kind != "read":
            add("write", name, node, scope)
    if globals_by_scope:  # a function assigning a name its `global` statement declares
        for node in captures.get("local", []):
            scope = regions.scope(node)
            if node_text(node) in globals_by_scope.get(scope, ()):
                add("write", node_text(node), node, scope)
    uses.sort(key=lambda use: (use.line, use.kind, use.name))
    return uses


# `a.b`, and UPPER_CASE names (module constants by convention): one pass over the text each, whatever
# the number of names the file binds, each match checked against them
# (possessive: a word not followed by a dot is given up at once, not shortened letter by letter)
_ATTRIBUTE_TEXT = re.compile(rb"\b([A-Za-z_]\w*+)[ \t]*+\.[ \t]*+[A-Za-z_]\w*+")
_CONSTANT_TEXT = re.compile(rb"\b_*+[A-Z][A-Z0-9_]*+\b(?![ \t]*[.(])")


def _name_spans(source: bytes, names: set[str]) -> Iterator[tuple[int, int]]:
    """The byte spans of `name.attr` for each of ``names`` (and `self`, `cls`), and of an UPPER_CASE
    one of them written bare."""
    known = {name.encode() for name in names} | set(_SELF_NAMES)
    for match in _ATTRIBUTE_TEXT.finditer(source):
        if match.group(1) in known:
            yield match.span()
    for match in _CONSTANT_TEXT.finditer(source):
        if match.group() in known:
            yield match.span()


def _name_nodes(root: ts.Node, source: bytes, names: set[str]) -> Iterator[tuple[ts.Node, str]]:
    """Each attribute of ``names`` or of `self`/`cls` (`config.debug`, `self.count`) and each
    UPPER_CASE name of ``names`` read bare, as (node, "read" | "write" | "update"): "update" for an
    augmented assignment."""
    for start, end in _name_spans(source, names):
        node = root.named_descendant_for_byte_range(start, end)
        if node is None or node.start_byte != start or node.end_byte != end or node.type not in ("attribute", "identifier"):
            continue  # in a string or a comment, or part of something longer
        parent = node.parent
        if parent is None or parent.type in _NOT_READS or (parent.type == "attribute" and node.type == "identifier"):
            continue
        if parent.type == "call" and parent.child_by_field_name("function") == node:
            continue  # a call
        if parent.type in _NAMED_BY and parent.child_by_field_name("name") == node:
            continue
        if parent.type in ("assignment", "augmented_assignment") and parent.child_by_field_name("left") == node:
            if node.type == "attribute":  # a bare name assigned is a definition, or a local
                yield node, "write" if parent.type == "assignment" else "update"
        else:
            yield node, "read"


def _type_names(annotation: ts.Node) -> list[tuple[ts.Node, str]]:
    """Every dotted name an annotation names: `Foo`, `m.Foo`, the arguments of `list[Foo]`, both
    sides of `A | B`, and a string annotation (`"Foo"`) holding a dotted name."""
    found: list[tuple[ts.Node, str]] = []
    pending = [annotation]
    while pending:
        node = pending.pop()
        if node.type in ("identifier", "attribute"):
            if name := _dotted(node):
                found.append((node, name))
        elif node.type == "string":
            text = _string_value(node).strip()
            if text and all(part.isidentifier() for part in text.split(".")):
                found.append((node, text))
        elif node.type not in ("none", "integer", "keyword_argument"):
            pending.extend(reversed(node.named_children))
    return found


# --- value facts -----------------------------------------------------------------------------------

def _dotted(node: ts.Node | None) -> str:
    """`a.b.c` for a chain of plain names, else ""."""
    attributes: list[str] = []
    while node is not None and node.type == "attribute":
        attributes.append(node_text(node.child_by_field_name("attribute")))
        node = node.child_by_field_name("object")
    if node is None or node.type != "identifier":
        return ""
    return ".".join([node_text(node), *reversed(attributes)])


def _type_name(node: ts.Node | None) -> str:
    """The class an annotation names: `Cls`, `mod.Cls`, `"Cls"`, `Optional[Cls]`, `Cls | None`; else ""."""
    while node is not None:  # each step unwraps one layer: `type`, `X | None`, `Optional[X]`
        if node.type == "type":
            node = node.named_children[0] if node.named_children else None
        elif node.type in ("identifier", "attribute"):
            return _dotted(node)
        elif node.type == "string":
            text = _string_value(node).strip()
            return text if text and all(part.isidentifier() for part in text.split(".")) else ""
        elif node.type == "binary_operator" and node_text(node.child_by_field_name("operator")) == "|":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is not None and right.type == "none":
                node = left
            elif left is not None and left.type == "none":
                node = right
            else:
                return ""
        elif node.type == "generic_type" and len(node.named_children) == 2:
            head, parameters = node.named_children
            if node_text(head) not in ("Optional", "typing.Optional") or len(parameters.named_children) != 1:
                return ""
            node = parameters.named_children[0]
        else:
            return ""
    return ""


def _value_of(node: ts.Node | None) -> tuple[str, str]:
    """(kind, source) of a bound value: see ValueBinding."""
    if node is None:
        return "other", ""
    if node.type == "none":
        return "none", ""
    if node.type == "call":
        function = _dotted(node.child_by_field_name("function"))
        return ("call", function) if function else ("other", "")
    if node.type == "await" and node.named_children and node.named_children[0].type == "call":
        function = _dotted(node.named_children[0].child_by_field_name("function"))
        return ("await", function) if function else ("other", "")
    if node.type in ("identifier", "attribute"):
        dotted = _dotted(node)
        return ("alias", dotted) if dotted else ("other", "")
    if node.type == "subscript":
        container = node.child_by_field_name("value")
        return ("element", node_text(container)) if container is not None and container.type == "identifier" else ("other", "")
    if node.type in ("list", "tuple", "set", "dictionary"):
        items = [c for c in node.named_children if c.type != "comment"]
        if node.type == "dictionary":
            items = [pair.child_by_field_name("value") if pair.type == "pair" else pair for pair in items]
        names = [_dotted(item) for item in items]
        return ("items", ",".join(names)) if names and all(names) else ("other", "")
    return "other", ""


def _instance_name(function: ts.Node | None, regions: _Regions) -> str:
    """The first parameter of a method (`self`), "" for a function or a static method."""
    if function is None or function.type != "function_definition":
        return ""
    outer = function.parent if function.parent is not None and function.parent.type == "decorated_definition" else function
    if not _directly_in_class(outer, regions):
        return ""
    if any(node_text(d).lstrip("@").strip() in ("staticmethod", "classmethod") for d in outer.children if d.type == "decorator"):
        return ""
    parameters = function.child_by_field_name("parameters")
    first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    return node_text(first) if first is not None and first.type == "identifier" else ""


def _value_bindings(captures: dict[str, list[ts.Node]], regions: _Regions, parsed: FileParse) -> list[ValueBinding]:
    """Every binding of each name (and `self.attr`, and each function's returns) that has at least one
    binding whose value is known: see ValueBinding. Bindings in lambdas and comprehensions belong to
    no scope path and are left out (they never rebind a scope's name); a walrus in them is `other`."""
    events: list[ValueBinding] = []
    known_ids: set[int] = set()

    def add(target_node: ts.Node, kind: str, source: str = "", escapes: bool = False) -> None:
        known_ids.add(target_node.id)
        line = target_node.start_point[0] + 1
        if target_node.type == "attribute":
            obj = target_node.child_by_field_name("object")
            function = regions.nearest(target_node, _FUNCTION_OR_CLASS)
            function = function if function is not None and function.id in regions.kept else None
            name = _instance_name(function, regions)
            if obj is None or obj.type != "identifier" or not name or node_text(obj) != name:
                return  # only attributes of the instance a method runs on are followed
            target = f"{name}.{node_text(target_node.child_by_field_name('attribute'))}"
            events.append(ValueBinding(target, regions.scope(target_node), line, kind, source))
            return
        function = regions.binding_function(target_node, frozenset())
        if function is not None and not _owns_scope(function, regions) and function.type != "class_definition":
            if escapes:  # a walrus in a comprehension binds in the enclosing function
                events.append(ValueBinding(node_text(target_node), regions.scope(target_node), line, "other"))
            return
        events.append(ValueBinding(node_text(target_node), regions.scope(target_node), line, kind, source))

    for node in captures.get("value.assignment", []):
        target = node.child_by_field_name("left")
        annotation = _type_name(node.child_by_field_name("type"))
        if node.child_by_field_name("type") is not None:
            add(target, "type" if annotation else "other", annotation)
        else:
            add(target, *_value_of(node.child_by_field_name("right")))
    for node in captures.get("value.walrus", []):
        add(node.child_by_field_name("name"), *_value_of(node.child_by_field_name("value")), escapes=True)
    for node in captures.get("value.with", []):
        target = node.child_by_field_name("alias").named_children[0]
        value = node.named_children[0]
        function = _dotted(value.child_by_field_name("function")) if value.type == "call" else ""
        statement = node.parent.parent.parent  # as_pattern < with_item < with_clause < with_statement
        entering = "async-enter" if statement is not None and protocol_variant(statement) == "async" else "enter"
        add(target, entering if function else "other", function)
    for node in captures.get("value.except", []):
        # `except C as e` / `except (A, B) as e`: an instance of a class caught, or of a subclass, as an
        # annotation says
        target = node.child_by_field_name("alias").named_children[0]
        caught = node.named_children[0]
        classes = [_dotted(c) for c in (caught.named_children if caught.type == "tuple" else [caught])]
        if any(child.type == "*" for child in node.parent.children) or not classes or not all(classes):
            add(target, "other")  # `except* C as e` binds an ExceptionGroup; `except errors() as e`, anything
            continue
        for name in classes:
            add(target, "type", name)
    for node in captures.get("value.for", []):
        iterated = node.child_by_field_name("right")
        add(node.child_by_field_name("left"), *(("element", node_text(iterated)) if iterated.type == "identifier" else ("other", "")))
    for node in captures.get("value.rebound", []):
        add(node, "other")
    for node in captures.get("value.declared", []):
        # `global x` / `nonlocal x`: the function may rebind x in an outer scope, and x is not its own
        scope = regions.scope(node)
        for depth in range(len(scope), -1, -1):
            events.append(ValueBinding(node_text(node), scope[:depth], node.start_point[0] + 1, "other"))
    for node in captures.get("function", []):
        if node.id not in regions.kept:
            continue  # folded: its parameters and returns are not facts about any definition
        parameters = node.child_by_field_name("parameters")
        scope = regions.kept[node.id]
        for parameter in parameters.named_children if parameters is not None else ():
            name_node = parameter.child_by_field_name("name") if parameter.type == "typed_default_parameter" else (
                parameter.named_children[0] if parameter.type == "typed_parameter" and parameter.named_children else None)
            if name_node is not None and name_node.type == "identifier":
                annotation = _type_name(parameter.child_by_field_name("type"))
                known_ids.add(name_node.id)
                events.append(ValueBinding(node_text(name_node), scope, name_node.start_point[0] + 1,
                                           "type" if annotation else "other", annotation))
        returns = _type_name(node.child_by_field_name("return_type"))
        if returns:
            events.append(ValueBinding(RETURN_TARGET, scope, node.start_point[0] + 1, "type", returns))
    for node in captures.get("value.return", []) + captures.get("value.yield", []):
        function = regions.nearest(node, _FUNCTION_OR_LAMBDA)
        if function is None or function.type != "function_definition" or function.id not in regions.kept:
            continue
        value = node.named_children[0] if node.named_children else None
        kind, source = _value_of(value) if value is not None else ("none", "")
        line = node.start_point[0] + 1
        if node.type == "yield":  # `yield from xs` yields xs's elements: not known
            from_ = any(child.type == "from" for child in node.children)
            events.append(ValueBinding(YIELD_TARGET, regions.kept[function.id], line, *(("other", "") if from_ else (kind, source))))
            kind, source = "other", ""  # calling a generator function gives a generator
        events.append(ValueBinding(RETURN_TARGET, regions.kept[function.id], line, kind, source))
    for node in captures.get("local", []):  # every other binding of a name in a scope
        if node.id not in known_ids:
            add(node, "other")
    for definition in parsed.definitions:
        if definition.kind != "Variable":
            events.append(ValueBinding(definition.name, definition.scope, definition.start_line, "other"))
    for binding in parsed.imports:
        if binding.alias:
            events.append(ValueBinding(binding.alias.split(".")[0], binding.scope, binding.line, "other"))
    # An instance attribute is one target across the methods of its class and the class body.
    def group(event: ValueBinding) -> tuple[Scope, str]:
        return (event.scope[:-1], event.target.split(".", 1)[1]) if "." in event.target else (event.scope, event.target)

    known = {group(e) for e in events if e.kind not in ("other", "none")}
    kept = [e for e in events if group(e) in known]
    return sorted(kept, key=lambda e: (e.scope, e.target, e.line))
