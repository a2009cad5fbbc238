"""TypeScript extractor: one .ts/.tsx/.mts/.cts file in, one FileParse out.

The JavaScript extractor with TypeScript's differences only: the grammar (TSX for `.tsx`), extra
patterns in ``typescript.scm`` (abstract classes and methods, interfaces, `import x = require()`,
`export =`), `extends`/`implements` clauses, and `a!.b()` receivers.
"""

from __future__ import annotations

from typing import ClassVar

import tree_sitter as ts
import tree_sitter_typescript

from codekg.language_table import LANGUAGES
from codekg.languages.base import node_text
from codekg.languages.javascript import (
    MAX_SIGNATURE,
    Captures,
    JavaScriptExtractor,
    _children,
    _collapse,
    _FileState,
    _member_name,
    _signature,
)

TYPESCRIPT = ts.Language(tree_sitter_typescript.language_typescript())
TSX = ts.Language(tree_sitter_typescript.language_tsx())


class TypeScriptExtractor(JavaScriptExtractor):
    """TypeScript and TSX."""

    name = "typescript"
    extensions = LANGUAGES[name].extensions
    version = LANGUAGES[name].version
    query_files = ("javascript.scm", "typescript.scm")

    ROLE_HANDLERS: ClassVar[dict[str, str]] = {
        **JavaScriptExtractor.ROLE_HANDLERS,
        "definition.interface": "_on_interface",
        "definition.parameter_property": "_on_parameter_property",
        "definition.enum": "_on_enum",
        "definition.type_alias": "_on_type_alias",
        "definition.function_signature": "_on_function_signature",
        "definition.method_signature": "_on_method_signature",
        "use.type": "_on_use_type",
    }
    NAMED_DECLARATIONS = JavaScriptExtractor.NAMED_DECLARATIONS | {
        "abstract_class_declaration",
        "interface_declaration",
    }
    FIELD_NAME = "name"  # `public_field_definition` names its field `name`
    TRANSPARENT_EXPRESSIONS = frozenset({"non_null_expression"})

    def tree_sitter_language(self, path: str) -> ts.Language:
        return TSX if path.lower().endswith(".tsx") else TYPESCRIPT

    def _call(self, state: _FileState, node: ts.Node, function: ts.Node, *, is_new: bool) -> None:
        """tree-sitter-typescript reads `await f<T>(x)` as `(await f)<T>(x)`: the call is `f<T>(x)`."""
        if function.type == "await_expression" and function.named_child_count == 1 and not is_new:
            function = function.named_children[0]
        super()._call(state, node, function, is_new=is_new)

    def _heritage(self, class_node: ts.Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(bases, implements) from `extends B<T>` and `implements I, J<T>` clauses."""
        bases: list[str] = []
        implements: list[str] = []
        for child in _children(class_node):
            if child.type != "class_heritage":
                continue
            for clause in child.named_children:
                if clause.type == "extends_clause":
                    bases.extend(d for v in clause.children_by_field_name("value") if (d := self._dotted(v)))
                elif clause.type == "implements_clause":
                    implements.extend(n for t in clause.named_children if (n := _type_name(t)))
        return tuple(bases), tuple(implements)

    def _on_function_signature(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        if not _overload(node):
            self._on_function(state, node, captures)

    def _on_method_signature(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        if not _overload(node):
            self._on_method(state, node, captures)

    def _on_parameter_property(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`constructor(private readonly s: Service)`: a Variable `s` of the class, with its type."""
        name = node.child_by_field_name("pattern")
        modifiers = {child.type for child in _children(node)}
        if name is None or name.type != "identifier" or not modifiers & {"accessibility_modifier", "readonly", "override"}:
            return
        body = node.parent.parent.parent if node.parent and node.parent.parent else None  # parameters → method → body
        if body is None or body.type != "class_body":
            return
        self._define(state, "Variable", node_text(name), span=node, anchor=body.start_byte,
                     annotation=self._annotation(node))

    def _annotation(self, declaration: ts.Node | None) -> str:
        """`Service` from `s: Service`, `ns.T` from `t?: ns.T<X>`; "" for other types (unions, arrays…)."""
        annotation = declaration.child_by_field_name("type") if declaration is not None else None
        if annotation is None or annotation.type != "type_annotation" or annotation.named_child_count != 1:
            return ""
        return _type_name(annotation.named_children[0]) or ""

    def _binding_annotation(self, name: ts.Node) -> str:
        return self._annotation(name.parent)

    def _on_interface(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is None or body is None:
            return
        bases: list[str] = []
        for child in _children(node):
            if child.type == "extends_type_clause":
                bases.extend(n for t in child.children_by_field_name("type") if (n := _type_name(t)))
        self._define(
            state,
            "Interface",
            node_text(name),
            span=node,
            opens=(body.start_byte, body.end_byte),  # the types its members name are its USES
            signature=_signature(state.source, node.start_byte, body.start_byte),
            doc=node, doc_through_export=True,
            bases=tuple(bases),
        )

    def _on_enum(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`enum E { A, B = 2 }`: an Enum; each member a Variable of it."""
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is None or body is None:
            return
        self._define(state, "Enum", node_text(name), span=node, opens=(body.start_byte, body.end_byte),
                     signature=_signature(state.source, node.start_byte, body.start_byte),
                     doc=node, doc_through_export=True)
        for member in body.named_children:
            member_name = member.child_by_field_name("name") if member.type == "enum_assignment" else member
            text = _member_name(member_name)
            if text is not None and member.type != "comment":
                self._define(state, "Variable", text, span=member, signature=_collapse(node_text(member)))

    def _on_type_alias(self, state: _FileState, node: ts.Node, captures: Captures) -> None:
        """`type X = …`: a Type, which USES the types its value names."""
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            return
        self._define(state, "Type", node_text(name), span=node, opens=(node.start_byte, node.end_byte),
                     signature=_collapse(node_text(node))[:MAX_SIGNATURE], doc=node, doc_through_export=True)
        state.types_read_to = max(state.types_read_to, node.end_byte)
        self._type_uses(state, value)


def _type_name(node: ts.Node) -> str | None:
    """`I`, `ns.I` or `I<T>` -> the dotted name; None for other type expressions."""
    if node.type == "generic_type":
        name = node.child_by_field_name("name")
        return _type_name(name) if name is not None else None
    if node.type in ("type_identifier", "nested_type_identifier", "identifier"):
        return "".join(node_text(node).split())
    return None


_WRAPPERS = frozenset({"export_statement", "ambient_declaration"})  # `export declare function f(): T;`
_WITH_BODY = frozenset({"function_declaration", "generator_function_declaration", "method_definition"})
_BODILESS = frozenset({"function_signature", "method_signature", "abstract_method_signature"})


def _overload(signature: ts.Node) -> bool:
    """A bodiless signature that another declaration of its name in the same scope stands for: the
    implementation after its overloads (`f(x: string): T; f(x: any): T {…}`), or, without one (a
    .d.ts), the first of several signatures. TypeScript makes them one function."""
    name = signature.child_by_field_name("name")
    statement = signature
    while statement.parent is not None and statement.parent.type in _WRAPPERS:
        statement = statement.parent
    if name is None or statement.parent is None:
        return False
    before = True  # a sibling still before the signature
    for sibling in statement.parent.named_children:
        declaration = _declared(sibling)
        if sibling.id == statement.id:
            before = False
            continue
        other = declaration.child_by_field_name("name") if declaration is not None else None
        if other is None or other.text != name.text:
            continue
        if declaration.type in _WITH_BODY or (before and declaration.type in _BODILESS):
            return True
    return False


def _declared(statement: ts.Node) -> ts.Node | None:
    """What an `export` / `declare` statement declares (the statement itself otherwise)."""
    node: ts.Node | None = statement
    while node is not None and node.type in _WRAPPERS:
        node = node.child_by_field_name("declaration") or next(iter(node.named_children), None)
    return node
