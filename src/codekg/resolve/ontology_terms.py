"""Ontology terms in the graph: the classes, properties, axioms and ontologies a file declares, the
SUBCLASS_OF, DOMAIN and RANGE edges its statements give, and the MENTIONS of classes by code and pages.

Terms are shared nodes (`FileResolution.shared`, made once by passes/resolve.py `shared_nodes`): two
files may declare the same class of one ontology (one adds a comment, the other a parent). Ids hold the
ontology id: `OntologyClass:<ontology id>|<iri>`. A statement naming a term points at its declaration in
the same ontology, else in another ontology of the repository (reason `ontology-other`), else at a
node with `declared` false, and the run reports it as a validation error: never a dangling edge.
A CURIE is expanded with the prefixes the repository's ontology files bind (`SymbolIndex.ontology_prefixes`).
"""

from __future__ import annotations

from typing import Any

from codekg.graph import Graph
from codekg.records import OntologyTerm
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef
from codekg.schema import CODE_ELEMENT_LABELS

TERM_LABELS = {"class": "OntologyClass", "object": "OntologyProperty", "datatype": "OntologyProperty",
               "annotation": "OntologyProperty"}
CONFIDENCE = {"ontology": 1.0, "ontology-other": 0.9, "iri": 1.0, "curie": 0.9}
PREFIX_KIND = "prefix"  # an OntologyTerm that records a prefix binding: label the prefix, iri its namespace


def term_id(label: str, ontology_id: str, iri: str) -> str:
    return f"{label}:{ontology_id}|{iri}"


def resolve_file_ontology(symbols: SymbolIndex, file_symbols: FileSymbols, graph: Graph, shared: dict[str, Any],
                          warnings: list[dict[str, str]], synced: str) -> None:
    """Add the file's ontology nodes to ``shared`` and its edges to ``graph``; ``synced``: when the
    file's content arrived (its modification time: for `codekg sync`, when the sync wrote it)."""
    parse = file_symbols.parse
    file_endpoint = file_symbols.file_ref.endpoint
    terms = [term for term in parse.ontology if term.kind != PREFIX_KIND]
    for term in terms:
        if term.kind == "ontology":
            node_id = f"Ontology:{term.iri}"
            shared[node_id] = _node("Ontology", node_id, term.iri, term.label or term.iri, parse.path, term.line,
                                    term.end_line, docstring=term.comment, language="ontology")
            graph.add_edge("DECLARED_IN", ("Ontology", node_id), file_endpoint, line=term.line)
            continue
        label = TERM_LABELS[term.kind]
        node_id = term_id(label, term.ontology_id, term.iri)
        shared[node_id] = _term_node(label, node_id, term, parse.path, synced)
        shared.setdefault(f"Ontology:{term.ontology_id}", _node("Ontology", f"Ontology:{term.ontology_id}", term.ontology_id,
                                                                 term.ontology_id, "", 0, language="ontology"))
        graph.add_edge("DECLARED_IN", (label, node_id), file_endpoint, line=term.line)
        for number, (kind, text) in enumerate(term.axioms, 1):
            axiom_id = f"Axiom:{term.ontology_id}|{term.iri}|{parse.path}#{number}"
            shared[axiom_id] = _node("Axiom", axiom_id, term.ontology_id, f"{kind} {text}"[:200], parse.path, term.line,
                                     kind=kind, text=text, language="ontology")
            graph.add_edge("HAS_AXIOM", (label, node_id), ("Axiom", axiom_id))
            graph.add_edge("DECLARED_IN", ("Axiom", axiom_id), file_endpoint, line=term.line)
        parent_label = "OntologyClass" if label == "OntologyClass" else "OntologyProperty"
        for rel_type, iris, target_label in (("SUBCLASS_OF", term.parents, parent_label), ("DOMAIN", term.domains, "OntologyClass"),
                                             ("RANGE", term.ranges, "OntologyClass")):
            for iri in iris:
                target, reason = _declaration(symbols, iri, term.ontology_id, target_label, shared, parse.path, term.line,
                                              warnings, rel_type)
                graph.add_edge(rel_type, (label, node_id), target, confidence=CONFIDENCE[reason], reason=reason)
    _mentions(symbols, file_symbols, graph)


def _declaration(symbols: SymbolIndex, iri: str, ontology_id: str, label: str, shared: dict[str, Any], path: str,
                 line: int, warnings: list[dict[str, str]], rel_type: str) -> tuple[tuple[str, str], str]:
    """The node a statement's ``iri`` means, and the edge's reason."""
    declared = sorted((oid, TERM_LABELS[kind]) for oid, kind, _ in symbols.ontology_terms.get(iri, ())
                      if TERM_LABELS[kind] == label)
    for oid, found in declared:
        if oid == ontology_id:
            return (found, term_id(found, oid, iri)), "ontology"
    if declared:
        oid, found = declared[0]
        return (found, term_id(found, oid, iri)), "ontology-other"
    node_id = term_id(label, ontology_id, iri)
    shared.setdefault(node_id, _node(label, node_id, ontology_id, iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], "", 0,
                                     iri=iri, declared=False, language="ontology"))
    warnings.append({"pass": "resolve", "kind": "ontology-undeclared",
                     "message": f"line {line}: {rel_type} {iri}: no file of the repository declares it"})
    return (label, node_id), "ontology"


def _mentions(symbols: SymbolIndex, file_symbols: FileSymbols, graph: Graph) -> None:
    """MENTIONS from the innermost definition around each mention (else the file) to the classes it names."""
    seen: set[tuple[str, str]] = set()
    for mention in file_symbols.parse.mentions:
        if mention.text.startswith(("http:", "https:", "urn:")):
            candidates, reason = [mention.text], "iri"
        else:
            prefix, _, local = mention.text.partition(":")
            candidates, reason = [namespace + local for namespace in symbols.ontology_prefixes.get(prefix, ())], "curie"
        source = _innermost(file_symbols, mention.line)
        for iri in candidates:
            for oid, kind, _ in symbols.ontology_terms.get(iri, ()):
                if TERM_LABELS[kind] != "OntologyClass":
                    continue
                target = term_id("OntologyClass", oid, iri)
                if (source.id, target) not in seen:
                    seen.add((source.id, target))
                    graph.add_edge("MENTIONS", source.endpoint, ("OntologyClass", target), line=mention.line,
                                   confidence=CONFIDENCE[reason], reason=reason)


def _innermost(file_symbols: FileSymbols, line: int) -> SymbolRef:
    best: SymbolRef | None = None
    for ref in file_symbols.by_path.values():
        definition = ref.definition
        if (ref.label in CODE_ELEMENT_LABELS and definition is not None and definition.start_line <= line <= definition.end_line
                and (best is None or definition.start_line >= best.definition.start_line)):  # type: ignore[union-attr]
            best = ref
    return best or file_symbols.file_ref


def _term_node(label: str, node_id: str, term: OntologyTerm, path: str, synced: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if label == "OntologyProperty":
        extra = {"kind": term.kind, "datatype_ranges": list(term.datatype_ranges)}
    return _node(label, node_id, term.ontology_id, term.label or term.iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], path,
                 term.line, end_line=max(term.end_line, term.line), iri=term.iri, label=term.label, comment=term.comment,
                 docstring=term.comment, file_sha1=term.file_sha1, last_synced=synced, declared=True, language="ontology",
                 **extra)


def _node(node_label: str, node_id: str, ontology_id: str, name: str, path: str, line: int, end_line: int = 0,
          **properties: Any) -> dict[str, Any]:
    """A shared node as `shared_nodes` reads it: its label under "node", its properties."""
    return {"node": node_label, "id": node_id, "name": name,
            "qualified_name": name if node_label != "Ontology" else ontology_id,
            "file_path": path, "start_line": line, "end_line": end_line or line, "ontology_id": ontology_id, **properties}


def term_outline(terms: list[OntologyTerm]) -> tuple[tuple[tuple[str, str, str], ...], tuple[tuple[str, str], ...]]:
    """(iri, ontology id, kind) of each class and property declared, and (prefix, namespace) of each binding."""
    declared = tuple(sorted({(t.iri, t.ontology_id, t.kind) for t in terms if t.kind in TERM_LABELS}))
    prefixes = tuple(sorted({(t.label, t.iri) for t in terms if t.kind == PREFIX_KIND}))
    return declared, prefixes
