"""JavaScript/TypeScript value bindings: what the default resolver (resolve/types.py) may know about
a name's value, as Python's extractor records it (records.ValueBinding).

`const engine = new Engine(); engine.start()` calls `Engine.start`: the binding says `engine` holds
what calling `Engine` gives. The rules read only these records, so they must see *every* binding of
a name in its scope (an unknown one as `other`), or they would trust one binding while another
rebinds the name. Recorded, for each name that has one known binding in a scope:
- each declaration (`const`/`let`/`var`, a parameter, `catch`, a destructured name, a nested
  `function` or `class`): its value when it is `new C()`, `f()`, `await f()`, another name, `null`,
  or (TypeScript) its annotation; else `other`;
- each assignment `x = …` (`x += …`, and each name a destructuring assignment `[a, b] = …` may
  rebind, are `other`), in the nearest enclosing function that declares x, else at module level;
- `this.x = …` in a method of a class, as the instance attribute `this.x` of that method (an arrow
  function inside keeps the method's `this`); a class field `x = …` as the class body's `x`;
- each `return …` and an arrow function's expression body, as the function's RETURN_TARGET (a
  generator's calls give a generator: `other`).
A binding that cannot be placed (inside a definition folded past the nesting bounds) makes its name
unknown in the whole file: no record of it is kept.
"""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter as ts

from codekg.languages.base import node_text
from codekg.records import Definition, Scope, ValueBinding

_GENERATORS = frozenset({"generator_function", "generator_function_declaration"})
_NOTHING = frozenset({"null", "undefined"})
Placed = dict[int, tuple[Scope, bool]]  # a definition's node id -> (its path, kept)


class ValueBindings:
    """Collects the bindings of one file; `records` gives them once every node is seen."""

    def __init__(self, placed: Placed, dotted: Callable[[ts.Node], str | None],
                 unwrap: Callable[[ts.Node], ts.Node]) -> None:
        self.placed, self.dotted, self.unwrap = placed, dotted, unwrap
        self.events: list[ValueBinding] = []
        self.unplaced: set[str] = set()  # names (and `this.x` targets) some binding of which has no place

    def scope_of(self, function: ts.Node | None) -> Scope | None:
        """The path of the definition ``function`` is (module level for None); None when it is folded."""
        if function is None:
            return ()
        path, kept = self.placed.get(function.id, ((), False))
        return path if kept else None

    def add(self, target: str, scope: Scope | None, node: ts.Node, kind: str, source: str = "") -> None:
        if scope is None:
            self.unplaced.add(target)
            return
        self.events.append(ValueBinding(target, scope, node.start_point.row + 1, kind, source))  # type: ignore[arg-type]

    def value_of(self, node: ts.Node | None) -> tuple[str, str]:
        """(kind, source) of a bound value: see records.ValueBinding."""
        if node is None:
            return "none", ""
        node = self.unwrap(node)
        while node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = self.unwrap(node.named_children[0])
        if node.type in _NOTHING or (node.type == "identifier" and node_text(node) == "undefined"):
            return "none", ""
        if node.type == "new_expression":
            constructor = node.child_by_field_name("constructor")
            dotted = self.dotted(constructor) if constructor is not None else None
            return ("call", dotted) if dotted else ("other", "")
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            dotted = self.dotted(function) if function is not None else None
            return ("call", dotted) if dotted else ("other", "")
        if node.type == "await_expression" and node.named_child_count:
            awaited = self.unwrap(node.named_children[0])
            function = awaited.child_by_field_name("function") if awaited.type == "call_expression" else None
            dotted = self.dotted(function) if function is not None else None
            return ("await", dotted) if dotted else ("other", "")
        if node.type in ("identifier", "member_expression", "this"):
            dotted = self.dotted(node)
            return ("alias", dotted) if dotted else ("other", "")
        return "other", ""

    def records(self, definitions: list[Definition]) -> list[ValueBinding]:
        """The bindings of every name that has one whose value is known (see the module docstring)."""
        events = list(self.events)
        for definition in definitions:
            if definition.kind != "Variable" and definition.scope:
                events.append(ValueBinding(definition.name, definition.scope, definition.start_line, "other"))

        def group(event: ValueBinding) -> tuple[Scope, str]:
            return (event.scope[:-1], event.target.split(".", 1)[1]) if "." in event.target else (event.scope, event.target)

        known = {group(e) for e in events if e.kind not in ("other", "none") and e.target not in self.unplaced}
        kept = [e for e in events if group(e) in known and e.target not in self.unplaced]
        return sorted(kept, key=lambda e: (e.scope, e.target, e.line))


def declared_value(name: ts.Node) -> ts.Node | None | bool:
    """The value a declaration binds ``name`` to: the node, None for `let x;`, False when ``name`` is
    not the whole name of a `variable_declarator` (a parameter, a destructured name, …)."""
    declarator = name.parent
    if declarator is None or declarator.type != "variable_declarator":
        return False
    named = declarator.child_by_field_name("name")
    if named is None or named.id != name.id:
        return False
    return declarator.child_by_field_name("value")


def is_generator(function: ts.Node | None) -> bool:
    if function is None:
        return False
    return function.type in _GENERATORS or (function.type == "method_definition" and any(
        child.type == "*" for child in function.children))
