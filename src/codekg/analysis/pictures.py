"""Pictures of what `context`, `impact` and `callgraph` show: the same subgraph as DOT (Graphviz),
Mermaid or GraphML, for a person who would rather look at a neighbourhood than read its JSON.

Each command's JSON result is turned into one `Picture` (its nodes, and its edges with relation and
confidence), then written in the format asked for: DOT by pydot, GraphML by networkx (every node and
edge property kept as GraphML data), Mermaid by `_mermaid` here (no maintained Python library writes
it; every label is entity-encoded, so no name can break the diagram). Node colours follow the label,
edges below confidence 1.0 are dashed and carry their confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codekg.errors import InputError

FORMATS = ("dot", "mermaid", "graphml")
COLOURS = {"Module": "#d9e8fb", "Class": "#fde2c8", "Interface": "#fde2c8", "Enum": "#fde2c8", "Type": "#fde2c8",
           "Function": "#d5f0d5", "Method": "#e6f5d0", "Variable": "#f2e6f7", "External": "#eeeeee",
           "Table": "#fff3b0", "View": "#fff3b0", "Column": "#fff9d6", "SqlStatement": "#e0e0e0", "File": "#d9e8fb"}
# context's lists: (key, the relationship drawn, whether the edge points at the symbol)
CONTEXT_EDGES = (
    ("callers", "CALLS", True), ("callees", "CALLS", False), ("defines", "DEFINES", False),
    ("methods", "HAS_METHOD", False), ("bases", "EXTENDS", False), ("subclasses", "EXTENDS", True),
    ("overrides", "OVERRIDES", False), ("overridden_by", "OVERRIDES", True), ("users", "USES", True),
    ("readers", "ACCESSES", True), ("writers", "ACCESSES", True), ("decorators", "DECORATES", True),
    ("imports", "IMPORTS", False), ("importers", "IMPORTS", True),
)


@dataclass(frozen=True, slots=True)
class PictureNode:
    key: str  # the node id when the result gives one, else its qualified name
    label: str  # Function, Class, … ("" when unknown)
    name: str  # what the picture writes: the qualified name
    file_path: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class PictureEdge:
    source: str
    target: str
    relation: str
    confidence: float | None = None
    note: str = ""  # e.g. the reason, the SQL operation


@dataclass(slots=True)
class Picture:
    title: str
    nodes: dict[str, PictureNode] = field(default_factory=dict)
    edges: list[PictureEdge] = field(default_factory=list)
    focus: str = ""  # the key of the symbol the picture is about (drawn bold)

    def add(self, node: PictureNode) -> str:
        self.nodes.setdefault(node.key, node)
        return node.key

    def link(self, edge: PictureEdge) -> None:
        if edge not in self.edges:
            self.edges.append(edge)


def _symbol_node(entry: dict[str, Any]) -> PictureNode:
    return PictureNode(entry.get("id") or entry["qualified_name"], entry.get("label", ""), entry["qualified_name"],
                       entry.get("file_path", ""), entry.get("start_line") or 0)


def context_picture(result: dict[str, Any]) -> Picture:
    """The symbol of a `context` result with its container and every related symbol it lists."""
    symbol = _symbol_node(result["symbol"])
    picture = Picture(f"context of {symbol.name}", focus=symbol.key)
    picture.add(symbol)
    if result.get("container"):
        picture.link(PictureEdge(picture.add(_symbol_node(result["container"])), symbol.key, "DEFINES"))
    for key, relation, inward in CONTEXT_EDGES:
        for entry in result.get(key) or []:
            other = picture.add(_symbol_node(entry))
            note = entry.get("reason", "") or entry.get("mode", "")
            source, target = (other, symbol.key) if inward else (symbol.key, other)
            picture.link(PictureEdge(source, target, relation, entry.get("confidence"), note))
    return picture


def impact_picture(result: dict[str, Any]) -> Picture:
    """The target of an `impact` result and every affected symbol, each joined to the one before it
    on its best path, by the edge that was followed (upstream: the affected symbol depends on it)."""
    target = _symbol_node(result["target"])
    picture = Picture(f"{result['direction']} impact of {target.name}", focus=target.key)
    picture.add(target)
    by_name = {target.name: target.key}
    entries = [entry for level in result["levels"] for entry in level["symbols"]]
    for entry in entries:
        by_name.setdefault(entry["qualified_name"], picture.add(_symbol_node(entry)))
    for entry in entries:
        near = by_name.get(entry["path"][-2]) if len(entry["path"]) > 1 else target.key
        if near is None:  # a path from a seed that is not an answer: a method of the target class, its module
            near = by_name[entry["path"][-2]] = _seed(picture, target, entry["path"][-2])
        far = _symbol_node(entry).key  # itself: names can repeat (classes local to two functions)
        source, end = (far, near) if result["direction"] == "upstream" else (near, far)
        picture.link(PictureEdge(source, end, entry["relation"], entry.get("confidence"), entry.get("reason", "")))
    return picture


def _seed(picture: Picture, target: PictureNode, name: str) -> str:
    """A node for where impact started besides the target (it counts a class with its methods, a
    definition with its module), joined to the target by what holds what."""
    key = picture.add(PictureNode(name, "", name))
    if name.startswith(target.name + "."):
        picture.link(PictureEdge(target.key, key, "HAS_METHOD" if target.label in ("Class", "Interface", "Enum") else "DEFINES"))
    elif target.name.startswith(name + "."):
        picture.link(PictureEdge(key, target.key, "DEFINES"))
    return key


def sql_impact_picture(result: dict[str, Any]) -> Picture:
    """A SQL table, view or column of `impact`: what derives from it (DERIVES_FROM, by statement), the
    statements that read it or what derives from it (READS_FROM the tables they read), and the code
    that runs them (RUNS_SQL)."""
    start = PictureNode(result["id"], result["kind"].capitalize(), result["name"])
    picture = Picture(f"impact of {result['name']}", focus=start.key)
    picture.add(start)
    by_name = {result["name"]: start.key}
    for hop in result["downstream"]:
        node = PictureNode(f"{hop['kind'].capitalize()}:{hop['name']}", hop["kind"].capitalize(), hop["name"])
        by_name.setdefault(hop["name"], picture.add(node))
    for hop in result["downstream"]:
        via = by_name.get(hop["via"])
        if via is not None:
            picture.link(PictureEdge(by_name[hop["name"]], via, "DERIVES_FROM", hop.get("confidence"),
                                     hop["statement"].get("operation", "")))
    for statement in result["statements"]:
        node = picture.add(PictureNode(statement["id"], "SqlStatement", f"{statement['operation']} {statement['file']}:{statement['line']}",
                                       statement["file"], statement["line"]))
        for relation in statement.get("reads", []):
            label, _, name = relation.partition(":")
            picture.link(PictureEdge(node, picture.add(PictureNode(relation, label, name)), "READS_FROM"))
        for runner in statement.get("run_by", []):
            picture.link(PictureEdge(picture.add(PictureNode(runner, "", runner)), node, "RUNS_SQL"))
    return picture


def callgraph_picture(graph: dict[str, list[str]]) -> Picture:
    """`codekg callgraph`'s adjacency map: every caller and callee, every CALLS edge."""
    picture = Picture("call graph")
    for caller, callees in graph.items():
        picture.add(PictureNode(caller, "", caller))
        for callee in callees:
            picture.link(PictureEdge(caller, picture.add(PictureNode(callee, "", callee)), "CALLS"))
    return picture


MERMAID_MAX_EDGES = 500  # Mermaid's default `maxEdges`: a bigger diagram does not render (GitHub, mermaid.live)


def render(picture: Picture, output_format: str) -> str:
    """``picture`` as DOT, Mermaid or GraphML text."""
    if output_format == "dot":
        return _dot(picture)
    if output_format == "mermaid":
        return _mermaid(picture)
    if output_format == "graphml":
        return _graphml(picture)
    raise InputError(f"unknown picture format {output_format!r}: use {', '.join(FORMATS)}")


def _edge_text(edge: PictureEdge) -> str:
    confidence = f" {edge.confidence:.2f}" if edge.confidence is not None and edge.confidence < 1.0 else ""
    return f"{edge.relation}{confidence}"


def _dot(picture: Picture) -> str:
    import pydot

    graph = pydot.Dot("codekg", graph_type="digraph", rankdir="LR", label=picture.title, labelloc="t",
                      fontname="Helvetica")
    graph.set_node_defaults(shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10")
    graph.set_edge_defaults(fontname="Helvetica", fontsize="8")
    numbers = {key: f"n{index}" for index, key in enumerate(picture.nodes)}
    for key, node in picture.nodes.items():
        text = f"{node.name}\n{node.label}" if node.label else node.name
        graph.add_node(pydot.Node(numbers[key], label=_dot_string(text), fillcolor=COLOURS.get(node.label, "#ffffff"),
                                  penwidth="2" if key == picture.focus else "1",
                                  tooltip=_dot_string(f"{node.file_path}:{node.line}" if node.file_path else node.name)))
    for edge in picture.edges:
        dashed = edge.confidence is not None and edge.confidence < 1.0
        graph.add_edge(pydot.Edge(numbers[edge.source], numbers[edge.target], label=_dot_string(_edge_text(edge)),
                                  style="dashed" if dashed else "solid"))
    return graph.to_string()


def _dot_string(text: str) -> str:
    """A DOT quoted string: pydot writes attribute values as given, so the quoting is done here."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_MERMAID_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:/-")


def _mermaid_text(text: str) -> str:
    """Every character Mermaid could read as syntax (quotes, brackets, pipes, `<`, `#`, …) as its entity code."""
    return "".join(ch if ch in _MERMAID_PLAIN else f"#{ord(ch)};" for ch in text)


def _mermaid(picture: Picture) -> str:
    numbers = {key: f"n{index}" for index, key in enumerate(picture.nodes)}
    lines = ["---", f'title: "{_mermaid_text(picture.title)}"', "---", "flowchart LR"]
    for key, node in picture.nodes.items():
        lines.append(f'    {numbers[key]}["{_mermaid_text(node.name)}' + (f"<br/><i>{node.label}</i>" if node.label else "") + '"]')
    for edge in picture.edges:
        arrow = "-.->" if edge.confidence is not None and edge.confidence < 1.0 else "-->"
        lines.append(f"    {numbers[edge.source]} {arrow}|{_mermaid_text(_edge_text(edge))}| {numbers[edge.target]}")
    for label in sorted({node.label for node in picture.nodes.values() if node.label in COLOURS}):
        members = ",".join(numbers[key] for key, node in picture.nodes.items() if node.label == label)
        lines.append(f"    classDef {label} fill:{COLOURS[label]}")
        lines.append(f"    class {members} {label}")
    if picture.focus:
        lines.append(f"    style {numbers[picture.focus]} stroke-width:3px")
    return "\n".join(lines) + "\n"


def _graphml(picture: Picture) -> str:
    import networkx

    graph = networkx.MultiDiGraph(name=picture.title)
    for key, node in picture.nodes.items():
        graph.add_node(key, label=node.label, name=node.name, file_path=node.file_path, line=node.line,
                       focus=int(key == picture.focus))  # 1 for the symbol asked about (networkx writes a bool `True`)
    for edge in picture.edges:
        graph.add_edge(edge.source, edge.target, relation=edge.relation,
                       confidence=-1.0 if edge.confidence is None else float(edge.confidence), note=edge.note)
    return "\n".join(networkx.generate_graphml(graph)) + "\n"
