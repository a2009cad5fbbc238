"""Python flow facts: the language-neutral value-flow facts (records.FlowFact) of one parsed file.

Takes the tree and the placed definitions (python.py `_place_definitions`: each class, def and lambda
with its scope path); returns the facts in evaluation order (a fact after those of its parts). One
walk over the tree with an explicit stack: a node is entered (its parts pushed) and left (its parts'
results combined into its own expression or pattern), so no input nests the walk into recursion.
An expression nested deeper than MAX_EXPRESSION_DEPTH becomes ("unknown",).
The walk touches only what can hold a fact, since it runs for every parsed file: a plain string or
a constant dict key is never entered, an attribute chain is one step, fields are looked up by id and
names sliced from the source.

Choices where docs/value-flow.md leaves one:
- imports give no facts: the builder reads ImportBinding through NameResolver.
- `def`/`class` statements: `assign` of ("def", path) to the name, in the scope where the statement
  runs; a folded definition (past the nesting bounds) is ("unknown",) and has no parameter facts.
- a lambda is ("def", path) with its own `parameter` facts and one `return` of its body.
- `except E as e`: `assign` of ("instance", E) (no constructor runs); `except (A, B) as e`:
  ("either", (("instance", A), ("instance", B))).
- `await e` is e; `a or b`, `a and b`, `a if c else b` are ("either", (a, b)).
- `x[k]` reads ("item", x, k) and makes an `operator` `__getitem__` fact (arguments (k,)); a store
  `x[k] = v` binds the pattern ("item", x, k) and makes `__setitem__` (arguments (k,)); `x += y`
  is `operator` `__iadd__` (the builder falls back to `__add__`) and an `assign` of its result.
- `a + b` and the other binary and unary operators are `operator` facts whose result ("call", index)
  is the value; comparisons make `__eq__`, `__lt__`, … on the left operand, `in` makes
  `__contains__` on the right one, and have no known value.
- `len(x)`, `str(x)`, `repr(x)`, `bool(x)`, `hash(x)` (a bare builtin name, one argument) make an
  `operator` fact on x besides the `call`, its target the name (the builder drops it where the name
  is not the builtin: a parameter `hash=tuple.__hash__`, a local, a module's own `len`);
  f-string parts make `__str__` (`__repr__` with `!r`).
- `super()` (with or without arguments) is ("super",) and no `call` fact.
- container literals and comprehensions are ("alloc", index): entries with a known value are `assign`
  facts into ("item", ("alloc", index), key), key the position in a list or tuple (None after a
  `*x`, and in a set) or the constant str/int key of a dict (None for any other key); `*x` and
  comprehension elements go to key None (`iterate` facts for `*x`).
- `yield from x`: `iterate` of x with no target, and `yield` of ("item", x, None).
- call, operator and alloc indexes count from 0 in one sequence per file, in evaluation order.
- `conditional`: in an `if`/`elif`/`else`, a loop body or `else`, a `for` target, a `try` statement
  (every part of it), a `match` case, a comprehension, the right side of `and`/`or`, either branch of
  `a if c else b`. A def's or lambda's own body starts unconditional again. A `with` body is not
  conditional.
- `del x[k]` is an `operator` `__delitem__` fact on x (arguments (k,)); `del x.a` and `del x` make none.
Not yet: `match` patterns, `global`/`nonlocal`, annotations (never walked).
"""

from __future__ import annotations

import tree_sitter as ts
import tree_sitter_python

from codekg.records import FlowFact, Scope

MAX_EXPRESSION_DEPTH = 16
"""Nesting levels of an expression or pattern tuple: one nested deeper is ("unknown",) as a whole
(the calls, containers and lambdas inside it keep their facts: their results are flat)."""

UNKNOWN = ("unknown",)
_LANGUAGE = ts.Language(tree_sitter_python.language())
# field ids: a lookup by id costs a third of one by name, and the walk makes ~2 per node
_F_ALIAS = _LANGUAGE.field_id_for_name("alias")
_F_ALTERNATIVE = _LANGUAGE.field_id_for_name("alternative")
_F_ARGUMENT = _LANGUAGE.field_id_for_name("argument")
_F_ARGUMENTS = _LANGUAGE.field_id_for_name("arguments")
_F_ATTRIBUTE = _LANGUAGE.field_id_for_name("attribute")
_F_BODY = _LANGUAGE.field_id_for_name("body")
_F_DEFINITION = _LANGUAGE.field_id_for_name("definition")
_F_EXPRESSION = _LANGUAGE.field_id_for_name("expression")
_F_FUNCTION = _LANGUAGE.field_id_for_name("function")
_F_KEY = _LANGUAGE.field_id_for_name("key")
_F_LEFT = _LANGUAGE.field_id_for_name("left")
_F_NAME = _LANGUAGE.field_id_for_name("name")
_F_OBJECT = _LANGUAGE.field_id_for_name("object")
_F_OPERATOR = _LANGUAGE.field_id_for_name("operator")
_F_PARAMETERS = _LANGUAGE.field_id_for_name("parameters")
_F_RIGHT = _LANGUAGE.field_id_for_name("right")
_F_SUBSCRIPT = _LANGUAGE.field_id_for_name("subscript")
_F_SUPERCLASSES = _LANGUAGE.field_id_for_name("superclasses")
_F_TYPE_CONVERSION = _LANGUAGE.field_id_for_name("type_conversion")
_F_VALUE = _LANGUAGE.field_id_for_name("value")
_UNKNOWN_RESULT = (UNKNOWN, 1)

_BINARY = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "//": "__floordiv__",
           "%": "__mod__", "**": "__pow__", "@": "__matmul__", "<<": "__lshift__", ">>": "__rshift__",
           "&": "__and__", "|": "__or__", "^": "__xor__"}
_AUGMENTED = {f"{op}=": f"__i{dunder[2:]}" for op, dunder in _BINARY.items()}
_UNARY = {"-": "__neg__", "+": "__pos__", "~": "__invert__"}
_COMPARISON = {"<": "__lt__", ">": "__gt__", "<=": "__le__", ">=": "__ge__", "==": "__eq__", "!=": "__ne__",
               "<>": "__ne__"}
_BUILTIN_PROTOCOLS = {"len": "__len__", "str": "__str__", "repr": "__repr__", "bool": "__bool__", "hash": "__hash__"}
_LEAVES = frozenset({"integer", "float", "true", "false", "none", "ellipsis", "comment", "line_continuation"})
_SEQUENCE_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"})
_CONDITIONAL_STATEMENTS = frozenset({"try_statement", "match_statement", "elif_clause", "else_clause"})
_SKIPPED = frozenset({"type", "import_statement", "import_from_statement", "future_import_statement",
                      "global_statement", "nonlocal_statement", "case_pattern",
                      "pass_statement", "break_statement", "continue_statement", "type_alias_statement"})

# roles: what a node is taken as; _FINISH marks the end of a part walked after its node was left
_EXPRESSION, _PATTERN, _STATEMENT, _FINISH = 0, 1, 2, 3

Context = tuple  # (scope, conditional, kept): kept is False inside a folded definition


def flow_facts(root: ts.Node, placed: list[tuple[ts.Node, Scope, bool]], source: bytes) -> list[FlowFact]:
    """The flow facts of the file whose tree is ``root``, parsed from ``source``; see the module docstring."""
    return _FlowWalk({node.id: (path, kept) for node, path, kept in placed}, source).run(root)


def _plain_string(node: ts.Node) -> bool:
    """A string without interpolations (most strings): string_start, string_content at most, string_end."""
    count = node.child_count
    return count < 3 or (count == 3 and node.child(1).type == "string_content")


def protocol_variant(node: ts.Node) -> str:
    """"async" for `async for`, `async with` and an `async for` clause (their first child is the `async`
    keyword): they run __aiter__/__anext__ and __aenter__/__aexit__; "" for the others."""
    first = node.child(0)
    return "async" if first is not None and first.type == "async" else ""


def _line(node: ts.Node) -> int:
    return node.start_point[0] + 1


_CUT_RESULT = (UNKNOWN, MAX_EXPRESSION_DEPTH)  # a cut part: whatever holds it is cut too


def _bounded(expression: tuple, depth: int) -> tuple[tuple, int]:
    return (expression, depth) if depth <= MAX_EXPRESSION_DEPTH else _CUT_RESULT


class _FlowWalk:
    def __init__(self, definitions: dict[int, tuple[Scope, bool]], source: bytes) -> None:
        self.definitions = definitions
        self.source = source  # slicing it is cheaper than Node.text for the names the walk reads
        self.facts: list[FlowFact] = []
        self.next_index = 0
        # parts an `enter` handler wants walked after its node is left (a def's body after its
        # parameters, a loop's body after its `iterate`): (node, context, role, what to do with the result)
        self.after: list[tuple] = []

    def _text(self, node: ts.Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def _constant_key(self, node: ts.Node | None) -> str | int | None:
        """The value of an int or plain string literal (a constant key), else None."""
        if node is None:
            return None
        if node.type == "integer":
            try:
                return int(self._text(node).replace("_", ""), 0)
            except ValueError:
                return None
        if node.type == "string":
            parts = node.named_children
            if len(parts) == 3 and parts[1].type == "string_content":
                return self._text(parts[1])
            if len(parts) == 2:
                return ""
        return None

    def _index(self) -> int:
        self.next_index += 1
        return self.next_index - 1

    def emit(self, kind: str, context: Context, line: int, target: tuple = (), value: tuple = (),
             arguments: tuple = (), index: int = -1, name: str = "") -> None:
        self.facts.append(FlowFact(kind, context[0], line, target, value, arguments, index, context[1], name))

    def run(self, root: ts.Node) -> list[FlowFact]:
        results: list[tuple[tuple, int]] = []
        # (node, context, role, None) to enter; (node, context, role, plan) to leave, plan being what
        # enter decided (how many results to take and how to combine them)
        stack: list[tuple] = [(root, ((), False, True), _STATEMENT, None)]
        source = self.source
        while stack:
            node, context, role, plan = stack.pop()
            if role == _FINISH:
                result = results.pop()
                if plan == "return" and context[2]:
                    self.emit("return", context, _line(node), value=result[0])
                continue
            if plan is not None:
                count = plan[0]
                parts = results[len(results) - count:] if count else []
                if count:
                    del results[len(results) - count:]
                results.append(self.leave(node, context, role, plan, parts))
                continue
            kind = node.type
            if role == _EXPRESSION:
                if kind == "identifier":
                    results.append((("name", source[node.start_byte:node.end_byte].decode("utf-8", "replace")), 1))
                    continue
                if kind in _LEAVES or (kind == "string" and _plain_string(node)):
                    results.append(_UNKNOWN_RESULT)
                    continue
            elif role == _PATTERN and kind == "identifier":
                results.append((("name", source[node.start_byte:node.end_byte].decode("utf-8", "replace")), 1))
                continue
            if kind in _SKIPPED:
                results.append(_UNKNOWN_RESULT)
                continue
            children, plan = self.enter(node, context, role)
            if self.after:
                for part, part_context, part_role, finish in reversed(self.after):
                    stack.append((part, part_context, _FINISH, finish))
                    stack.append((part, part_context, part_role, None))
                self.after = []
            stack.append((node, context, role, (len(children), *plan)))
            stack.extend(reversed(children))
        return self.facts

    # --- entering: which parts, in which role and context --------------------------------------

    def enter(self, node: ts.Node, context: Context, role: int) -> tuple[list[tuple], tuple]:
        kind = node.type
        if role == _PATTERN:
            if kind in _SEQUENCE_PATTERNS:
                parts = [c for c in node.named_children if c.type != "comment"]
                return [(c, context, _PATTERN, None) for c in parts], ("seq", [c.type == "list_splat_pattern" or
                                                                              c.type == "list_splat" for c in parts])
            if kind in ("parenthesized_expression", "list_splat_pattern", "list_splat", "as_pattern_target"):
                parts = node.named_children[:1]
                return [(c, context, _PATTERN, None) for c in parts], ("pass",)
            if kind == "attribute":
                return [(node.child_by_field_id(_F_OBJECT), context, _EXPRESSION, None)], ("attr",)
            if kind == "subscript":
                keys = node.children_by_field_id(_F_SUBSCRIPT)
                return ([(node.child_by_field_id(_F_VALUE), context, _EXPRESSION, None)]
                        + [(k, context, _EXPRESSION, None) for k in keys], ("store", keys))
            return [], ("unknown",)
        handler = _ENTER.get(kind)
        if handler is not None:
            return handler(self, node, context)
        conditional = kind in _CONDITIONAL_STATEMENTS
        inner = (context[0], True, context[2]) if conditional and not context[1] else context
        return [(c, inner, _STATEMENT if role == _STATEMENT else _EXPRESSION, None) for c in node.named_children], ("none",)

    def _statement_parts(self, node: ts.Node, context: Context) -> tuple[list[tuple], tuple]:
        return [(c, context, _STATEMENT, None) for c in node.named_children], ("none",)

    def _expression_parts(self, node: ts.Node, context: Context) -> tuple[list[tuple], tuple]:
        return [(c, context, _EXPRESSION, None) for c in node.named_children], ("none",)

    def _first_part(self, node: ts.Node, context: Context) -> tuple[list[tuple], tuple]:
        parts = [c for c in node.named_children if c.type != "comment"]
        return [(c, context, _EXPRESSION, None) for c in parts], ("first",)

    def _conditional_parts(self, node: ts.Node, context: Context, keep: str) -> tuple[list[tuple], tuple]:
        """The part in field ``keep`` runs when the statement does; the others may not."""
        kept = node.child_by_field_name(keep)
        inner = (context[0], True, context[2])
        return [(c, context if c == kept else inner, _EXPRESSION if c == kept else _STATEMENT, None)
                for c in node.named_children], ("none",)

    def _if(self, node, context):
        return self._conditional_parts(node, context, "condition")

    def _while(self, node, context):
        return self._conditional_parts(node, context, "condition")

    def _for(self, node, context):
        inner = (context[0], True, context[2])
        parts = [(node.child_by_field_id(_F_RIGHT), context, _EXPRESSION, None),
                 (node.child_by_field_id(_F_LEFT), inner, _PATTERN, None)]
        self.after = [(c, inner, _STATEMENT, "") for c in (node.child_by_field_id(_F_BODY),
                                                          node.child_by_field_id(_F_ALTERNATIVE)) if c is not None]
        return parts, ("for", protocol_variant(node))

    def _with_item(self, node, context):
        value = node.child_by_field_id(_F_VALUE)
        statement = node.parent.parent if node.parent is not None and node.parent.parent is not None else node
        if value is not None and value.type == "as_pattern":
            alias = value.child_by_field_id(_F_ALIAS)
            return ([(value.named_children[0], context, _EXPRESSION, None), (alias, context, _PATTERN, None)],
                    ("with", protocol_variant(statement)))
        return [(value, context, _EXPRESSION, None)], ("with", protocol_variant(statement))

    def _except(self, node, context):
        value = node.child_by_field_id(_F_VALUE)
        rest = [(c, context, _STATEMENT, None) for c in node.named_children if c != value]
        if value is not None and value.type == "as_pattern":
            self.after, rest = [(part, context, _STATEMENT, "") for part, *_ in rest], []
            alias = value.child_by_field_id(_F_ALIAS)
            types = value.named_children[0]
            classes = [c for c in types.named_children if c.type != "comment"] if types.type == "tuple" else [types]
            return ([(c, context, _EXPRESSION, None) for c in classes] + rest,
                    ("except", len(classes), alias.named_children[0] if alias is not None and alias.named_children else None))
        return ([(value, context, _EXPRESSION, None)] if value is not None else []) + rest, ("none",)

    def _definition_context(self, node: ts.Node, context: Context) -> tuple[Context, Scope | None]:
        path, kept = self.definitions.get(node.id, (context[0], False))
        return (path, False, context[2] and kept), (path if kept else None)

    def _parameters(self, parameters: ts.Node | None, context: Context) -> tuple[list[tuple], list[tuple]]:
        """(the default expressions to walk, in the enclosing context; (name, kind, has default) of
        each parameter, in order)."""
        found: list[tuple[str, str, bool]] = []
        defaults: list[tuple] = []
        kind = "positional"
        for child in parameters.named_children if parameters is not None else ():
            child_type = child.type
            if child_type == "keyword_separator":
                kind = "keyword-only"
                continue
            if child_type in ("positional_separator", "comment"):
                continue
            if child_type == "typed_parameter" and child.named_children and child.named_children[0].type != "identifier":
                child = child.named_children[0]  # `*args: T`, `**kw: T`
                child_type = child.type
            default = child.child_by_field_id(_F_VALUE) if child_type in ("default_parameter", "typed_default_parameter") else None
            if child_type == "identifier":
                name = child
            elif child_type in ("list_splat_pattern", "dictionary_splat_pattern"):
                name = child.named_children[0] if child.named_children else None
                found.append((self._text(name) if name is not None else "", "star" if child_type == "list_splat_pattern" else "double-star", False))
                if child_type == "list_splat_pattern":
                    kind = "keyword-only"
                continue
            else:
                name = child.child_by_field_id(_F_NAME) or (child.named_children[0] if child.named_children else None)
            if name is None or name.type != "identifier":
                continue
            found.append((self._text(name), kind, default is not None))
            if default is not None:
                defaults.append((default, context, _EXPRESSION, None))
        return defaults, found

    def _function(self, node, context):
        inner, path = self._definition_context(node, context)
        defaults, parameters = self._parameters(node.child_by_field_id(_F_PARAMETERS), context)
        body = node.child_by_field_id(_F_BODY)
        self.after = [(body, inner, _STATEMENT, "")] if body is not None else []
        return defaults, ("def", inner, path, parameters)

    def _lambda(self, node, context):
        inner, path = self._definition_context(node, context)
        defaults, parameters = self._parameters(node.child_by_field_id(_F_PARAMETERS), context)
        body = node.child_by_field_id(_F_BODY)
        self.after = [(body, inner, _EXPRESSION, "return" if path is not None else "")] if body is not None else []
        return defaults, ("lambda", inner, path, parameters)

    def _class(self, node, context):
        inner, path = self._definition_context(node, context)
        bases = node.child_by_field_id(_F_SUPERCLASSES)
        body = node.child_by_field_id(_F_BODY)
        parts = [(c, context, _EXPRESSION, None) for c in (bases.named_children if bases is not None else ())]
        if body is not None:
            parts.append((body, inner, _STATEMENT, None))
        return parts, ("class", path)

    def _decorated(self, node, context):
        definition = node.child_by_field_id(_F_DEFINITION)
        decorators = [c.named_children[0] for c in node.named_children if c.type == "decorator" and c.named_children]
        return ([(d, context, _EXPRESSION, None) for d in decorators] + [(definition, context, _STATEMENT, None)],
                ("decorated", len(decorators), definition))

    def _assignment(self, node, context):
        right = node.child_by_field_id(_F_RIGHT)
        if right is None:
            return [], ("none",)  # `x: T`: a declaration, no value
        return [(right, context, _EXPRESSION, None), (node.child_by_field_id(_F_LEFT), context, _PATTERN, None)], ("assign",)

    def _augmented(self, node, context):
        return [(node.child_by_field_id(_F_LEFT), context, _EXPRESSION, None),
                (node.child_by_field_id(_F_RIGHT), context, _EXPRESSION, None)], ("augmented",)

    def _walrus(self, node, context):
        return [(node.child_by_field_id(_F_VALUE), context, _EXPRESSION, None),
                (node.child_by_field_id(_F_NAME), context, _PATTERN, None)], ("assign",)

    def _attribute(self, node, context):
        """A chain `a.b.c` at once: its innermost object is the one part (outermost name first)."""
        names = []
        while node is not None and node.type == "attribute":
            names.append(node.child_by_field_id(_F_ATTRIBUTE))
            node = node.child_by_field_id(_F_OBJECT)
        return [(node, context, _EXPRESSION, None)], ("attrs", names)

    def _subscript(self, node, context):
        keys = node.children_by_field_id(_F_SUBSCRIPT)
        return ([(node.child_by_field_id(_F_VALUE), context, _EXPRESSION, None)]
                + [(k, context, _EXPRESSION, None) for k in keys], ("item", keys))

    def _call(self, node, context):
        function = node.child_by_field_id(_F_FUNCTION)
        arguments = node.child_by_field_id(_F_ARGUMENTS)
        parts = [(function, context, _EXPRESSION, None)]
        shapes: list[tuple[str, str]] = []
        if arguments is not None and arguments.type == "generator_expression":
            parts.append((arguments, context, _EXPRESSION, None))
            shapes.append(("positional", ""))
        elif arguments is not None:
            for argument in arguments.named_children:
                argument_type = argument.type
                if argument_type == "comment":
                    continue
                if argument_type == "keyword_argument":
                    parts.append((argument.child_by_field_id(_F_VALUE), context, _EXPRESSION, None))
                    shapes.append(("keyword", self._text(argument.child_by_field_id(_F_NAME))))
                elif argument_type in ("list_splat", "dictionary_splat"):
                    parts.append((argument.named_children[0], context, _EXPRESSION, None))
                    shapes.append(("star" if argument_type == "list_splat" else "double-star", ""))
                else:
                    parts.append((argument, context, _EXPRESSION, None))
                    shapes.append(("positional", ""))
        return parts, ("call", function, shapes)

    def _container(self, node, context):
        parts, shapes = [], []
        for child in node.named_children:
            child_type = child.type
            if child_type == "comment":
                continue
            if child_type == "pair":
                key = child.child_by_field_id(_F_KEY)
                constant = self._constant_key(key)
                parts.append((child.child_by_field_id(_F_VALUE), context, _EXPRESSION, None))
                if constant is None:  # a constant key (a plain string or int) has no facts to walk for
                    parts.append((key, context, _EXPRESSION, None))
                shapes.append(("pair", constant))
            elif child_type in ("list_splat", "dictionary_splat"):
                parts.append((child.named_children[0], context, _EXPRESSION, None))
                shapes.append((child_type, None))
            else:
                parts.append((child, context, _EXPRESSION, None))
                shapes.append(("element", None))
        return parts, ("container", node.type in ("set",), shapes)

    def _comprehension(self, node, context):
        inner = (context[0], True, context[2])
        body = node.child_by_field_id(_F_BODY)
        parts = []
        for clause in node.named_children:
            if clause.type == "for_in_clause":
                parts.append((clause.child_by_field_id(_F_RIGHT), inner if parts else context, _EXPRESSION, None))
                parts.append((clause.child_by_field_id(_F_LEFT), inner, _PATTERN, None))
            elif clause.type == "if_clause":
                parts.extend((c, inner, _EXPRESSION, None) for c in clause.named_children)
        plan = [(clause.type, protocol_variant(clause)) for clause in node.named_children
                if clause.type in ("for_in_clause", "if_clause")]
        if body is not None and body.type == "pair":
            parts += [(body.child_by_field_id(_F_VALUE), inner, _EXPRESSION, None),
                      (body.child_by_field_id(_F_KEY), inner, _EXPRESSION, None)]
            return parts, ("comprehension", inner, plan, 2)
        parts.append((body, inner, _EXPRESSION, None))
        return parts, ("comprehension", inner, plan, 1)

    def _either(self, node, context):
        if node.type == "conditional_expression":
            first, condition, second = (node.named_children + [None, None, None])[:3]
            inner = (context[0], True, context[2])
            parts = [(first, inner, _EXPRESSION, None), (condition, context, _EXPRESSION, None),
                     (second, inner, _EXPRESSION, None)]
            return [p for p in parts if p[0] is not None], ("either", (0, 2) if second is not None else (0,))
        inner = (context[0], True, context[2])
        return [(node.child_by_field_id(_F_LEFT), context, _EXPRESSION, None),
                (node.child_by_field_id(_F_RIGHT), inner, _EXPRESSION, None)], ("either", (0, 1))

    def _binary(self, node, context):
        operator = self._text(node.child_by_field_id(_F_OPERATOR))
        return [(node.child_by_field_id(_F_LEFT), context, _EXPRESSION, None),
                (node.child_by_field_id(_F_RIGHT), context, _EXPRESSION, None)], ("binary", _BINARY.get(operator, ""))

    def _unary(self, node, context):
        operator = self._text(node.child_by_field_id(_F_OPERATOR))
        return [(node.child_by_field_id(_F_ARGUMENT), context, _EXPRESSION, None)], ("unary", _UNARY.get(operator, ""))

    def _comparison(self, node, context):
        operands, operators = [], []
        for child in node.children:
            if child.is_named:
                if child.type != "comment":
                    operands.append((child, context, _EXPRESSION, None))
            else:
                operators.append(" ".join(self._text(child).split()))
        return operands, ("compare", operators)

    def _string(self, node, context):
        parts, conversions = [], []
        for child in node.named_children:
            if child.type == "interpolation":
                expression = child.child_by_field_id(_F_EXPRESSION)
                if expression is None:
                    continue
                conversion = child.child_by_field_id(_F_TYPE_CONVERSION)
                parts.append((expression, context, _EXPRESSION, None))
                conversions.append("__repr__" if conversion is not None and self._text(conversion) == "!r" else "__str__")
        return parts, ("string", conversions)

    def _return(self, node, context):
        return self._first_part(node, context)[0], ("return",)

    def _delete(self, node, context):
        """`del x[k]` runs x's `__delitem__` (k its argument); `del x.a` and `del x` unbind what no fact
        models, and read nothing."""
        targets = node.named_children
        if len(targets) == 1 and targets[0].type == "expression_list":
            targets = targets[0].named_children
        parts, key_counts = [], []
        for target in targets:
            if target.type == "subscript":
                keys = target.children_by_field_id(_F_SUBSCRIPT)
                parts += [(target.child_by_field_id(_F_VALUE), context, _EXPRESSION, None)]
                parts += [(key, context, _EXPRESSION, None) for key in keys]
                key_counts.append(len(keys))
        return parts, ("delete", key_counts)

    def _raise(self, node, context):
        return self._first_part(node, context)[0], ("raise",)

    def _yield(self, node, context):
        is_from = any(child.type == "from" for child in node.children)
        return self._first_part(node, context)[0], ("yield", is_from)

    def _expression_list(self, node, context):
        return self._container(node, context)

    # --- leaving: the node's expression or pattern, and its facts --------------------------------

    def leave(self, node: ts.Node, context: Context, role: int, plan: tuple, parts: list) -> tuple[tuple, int]:
        action = plan[1]
        if action == "none":
            return _UNKNOWN_RESULT
        if action in ("first", "pass"):
            return parts[0] if parts else _UNKNOWN_RESULT
        if action == "attrs":
            result = parts[0]
            for attribute in reversed(plan[2]):
                result = _bounded(("attr", result[0], self._text(attribute)), result[1] + 1)
            return result
        if action == "attr":
            base, depth = parts[0]
            return _bounded(("attr", base, self._text(node.child_by_field_id(_F_ATTRIBUTE))), depth + 1)
        if action == "call":
            return self._leave_call(node, context, plan, parts)
        if action in ("item", "store"):
            (base, depth), keys = parts[0], plan[2]
            key = self._constant_key(keys[0]) if len(keys) == 1 else None
            index = self._index()
            self.emit("operator", context, _line(node), value=base, arguments=tuple(p[0] for p in parts[1:]),
                      index=index, name="__getitem__" if action == "item" else "__setitem__")
            return _bounded(("item", base, key), depth + 1)
        if action == "seq":
            star = next((position for position, starred in enumerate(plan[2]) if starred), -1)
            return _bounded(("seq", tuple(p[0] for p in parts), star), max((p[1] for p in parts), default=0) + 1)
        if action == "unknown":
            return _UNKNOWN_RESULT
        if action == "assign":
            (value, depth), (target, _) = parts
            self.emit("assign", context, _line(node), target=target, value=value)
            return value, depth
        if action == "augmented":
            (left, depth), (right, _) = parts
            index = self._index()
            operator = self._text(node.child_by_field_id(_F_OPERATOR))
            self.emit("operator", context, _line(node), value=left, arguments=(right,), index=index,
                      name=_AUGMENTED.get(operator, ""))
            if left[0] in ("name", "attr", "item"):
                self.emit("assign", context, _line(node), target=left, value=("call", index))
            return _UNKNOWN_RESULT
        if action == "container":
            return self._leave_container(node, context, plan, parts)
        if action == "comprehension":
            return self._leave_comprehension(node, plan, parts)
        if action == "either":
            chosen = [parts[i] for i in plan[2]]
            if len(chosen) == 1:
                return chosen[0]
            return _bounded(("either", tuple(p[0] for p in chosen)), max(p[1] for p in chosen) + 2)
        if action in ("binary", "unary"):
            index = self._index()
            self.emit("operator", context, _line(node), value=parts[0][0], arguments=tuple(p[0] for p in parts[1:]),
                      index=index, name=plan[2])
            return ("call", index), 1
        if action == "compare":
            for position, operator in enumerate(plan[2]):
                if position + 1 >= len(parts):
                    break
                left, right = parts[position][0], parts[position + 1][0]
                if operator in ("in", "not in"):
                    self.emit("operator", context, _line(node), value=right, arguments=(left,), index=self._index(),
                              name="__contains__")
                elif operator in _COMPARISON:
                    self.emit("operator", context, _line(node), value=left, arguments=(right,), index=self._index(),
                              name=_COMPARISON[operator])
            return _UNKNOWN_RESULT
        if action == "string":
            for (value, _), dunder in zip(parts, plan[2]):
                self.emit("operator", context, _line(node), value=value, index=self._index(), name=dunder)
            return _UNKNOWN_RESULT
        if action == "return":
            if parts and context[2]:
                self.emit("return", context, _line(node), value=parts[0][0])
            return _UNKNOWN_RESULT
        if action == "delete":
            cursor = 0
            for count in plan[2]:
                self.emit("operator", context, _line(node), value=parts[cursor][0],
                          arguments=tuple(p[0] for p in parts[cursor + 1:cursor + 1 + count]), index=self._index(),
                          name="__delitem__")
                cursor += 1 + count
            return _UNKNOWN_RESULT
        if action == "raise":
            if parts:
                self.emit("raise", context, _line(node), value=parts[0][0])
            return _UNKNOWN_RESULT
        if action == "yield":
            if parts and context[2]:
                value = parts[0][0]
                if plan[2]:
                    self.emit("iterate", context, _line(node), value=value)
                    value = ("item", value, None) if parts[0][1] < MAX_EXPRESSION_DEPTH else UNKNOWN
                self.emit("yield", context, _line(node), value=value)
            return _UNKNOWN_RESULT
        if action == "for":
            (value, _), (target, _) = parts[0], parts[1]
            self.emit("iterate", (context[0], True), _line(node), target=target, value=value, name=plan[2])
            return _UNKNOWN_RESULT
        if action == "with":
            target = parts[1][0] if len(parts) > 1 else ()
            self.emit("enter", context, _line(node), target=target, value=parts[0][0], name=plan[2])
            return _UNKNOWN_RESULT
        if action == "except":
            count, alias = plan[2], plan[3]
            if alias is not None and alias.type == "identifier" and any(child.type == "*" for child in node.children):
                # `except* C as group`: an ExceptionGroup of C's, not a C
                self.emit("assign", (context[0], True), _line(alias), target=("name", self._text(alias)), value=UNKNOWN)
            elif alias is not None and alias.type == "identifier":
                instances = [(("instance", p[0]), p[1] + 1) for p in parts[:count]]
                value, depth = instances[0] if len(instances) == 1 else (
                    ("either", tuple(i[0] for i in instances)), max(i[1] for i in instances) + 2)
                value = _bounded(value, depth)[0]
                self.emit("assign", (context[0], True), _line(alias), target=("name", self._text(alias)), value=value)
            return _UNKNOWN_RESULT
        if action in ("def", "lambda"):
            return self._leave_function(node, context, plan, parts)
        if action == "class":
            name = node.child_by_field_id(_F_NAME)
            path = plan[2]
            self.emit("assign", context, _line(node), target=("name", self._text(name)),
                      value=("def", path) if path is not None else UNKNOWN)
            return _UNKNOWN_RESULT
        if action == "decorated":
            count, definition = plan[2], plan[3]
            name = definition.child_by_field_id(_F_NAME) if definition is not None else None
            if count and name is not None:
                self.emit("decorate", context, _line(node), target=("name", self._text(name)),
                          arguments=tuple(p[0] for p in reversed(parts[:count])))
            return _UNKNOWN_RESULT
        raise AssertionError(f"no way to leave a {node.type} with {action!r}")

    def _leave_call(self, node, context, plan, parts):
        function, shapes = plan[2], plan[3]
        callee = parts[0][0]
        if function is not None and function.type == "identifier" and callee == ("name", "super"):
            return ("super",), 1
        arguments = tuple((kind, keyword, part[0]) for (kind, keyword), part in zip(shapes, parts[1:]))
        index = self._index()
        line = _line(node)
        self.emit("call", context, line, value=callee, arguments=arguments, index=index)
        if (function is not None and function.type == "identifier" and len(arguments) == 1
                and arguments[0][0] == "positional" and callee[1] in _BUILTIN_PROTOCOLS):
            self.emit("operator", context, line, value=arguments[0][2], index=self._index(),
                      name=_BUILTIN_PROTOCOLS[callee[1]], target=callee)
        return ("call", index), 1

    def _leave_container(self, node, context, plan, parts):
        is_set, shapes = plan[2], plan[3]
        index = self._index()
        alloc = ("alloc", index)
        line = _line(node)
        position: int | None = 0
        cursor = 0
        for shape, key in shapes:
            value = parts[cursor][0]
            cursor += 2 if shape == "pair" and key is None else 1
            if shape == "list_splat":
                self.emit("iterate", context, line, target=("item", alloc, None), value=value)
                position = None
                continue
            if shape == "dictionary_splat":
                value, key = ("item", value, None), None
            elif shape == "element":
                key = None if is_set or position is None else position
                if position is not None:
                    position += 1
            if value != UNKNOWN:
                self.emit("assign", context, line, target=("item", alloc, key), value=value)
        return alloc, 1

    def _leave_comprehension(self, node, plan, parts):
        inner, clauses, body_count = plan[2], plan[3], plan[4]
        index = self._index()
        alloc = ("alloc", index)
        line = _line(node)
        cursor = 0
        for clause, variant in clauses:  # parts: (iterable, target) per `for`, one or more per `if`
            if clause == "for_in_clause":
                self.emit("iterate", inner, line, target=parts[cursor + 1][0], value=parts[cursor][0], name=variant)
                cursor += 2
            else:
                cursor += 1
        # an `if` clause's parts: every named child of the clause; skip whatever lies before the body
        value = parts[len(parts) - body_count][0]
        if value != UNKNOWN:
            self.emit("assign", inner, line, target=("item", alloc, None), value=value)
        return alloc, 1

    def _leave_function(self, node, context, plan, parts):
        inner, path, parameters = plan[2], plan[3], plan[4]
        defaults = [p[0] for p in parts]
        if path is not None:
            cursor = 0
            for position, (name, kind, has_default) in enumerate(parameters):
                default = ()
                if has_default:
                    default, cursor = defaults[cursor], cursor + 1
                self.emit("parameter", inner, _line(node), target=("name", name), value=default, index=position, name=kind)
        value = ("def", path) if path is not None else UNKNOWN
        if plan[1] == "lambda":
            return value, 1  # its body's `return` comes once the body is walked
        name = node.child_by_field_id(_F_NAME)
        self.emit("assign", context, _line(node), target=("name", self._text(name)), value=value)
        return _UNKNOWN_RESULT


_ENTER = {
    "module": _FlowWalk._statement_parts,
    "block": _FlowWalk._statement_parts,
    "expression_statement": _FlowWalk._expression_parts,
    "if_statement": _FlowWalk._if,
    "while_statement": _FlowWalk._while,
    "for_statement": _FlowWalk._for,
    "with_item": _FlowWalk._with_item,
    "except_clause": _FlowWalk._except,
    "except_group_clause": _FlowWalk._except,
    "function_definition": _FlowWalk._function,
    "class_definition": _FlowWalk._class,
    "decorated_definition": _FlowWalk._decorated,
    "lambda": _FlowWalk._lambda,
    "assignment": _FlowWalk._assignment,
    "augmented_assignment": _FlowWalk._augmented,
    "named_expression": _FlowWalk._walrus,
    "attribute": _FlowWalk._attribute,
    "subscript": _FlowWalk._subscript,
    "call": _FlowWalk._call,
    "list": _FlowWalk._container,
    "tuple": _FlowWalk._container,
    "set": _FlowWalk._container,
    "dictionary": _FlowWalk._container,
    "expression_list": _FlowWalk._expression_list,
    "list_comprehension": _FlowWalk._comprehension,
    "set_comprehension": _FlowWalk._comprehension,
    "dictionary_comprehension": _FlowWalk._comprehension,
    "generator_expression": _FlowWalk._comprehension,
    "conditional_expression": _FlowWalk._either,
    "boolean_operator": _FlowWalk._either,
    "binary_operator": _FlowWalk._binary,
    "unary_operator": _FlowWalk._unary,
    "comparison_operator": _FlowWalk._comparison,
    "string": _FlowWalk._string,
    "parenthesized_expression": _FlowWalk._first_part,
    "await": _FlowWalk._first_part,
    "return_statement": _FlowWalk._return,
    "raise_statement": _FlowWalk._raise,
    "delete_statement": _FlowWalk._delete,
    "yield": _FlowWalk._yield,
}
