"""JavaScript extractor: one .js/.jsx/.mjs/.cjs file in, one FileParse out.

Takes (path, bytes); returns the file's definitions, imports, exports and call sites. The patterns
in ``javascript.scm`` find the nodes, each pattern under one role capture; a handler per role turns a
match into records, and one sweep over byte offsets then gives every record its enclosing scope.
``TypeScriptExtractor`` subclasses this and overrides a few tables and hooks.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import takewhile
from pathlib import PurePosixPath
from typing import Any, ClassVar

import tree_sitter as ts
import tree_sitter_javascript

from codekg.language_table import LANGUAGES
from codekg.languages.javascript_flow import DEFAULT_EXPORT, flow_facts, well_known_symbol
from codekg.languages.base import (
    EXTRACTION,
    WHOLE_SCOPE,
    FoldedDefinitions,
    Regions,
    unique_local_bindings,
    TreeSitterExtractor,
    error_regions,
    syntax_error_warning,
    iter_matches,
    line_count,
    node_text,
)
from codekg.records import (
    CallSite,
    Definition,
    DefinitionKind,
    ExportBinding,
    FileParse,
    ImportBinding,
    ImportKind,
    LocalBinding,
    CALL_RESULT_RECEIVER,
    NameUse,
    RETURN_TARGET,
    Scope,
    SqlStatement,
)
from codekg.languages.javascript_values import Placed, ValueBindings, declared_value, is_generator
from codekg.sql.embedded import PLACEHOLDER, SQL_CALLS, embedded_statements, is_sql_call, looks_like_sql, string_text

JAVASCRIPT = ts.Language(tree_sitter_javascript.language())

MAX_SIGNATURE = 200
EXPRESSION_RECEIVER = "<expr>"  # receiver of a call on something that is not a dotted name
COMMONJS_VALUE = "module.exports"  # name of a function or class assigned to `module.exports`
FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "generator_function"})
DECLARATIONS = frozenset({"lexical_declaration", "variable_declaration"})
_WHITESPACE = re.compile(r"\s+")

# Names usable with no import: ECMAScript globals plus the common browser / Node.js host globals.
JAVASCRIPT_GLOBALS = frozenset(
    """
    AggregateError Array ArrayBuffer Atomics BigInt BigInt64Array BigUint64Array Boolean DataView Date Error
    EvalError FinalizationRegistry Float32Array Float64Array Function Int8Array Int16Array Int32Array Intl
    JSON Map Math Number Object Promise Proxy RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer
    String Symbol SyntaxError TypeError URIError Uint8Array Uint8ClampedArray Uint16Array Uint32Array WeakMap
    WeakRef WeakSet decodeURI decodeURIComponent encodeURI encodeURIComponent escape eval globalThis isFinite
    isNaN parseFloat parseInt unescape
    AbortController Blob Buffer CustomEvent Event EventTarget File FileReader FormData Headers Image Request
    Response TextDecoder TextEncoder URL URLSearchParams WebSocket Worker XMLHttpRequest alert atob btoa
    cancelAnimationFrame clearImmediate clearInterval clearTimeout confirm console document fetch localStorage
    navigator process prompt queueMicrotask requestAnimationFrame sessionStorage setImmediate setInterval
    setTimeout structuredClone window
    """.split()  # noqa: SIM905 - a word list reads better than 100 quoted strings
)

# Nodes whose parameters and declarations are local to them; reaching a stop type first means module level.
_FUNCTION_LIKE = frozenset(
    {"function_declaration", "generator_function_declaration", "function_expression", "function", "arrow_function",
     "generator_function", "method_definition", "class_static_block"}
)
_BINDING_STOPS = frozenset({"class_body"})

Captures = dict[str, list[ts.Node]]
Handler = Callable[["_FileState", ts.Node, Captures], None]


@dataclass(slots=True)
class _Pending:
    """A record whose scope is not known yet, placed by the bytes that decide it.

    ``start`` is where the record sits; for a definition it is where its own scope opens and
    ``end`` where that scope closes (``end == start`` when it opens none).
    """

    start: int
    end: int
    record: Definition | CallSite | ImportBinding | LocalBinding | NameUse
    binding_function_range: tuple[int, int] | None = None  # local bindings: bytes of the function binding them
    folded: bool = False  # a definition nested past the bounds: no record of its own (see FoldedDefinitions)
    # definitions: the node whose `/** */` comment documents it (through an `export` wrapper or not), read
    # once the definition is known to be kept (finding a previous sibling costs O(depth) in tree-sitter)
    doc: ts.Node | None = None
    doc_through_export: bool = False
    defines: int | None = None  # definitions: the id of the node whose value the definition is (flow facts)


@dataclass(slots=True)
class _FileState:
    """What the handlers collect while the matches of one file stream by."""

    source: bytes
    pending: list[_Pending] = field(default_factory=list)
    exports: list[tuple[int, ExportBinding]] = field(default_factory=list)
    regions: list[ts.Node] = field(default_factory=list)  # functions, class bodies and class members
    # (start, end, where its calls go) of each TS parameter decorator
    parameter_decorators: list[tuple[int, int, int]] = field(default_factory=list)
    # placed once every region is known: local bindings by the node binding them, `this.x()` calls
    bound_names: list[tuple[ts.Node, LocalBinding]] = field(default_factory=list)
    # each binding outside a class body with the function binding it (None: the module)
    binding_functions: list[tuple[ts.Node, LocalBinding, ts.Node | None]] = field(default_factory=list)
    # assignments, returns, arrow bodies (as ("arrow", body)) and instance fields (as ("field", node)):
    # javascript_values.py
    value_nodes: list[tuple[str, ts.Node]] = field(default_factory=list)
    this_calls: list[tuple[ts.Node, CallSite]] = field(default_factory=list)
    # function and class expressions: each is a definition, named by its binding or `<anonymousN>`
    function_values: list[ts.Node] = field(default_factory=list)
    assigned_names: dict[int, ts.Node] = field(default_factory=dict)  # `f = function () {}`: value id -> name
    # SQL strings calls run: (call's start byte, its record, the callee as written, text, line, has holes)
    sql_strings: list[tuple[int, CallSite, str, str, int, bool]] = field(default_factory=list)
    # names used other than by calls: the member expressions calls are made through (not reads), the
    # spans of members written, and the end of the last type annotation read (nested ones are in it)
    call_functions: set[tuple[int, int]] = field(default_factory=set)
    written: set[tuple[int, int]] = field(default_factory=set)
    types_read_to: int = -1


class JavaScriptExtractor(TreeSitterExtractor):
    """JavaScript (and JSX): ES modules and CommonJS."""

    name = "javascript"
    extensions = LANGUAGES[name].extensions
    version = LANGUAGES[name].version
    query_files = ("javascript.scm", "javascript_parameters.scm")
    builtin_names = JAVASCRIPT_GLOBALS
    self_receivers = ("this",)
    constructor_name = "constructor"
    static_members_only_on_class = True
    resolution_family = "javascript"  # TypeScript inherits it: the two import each other
    describes_syntax_errors = True  # its warnings name the lines of each error region
    scripts_share_globals = True

    # Role capture -> handler method. Subclasses add roles for their own patterns.
    ROLE_HANDLERS: ClassVar[dict[str, str]] = {
        "definition.function": "_on_function",
        "definition.bound_function": "_on_bound_function",
        "definition.class": "_on_class",
        "definition.bound_class": "_on_bound_class",
        "definition.method": "_on_method",
        "definition.field": "_on_field",
        "definition.variable": "_on_variable",
        "definition.object_method": "_on_object_method",
        "definition.member_function": "_on_member_function",
        "definition.function_value": "_on_function_value",
        "definition.assigned_function": "_on_assigned_function",
        "import.default": "_on_import_default",
        "import.namespace": "_on_import_namespace",
        "import.symbol": "_on_import_symbol",
        "import.side_effect": "_on_import_side_effect",
        "import.require": "_on_import_require",
        "import.dynamic": "_on_import_dynamic",
        "import.reexport": "_on_import_reexport",
        "import.reexport_all": "_on_import_reexport_all",
        "export.declaration": "_on_export_declaration",
        "export.default": "_on_export_default",
        "export.clause": "_on_export_clause",
        "export.commonjs_default": "_on_export_commonjs_default",
        "export.commonjs_member": "_on_export_commonjs_member",
        "local": "_on_local",
        "value.assignment": "_on_value_node",
        "value.return": "_on_value_node",
        "value.arrow_body": "_on_arrow_body",
        "call": "_on_call",
        "call.new": "_on_call_new",
        "region": "_on_region",
        "parameter_decorator": "_on_parameter_decorator",
        "use.member": "_on_use_member",
        "use.write": "_on_use_write",
        "use.update": "_on_use_update",
        "use.constant": "_on_use_constant",
        "use.check": "_on_use_check",
    }
    # `export <declaration>` node types that bind one name.
    NAMED_DECLARATIONS = frozenset({"function_declaration", "generator_function_declaration", "class_declaration"})
    # Field holding a class field's name (`field_definition` in JS).
    FIELD_NAME = "property"
    # Expression wrappers that do not change which name is called (TS `a!.b()`).
    TRANSPARENT_EXPRESSIONS: frozenset[str] = frozenset()

    def tree_sitter_language(self, path: str) -> ts.Language:
        return JAVASCRIPT

    def module_name(self, path: str, source_roots: tuple[str, ...]) -> str:
        """`lib/router/index.js` -> `lib.router.index`; JS has no source roots to strip."""
        return str(PurePosixPath(path).with_suffix("")).replace("/", ".")

    @cached_property
    def _handlers(self) -> dict[str, Handler]:
        return {role: getattr(self, method) for role, method in self.ROLE_HANDLERS.items()}

    def extract(self, path: str, source: bytes) -> FileParse:
        tree, query = self.parse_tree(path, source)
        root = tree.root_node
        state = _FileState(source)
        handlers = self._handlers
        roles: dict[int, str] = self.__dict__.setdefault("_roles", {})  # pattern index -> role capture
        for index, captures in iter_matches(query, root):
            role = roles.get(index)
            if role is None:
                role = roles[index] = next(name for name in captures if name in handlers)
            handlers[role](state, captures[role][0], captures)

        regions = _Regions(state.regions)
        self._place_bindings_and_this_calls(state, regions)
        self._define_function_values(state)
        _place_parameter_decorator_calls(state)
        # an object-literal function is scoped under the Variable holding the object (a module-level
        # `const obj = {…}`), else under the definition around the object
        pending = state.pending
        folded = _assign_scopes(pending)
        placed = {p.defines: (p.record.scope if p.folded else p.record.path, not p.folded)
                  for p in pending if p.defines is not None}
        values = self._value_bindings(state, regions, placed)
        pending = [p for p in pending if not p.folded]
        pending = _known_uses(pending, state)
        _mark_own_bindings(pending)
        for item in pending:
            if item.doc is not None and isinstance(item.record, Definition):
                item.record.docstring = _jsdoc(_exported(item.doc) if item.doc_through_export else item.doc)
        state.exports.sort(key=lambda item: item[0])
        warnings = folded.warnings()
        syntax_errors = error_regions(root)
        return FileParse(
            path=path,
            language=self.name,
            line_count=line_count(source),
            definitions=[p.record for p in pending if isinstance(p.record, Definition)],
            imports=[p.record for p in pending if isinstance(p.record, ImportBinding)],
            exports=[binding for _, binding in state.exports],
            calls=[p.record for p in pending if isinstance(p.record, CallSite)],
            local_bindings=unique_local_bindings(p.record for p in pending if isinstance(p.record, LocalBinding)),
            values=values.records([p.record for p in pending if isinstance(p.record, Definition)]),
            uses=[p.record for p in pending if isinstance(p.record, NameUse)],
            flow=flow_facts(root, placed, source, (p.record for p in pending if isinstance(p.record, ImportBinding)))
            if EXTRACTION.flow_facts else [],
            sql=_embedded_sql(path, source, state.sql_strings, warnings) if state.sql_strings else [],
            parse_errors=len(syntax_errors),
            docstring=_file_docstring(root),
            warnings=syntax_error_warning(syntax_errors) + warnings,
        )

    # --- definitions -----------------------------------------------------------------------------

    def _on_function(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        name = node.child_by_field_name("name")
        if name is None:
            return
        self._define(
            state,
            "Function",
            node_text(name),
            span=node,
            opens=(node.start_byte, node.end_byte),
            signature=_signature(state.source, node.start_byte, _body_cut(node)),
            doc=node, doc_through_export=True,
            is_async=_is_async(node),
            defines=node,
        )

    def _on_bound_function(self, state: _FileState, declarator: ts.Node, captures: Captures) -> None:
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None or value is None:
            return
        statement = _declaration_of(declarator)
        self._define(
            state,
            "Function",
            node_text(name),
            span=statement,
            opens=(value.start_byte, value.end_byte),
            signature=_declarator_signature(state.source, statement, declarator, _body_cut(value)),
            doc=statement, doc_through_export=True,
            is_async=_is_async(value),
            defines=value,
        )

    def _on_class(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is None or body is None:
            return
        anchor = _exported(node)
        decorators = _decorators(node, anchor)
        bases, implements = self._heritage(node)
        self._define(
            state,
            "Class",
            node_text(name),
            span=node,
            opens=(body.start_byte, body.end_byte),
            signature=_signature(state.source, _first_non_decorator(node), body.start_byte),
            doc=anchor,
            bases=bases,
            implements=implements,
            decorators=decorators,
            defines=node,
        )

    def _on_bound_class(self, state: _FileState, declarator: ts.Node, captures: Captures) -> None:
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        body = value.child_by_field_name("body") if value is not None else None
        if name is None or value is None or body is None:
            return
        statement = _declaration_of(declarator)
        bases, implements = self._heritage(value)
        self._define(
            state,
            "Class",
            node_text(name),
            span=statement,
            opens=(body.start_byte, body.end_byte),
            signature=_declarator_signature(state.source, statement, declarator, body.start_byte),
            doc=statement, doc_through_export=True,
            bases=bases,
            implements=implements,
            decorators=_decorators(value, value),
            defines=value,
        )

    def _on_method(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        name_node = node.child_by_field_name("name")
        name = _member_name(name_node)
        if name_node is None or name is None:
            return
        modifiers = _modifiers(node, name_node)
        decorators = _decorators(node, node)
        start = _first_non_decorator(node)
        self._define(
            state,
            "Method",
            name,
            span=node,
            opens=(start, node.end_byte),
            signature=_signature(state.source, start, _body_cut(node)),
            doc=node,
            decorators=decorators,
            is_async="async" in modifiers,
            is_static="static" in modifiers,
            is_property="get" in modifiers or "set" in modifiers,
            defines=node,
        )

    def _on_field(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """A class field: a Method when it holds a function, else a class-level Variable."""
        state.value_nodes.append(("field", node))
        name_node, value = node.child_by_field_name(self.FIELD_NAME), node.child_by_field_name("value")
        name = _member_name(name_node)
        if name_node is None or name is None:
            return
        if value is None or value.type not in FUNCTION_VALUES:
            self._define(state, "Variable", name, span=node, doc=node,
                         annotation=self._annotation(node))
            return
        decorators = _decorators(node, node)
        self._define(
            state,
            "Method",
            name,
            span=node,
            opens=(value.start_byte, value.end_byte),
            signature=_signature(state.source, _first_non_decorator(node), _body_cut(value)),
            doc=node,
            decorators=decorators,
            is_async=_is_async(value),
            is_static="static" in _modifiers(node, name_node),
            defines=value,
        )

    def _on_variable(self, state: _FileState, declarator: ts.Node, captures: Captures) -> None:
        name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
        if name is None or name.type != "identifier":
            return  # destructuring binds no single name
        if value is not None and (value.type in FUNCTION_VALUES or value.type == "class" or _is_require(value)):
            return  # a Function, a Class or an import, matched by their own patterns
        statement = _declaration_of(declarator)
        opens = None
        if value is not None and value.type == "object":
            opens = (value.start_byte, value.end_byte)  # its functions are scoped under it
        self._define(
            state,
            "Variable",
            node_text(name),
            span=statement,
            opens=opens,
            doc=statement, doc_through_export=True,
        )

    def _on_object_method(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        is_pair = node.type == "pair"
        name_node = node.child_by_field_name("key" if is_pair else "name")
        name = _member_name(name_node)
        function = node.child_by_field_name("value") if is_pair else node
        if name_node is None or name is None or function is None:
            return
        modifiers = set() if is_pair else _modifiers(node, name_node)
        self._define(
            state,
            "Function",
            name,
            span=node,
            opens=(function.start_byte, function.end_byte),
            signature=_signature(state.source, node.start_byte, _body_cut(function)),
            doc=node,
            is_async=_is_async(function) if is_pair else "async" in modifiers,
            is_property="get" in modifiers or "set" in modifiers,
            defines=function,
        )

    def _on_member_function(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`a.b.c = function () {}` defines a Function named `a.b.c`: a dotted name no bare call can
        reach, so it only gives the code inside a caller of its own. A prototype method
        `Foo.prototype.m = function` is named `Foo.m`, like a class's method (the call-graph
        conventions, tests/fixtures/callgraph/README.md). CommonJS exports are skipped: `exports.x =
        function` is an export and defines `x` (see the export handlers)."""
        target, value = captures["_target"][0], captures["value"][0]
        dotted = self._dotted(target)
        if dotted is None or dotted.split(".", 1)[0] == "exports" or dotted.startswith("module.exports"):
            return
        dotted = ".".join(part for part in dotted.split(".") if part != "prototype") or dotted
        self._define(
            state,
            "Function",
            dotted,
            span=node,
            opens=(value.start_byte, value.end_byte),
            signature=_signature(state.source, node.start_byte, _body_cut(value)),
            doc=node,
            is_async=_is_async(value),
            defines=value,
        )

    def _on_function_value(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        state.function_values.append(node)

    def _on_assigned_function(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        state.assigned_names[captures["value"][0].id] = captures["name"][0]

    def _define_function_values(self, state: _FileState) -> None:
        """Every function or class expression that no other pattern defines is a definition too:
        named by the name it is assigned to (`f = () => …`), else by its own name (`return function
        inner () {}`), else `<anonymousN>` (numbered when scopes are assigned). It is a Function, or a
        Class with its own scope for its members."""
        defined = {item.defines for item in state.pending if item.defines is not None}
        for node in state.function_values:
            if node.id in defined:
                continue
            name_node = state.assigned_names.get(node.id) or node.child_by_field_name("name")
            name = node_text(name_node) if name_node is not None else ""
            if node.type == "class":
                body = node.child_by_field_name("body")
                if body is None:
                    continue
                bases, implements = self._heritage(node)
                self._define(state, "Class", name, span=node, opens=(body.start_byte, body.end_byte),
                             signature=_signature(state.source, _first_non_decorator(node), body.start_byte),
                             bases=bases, implements=implements, decorators=_decorators(node, node), defines=node)
                continue
            self._define(state, "Function", name, span=node, opens=(node.start_byte, node.end_byte),
                         signature=_signature(state.source, node.start_byte, _body_cut(node)),
                         is_async=_is_async(node), defines=node)

    def _heritage(self, class_node: ts.Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(bases, implements) of a class: JS has one `extends <expression>` and no interfaces."""
        for child in _children(class_node):
            if child.type == "class_heritage":
                for expression in child.named_children:
                    dotted = self._dotted(expression)
                    return ((dotted,) if dotted else ()), ()
        return (), ()

    def _define(
        self,
        state: _FileState,
        kind: DefinitionKind,
        name: str,
        *,
        span: ts.Node,
        opens: tuple[int, int] | None = None,
        decorators: Sequence[ts.Node] = (),
        anchor: int | None = None,
        doc: ts.Node | None = None,
        doc_through_export: bool = False,
        defines: ts.Node | None = None,
        **details: Any,
    ) -> None:
        """Queue a definition over ``span``'s lines (from its first decorator) whose own scope is the
        byte range ``opens`` (None: it opens no scope). Its enclosing scope is the one open at byte
        ``anchor`` (default: where ``span`` starts). Its docstring is the doc comment above ``doc``
        (or above the `export` statement wrapping it). ``defines``: the function or class node whose
        value the definition is, for the flow facts' ("def", path)."""
        first = decorators[0] if decorators else span
        record = Definition(
            kind,
            name,
            scope=(),
            start_line=first.start_point.row + 1,
            end_line=span.end_point.row + 1,
            decorators=tuple(_decorator_text(decorator) for decorator in decorators),
            decorator_lines=tuple(decorator.start_point.row + 1 for decorator in decorators),
            **details,
        )
        at = span.start_byte if anchor is None else anchor
        start, end = opens if opens is not None else (at, at)
        state.pending.append(_Pending(start, end, record, doc=doc, doc_through_export=doc_through_export,
                                      defines=defines.id if defines is not None else None))

    # --- imports ---------------------------------------------------------------------------------

    def _import(
        self, state: _FileState, at: ts.Node, line_of: ts.Node, kind: ImportKind, module: str, name: str, alias: str,
        is_type_only: bool = False,
    ) -> None:
        """Queue an import binding placed at ``at`` (for its scope and order), on ``line_of``'s line."""
        record = ImportBinding(kind, module, name, alias, line_of.start_point.row + 1, is_type_only=is_type_only)
        state.pending.append(_Pending(at.start_byte, at.start_byte, record))

    def _on_import_default(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        alias = captures["alias"][0]
        self._import(state, alias, node, "default", _module(captures), "default", node_text(alias), _type_only(node))

    def _on_import_namespace(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        alias = captures["alias"][0]
        self._import(state, alias, node, "namespace", _module(captures), "", node_text(alias), _type_only(node))

    def _on_import_symbol(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        specifier = captures["specifier"][0]
        name, alias = _specifier_names(specifier)
        if name:
            type_only = _type_only(node) or _type_only(specifier)
            self._import(state, specifier, node, "symbol", _module(captures), name, alias, type_only)

    def _on_import_side_effect(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        self._import(state, node, node, "side-effect", _module(captures), "", "")

    def _on_import_require(self, state: _FileState, call: ts.Node, captures: Captures) -> None:
        """`require('m')`: what it binds depends on where the call sits."""
        module = _module(captures)
        parent = call.parent
        if parent is not None and parent.type == "variable_declarator" and _is_field(parent, "value", call):
            target = parent.child_by_field_name("name")
            if target is not None and target.type == "identifier":
                self._import(state, call, parent, "namespace", module, "", node_text(target))
                return
            if target is not None and target.type == "object_pattern":
                for name, alias in _pattern_names(target):
                    self._import(state, call, parent, "symbol", module, name, alias)
                return
        if parent is not None and parent.type == "member_expression" and _is_field(parent, "object", call):
            declarator, prop = parent.parent, parent.child_by_field_name("property")
            target = declarator.child_by_field_name("name") if declarator is not None else None
            if (
                declarator is not None
                and declarator.type == "variable_declarator"
                and target is not None
                and target.type == "identifier"
                and prop is not None
            ):
                self._import(state, call, declarator, "symbol", module, node_text(prop), node_text(target))
                return
        self._import(state, call, call, "side-effect", module, "", "")

    def _on_import_dynamic(self, state: _FileState, call: ts.Node, captures: Captures) -> None:
        self._import(state, call, call, "side-effect", _module(captures), "", "")

    def _on_import_reexport(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        specifier = captures["specifier"][0]
        name, alias = _specifier_names(specifier)
        if name:
            type_only = _type_only(node) or _type_only(specifier)
            self._import(state, specifier, node, "reexport", _module(captures), name, alias, type_only)

    def _on_import_reexport_all(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        alias = captures.get("alias")
        self._import(state, node, node, "reexport", _module(captures), "*", node_text(alias[0]) if alias else "",
                     _type_only(node))

    # --- exports ---------------------------------------------------------------------------------

    def _export(
        self, state: _FileState, at: ts.Node, line_of: ts.Node, exported: str, local: str, commonjs: bool = False
    ) -> None:
        state.exports.append((at.start_byte, ExportBinding(exported, local, line_of.start_point.row + 1, commonjs)))

    def _on_export_declaration(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        declaration = captures["declaration"][0]
        if declaration.type in DECLARATIONS:
            for declarator in declaration.named_children:
                name = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" else None
                if name is not None and name.type == "identifier":
                    self._export(state, declarator, node, node_text(name), node_text(name))
            return
        name = declaration.child_by_field_name("name")
        if declaration.type in self.NAMED_DECLARATIONS and name is not None:
            is_default = any(child.type == "default" for child in _children(node))
            self._export(state, node, node, "default" if is_default else node_text(name), node_text(name))

    def _on_export_default(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`export default X`: an identifier names the value; an object literal (axios's `export default
        { forEach, … }`) is a Variable named `default` (no other binding can take that name), so a
        default import reaches its members through the value flow; its functions stay defined where
        they were (the module's). A function or class expression is defined under its own name, or,
        unnamed (`export default (config) => {…}`), under `default`, so that a default import's calls
        reach it, as `module.exports = function () {}` does. Any other expression is a value nothing names."""
        value = captures["value"][0]
        if value.type == "object":
            self._define(state, "Variable", DEFAULT_EXPORT, span=node, doc=node)
            self._export(state, node, node, "default", DEFAULT_EXPORT)
            return
        if value.type in FUNCTION_VALUES or value.type == "class":
            self._export_defined_value(state, node, value, DEFAULT_EXPORT)
            return
        self._export(state, node, node, "default", node_text(value) if value.type == "identifier" else "")

    def _on_export_clause(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        specifier = captures["specifier"][0]
        local, exported = _specifier_names(specifier)
        if local:
            self._export(state, specifier, node, exported, local)

    def _on_export_commonjs_default(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`module.exports = X` (TS `export = X`): the module's whole value is X. An identifier names
        it; a function or class expression is defined under its own name (`function debounce () {}`)
        or, unnamed, under `module.exports` (which no bare call can reach); an object literal is the
        module itself, its keys named exports."""
        value = captures["value"][0]
        if value.type == "identifier":
            self._export(state, node, node, "default", node_text(value), commonjs=True)
            return
        if value.type in FUNCTION_VALUES or value.type == "class":
            self._export_defined_value(state, node, value, COMMONJS_VALUE, commonjs=True)
            return
        if value.type != "object":
            self._export(state, node, node, "default", "", commonjs=True)
            return
        for member in value.named_children:
            if member.type == "shorthand_property_identifier":
                self._export(state, member, node, node_text(member), node_text(member), commonjs=True)
            elif member.type == "method_definition":
                key = _member_name(member.child_by_field_name("name"))
                if key is not None:
                    self._export(state, member, node, key, key, commonjs=True)
            elif member.type == "pair":
                key, member_value = _member_name(member.child_by_field_name("key")), member.child_by_field_name("value")
                if key is None or member_value is None:
                    continue
                if member_value.type == "identifier":
                    local = node_text(member_value)
                else:
                    local = key if member_value.type in FUNCTION_VALUES else ""
                self._export(state, member, node, key, local, commonjs=True)

    def _export_defined_value(self, state: _FileState, statement: ts.Node, value: ts.Node, unnamed: str,
                              commonjs: bool = False) -> None:
        """A function or class expression exported as the module's default: defined under its own name,
        or ``unnamed`` when it has none, and exported as `default`."""
        own_name = value.child_by_field_name("name")
        name = node_text(own_name) if own_name is not None else unnamed
        self._define_exported_value(state, statement, value, name)
        self._export(state, statement, statement, "default", name, commonjs=commonjs)

    def _define_exported_value(self, state: _FileState, statement: ts.Node, value: ts.Node, name: str) -> None:
        """`module.exports = function () {}` / `= class extends B {}` / `export default () => {}`: a
        definition named `name`."""
        if value.type == "class":
            body = value.child_by_field_name("body")
            if body is None:
                return
            bases, implements = self._heritage(value)
            self._define(
                state, "Class", name, span=statement, opens=(body.start_byte, body.end_byte),
                signature=_signature(state.source, statement.start_byte, body.start_byte), doc=statement,
                bases=bases, implements=implements, defines=value,
            )
            return
        self._define(
            state, "Function", name, span=statement, opens=(value.start_byte, value.end_byte),
            signature=_signature(state.source, statement.start_byte, _body_cut(value)), doc=statement,
            is_async=_is_async(value), defines=value,
        )

    def _on_export_commonjs_member(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`exports.x = f`; a function expression on the right also defines a Function `x`."""
        name, value = node_text(captures["name"][0]), captures["value"][0]
        if value.type == "identifier":
            self._export(state, node, node, name, node_text(value), commonjs=True)
        elif value.type in FUNCTION_VALUES:
            self._export(state, node, node, name, name, commonjs=True)
            self._define(
                state,
                "Function",
                name,
                span=node,
                opens=(value.start_byte, value.end_byte),
                signature=_signature(state.source, node.start_byte, _body_cut(value)),
                doc=node,
                is_async=_is_async(value),
                defines=value,
            )
        else:
            self._export(state, node, node, name, "", commonjs=True)

    # --- calls -----------------------------------------------------------------------------------

    def _on_region(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        state.regions.append(node)

    def _on_parameter_decorator(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """TS `m(@Inject(T) t)`: the decorator is called where the class is defined, so its calls
        are the class body's: they are placed just before the method (its first byte less one)."""
        method = captures["_method"][0]
        state.parameter_decorators.append((node.start_byte, node.end_byte, method.start_byte - 1))

    def _on_value_node(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        state.value_nodes.append((node.type, node))

    def _on_arrow_body(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        if node.type != "statement_block":
            state.value_nodes.append(("arrow", node))

    def _on_local(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        if _bound_by_require(node):
            return  # an import binding
        record = LocalBinding(node_text(node), (), node.start_point.row + 1, *WHOLE_SCOPE,
                              annotation=self._binding_annotation(node))
        state.bound_names.append((node, record))

    def _value_bindings(self, state: _FileState, regions: _Regions, placed: Placed) -> ValueBindings:
        """What the default resolver may know of names' values (javascript_values.py), with each
        binding placed in the definition it belongs to."""
        values = ValueBindings(placed, self._dotted, self._unwrap)
        declared: set[tuple[Scope, str]] = set()
        for node, record, owner in state.binding_functions:
            scope, name = values.scope_of(owner), node_text(node)
            value = declared_value(node)
            kind = ("type", record.annotation) if record.annotation else ("other", "") if value is False else values.value_of(value or None)
            values.add(name, scope, node, *kind)
            if scope is not None:
                declared.add((scope, name))
        for role, node in state.value_nodes:
            if role == "return_statement" or role == "arrow":
                function = node.parent if role == "arrow" else regions.innermost(node, _FUNCTION_LIKE)
                scope = values.scope_of(function) if function is not None else None
                if scope is None:
                    continue  # a folded function's returns are about no definition of the index
                returned = node if role == "arrow" else next((c for c in node.named_children if c.type != "comment"), None)
                kind = ("other", "") if is_generator(function) else values.value_of(returned)
                values.add(RETURN_TARGET, scope, node, *kind)
            elif role == "field":
                self._field_value(values, node)
            else:
                self._assigned_value(values, regions, declared, node, role != "assignment_expression")
        return values

    def _assigned_value(self, values: ValueBindings, regions: _Regions, declared: set[tuple[Scope, str]],
                        node: ts.Node, augmented: bool) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        kind = ("other", "") if augmented else values.value_of(right)
        if left is not None and left.type in ("array_pattern", "object_pattern"):  # `[a, b] = [b, a]`
            for name in _assigned_names(left):
                self._assigned_name(values, regions, declared, node, name, ("other", ""))
            return
        if left is not None and left.type == "identifier":
            self._assigned_name(values, regions, declared, node, node_text(left), kind)
            return
        target = left.child_by_field_name("object") if left is not None else None
        prop = left.child_by_field_name("property") if left is not None else None
        if target is None or target.type != "this" or prop is None or not regions.this_is_the_instance(node):
            return  # only the attributes of the instance a method runs on are followed
        method = regions.innermost(node, _THIS_DECIDERS)
        if method is not None and method.type == "method_definition":
            values.add(f"this.{node_text(prop)}", values.scope_of(method), node, *kind)

    def _assigned_name(self, values: ValueBindings, regions: _Regions, declared: set[tuple[Scope, str]],
                       node: ts.Node, name: str, kind: tuple[str, str]) -> None:
        """An assignment to ``name``: a binding of the nearest enclosing function declaring it, else the module's."""
        scope = values.scope_of(regions.innermost(node, _FUNCTION_LIKE))
        if scope is not None:
            scope = next((scope[:depth] for depth in range(len(scope), 0, -1) if (scope[:depth], name) in declared), ())
        values.add(name, scope, node, *kind)

    def _field_value(self, values: ValueBindings, node: ts.Node) -> None:
        """An instance field `x = …` of a class: a binding of the attribute in the class body."""
        name, class_body = node.child_by_field_name(self.FIELD_NAME), node.parent
        if name is None or class_body is None or class_body.parent is None or any(c.type == "static" for c in node.children):
            return
        values.add(node_text(name), values.scope_of(class_body.parent), node, *values.value_of(node.child_by_field_name("value")))

    def _place_bindings_and_this_calls(self, state: _FileState, regions: _Regions) -> None:
        """Queue each local binding with the function binding it (none in a class body: a field, a
        Variable already), and make `this` in a plain function's call an expression receiver."""
        for node, record in state.bound_names:
            function = regions.innermost(node, _BINDING_DECIDERS)
            if function is not None and function.type in _BINDING_STOPS:
                continue
            state.binding_functions.append((node, record, function))
            owner_range = None if function is None else (function.start_byte, function.end_byte)
            state.pending.append(_Pending(node.start_byte, node.start_byte, record, binding_function_range=owner_range))
            if function is not None:
                record.region_start, record.region_end = function.start_point.row + 1, function.end_point.row + 1
        for node, record in state.this_calls:
            if not regions.this_is_the_instance(node):
                record.receiver = EXPRESSION_RECEIVER  # `this` inside a plain function is whatever the caller binds

    # --- names used other than by calls ------------------------------------------------------------

    def _use(self, state: _FileState, kind: str, name: str, node: ts.Node) -> None:
        """Queue a name use placed at ``node`` (its scope is the code around it)."""
        record = NameUse(kind, name, (), node.start_point.row + 1)  # type: ignore[arg-type]
        state.pending.append(_Pending(node.start_byte, node.start_byte, record))

    def _on_use_member(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`this.count`, `config.limit` read (a call through it is a call; a write is `_on_use_write`)."""
        state.pending.append(_Pending(node.start_byte, node.end_byte, NameUse("read", _collapse(node_text(node)), (),
                                                                              node.start_point.row + 1)))

    def _on_use_write(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        state.written.add((node.start_byte, node.end_byte))
        self._use(state, "write", _collapse(node_text(node)), node)

    def _on_use_update(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`this.count += 1`, `count++`: read, then written."""
        self._use(state, "write", _collapse(node_text(node)), node)  # the read is the member's own match

    def _on_use_constant(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """An UPPER_CASE name read: a module constant by convention (reading every identifier would
        cost a fifth of the parse)."""
        parent = node.parent
        if parent is None or parent.type in _NOT_READS:
            return
        if parent.type in ("variable_declarator", "assignment_expression", "call_expression", "new_expression") and (
                parent.child_by_field_name("name") == node or parent.child_by_field_name("left") == node
                or parent.child_by_field_name("function") == node or parent.child_by_field_name("constructor") == node):
            return  # a binding, or a call
        self._use(state, "read", node_text(node), node)

    def _on_use_check(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`x instanceof Foo` names the type Foo."""
        if name := self._dotted(node):
            self._use(state, "type", name, node)

    def _on_use_type(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """Every type a type annotation, generic argument list or interface body names."""
        if node.start_byte < state.types_read_to:
            return  # inside an annotation already read
        state.types_read_to = node.end_byte
        self._type_uses(state, node)

    def _type_uses(self, state: _FileState, node: ts.Node) -> None:
        pending = [node]
        while pending:
            current = pending.pop()
            if current.type in ("type_identifier", "nested_type_identifier"):
                self._use(state, "type", "".join(node_text(current).split()), current)
            elif current.type not in ("predefined_type", "literal_type", "string", "property_identifier"):
                pending.extend(reversed(current.named_children))

    def _on_call(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        self._call(state, node, captures["callee"][0], is_new=False)

    def _on_call_new(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        self._call(state, node, captures["callee"][0], is_new=True)

    def _call(self, state: _FileState, node: ts.Node, function: ts.Node, *, is_new: bool) -> None:
        """Record a call whose function is a name or a member chain; others (`f()()`) are skipped."""
        function = self._unwrap(_called_operand(function))
        if function.type == "identifier":
            callee, receiver, name_node = node_text(function), None, function
            if callee == "require":
                return  # an import, recorded by the require pattern
        elif function.type == "super" and not is_new:
            callee, receiver, name_node = "constructor", "super", function
        elif function.type == "member_expression":
            prop, obj = function.child_by_field_name("property"), function.child_by_field_name("object")
            if prop is None or obj is None:
                return
            callee, receiver, name_node = node_text(prop), self._dotted(obj) or self._call_result(obj), prop
        else:
            return
        record = CallSite(callee, receiver, (), name_node.start_point.row + 1, is_new)
        state.pending.append(_Pending(node.start_byte, node.start_byte, record))
        state.call_functions.add((function.start_byte, function.end_byte))
        if callee in SQL_CALLS and not is_new:
            self._sql_string(state, node, function, record)
        if receiver is not None and receiver.split(".", 1)[0] == "this":
            state.this_calls.append((node, record))

    def _call_result(self, receiver: ts.Node) -> str:
        """The receiver `new C().m()`, `C.create().m()` or `make().go()` call on: CALL_RESULT_RECEIVER and
        the inner call's dotted callee; EXPRESSION_RECEIVER for any other expression."""
        receiver = self._unwrap(receiver)
        while receiver.type == "parenthesized_expression" and receiver.named_child_count == 1:
            receiver = self._unwrap(receiver.named_children[0])
        inner = receiver.child_by_field_name("constructor" if receiver.type == "new_expression" else "function") \
            if receiver.type in ("new_expression", "call_expression") else None
        called = self._dotted(inner) if inner is not None else None
        return CALL_RESULT_RECEIVER + called if called and called.split(".", 1)[0] not in ("this", "super") else EXPRESSION_RECEIVER

    def _sql_string(self, state: _FileState, node: ts.Node, function: ts.Node, record: CallSite) -> None:
        """Keep the SQL string a call that runs SQL is given (codekg/sql/embedded.py): its first
        argument, or the template of a tagged template whose tag is `sql` (postgres.js, slonik)."""
        arguments = node.child_by_field_name("arguments")
        if arguments is None:
            return
        if arguments.type == "template_string":
            argument = arguments if record.callee == "sql" or is_sql_call(record.callee, record.receiver) else None
        elif is_sql_call(record.callee, record.receiver):
            argument = next((child for child in arguments.named_children if child.type != "comment"), None)
        else:
            return
        found = _sql_text(argument) if argument is not None else None
        if found is not None and looks_like_sql(found[0]):
            callee = "".join(node_text(function).split())
            state.sql_strings.append((node.start_byte, record, callee, *found))

    def _annotation(self, declaration: ts.Node | None) -> str:
        """The declared type of a parameter, variable or field as a dotted name; JavaScript has none."""
        return ""

    def _binding_annotation(self, name: ts.Node) -> str:
        """The declared type of the parameter or variable that binds ``name``; JavaScript has none."""
        return ""

    def _unwrap(self, node: ts.Node) -> ts.Node:
        while node.type in self.TRANSPARENT_EXPRESSIONS and node.named_child_count:
            node = node.named_children[0]
        return node

    def _dotted(self, node: ts.Node) -> str | None:
        """`a.b.c` for a chain of identifiers / `this` / `super`; None for any other expression."""
        parts: list[str] = []
        while True:
            node = self._unwrap(node)
            if node.type in ("identifier", "this", "super"):
                parts.append(node_text(node))
                return ".".join(reversed(parts))
            if node.type != "member_expression":
                return None
            prop, obj = node.child_by_field_name("property"), node.child_by_field_name("object")
            if prop is None or obj is None or prop.type not in ("property_identifier", "private_property_identifier"):
                return None
            parts.append(node_text(prop))
            node = obj


_THIS_TRANSPARENT = frozenset({"arrow_function"})  # arrow functions keep the enclosing `this`
_THIS_IS_INSTANCE = frozenset({"method_definition", "field_definition", "public_field_definition", "class_static_block"})


_THIS_DECIDERS = _THIS_IS_INSTANCE | (_FUNCTION_LIKE - _THIS_TRANSPARENT)
_BINDING_DECIDERS = _FUNCTION_LIKE | _BINDING_STOPS


class _Regions:
    """Which function, class body or class member holds a node: by byte range, so the cost never
    depends on how deep the node sits (``Node.parent`` costs O(depth) in tree-sitter)."""

    def __init__(self, nodes: list[ts.Node]) -> None:
        self._regions: Regions[None] = Regions((node.type, node, None) for node in nodes)
        self._in_class_body: dict[int, bool] = {}

    def innermost(self, node: ts.Node, types: frozenset[str]) -> ts.Node | None:
        region = self._regions.innermost(node, types)
        return region[1] if region is not None else None

    def this_is_the_instance(self, node: ts.Node) -> bool:
        """Whether `this` at ``node`` is the enclosing class's instance (in a method or field
        initialiser, possibly through arrow functions) rather than what a plain function's caller binds."""
        region = self.innermost(node, _THIS_DECIDERS)
        if region is None or region.type not in _THIS_IS_INSTANCE:
            return False
        if region.type != "method_definition":
            return True
        if region.id not in self._in_class_body:  # a method of a class, not of an object literal
            parent = region.parent
            self._in_class_body[region.id] = parent is not None and parent.type == "class_body"
        return self._in_class_body[region.id]


def _mark_own_bindings(pending: list[_Pending]) -> None:
    """A binding made by a function that is itself a definition belongs to that definition's scope
    (WHOLE_SCOPE); one made by an anonymous function keeps the function's lines."""
    definition_ranges = {(p.start, p.end) for p in pending if isinstance(p.record, Definition)}
    for item in pending:
        if isinstance(item.record, LocalBinding) and item.binding_function_range in definition_ranges:
            item.record.region_start, item.record.region_end = WHOLE_SCOPE


# --- SQL in string literals -----------------------------------------------------------------------

_STRING_DELIMITERS = frozenset({"'", '"', "`"})
_WHITESPACE_ESCAPES = frozenset({"\\n", "\\r", "\\t", "\\f", "\\v", "\\b"})
_LINE_TERMINATORS = ("\n", "\r", "\u2028", "\u2029")


def _embedded_sql(path: str, source: bytes, found: list[tuple[int, CallSite, str, str, int, bool]],
                  warnings: list[str]) -> list[SqlStatement]:
    """The statements of the SQL strings ``found`` (their calls' scopes placed by now), in source order.
    The file's `/* dialect: x */` comment, else the settings, give the dialect; an unknown name in the
    comment is a warning (the file's code is still read), not an error as in a `.sql` file."""
    from codekg.sql.embedded import code_dialect

    dialect = code_dialect(path, source, EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects, warnings)
    statements: list[SqlStatement] = []
    for _, record, callee, text, line, interpolated in sorted(found, key=lambda item: item[0]):
        statements.extend(embedded_statements(text, dialect, line, record.scope, callee, interpolated))
    return statements


def _assigned_names(pattern: ts.Node) -> list[str]:
    """Every name a destructuring assignment may rebind (`[a, {b, c: d}, ...e] = …`: a, b, d, e; a
    default's names too, which errs on the side of not knowing), walked without recursion."""
    names, stack = [], [pattern]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            names.append(node_text(node))
        elif node.type == "pair_pattern":
            value = node.child_by_field_name("value")
            stack.extend([value] if value is not None else [])
        else:
            stack.extend(node.named_children)
    return names


def _called_operand(node: ts.Node) -> ts.Node:
    """What a call's function expression evaluates to when it is parenthesized or a comma sequence:
    `(f)()` calls f, and `(0, util_1.getParsedType)(x)` (how tsc compiles a call of an imported
    function) calls `util_1.getParsedType`, the comma operator's last operand."""
    while node.type in ("parenthesized_expression", "sequence_expression"):
        inner = [child for child in node.named_children if child.type != "comment"]
        if not inner or (node.type == "parenthesized_expression" and len(inner) != 1):
            return node
        node = inner[-1]
    return node


def _sql_text(node: ts.Node) -> tuple[str, int, bool] | None:
    """(text, the line its content starts on, whether it has holes) of a string expression: a string
    literal, a template literal (each `${…}` a hole) or literals joined by `+` (another operand of `+`
    is a hole); else None. A hole reads as PLACEHOLDER. Line breaks stay where the source has them (an
    escaped `\\n` reads as a space; literals on later lines start on their own line), so statement
    lines are file lines."""
    return string_text(node, _string_segments)


def _string_segments(node: ts.Node, segments: list[tuple[int, str]]) -> bool | None:
    """Append the (row, text) pieces of string expression ``node`` to ``segments``; whether it has
    holes, or None when it is no string (then what it appended is left for the caller to drop)."""
    kind = node.type
    if kind == "parenthesized_expression":
        inner = [child for child in node.named_children if child.type != "comment"]
        return _string_segments(inner[0], segments) if len(inner) == 1 else None
    if kind in ("string", "template_string"):
        children = node.children
        if not children or children[0].type not in _STRING_DELIMITERS:
            return None
        holes, parts = False, []
        for child in children:
            if child.type == "string_fragment":
                parts.append(node_text(child))
            elif child.type == "escape_sequence":
                parts.append(_unescape(node_text(child)))
            elif child.type == "template_substitution":
                parts.append(PLACEHOLDER + "\n" * node_text(child).count("\n"))
                holes = True
        segments.append((children[0].end_point.row, "".join(parts)))
        return holes
    if kind == "binary_expression" and node_text(node.child_by_field_name("operator")) == "+":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return None
        start = len(segments)
        holes = _operand_segments(left, segments) | _operand_segments(right, segments)
        return None if all(text == PLACEHOLDER for _, text in segments[start:]) else holes
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


def _unescape(escape: str) -> str:
    """An escape's character; a line continuation stays a line break, `\\n` (and the like) a space."""
    if escape[1:].startswith(_LINE_TERMINATORS):
        return "\n" if escape[1:2] in ("\n", "\r") else " "
    if escape in _WHITESPACE_ESCAPES:
        return " "
    code = escape[3:-1] if escape.startswith("\\u{") else escape[2:] if escape[1:2] in ("x", "u") else ""
    try:
        return chr(int(code, 16)).replace("\n", " ") if code else escape[1:]
    except (ValueError, OverflowError):
        return escape


# --- scopes ---------------------------------------------------------------------------------------


# where an UPPER_CASE identifier is not a read of a variable: it names, binds or declares something
_NOT_READS = frozenset({
    "member_expression", "function_declaration", "class_declaration", "formal_parameters", "required_parameter",
    "optional_parameter", "import_specifier", "import_clause", "namespace_import", "export_specifier", "pair",
    "pair_pattern", "shorthand_property_identifier_pattern", "labeled_statement", "enum_declaration",
    "type_alias_declaration", "interface_declaration", "method_definition", "arrow_function", "catch_clause",
    "array_pattern", "object_pattern", "rest_pattern", "for_in_statement",
})


def _known_uses(pending: list[_Pending], state: _FileState) -> list[_Pending]:
    """The name uses resolution can follow: members read or written through `this` or a name the
    module binds (a local's members are not known here), not the members calls are made through."""
    known = {"this"} | {p.record.name for p in pending if isinstance(p.record, Definition) and not p.record.scope}
    known.update(p.record.alias for p in pending if isinstance(p.record, ImportBinding) and p.record.alias)
    kept = []
    for item in pending:
        record = item.record
        if isinstance(record, NameUse) and record.kind != "type":
            if item.end != item.start and ((item.start, item.end) in state.call_functions
                                           or (item.start, item.end) in state.written):
                continue  # `this.m()` is a call; an assignment's target is its write
            if "." in record.name and record.name.split(".", 1)[0] not in known:
                continue
        kept.append(item)
    return kept


def _assign_scopes(pending: list[_Pending]) -> FoldedDefinitions:
    """Give each record the path of its innermost enclosing definition, in one sweep by offset.

    Ranges of definitions nest, so sorting by start (definitions first, outer first) and keeping a
    stack of the open ones is enough: no walking up the tree per record. Calls and imports take
    the nearest enclosing caller, skipping Variables (a Variable only scopes object-literal functions).
    A definition nested past the bounds is marked folded; what it holds goes to its kept ancestor.
    An unnamed definition (a function or class expression) is named `<anonymousN>`, N counting the
    unnamed ones of its enclosing path from 1 in source order.
    """
    folded = FoldedDefinitions()
    pending.sort(key=lambda p: (p.start, not isinstance(p.record, Definition), -p.end))
    # (end byte, definition path, nearest caller path, the kept definition's line, why it is folded)
    stack: list[tuple[int, Scope, Scope, int, str]] = []
    anonymous: dict[Scope, int] = {}  # unnamed function and class expressions so far, per enclosing path
    for item in pending:
        while stack and stack[-1][0] <= item.start:
            stack.pop()
        path, caller, line, cause = stack[-1][1:] if stack else ((), (), 0, "")
        record = item.record
        if isinstance(record, Definition):
            record.scope = path
            if not record.name:
                anonymous[path] = anonymous.get(path, 0) + 1
                record.name = f"<anonymous{anonymous[path]}>"
            cause = folded.place(path, line, record.name, record.start_line, cause)
            item.folded = bool(cause)
            if item.end > item.start:
                if cause:
                    stack.append((item.end, path, caller, line, cause))
                else:
                    own = record.path
                    stack.append((item.end, own, caller if record.kind == "Variable" else own, record.start_line, ""))
        else:
            record.scope = caller
    return folded


# --- node helpers -----------------------------------------------------------------------------------


def _children(node: ts.Node) -> Iterator[ts.Node]:
    """Children one at a time: cheaper than ``node.children`` when the loop stops early."""
    for index in range(node.child_count):
        child = node.child(index)
        if child is not None:
            yield child


def _collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _signature(source: bytes, start: int, cut: int) -> str:
    """Declaration text from ``start`` up to the body, on one line, at most MAX_SIGNATURE chars."""
    text = _collapse(source[start:cut].decode("utf-8", errors="replace")).rstrip(";")
    return text[:MAX_SIGNATURE].rstrip()


def _declarator_signature(source: bytes, statement: ts.Node, declarator: ts.Node, cut: int) -> str:
    """`const f = (a) =>`: the declaration keyword, then this declarator only (not its siblings)."""
    keyword = node_text(statement.children[0]) if statement is not declarator and statement.child_count else ""
    rest = _signature(source, declarator.start_byte, cut)
    return f"{keyword} {rest}"[:MAX_SIGNATURE] if keyword else rest


def _body_cut(function: ts.Node) -> int:
    """Where a signature stops: after an arrow's `=>`, else before the body (else the node's end)."""
    if function.type == "arrow_function":
        for child in _children(function):
            if child.type == "=>":
                return child.end_byte
    body = function.child_by_field_name("body")
    return body.start_byte if body is not None else function.end_byte


def _declaration_of(declarator: ts.Node) -> ts.Node:
    """The `const/let/var` statement around a declarator (the declarator itself after bad syntax)."""
    parent = declarator.parent
    return parent if parent is not None and parent.type in DECLARATIONS else declarator


def _exported(node: ts.Node) -> ts.Node:
    """The `export` statement wrapping ``node``, or ``node``: where its doc comment and decorators sit."""
    parent = node.parent
    return parent if parent is not None and parent.type == "export_statement" else node


def _is_field(parent: ts.Node, field_name: str, child: ts.Node) -> bool:
    found = parent.child_by_field_name(field_name)
    return found is not None and found.id == child.id


def _is_async(function: ts.Node) -> bool:
    first = next(_children(function), None)
    return first is not None and first.type == "async"


def _modifiers(node: ts.Node, name: ts.Node) -> set[str]:
    """Keyword tokens (`static`, `async`, `get`, `set`, `*`) written before a member's name."""
    found = set()
    for child in _children(node):
        if child.start_byte >= name.start_byte:
            break
        if not child.is_named:
            found.add(child.type)
    return found


def _place_parameter_decorator_calls(state: _FileState) -> None:
    """Move each call inside a parameter decorator to where the decorator runs (one sort, one bisect per call)."""
    if not state.parameter_decorators:
        return
    decorators = sorted(state.parameter_decorators)
    starts = [start for start, _, _ in decorators]
    for item in state.pending:
        if not isinstance(item.record, CallSite):
            continue
        index = bisect_right(starts, item.start) - 1
        if index >= 0 and item.start < decorators[index][1]:
            item.start = item.end = decorators[index][2]


def _first_non_decorator(node: ts.Node) -> int:
    for child in _children(node):
        if child.type not in ("decorator", "comment"):
            return child.start_byte
    return node.start_byte


def _decorators(node: ts.Node, anchor: ts.Node) -> list[ts.Node]:
    """Decorators of ``node`` in source order: preceding siblings (TS class members), those on the
    wrapping ``export`` statement, then the node's own children."""
    found: list[ts.Node] = []
    sibling = anchor.prev_named_sibling
    while sibling is not None and sibling.type == "decorator":
        found.append(sibling)
        sibling = sibling.prev_named_sibling
    found.reverse()
    holders = (anchor, node) if anchor is not node else (node,)
    for holder in holders:  # decorators come first among a node's children
        found.extend(takewhile(lambda child: child.type in ("decorator", "comment"), _children(holder)))
    return [decorator for decorator in found if decorator.type == "decorator"]


def _decorator_text(decorator: ts.Node) -> str:
    return _collapse(node_text(decorator).removeprefix("@"))


def _member_name(node: ts.Node | None) -> str | None:
    """Name of a method, field or object key; a well-known symbol's key is written as in code
    (`[Symbol.iterator]() {}` is the method `[Symbol.iterator]`, which `for…of` calls); None for the
    other computed names but string literals."""
    if node is None:
        return None
    if node.type == "computed_property_name":
        inner = node.named_children
        node = inner[0] if len(inner) == 1 else node
        if (symbol := well_known_symbol(node)) is not None:
            return symbol
    if node.type in ("property_identifier", "private_property_identifier", "identifier", "number"):
        return node_text(node)
    if node.type == "string":
        return _unquote(node)
    return None


def _unquote(string: ts.Node) -> str:
    text = node_text(string)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`" else text


def _module(captures: Captures) -> str:
    return _unquote(captures["source"][0])


def _specifier_names(specifier: ts.Node) -> tuple[str, str]:
    """(name, alias) of `a` / `b as c` in import and export clauses; alias defaults to the name."""
    name, alias = specifier.child_by_field_name("name"), specifier.child_by_field_name("alias")
    if name is None:
        return "", ""
    return _name_text(name), _name_text(alias) if alias is not None else _name_text(name)


def _name_text(node: ts.Node) -> str:
    """An identifier's text, or a string's content (`import { "a-b" as ab }`)."""
    return _unquote(node) if node.type == "string" else node_text(node)


def _pattern_names(pattern: ts.Node) -> list[tuple[str, str]]:
    """(property, local) pairs bound by `{ a, b: c, d = 1 }`; nested and rest patterns are skipped."""
    names = []
    for entry in pattern.named_children:
        if entry.type == "shorthand_property_identifier_pattern":
            names.append((node_text(entry), node_text(entry)))
        elif entry.type == "object_assignment_pattern":
            left = entry.child_by_field_name("left")
            if left is not None and left.type == "shorthand_property_identifier_pattern":
                names.append((node_text(left), node_text(left)))
        elif entry.type == "pair_pattern":
            key, value = _member_name(entry.child_by_field_name("key")), entry.child_by_field_name("value")
            if value is not None and value.type == "assignment_pattern":
                value = value.child_by_field_name("left")
            if key is not None and value is not None and value.type == "identifier":
                names.append((key, node_text(value)))
    return names


def _bound_by_require(name: ts.Node) -> bool:
    """`const x = require('m')` / `const { x } = require('m')` inside a function: an import binding."""
    node = name.parent
    while node is not None and node.type in ("object_pattern", "array_pattern", "pair_pattern"):
        node = node.parent
    if node is None or node.type != "variable_declarator":
        return False
    value = node.child_by_field_name("value")
    return value is not None and _is_require(value)


def _type_only(node: ts.Node) -> bool:
    """TS `import type …` / `export type … from` / `{ type X }`: a `type` keyword among the node's own tokens."""
    return any(child.type == "type" and not child.is_named for child in _children(node))


def _is_require(value: ts.Node) -> bool:
    """`require('m')` or `require('m').x`: values that are imports, not Variables."""
    if value.type == "member_expression":
        value = value.child_by_field_name("object") or value
    if value.type != "call_expression":
        return False
    function = value.child_by_field_name("function")
    return function is not None and function.type == "identifier" and node_text(function) == "require"


def _jsdoc(target: ts.Node) -> str:
    """The `/** */` comment right above ``target`` (decorators may sit between), cleaned; else ""."""
    anchor, previous = target, target.prev_named_sibling
    while previous is not None and previous.type == "decorator":
        anchor, previous = previous, previous.prev_named_sibling
    if previous is None or previous.type != "comment":
        return ""
    if previous.end_point.row < anchor.start_point.row - 1:
        return ""  # a blank line apart: a file or section comment, not this declaration's doc
    return _clean_jsdoc(node_text(previous))


def _clean_jsdoc(comment: str) -> str:
    if not (comment.startswith("/**") and comment.endswith("*/")):
        return ""
    lines = []
    for line in comment[3:-2].splitlines():
        line = line.strip()
        if line.startswith("*"):
            line = line[1:].removeprefix(" ")
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def _file_docstring(root: ts.Node) -> str:
    """The leading `/** */` comment of the file (after a `#!` line), cleaned; else ""."""
    for child in _children(root):
        if child.type == "comment":
            return _clean_jsdoc(node_text(child))
        if child.type != "hash_bang_line":
            return ""
    return ""
