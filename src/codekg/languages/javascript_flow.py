"""JavaScript/TypeScript flow facts: the language-neutral value-flow facts (records.FlowFact) of one file.

Takes the tree and the placed definitions (javascript.py: each function, class, method and object
method node's id with its scope path and whether it is kept); returns the facts in evaluation order
(a fact after those of its parts). One walk over the tree with an explicit stack, as in
python_flow.py: a node is entered (its parts pushed) and left (its parts' results combined into its
own expression or pattern), so no input nests the walk into recursion. An expression nested deeper
than MAX_EXPRESSION_DEPTH becomes ("unknown",).

Choices where docs/value-flow.md leaves one:
- imports (`import`, `export … from`) give no facts: the builder reads ImportBinding. `require("m")`
  is a plain `call` of ("name", "require"); every literal argument (strings included) is ("unknown",).
- `function f() {}` is an `assign` of ("def", path) to f, emitted first among the facts of its
  block (declarations are hoisted); `class C {}` assigns C where it stands. A function or class
  expression is ("def", path); a folded one (past the nesting bounds) is ("unknown",).
- class bodies: each method (static or not, getters and setters too), field and `constructor` is
  an `assign` to ("name", member) in the class's scope; field initialisers and static blocks run in
  the class's scope. `extends E` walks E for its facts only (the bases are Definition.bases).
- keys: a constant key that is an array index (`0`, `"0"`) is ("item", e, 0); any other constant
  key (`a.b`, `a["b"]`, `{ b: … }`, `{ ["b"]: … }`) is ("attr", e, "b"); any other key is
  ("item", e, None). Object literals and arrays are ("alloc", index) with `assign` facts into
  those; `{ ...o }` assigns ("item", o, None) to ("item", alloc, None); `[...xs]` is an `iterate`
  into ("item", alloc, None), after which positions are unknown.
- destructuring: an array pattern is ("seq", …) with ("unknown",) for holes and for the elements
  bound below; an object pattern, an element with a default or a nested object pattern is bound by
  its own `assign` facts from ("attr"/"item", value, key) (a default `x = d` makes the value
  ("either", (that, d))); `...rest` in an object pattern gets the whole value. A destructured
  parameter is the parameter ("name", "<parameterN>") (N its position), then bound from it; a
  destructured `for…of` target is ("name", "<destructuredN>") (N counting per file), then bound from it.
- `this` is ("this",) in a function, method, class body or module; inside an arrow function (which
  keeps its definer's `this`) it is the name "<this>", which the nearest enclosing non-arrow
  function binds to ("this",) once (an `assign` in that function's scope). `arguments` inside an
  arrow is likewise the name "<arguments>", which that function binds to its own ("name", "arguments").
- `super(…)` is a `call` of ("super",); `super.m` is ("attr", ("super",), "m").
- `a || b`, `a && b`, `a ?? b`, `c ? a : b` are ("either", (a, b)); `x ||= v`, `&&=`, `??=` assign v
  conditionally; other compound assignments assign ("unknown",). `await e` is e, `(a, b)` is b;
  `a?.b` and `a?.()` are the plain forms. Arithmetic and comparisons have no value and no facts
  (JavaScript has no operator protocol).
- `for (t of xs)` is `iterate`; `for (t in o)` and `catch (e)` assign ("unknown",) to their
  targets; `yield* xs` is an `iterate` with no target and a `yield` of ("item", xs, None); `throw e`
  is `raise`. A tagged template `` tag`…${x}` `` calls tag with ("unknown",) then each substitution.
- parameters: `parameter` facts with name "positional" (or "star" for `...rest`); a default is
  walked in the function's scope (it runs at call time), conditionally. A TS parameter property
  (`constructor(private repo: Repo)`) also assigns ("name", "repo") to ("attr", ("this",), "repo").
- decorators: `decorate` of the class, method or field name (innermost first, in the scope where
  the decoration happens, after the definition's `assign`); a parameter decorator `@D(x) p` is a
  `call` of the decorator with no arguments (its result is not bound to anything).
- `return` at module level (CommonJS) gives no fact; `import(…)` binds nothing, nor does `export
  default <expression>` but an object literal, which is assigned to ("name", "default"). Type-only
  constructs (annotations, interfaces, type aliases, `declare`) give none.
- `conditional`: in an `if`/`else` branch, a loop (its body, condition and update), a `try`
  statement (every part), a `switch` case, the right side of `||`/`&&`/`??`, either branch of
  `c ? a : b`, a default value. A function's own body starts unconditional again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter as ts

from codekg.records import FlowFact, ImportBinding, Scope

DEFAULT_EXPORT = "default"  # the Variable an `export default { … }` object literal is (a reserved word: never another name)

MAX_EXPRESSION_DEPTH = 16
"""Nesting levels of an expression or pattern tuple: one nested deeper is ("unknown",) as a whole
(the calls, literals and functions inside it keep their facts: their results are flat)."""

UNKNOWN = ("unknown",)
THIS_NAME = "<this>"
ARGUMENTS_NAME = "<arguments>"  # an arrow's `arguments`: its enclosing function's
_UNKNOWN_RESULT = (UNKNOWN, 1)
_CUT_RESULT = (UNKNOWN, MAX_EXPRESSION_DEPTH)  # a cut part: whatever holds it is cut too

_LEAVES = frozenset({
    "number", "string", "regex", "true", "false", "null", "undefined", "comment", "hash_bang_line",
    "empty_statement", "break_statement", "continue_statement", "debugger_statement", "statement_identifier",
    "property_identifier", "private_property_identifier", "shorthand_property_identifier_pattern",
    "string_fragment", "escape_sequence", "html_comment", "jsx_text", "meta_property", "import",
})
# type-only and import/export-only nodes: nothing runs in them that the facts model
_SKIPPED = frozenset({
    "import_statement", "type_annotation", "type_arguments", "type_parameters", "type_identifier", "predefined_type",
    "interface_declaration", "type_alias_declaration", "ambient_declaration", "abstract_method_signature",
    "method_signature", "property_signature", "index_signature", "construct_signature", "call_signature",
    "enum_declaration", "implements_clause", "asserts_annotation", "type_predicate_annotation",
    "opting_type_annotation", "omitting_type_annotation", "accessibility_modifier", "override_modifier",
    "export_clause", "namespace_export", "decorator", "function_signature", "type_query", "import_alias",
})
_OPAQUE = _LEAVES | _SKIPPED  # a result of ("unknown",), no facts
_FUNCTIONS = frozenset({"function_expression", "arrow_function", "generator_function", "function",
                        "function_declaration", "generator_function_declaration"})
_DECLARED_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration"})
_CLASSES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
_EITHER_OPERATORS = frozenset({"||", "&&", "??"})
_LOGICAL_ASSIGNMENTS = frozenset({"||=", "&&=", "??="})
_TRANSPARENT = frozenset({"parenthesized_expression", "await_expression", "as_expression", "satisfies_expression",
                          "non_null_expression", "type_assertion"})
_CONDITIONAL_STATEMENTS = frozenset({"else_clause", "switch_body", "try_statement"})
_PARAMETER_PROPERTY_MODIFIERS = frozenset({"accessibility_modifier", "readonly", "override_modifier", "override"})

# roles: what a node is taken as; _FINISH marks the end of a part walked after its node was left
_EXPRESSION, _PATTERN, _STATEMENT, _MEMBER, _FINISH = 0, 1, 2, 3, 4  # the first two give a result
_NONE = ("none",)
_DISCARDED = ("discarded",)  # an expression whose parts' values go nowhere (`${a.b}`): reads still run getters

Context = tuple  # (scope, conditional, kept, this scope): kept is False inside a folded definition
Keys = dict[str, "str | int"]  # a module's constants → the member key each makes (`constant_keys`)


def flow_facts(root: ts.Node, definitions: dict[int, tuple[Scope, bool]], source: bytes,
               imports: Iterable[ImportBinding] = ()) -> list[FlowFact]:
    """The flow facts of the file whose tree is ``root``, parsed from ``source`` (the tree's byte
    offsets are into it: the root itself starts after any leading blank); ``definitions`` maps the
    id of each definition's node (function, class, method) to (its path, whether it is kept);
    ``imports``: the file's import bindings (`constant_keys`)."""
    walk = _FlowWalk(definitions, source)
    walk.keys = constant_keys(root, imports)
    walk.name_keys = {name: key for name, key in walk.keys.items() if key == name}
    return walk.run(root)


def constant_keys(root: ts.Node, imports: Iterable[ImportBinding] = ()) -> Keys:
    """The module's top-level constants, each bound once to one value, as the member key they make
    (`obj[k]` is then that one member, not any member): a name imported from another module at the
    top (`const { kListener } = require('./c')`, `import { kListener as k } from './c.js'`: keyed by
    the exported name, the same in every importer) and a new symbol (`const kRun = Symbol('kRun')`,
    `Symbol.for(…)`) by that name, as the class member `[kRun]() {}` is named; a string or number
    (`const READY = 'ready'`) by its value."""
    keys: Keys = {binding.alias: binding.name for binding in imports
                  if binding.kind == "symbol" and not binding.scope and binding.alias and not binding.is_type_only}
    for statement in root.named_children:
        if statement.type != "lexical_declaration" or not statement.children or statement.children[0].type != "const":
            continue
        for declarator in statement.named_children:
            name, value = declarator.child_by_field_name("name"), declarator.child_by_field_name("value")
            if name is None or value is None or name.type != "identifier":
                continue
            function = value.child_by_field_name("function") if value.type == "call_expression" else None
            if function is not None and _text(function) in ("Symbol", "Symbol.for"):
                keys[_text(name)] = _text(name)
            elif value.type in ("string", "number") and literal_key(value) is not None:
                keys[_text(name)] = literal_key(value)
    return keys


def _text(node: ts.Node) -> str:
    return node.text.decode("utf-8", errors="replace") if node.text is not None else ""


def _line(node: ts.Node) -> int:
    return node.start_point[0] + 1


def _bounded(expression: tuple, depth: int) -> tuple[tuple, int]:
    return (expression, depth) if depth <= MAX_EXPRESSION_DEPTH else _CUT_RESULT


def _string_value(node: ts.Node) -> str | None:
    """The content of a plain string literal (no escapes), else None."""
    parts = node.named_children
    if not parts:
        return ""
    if len(parts) == 1 and parts[0].type == "string_fragment":
        return _text(parts[0])
    return None


def constant_key(node: ts.Node | None, keys: Keys = {}) -> str | int | None:
    """A member key as written (`b` in `a.b` or `{ b: … }`, `"b"`, `0`, `["b"]`, `[kRun]` with kRun one
    of the module's constant ``keys``): an array index as an int, any other constant as a str; None
    when not constant."""
    if node is None:
        return None
    kind = node.type
    if kind in ("property_identifier", "private_property_identifier", "shorthand_property_identifier",
                "shorthand_property_identifier_pattern"):
        return _text(node)
    if kind == "computed_property_name":
        inner = node.named_children
        if len(inner) != 1:
            return None
        node = inner[0]
    return well_known_symbol(node) or literal_key(node, keys)


_WELL_KNOWN_SYMBOL = re.compile(r"Symbol\.[A-Za-z]+")  # `Symbol.iterator`, `Symbol.asyncIterator`, `Symbol.dispose`…


def well_known_symbol(node: ts.Node) -> str | None:
    """The key a well-known symbol names, written as in code between brackets: `[Symbol.iterator]() {}`
    is the method `[Symbol.iterator]` (one name, the same wherever it is defined), which `for…of` calls."""
    if node.type == "member_expression" and _WELL_KNOWN_SYMBOL.fullmatch(text := _text(node)):
        return f"[{text}]"
    return None


def literal_key(node: ts.Node | None, keys: Keys = {}) -> str | int | None:
    """The key a string or number literal names (`x["b"]`, `x[0]`), or a constant of the module that
    ``keys`` maps to its key (`x[kRun]`: `constant_keys`), else None."""
    if node is None:
        return None
    kind = node.type
    if kind == "identifier":
        name = _text(node)
        return keys.get(name)
    if kind == "string":
        value = _string_value(node)
    elif kind == "number":
        value = _text(node)
        if not value.isdigit():
            try:
                number = float(value)
            except ValueError:
                return None
            value = str(int(number)) if number.is_integer() and number >= 0 else value
    else:
        return None
    if value is None:
        return None
    if value.isdigit() and (value == "0" or not value.startswith("0")) and len(value) < 16:
        return int(value)
    return value


def keyed(base: tuple, key: str | int | None) -> tuple:
    """The member ``key`` of ``base``: ("attr", base, name) or ("item", base, index or None)."""
    return ("attr", base, key) if isinstance(key, str) else ("item", base, key)


def _positions(node: ts.Node) -> list[tuple[int, ts.Node]]:
    """(position, element) of an array or array pattern: holes (`[a, , b]`) have no node but count."""
    found, position = [], 0
    for child in node.children:
        if child.type == ",":
            position += 1
        elif child.is_named and child.type != "comment":
            found.append((position, child))
    return found


class _FlowWalk:
    def __init__(self, definitions: dict[int, tuple[Scope, bool]], source: bytes) -> None:
        self.definitions = definitions
        self.source = source
        self.facts: list[FlowFact] = []
        self.next_index = 0
        self.next_destructured = 0
        self.member_decorators: dict[int, list[ts.Node]] = {}  # TS decorators written as a member's siblings
        self.this_bound: set[Scope] = set()
        self.arguments_bound: set[Scope] = set()  # non-arrow functions whose arrows read their `arguments`
        self.field_values: set[int] = set()  # functions whose `this` is bound to THIS_NAME already
        # parts an enter handler wants walked after its node is left (a function's body after its
        # parameters, a loop's body after its `iterate`): (node, context, role, what to do with the result)
        self.after: list[tuple] = []
        self.keys: Keys = {}  # the module's constants that key members (`constant_keys`)
        self.name_keys: Keys = {}  # those keyed by their own name: what a class member `[k]() {}` is named

    def _index(self) -> int:
        self.next_index += 1
        return self.next_index - 1

    def emit(self, kind: str, context: Context, line: int, target: tuple = (), value: tuple = (),
             arguments: tuple = (), index: int = -1, name: str = "", is_new: bool = False) -> None:
        self.facts.append(FlowFact(kind, context[0], line, target, value, arguments, index, context[1], name, is_new))

    def run(self, root: ts.Node) -> list[FlowFact]:
        # A node taken as an expression or pattern pushes one result (expression or pattern, depth)
        # on ``results``; a statement or class member pushes none, so a statement whose parts are
        # statements needs no leave step at all.
        results: list[tuple[tuple, int]] = []
        source = self.source
        stack: list[tuple] = [(root, ((), False, True, ()), _STATEMENT, None)]
        while stack:
            node, context, role, plan = stack.pop()
            if role == _FINISH:
                result = results.pop()
                if plan and context[2]:
                    self.emit("return", context, node.start_point[0] + 1, value=result[0])
                continue
            if plan is not None:
                count = plan[0]
                if count:
                    parts = results[-count:]
                    del results[-count:]
                else:
                    parts = []
                result = _UNKNOWN_RESULT if plan[1] == "none" else self.leave(node, context, role, plan, parts)
                if role < _STATEMENT:
                    results.append(result)
                elif node.type == "member_expression":  # `obj.prop;` runs a getter
                    self._read(result[0], context, node)
                continue
            kind = node.type
            if kind == "identifier":
                if role < _STATEMENT:
                    text = source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")
                    if text == "arguments" and role == _EXPRESSION and context[3] and context[0] != context[3]:
                        results.append((self._arguments(node, context), 1))
                        continue
                    results.append(((UNKNOWN if text == "undefined" and role == _EXPRESSION else ("name", text)), 1))
                continue
            if kind in _OPAQUE:
                if role < _STATEMENT:
                    results.append(_UNKNOWN_RESULT)
                continue
            if kind == "this":
                if role < _STATEMENT:
                    results.append((self._this(node, context), 1))
                continue
            if kind == "super":
                if role < _STATEMENT:
                    results.append((("super",), 1))
                continue
            if kind in _TRANSPARENT:
                inner = node.named_children
                if inner:
                    stack.append((inner[0], context, role, None))
                elif role < _STATEMENT:
                    results.append(_UNKNOWN_RESULT)
                continue
            if role == _PATTERN:
                children, plan = self.enter_pattern(node, context)
            elif role == _MEMBER:
                children, plan = self.enter_member(node, context)
            else:
                handler = _ENTER.get(kind)
                if handler is not None:
                    children, plan = handler(self, node, context)
                else:
                    if kind in _CONDITIONAL_STATEMENTS and not context[1]:
                        context = (context[0], True, context[2], context[3])
                    children = [(c, context, role, None) for c in node.named_children]
                    plan = _DISCARDED if role == _EXPRESSION else _NONE
            if self.after:
                for part, part_context, part_role, finish in reversed(self.after):
                    if part_role < _STATEMENT:
                        stack.append((part, part_context, _FINISH, finish))
                    stack.append((part, part_context, part_role, None))
                self.after = []
            if not children:
                count = 0
            elif children[0][2] == children[-1][2]:  # one role for all (the handlers never interleave roles)
                count = len(children) if children[0][2] < _STATEMENT else 0
            else:
                count = sum(1 for child in children if child[2] < _STATEMENT)
            if count or plan[0] != "none":
                stack.append((node, context, role, (count, *plan)))
            elif role < _STATEMENT:
                results.append(_UNKNOWN_RESULT)
            stack.extend(reversed(children))
        return self.facts

    def _this(self, node: ts.Node, context: Context) -> tuple:
        scope, this_scope = context[0], context[3]
        if scope == this_scope:
            return ("this",)
        if this_scope not in self.this_bound:
            self.this_bound.add(this_scope)
            self.facts.append(FlowFact("assign", this_scope, _line(node), target=("name", THIS_NAME), value=("this",)))
        return ("name", THIS_NAME)

    def _arguments(self, node: ts.Node, context: Context) -> tuple:
        """`arguments` inside an arrow function is that of the nearest enclosing non-arrow function
        (as `this` is): the name ARGUMENTS_NAME, which that function binds to its `arguments` once."""
        this_scope = context[3]
        if this_scope not in self.arguments_bound:
            self.arguments_bound.add(this_scope)
            self.facts.append(FlowFact("assign", this_scope, _line(node), target=("name", ARGUMENTS_NAME),
                                       value=("name", "arguments")))
        return ("name", ARGUMENTS_NAME)

    # --- entering: which parts, in which role and context --------------------------------------

    def enter_pattern(self, node: ts.Node, context: Context) -> tuple[list[tuple], tuple]:
        kind = node.type
        if kind == "member_expression":
            return [(node.child_by_field_name("object"), context, _EXPRESSION, None)], ("member",)
        if kind == "subscript_expression":
            index = node.child_by_field_name("index")
            return ([(node.child_by_field_name("object"), context, _EXPRESSION, None),
                     (index, context, _EXPRESSION, None)], ("subscript", literal_key(index, self.keys)))
        if kind == "object_pattern":
            parts, entries = [], []
            for child in node.named_children:
                child_type = child.type
                if child_type == "shorthand_property_identifier_pattern":
                    entries.append(("shorthand", _text(child), False))
                elif child_type == "object_assignment_pattern":
                    left, right = child.child_by_field_name("left"), child.child_by_field_name("right")
                    if left is None or right is None:
                        continue
                    if left.type == "shorthand_property_identifier_pattern":
                        entries.append(("shorthand", _text(left), True))
                    else:
                        parts.append((left, context, _PATTERN, None))
                        entries.append(("entry", None, True))
                    parts.append((right, (context[0], True, context[2], context[3]), _EXPRESSION, None))
                elif child_type == "pair_pattern":
                    key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                    if key is None or value is None:
                        continue
                    if key.type == "computed_property_name":
                        parts.append((key, context, _EXPRESSION, None))
                        entries.append(("computed", constant_key(key, self.keys), False))
                    default = None
                    if value.type == "assignment_pattern":
                        default, value = value.child_by_field_name("right"), value.child_by_field_name("left")
                    parts.append((value, context, _PATTERN, None))
                    if default is not None:
                        parts.append((default, (context[0], True, context[2], context[3]), _EXPRESSION, None))
                    entries.append(("pair", constant_key(key, self.keys), default is not None))
                elif child_type == "rest_pattern":
                    inner = child.named_children
                    if inner:
                        parts.append((inner[0], context, _PATTERN, None))
                        entries.append(("rest", None, False))
            return parts, ("object_pattern", entries)
        if kind == "array_pattern":
            parts, elements = [], []
            for position, child in _positions(node):
                child_type = child.type
                if child_type == "assignment_pattern":
                    left, right = child.child_by_field_name("left"), child.child_by_field_name("right")
                    if left is None or right is None:
                        continue
                    parts.append((left, context, _PATTERN, None))
                    parts.append((right, (context[0], True, context[2], context[3]), _EXPRESSION, None))
                    elements.append((position, True, False))
                elif child_type == "rest_pattern":
                    inner = child.named_children
                    if inner:
                        parts.append((inner[0], context, _PATTERN, None))
                        elements.append((position, False, True))
                else:
                    parts.append((child, context, _PATTERN, None))
                    elements.append((position, False, False))
            return parts, ("array_pattern", elements)
        if kind in ("assignment_pattern", "object_assignment_pattern"):
            left = node.child_by_field_name("left")
            return ([(left, context, _PATTERN, None)] if left is not None else []), ("first",)
        if kind in ("rest_pattern", "parenthesized_expression", "non_null_expression"):
            return [(c, context, _PATTERN, None) for c in node.named_children[:1]], ("first",)
        return [], ("unknown",)

    def _statements(self, node: ts.Node, context: Context) -> tuple[list[tuple], tuple]:
        """A block's statements, function declarations first: they are bound when the block is entered."""
        children = node.named_children
        hoisted = [c for c in children if c.type in _DECLARED_FUNCTIONS or (
            c.type == "export_statement" and (d := c.child_by_field_name("declaration")) is not None
            and d.type in _DECLARED_FUNCTIONS)]
        if hoisted:
            ids = {c.id for c in hoisted}
            children = hoisted + [c for c in children if c.id not in ids]
        return [(c, context, _STATEMENT, None) for c in children], ("none",)

    def _conditional(self, node: ts.Node, context: Context, kept: tuple[str, ...]) -> tuple[list[tuple], tuple]:
        """The parts in the fields ``kept`` run when the statement does; the others may not."""
        inner = (context[0], True, context[2], context[3])
        parts = []
        for index, child in enumerate(node.children):
            if child.is_named:
                parts.append((child, context if node.field_name_for_child(index) in kept else inner, _STATEMENT, None))
        return parts, ("none",)

    def _if(self, node, context):
        return self._conditional(node, context, ("condition",))

    def _loop(self, node, context):
        return self._conditional(node, context, ("initializer",))

    def _switch(self, node, context):
        return self._conditional(node, context, ("value",))

    def _for_in(self, node, context):
        inner = (context[0], True, context[2], context[3])
        is_of = any(child.type == "of" for child in node.children)
        left, right, body = (node.child_by_field_name("left"), node.child_by_field_name("right"),
                             node.child_by_field_name("body"))
        parts = [(right, context, _EXPRESSION, None)] if right is not None else []
        if left is not None:
            parts.append((left, inner, _PATTERN, None))
        self.after = [(body, inner, _STATEMENT, False)] if body is not None else []
        awaited = any(child.type == "await" for child in node.children)  # `for await (… of …)`
        return parts, ("for", is_of, right is not None, left is not None, "async" if awaited else "")

    def _catch(self, node, context):
        inner = (context[0], True, context[2], context[3])
        parameter, body = node.child_by_field_name("parameter"), node.child_by_field_name("body")
        parts = [(parameter, inner, _PATTERN, None)] if parameter is not None else []
        self.after = [(body, inner, _STATEMENT, False)] if body is not None else []
        return parts, ("catch", parameter is not None)

    def _declarator(self, node, context):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            return [], ("none",)
        return [(value, context, _EXPRESSION, None), (name, context, _PATTERN, None)], ("assign",)

    def _assignment(self, node, context):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return [], ("none",)
        return [(right, context, _EXPRESSION, None), (left, context, _PATTERN, None)], ("assign",)

    def _augmented(self, node, context):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None:
            return [], ("none",)
        logical = operator is not None and operator.type in _LOGICAL_ASSIGNMENTS
        right_context = (context[0], True, context[2], context[3]) if logical else context
        return [(right, right_context, _EXPRESSION, None), (left, context, _PATTERN, None)], ("augmented", logical)

    def _member(self, node, context):
        prop = node.child_by_field_name("property")
        return [(node.child_by_field_name("object"), context, _EXPRESSION, None)], ("member", _text(prop))

    def _subscript(self, node, context):
        index = node.child_by_field_name("index")
        return ([(node.child_by_field_name("object"), context, _EXPRESSION, None), (index, context, _EXPRESSION, None)],
                ("subscript", literal_key(index, self.keys)))

    def _call(self, node, context):
        is_new = node.type == "new_expression"
        function = node.child_by_field_name("constructor" if is_new else "function")
        arguments = node.child_by_field_name("arguments")
        if function is None:
            return [], ("none",)
        parts = [(function, context, _EXPRESSION, None)]
        shapes: list[str] = []
        if arguments is not None and arguments.type == "template_string":  # tag`…${x}…`
            shapes.append("template")
            for child in arguments.named_children:
                if child.type == "template_substitution" and child.named_children:
                    parts.append((child.named_children[0], context, _EXPRESSION, None))
                    shapes.append("positional")
        elif arguments is not None:
            for argument in arguments.named_children:
                if argument.type == "comment":
                    continue
                if argument.type == "spread_element":
                    if argument.named_children:
                        parts.append((argument.named_children[0], context, _EXPRESSION, None))
                        shapes.append("star")
                else:
                    parts.append((argument, context, _EXPRESSION, None))
                    shapes.append("positional")
        return parts, ("call", function.type, shapes, is_new)

    def _object(self, node, context):
        parts, shapes = [], []
        for child in node.named_children:
            child_type = child.type
            if child_type == "pair":
                key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                if key.type == "computed_property_name":
                    parts.append((key, context, _EXPRESSION, None))
                    shapes.append(("computed", None))
                parts.append((value, context, _EXPRESSION, None))
                shapes.append(("entry", constant_key(key, self.keys)))
            elif child_type == "shorthand_property_identifier":
                shapes.append(("shorthand", _text(child)))
            elif child_type == "method_definition":
                name = child.child_by_field_name("name")
                if name is not None and name.type == "computed_property_name":
                    parts.append((name, context, _EXPRESSION, None))
                    shapes.append(("computed", None))
                parts.append((child, context, _EXPRESSION, None))
                key = constant_key(name, self.keys)
                accessor = next((c.type for c in child.children if c.type in ("get", "set")), None)
                shapes.append(("entry", f"{accessor} {key}" if accessor and isinstance(key, str) else key))
            elif child_type == "spread_element" and child.named_children:
                parts.append((child.named_children[0], context, _EXPRESSION, None))
                shapes.append(("spread", None))
        return parts, ("object", shapes)

    def _array(self, node, context):
        parts, shapes = [], []
        for position, child in _positions(node):
            if child.type == "spread_element":
                if child.named_children:
                    parts.append((child.named_children[0], context, _EXPRESSION, None))
                    shapes.append(("spread", position))
            else:
                parts.append((child, context, _EXPRESSION, None))
                shapes.append(("element", position))
        return parts, ("array", shapes)

    def _binary(self, node, context):
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is not None and operator.type in _EITHER_OPERATORS and left is not None and right is not None:
            inner = (context[0], True, context[2], context[3])
            return [(left, context, _EXPRESSION, None), (right, inner, _EXPRESSION, None)], ("either",)
        return [(c, context, _EXPRESSION, None) for c in (left, right) if c is not None], _DISCARDED

    def _ternary(self, node, context):
        condition, consequence, alternative = (node.child_by_field_name("condition"),
                                               node.child_by_field_name("consequence"),
                                               node.child_by_field_name("alternative"))
        if condition is None or consequence is None or alternative is None:
            return [(c, context, _EXPRESSION, None) for c in node.named_children], ("none",)
        inner = (context[0], True, context[2], context[3])
        return [(condition, context, _EXPRESSION, None), (consequence, inner, _EXPRESSION, None),
                (alternative, inner, _EXPRESSION, None)], ("ternary",)

    def _sequence(self, node, context):
        return [(c, context, _EXPRESSION, None) for c in node.named_children if c.type != "comment"], ("last",)

    def _return(self, node, context):
        parts = [c for c in node.named_children if c.type != "comment"][:1]
        return [(c, context, _EXPRESSION, None) for c in parts], ("return",)

    def _throw(self, node, context):
        parts = [c for c in node.named_children if c.type != "comment"][:1]
        return [(c, context, _EXPRESSION, None) for c in parts], ("raise",)

    def _yield(self, node, context):
        is_delegate = any(child.type == "*" for child in node.children)
        parts = [c for c in node.named_children if c.type != "comment"][:1]
        return [(c, context, _EXPRESSION, None) for c in parts], ("yield", is_delegate)

    def _export(self, node, context):
        """`export <declaration>` / `export default <expression>`; decorators on the statement
        belong to its class. An object literal exported as the default is bound to `default`, the
        Variable the extractor defines for it."""
        value = node.child_by_field_name("value")
        if value is not None and value.type == "object":
            return [(value, context, _EXPRESSION, None)], ("export_default",)
        parts = []
        decorators = [c for c in node.named_children if c.type == "decorator"]
        for child in node.named_children:
            if child.type in ("decorator", "export_clause", "namespace_export", "string", "comment"):
                continue
            if decorators and child.type in _CLASSES:
                return self._class(child, context, decorators)
            parts.append((child, context, _STATEMENT if child.type.endswith(("declaration", "statement")) else
                          _EXPRESSION, None))
        return parts, ("none",)

    # --- definitions -----------------------------------------------------------------------------

    def _definition_context(self, node: ts.Node, context: Context, is_arrow: bool) -> tuple[Context, Scope | None]:
        path, kept = self.definitions.get(node.id, (context[0], False))
        kept = context[2] and kept
        this_scope = context[3] if is_arrow else path
        return (path, False, kept, this_scope), (path if kept else None)

    def _parameters(self, parameters: list[ts.Node], inner: Context, outer: Context) -> tuple[list[tuple], list[tuple]]:
        """(the parts to walk: defaults and destructuring patterns in the function's scope, parameter
        decorators in the ``outer`` one, where the class is defined; (name or None, kind, has default,
        has pattern, is property) of each parameter, in order)."""
        parts: list[tuple] = []
        found: list[tuple] = []
        conditional = (inner[0], True, inner[2], inner[3])
        for child in parameters:
            child_type = child.type
            if child_type in ("comment", "decorator"):
                continue
            decorators = [c.named_children[0] for c in child.named_children if c.type == "decorator" and c.named_children]
            for decorator in decorators:  # `@Inject(T) t: T`: the decorator is called, its result unused
                parts.append((decorator, outer, _EXPRESSION, None))
            is_property = False
            default = None
            pattern = child
            if child_type in ("required_parameter", "optional_parameter"):
                pattern = child.child_by_field_name("pattern")
                default = child.child_by_field_name("value")
                is_property = any(c.type in _PARAMETER_PROPERTY_MODIFIERS for c in child.children)
                if pattern is None or pattern.type == "this":
                    continue
            elif child_type == "assignment_pattern":
                pattern, default = child.child_by_field_name("left"), child.child_by_field_name("right")
                if pattern is None:
                    continue
            kind = "positional"
            if pattern.type == "rest_pattern":
                kind = "star"
                inner_pattern = pattern.named_children
                if not inner_pattern:
                    continue
                pattern = inner_pattern[0]
            name = _text(pattern) if pattern.type == "identifier" else None
            if default is not None:
                parts.append((default, conditional, _EXPRESSION, None))
            if name is None:
                parts.append((pattern, inner, _PATTERN, None))
            found.append((name, kind, default is not None, name is None, is_property, len(decorators)))
        return parts, found

    def _function(self, node, context, decorators=(), member=None):
        """A function, arrow or method; ``member``: the class member name its value is bound to."""
        is_arrow = node.type == "arrow_function" and node.id not in self.field_values
        inner, path = self._definition_context(node, context, is_arrow)
        single = node.child_by_field_name("parameter")  # `x => …`
        parameters = node.child_by_field_name("parameters")
        children = [single] if single is not None else (parameters.named_children if parameters is not None else [])
        parts, found = self._parameters(children, inner, context)
        parts = [(d, context, _EXPRESSION, None) for d in decorators] + parts
        body = node.child_by_field_name("body")
        if body is not None:
            finish = body.type != "statement_block" and path is not None  # an arrow's expression body: its return
            self.after = [(body, inner, _STATEMENT if body.type == "statement_block" else _EXPRESSION, finish)]
        return parts, ("function", inner, path, found, len(decorators), member)

    def _class(self, node, context, outer_decorators=()):
        inner, path = self._definition_context(node, context, False)
        decorators = [d.named_children[0] for d in list(outer_decorators) + node.named_children
                      if d.type == "decorator" and d.named_children]
        parts = [(d, context, _EXPRESSION, None) for d in decorators]
        bases = 0
        for child in node.named_children:
            if child.type == "class_heritage":
                for clause in child.named_children:
                    if clause.type == "extends_clause":
                        values = clause.children_by_field_name("value")
                        parts.extend((v, context, _EXPRESSION, None) for v in values)
                        bases += len(values)
                    elif clause.type != "implements_clause":
                        parts.append((clause, context, _EXPRESSION, None))
                        bases += 1
        body = node.child_by_field_name("body")
        pending: list[ts.Node] = []
        for member in body.named_children if body is not None else ():
            if member.type == "decorator":  # a decorator written as the member's sibling
                if member.named_children:
                    pending.append(member.named_children[0])
                continue
            if pending:
                self.member_decorators[member.id] = pending
                pending = []
            parts.append((member, inner, _MEMBER, None))
        return parts, ("class", node, path, len(decorators), bases)

    def enter_member(self, node: ts.Node, context: Context) -> tuple[list[tuple], tuple]:
        """One member of a class body, in the class's scope."""
        kind = node.type
        decorators = self.member_decorators.pop(node.id, []) + [
            c.named_children[0] for c in node.named_children if c.type == "decorator" and c.named_children]
        if kind == "method_definition":
            return self._function(node, context, decorators, _member_key(node.child_by_field_name("name"), self.name_keys))
        if kind in ("field_definition", "public_field_definition"):
            name = node.child_by_field_name("property") or node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            parts = [(d, context, _EXPRESSION, None) for d in decorators]
            if value is not None:
                self.field_values.add(value.id)  # an arrow in a field: `this` is the instance, as in a method
                parts.append((value, context, _EXPRESSION, None))
            return parts, ("field", _member_key(name, self.name_keys), len(decorators), value is not None)
        if kind == "class_static_block":
            body = node.child_by_field_name("body")
            return ([(body, context, _STATEMENT, None)] if body is not None else []), ("none",)
        return [], ("none",)

    # --- leaving: the node's expression or pattern, and its facts --------------------------------

    def leave(self, node: ts.Node, context: Context, role: int, plan: tuple, parts: list) -> tuple[tuple, int]:
        action = plan[1]
        if action == "none":
            return _UNKNOWN_RESULT
        if action == "discarded":
            for value, _ in parts:
                self._read(value, context, node)
            return _UNKNOWN_RESULT
        if action == "first":
            return parts[0] if parts else _UNKNOWN_RESULT
        if action == "last":
            return parts[-1] if parts else _UNKNOWN_RESULT
        if action == "unknown":
            return _UNKNOWN_RESULT
        if action == "member":
            if len(plan) < 3:  # a pattern: the property was not read at enter
                prop = node.child_by_field_name("property")
                name = _text(prop)
            else:
                name = plan[2]
            base, depth = parts[0]
            return _bounded(("attr", base, name), depth + 1)
        if action == "subscript":
            base, depth = parts[0]
            return _bounded(keyed(base, plan[2]), depth + 1)
        if action == "call":
            return self._leave_call(node, context, plan, parts)
        if action in ("object_pattern", "array_pattern"):
            return self._leave_destructuring(action, plan[2], parts)
        if action == "assign":
            (value, depth), (target, _) = parts
            self.bind(target, value, depth, context, _line(node))
            return value, depth
        if action == "export_default":
            (value, depth), = parts
            self.bind(("name", DEFAULT_EXPORT), value, depth, context, _line(node))
            return _UNKNOWN_RESULT
        if action == "augmented":
            (value, depth), (target, _) = parts
            self._read(target, context, node)  # `r.value += 1` reads before it writes: a getter, then a setter
            if plan[2]:
                self.bind(target, value, depth, (context[0], True, context[2], context[3]), _line(node))
            else:
                self.bind(target, UNKNOWN, 1, context, _line(node))
            return _UNKNOWN_RESULT
        if action == "object":
            return self._leave_object(node, context, plan[2], parts)
        if action == "array":
            return self._leave_array(node, context, plan[2], parts)
        if action == "either":
            return _bounded(("either", (parts[0][0], parts[1][0])), max(parts[0][1], parts[1][1]) + 2)
        if action == "ternary":
            self._read(parts[0][0], context, node)  # the condition's read runs a getter
            return _bounded(("either", (parts[1][0], parts[2][0])), max(parts[1][1], parts[2][1]) + 2)
        if action == "return":
            if parts and context[2] and context[0]:
                self.emit("return", context, _line(node), value=parts[0][0])
            return _UNKNOWN_RESULT
        if action == "raise":
            if parts:
                self.emit("raise", context, _line(node), value=parts[0][0])
            return _UNKNOWN_RESULT
        if action == "yield":
            if parts and context[2]:
                value, depth = parts[0]
                if plan[2]:
                    self.emit("iterate", context, _line(node), value=value)
                    value = ("item", value, None) if depth < MAX_EXPRESSION_DEPTH else UNKNOWN
                self.emit("yield", context, _line(node), value=value)
            return _UNKNOWN_RESULT
        if action == "for":
            is_of, has_value, has_target, variant = plan[2:6]
            inner = (context[0], True, context[2], context[3])
            value = parts[0][0] if has_value else UNKNOWN
            if not has_target:
                return _UNKNOWN_RESULT
            target = parts[-1][0]
            if is_of:
                pattern = self.simple_pattern(target)
                if pattern is None:
                    pattern = ("name", f"<destructured{self.next_destructured}>")
                    self.next_destructured += 1
                    self.emit("iterate", inner, _line(node), target=pattern, value=value, name=variant)
                    self.bind(target, pattern, 1, inner, _line(node))
                else:
                    self.emit("iterate", inner, _line(node), target=pattern, value=value, name=variant)
            else:
                self.bind(target, UNKNOWN, 1, inner, _line(node))
            return _UNKNOWN_RESULT
        if action == "catch":
            if plan[2]:
                self.bind(parts[0][0], UNKNOWN, 1, (context[0], True, context[2], context[3]), _line(node))
            return _UNKNOWN_RESULT
        if action == "function":
            return self._leave_function(node, context, plan, parts)
        if action == "field":
            return self._leave_field(node, context, plan, parts)
        if action == "class":
            return self._leave_class(node, context, plan, parts)
        raise AssertionError(f"no way to leave a {node.type} with {action!r}")

    # patterns are carried as descriptions until they meet their value: ("p", pattern) for a name
    # or member; ("object", ((kind, key, sub, default), …)) and ("array", ((position, sub, default,
    # is rest), …)) for destructuring, sub being a description and default an expression or None
    def _leave_destructuring(self, action: str, shapes: list, parts: list) -> tuple[tuple, int]:
        entries = []
        cursor = 0
        depth = 1
        if action == "object_pattern":
            computed_key: object = None
            for kind, key, has_default in shapes:
                if kind == "computed":
                    cursor += 1
                    computed_key = key
                    continue
                if kind == "shorthand":
                    sub, default = ("name", key), None
                    if has_default:
                        default, cursor = parts[cursor][0], cursor + 1
                    entries.append(("key", key, sub, default))
                    continue
                sub, sub_depth = parts[cursor]
                cursor += 1
                depth = max(depth, sub_depth + 1)
                default = None
                if has_default:
                    default, cursor = parts[cursor][0], cursor + 1
                if kind == "entry":  # `{ [k] = d }` cannot occur; a left side that is no shorthand
                    entries.append(("key", None, sub, default))
                elif kind == "pair":
                    entries.append(("key", key if key is not None else computed_key, sub, default))
                    computed_key = None
                else:
                    entries.append(("rest", None, sub, None))
            return _bounded(("object", tuple(entries)), depth)
        for position, has_default, is_rest in shapes:
            sub, sub_depth = parts[cursor]
            cursor += 1
            depth = max(depth, sub_depth + 1)
            default = None
            if has_default:
                default, cursor = parts[cursor][0], cursor + 1
            entries.append((position, sub, default, is_rest))
        return _bounded(("array", tuple(entries)), depth)

    @staticmethod
    def simple_pattern(description: tuple) -> tuple | None:
        """The Pattern a description is when it needs no facts of its own (a name, a member, an
        array pattern of those), else None."""
        if description == UNKNOWN:
            return UNKNOWN
        if description[0] in ("name", "attr", "item"):
            return description
        if description[0] != "array":
            return None
        elements = []
        star = -1
        for position, sub, default, is_rest in description[1]:
            if default is not None or sub[0] not in ("name", "attr", "item"):
                return None
            while len(elements) < position:
                elements.append(UNKNOWN)
            if is_rest:
                star = len(elements)
            elements.append(sub)
        return ("seq", tuple(elements), star)

    def bind(self, description: tuple, value: tuple, depth: int, context: Context, line: int) -> None:
        """`assign` facts binding ``value`` to what ``description`` describes (a worklist, no recursion)."""
        work = [(description, value, depth)]
        while work:
            description, value, depth = work.pop()
            if description == UNKNOWN:
                continue
            if description[0] in ("name", "attr", "item"):
                self.emit("assign", context, line, target=description, value=value)
                continue
            later = []
            if description[0] == "object":
                for kind, key, sub, default in description[1]:
                    if kind == "rest":
                        later.append((sub, value, depth))
                        continue
                    member, member_depth = _bounded(keyed(value, key), depth + 1)
                    if default is not None and default != UNKNOWN:
                        member, member_depth = _bounded(("either", (member, default)), member_depth + 2)
                    later.append((sub, member, member_depth))
            else:
                elements: list[tuple] = []
                star = -1
                for position, sub, default, is_rest in description[1]:
                    while len(elements) < position:
                        elements.append(UNKNOWN)
                    if is_rest:
                        star = len(elements)
                    if default is None and sub[0] in ("name", "attr", "item"):
                        elements.append(sub)
                        continue
                    elements.append(UNKNOWN)
                    if is_rest:
                        later.append((sub, UNKNOWN, 1))
                        continue
                    member, member_depth = _bounded(("item", value, position), depth + 1)
                    if default is not None and default != UNKNOWN:
                        member, member_depth = _bounded(("either", (member, default)), member_depth + 2)
                    later.append((sub, member, member_depth))
                if any(element != UNKNOWN for element in elements):
                    self.emit("assign", context, line, target=("seq", tuple(elements), star), value=value)
            work.extend(reversed(later))

    def _leave_call(self, node, context, plan, parts):
        function_type, shapes, is_new = plan[2], plan[3], plan[4]
        if function_type == "import":  # `import("m")`: a module, which ImportBinding records
            return _UNKNOWN_RESULT
        callee = parts[0][0]
        arguments = []
        for shape, part in zip(shapes, [(UNKNOWN, 1)] * (shapes[:1] == ["template"]) + parts[1:]):
            arguments.append(("positional" if shape == "template" else shape, "", part[0]))
        index = self._index()
        self.emit("call", context, _line(node), value=callee, arguments=tuple(arguments), index=index, is_new=is_new)
        return ("call", index), 1

    def _leave_object(self, node, context, shapes, parts):
        index = self._index()
        alloc = ("alloc", index)
        line = _line(node)
        cursor = 0
        for kind, key in shapes:
            if kind == "shorthand":
                value = ("name", key)
            else:
                value = parts[cursor][0]
                cursor += 1
            if kind == "computed":  # the key's own facts only; its entry follows
                continue
            if kind == "spread":
                target, value = ("item", alloc, None), ("item", value, None)
            else:
                target = keyed(alloc, key)
            if value != UNKNOWN:
                self.emit("assign", context, line, target=target, value=value)
        return alloc, 1

    def _leave_array(self, node, context, shapes, parts):
        index = self._index()
        alloc = ("alloc", index)
        line = _line(node)
        known = True
        for (kind, position), (value, _) in zip(shapes, parts):
            if kind == "spread":
                self.emit("iterate", context, line, target=("item", alloc, None), value=value)
                known = False
                continue
            if value != UNKNOWN:
                self.emit("assign", context, line, target=("item", alloc, position if known else None), value=value)
        return alloc, 1

    def _read(self, value: tuple, context: Context, node: ts.Node) -> None:
        """A property read whose value goes nowhere still runs a getter: an assignment to nothing."""
        if value[0] == "attr":
            self.emit("assign", context, _line(node), value=value)

    def _leave_function(self, node, context, plan, parts):
        inner, path, found, decorator_count, member = plan[2:7]
        line = _line(node)
        decorators = tuple(p[0] for p in reversed(parts[:decorator_count]))
        cursor = decorator_count
        destructured = []
        for position, (name, kind, has_default, has_pattern, is_property, parameter_decorators) in enumerate(found):
            for decorator in parts[cursor:cursor + parameter_decorators]:
                self.emit("call", context, line, value=decorator[0], index=self._index())  # where the class is
            cursor += parameter_decorators
            default = ()
            if has_default:
                default, cursor = parts[cursor][0], cursor + 1
            parameter = name if name is not None else f"<parameter{position}>"
            if has_pattern:
                destructured.append((parts[cursor][0], parameter))
                cursor += 1
            if path is None:
                continue
            self.emit("parameter", inner, line, target=("name", parameter), value=default, index=position, name=kind)
            if is_property:
                self.emit("assign", inner, line, target=("attr", ("this",), name), value=("name", name))
        if path is not None:
            for description, parameter in destructured:
                self.bind(description, ("name", parameter), 1, inner, line)
        value = ("def", path) if path is not None else UNKNOWN
        name = member
        if node.type in _DECLARED_FUNCTIONS:
            name_node = node.child_by_field_name("name")
            name = _text(name_node) if name_node is not None else None
        if name is None:
            return value, 1
        self.emit("assign", context, line, target=("name", name), value=value)
        if decorators:
            self.emit("decorate", context, line, target=("name", name), arguments=decorators,
                      name="method" if member is not None else "")
        return _UNKNOWN_RESULT

    def _leave_field(self, node, context, plan, parts):
        name, decorator_count, has_value = plan[2:5]
        if name is None:
            return _UNKNOWN_RESULT
        line = _line(node)
        if has_value:
            self.emit("assign", context, line, target=("name", name), value=parts[-1][0])
        if decorator_count:
            self.emit("decorate", context, line, target=("name", name),
                      arguments=tuple(p[0] for p in reversed(parts[:decorator_count])))
        return _UNKNOWN_RESULT

    def _leave_class(self, node, context, plan, parts):
        class_node, path, decorator_count, bases = plan[2:6]
        value = ("def", path) if path is not None else UNKNOWN
        if path is not None:
            for base, _ in parts[decorator_count:decorator_count + bases]:
                if base != UNKNOWN:  # the builder follows it where the name resolution of the base did not
                    self.emit("extends", context, _line(class_node), target=value, value=base)
        name = class_node.child_by_field_name("name")
        if class_node.type == "class" or name is None:
            return value, 1
        line = _line(class_node)
        self.emit("assign", context, line, target=("name", _text(name)), value=value)
        if decorator_count:
            self.emit("decorate", context, line, target=("name", _text(name)),
                      arguments=tuple(p[0] for p in reversed(parts[:decorator_count])))
        return _UNKNOWN_RESULT


def _member_key(node: ts.Node | None, keys: Keys) -> str | None:
    """The name a class member binds (`m`, `#p`, `"m"`, `[k]` with a constant k); None when computed."""
    key = constant_key(node, keys)
    return None if key is None else str(key)


_ENTER = {
    "program": _FlowWalk._statements,
    "statement_block": _FlowWalk._statements,
    "if_statement": _FlowWalk._if,
    "for_statement": _FlowWalk._loop,
    "while_statement": _FlowWalk._loop,
    "do_statement": _FlowWalk._loop,
    "for_in_statement": _FlowWalk._for_in,
    "switch_statement": _FlowWalk._switch,
    "catch_clause": _FlowWalk._catch,
    "variable_declarator": _FlowWalk._declarator,
    "assignment_expression": _FlowWalk._assignment,
    "augmented_assignment_expression": _FlowWalk._augmented,
    "member_expression": _FlowWalk._member,
    "subscript_expression": _FlowWalk._subscript,
    "call_expression": _FlowWalk._call,
    "new_expression": _FlowWalk._call,
    "object": _FlowWalk._object,
    "array": _FlowWalk._array,
    "binary_expression": _FlowWalk._binary,
    "ternary_expression": _FlowWalk._ternary,
    "sequence_expression": _FlowWalk._sequence,
    "return_statement": _FlowWalk._return,
    "throw_statement": _FlowWalk._throw,
    "yield_expression": _FlowWalk._yield,
    "export_statement": _FlowWalk._export,
    "method_definition": _FlowWalk._function,
    **{kind: _FlowWalk._function for kind in _FUNCTIONS},
    **{kind: _FlowWalk._class for kind in _CLASSES},
}
