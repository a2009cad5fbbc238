"""Python extractor: classes, functions, methods, variables, imports and call sites, via python.scm."""

from __future__ import annotations

import builtins
import inspect
from pathlib import PurePosixPath

import tree_sitter as ts
import tree_sitter_python

from codekg.languages.base import (
    TreeSitterExtractor,
    count_error_regions,
    enclosing_scope,
    iter_matches,
    line_count,
    WHOLE_SCOPE,
    binding_function,
    node_text,
    unique_local_bindings,
)
from codekg.records import CallSite, Definition, FileParse, ImportBinding, LocalBinding, Scope

_LANGUAGE = ts.Language(tree_sitter_python.language())
_PROPERTY_DECORATORS = ("property", "cached_property", "functools.cached_property")
_PROPERTY_SUFFIXES = (".setter", ".getter", ".deleter")
_SIGNATURE_LIMIT = 300


class PythonExtractor(TreeSitterExtractor):
    name = "python"
    extensions = (".py",)
    version = "1"
    query_files = ("python.scm",)
    builtin_names = frozenset(name for name in dir(builtins) if not name.startswith("_"))
    self_receivers = ("self", "cls")
    constructor_name = "__init__"
    resolution_family = "python"

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
        parts = list(PurePosixPath(relative).with_suffix("").parts)
        if len(parts) > 1 and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def import_aliases(self, path: str, language_paths: set[str]) -> tuple[str, ...]:
        """The name counted from the first ancestor folder that is not a package (no __init__.py), as a
        script in that folder would import it, and the name counted from the repository root."""
        parts = list(PurePosixPath(path).with_suffix("").parts)
        start = len(parts) - 1
        while start > 0 and "/".join(parts[:start]) + "/__init__.py" in language_paths:
            start -= 1
        names = parts[start:]
        if len(names) > 1 and names[-1] == "__init__":
            names.pop()
        return (".".join(names), self.module_name(path, ()))

    def extract(self, path: str, source: bytes) -> FileParse:
        tree, query = self.parse_tree(path, source)
        root = tree.root_node
        result = FileParse(
            path=path,
            language=self.name,
            line_count=line_count(source),
            parse_errors=count_error_regions(root),
            docstring=_docstring_of(root),
        )
        captures: dict[str, list[ts.Node]] = {}
        calls: list[tuple[ts.Node, dict[str, list[ts.Node]]]] = []
        for _, match in iter_matches(query, root):
            if "call" in match:
                calls.append((match["call"][0], match))
                continue
            for name, nodes in match.items():
                captures.setdefault(name, []).extend(nodes)

        scope_of: dict[int, Scope] = {}
        definition_nodes = sorted(captures.get("class", []) + captures.get("function", []), key=lambda n: n.start_byte)
        for node in definition_nodes:
            definition = _definition(node, enclosing_scope(node, scope_of))
            scope_of[node.id] = definition.path
            result.definitions.append(definition)
        result.definitions.extend(_variables(captures.get("variable", []), scope_of))
        for node in captures.get("import", []):
            result.imports.extend(_plain_imports(node, enclosing_scope(node, scope_of)))
        for node in captures.get("import.from", []):
            result.imports.extend(_from_imports(node, enclosing_scope(node, scope_of)))
        result.imports.sort(key=lambda b: (b.line, b.module, b.name))
        result.local_bindings = _local_bindings(captures.get("local", []), scope_of)
        for node, match in sorted(calls, key=lambda item: (item[0].start_byte, item[0].end_byte)):
            result.calls.append(_call_site(node, match, _runtime_scope(node, scope_of)))
        return result


def _definition(node: ts.Node, scope: Scope) -> Definition:
    name = node_text(node.child_by_field_name("name"))
    body = node.child_by_field_name("body")
    outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
    decorators = tuple(
        node_text(next((c for c in child.named_children if c.type != "comment"), child)).lstrip("@").strip()
        for child in outer.children
        if child.type == "decorator"
    ) if outer is not node else ()
    header_end = body.start_byte if body is not None else node.end_byte
    signature = " ".join(node.text[: header_end - node.start_byte].decode("utf-8", "replace").split())
    signature = signature.rstrip(":").strip()[:_SIGNATURE_LIMIT]
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
            is_type_only=_under_type_checking(outer),
        )
    in_class_body = _directly_in_class(outer)
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
        is_static=in_class_body and "staticmethod" in decorators,
        is_classmethod=in_class_body and "classmethod" in decorators,
        is_property=in_class_body
        and any(d in _PROPERTY_DECORATORS or d.endswith(_PROPERTY_SUFFIXES) for d in decorators),
        is_variant=any(d == "overload" or d.endswith((".overload", ".setter", ".deleter")) for d in decorators),
        is_type_only=_under_type_checking(outer),
    )


_TYPE_CHECKING_GUARDS = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING"})


def _under_type_checking(node: ts.Node) -> bool:
    """In the body of an `if TYPE_CHECKING:` (not its `else`), within the same scope."""
    child, parent = node, node.parent
    while parent is not None and parent.type not in ("function_definition", "class_definition", "module"):
        if parent.type == "if_statement" and child == parent.child_by_field_name("consequence"):
            condition = parent.child_by_field_name("condition")
            if condition is not None and node_text(condition) in _TYPE_CHECKING_GUARDS:
                return True
        child, parent = parent, parent.parent
    return False


def _directly_in_class(node: ts.Node) -> bool:
    """A def in a class body, also under `if`/`try`/`with` there: a method (it becomes a class attribute)."""
    parent = node.parent
    while parent is not None and parent.type not in ("function_definition", "module", "lambda"):
        if parent.type == "class_definition":
            return True
        parent = parent.parent
    return False


def _runtime_scope(node: ts.Node, scope_of: dict[int, Scope]) -> Scope:
    """Where code at ``node`` runs. Parameter defaults, annotations and base-class lists are
    evaluated when the `def`/`class` statement runs, in the enclosing scope, not in the body."""
    child, parent = node, node.parent
    while parent is not None:
        found = scope_of.get(parent.id)
        if found is not None and child == parent.child_by_field_name("body"):
            return found
        child, parent = parent, parent.parent
    return ()


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


def _variables(nodes: list[ts.Node], scope_of: dict[int, Scope]) -> list[Definition]:
    """Module- and class-level bindings; a name bound twice in one scope is one variable (its first binding)."""
    seen: set[Scope] = set()
    found: list[Definition] = []
    for assignment in sorted((n for n in nodes if n.type == "assignment"), key=lambda n: n.start_byte):
        scope = enclosing_scope(assignment, scope_of)
        for target in _bound_identifiers(assignment.child_by_field_name("left")):
            name = node_text(target)
            if (*scope, name) in seen:
                continue
            seen.add((*scope, name))
            found.append(
                Definition(
                    "Variable", name, scope, assignment.start_point[0] + 1, assignment.end_point[0] + 1,
                    signature=" ".join(node_text(assignment).split())[:_SIGNATURE_LIMIT],
                )
            )
    return found


_FUNCTION_LIKE = frozenset(
    {"function_definition", "lambda", "list_comprehension", "set_comprehension", "dictionary_comprehension",
     "generator_expression"}
)
_SCOPE_OWNERS = frozenset({"function_definition", "module"})  # their bindings belong to a scope path
_BINDING_STOPS = frozenset({"class_definition"})


def _local_bindings(nodes: list[ts.Node], scope_of: dict[int, Scope]) -> list[LocalBinding]:
    """Names bound in functions, lambdas, comprehensions and module-level blocks (class-level ones are Variables)."""
    found = []
    for node in sorted(nodes, key=lambda n: n.start_byte):
        function = binding_function(node, _FUNCTION_LIKE, _BINDING_STOPS)
        if function is None:
            continue
        region = WHOLE_SCOPE if function.type in _SCOPE_OWNERS else (function.start_point[0] + 1, function.end_point[0] + 1)
        found.append(LocalBinding(node_text(node), enclosing_scope(node, scope_of), node.start_point[0] + 1, *region))
    return unique_local_bindings(found)


def _bound_identifiers(target: ts.Node | None) -> list[ts.Node]:
    if target is None:
        return []
    if target.type == "identifier":
        return [target]
    if target.type in ("pattern_list", "tuple_pattern", "list_pattern"):
        return [n for child in target.named_children for n in _bound_identifiers(child)]
    return []


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
    callee = node_text(match["call.name"][0])
    receiver_nodes = match.get("call.receiver")
    receiver = _receiver_text(receiver_nodes[0]) if receiver_nodes else None
    return CallSite(callee, receiver, scope, node.start_point[0] + 1)


def _receiver_text(node: ts.Node) -> str:
    """A dotted name chain as written, `super` for `super()`, or `<expr>` for anything else."""
    if node.type == "identifier":
        return node_text(node)
    if node.type == "attribute":
        inner = node.child_by_field_name("object")
        attribute = node.child_by_field_name("attribute")
        prefix = _receiver_text(inner) if inner is not None else "<expr>"
        return "<expr>" if prefix.startswith("<expr>") or prefix == "super" else f"{prefix}.{node_text(attribute)}"
    if node.type == "call":
        function = node.child_by_field_name("function")
        if function is not None and function.type == "identifier" and node_text(function) == "super":
            return "super"
    return "<expr>"
