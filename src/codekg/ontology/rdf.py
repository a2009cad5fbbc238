"""An RDF graph as the terms an ontology file declares: classes, properties and their axioms.

Takes: RDF text in one of rdflib's formats (Turtle, RDF/XML, N-Triples, JSON-LD, N3). Returns: one
`OntologyTerm` for the ontology itself (kind "ontology", when the file declares `owl:Ontology`) and
one per class or property it declares, each with the named parents, domains and ranges it gives, and
its other statements (restrictions, equivalences, disjointness, characteristics) as axioms in
Turtle-like text. Terms carry the ontology id the file declares, or `default_id`.
"""

from __future__ import annotations

import bisect
import itertools
import re

from codekg.records import OntologyTerm

RDF_FORMATS = {".ttl": "turtle", ".owl": "xml", ".rdf": "xml", ".nt": "nt", ".jsonld": "json-ld", ".n3": "n3"}
DEFAULT_ONTOLOGY = "default"
OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
CLASS_TYPES = {OWL + "Class": "class", RDFS + "Class": "class"}
PROPERTY_TYPES = {OWL + "ObjectProperty": "object", OWL + "DatatypeProperty": "datatype",
                  OWL + "AnnotationProperty": "annotation", RDF + "Property": "object"}
CHARACTERISTICS = {OWL + name for name in ("TransitiveProperty", "FunctionalProperty", "InverseFunctionalProperty",
                                           "SymmetricProperty", "AsymmetricProperty", "ReflexiveProperty",
                                           "IrreflexiveProperty")}
# Statements about a term that become its axioms (with the characteristics above); a subClassOf whose
# object is an anonymous class expression (a restriction) is one too.
AXIOM_PREDICATES = {OWL + name for name in ("equivalentClass", "disjointWith", "inverseOf", "propertyChainAxiom",
                                            "hasKey", "unionOf", "intersectionOf", "complementOf", "oneOf",
                                            "equivalentProperty", "propertyDisjointWith", "disjointUnionOf")}
BUILTIN_NAMESPACES = (OWL, RDF, RDFS, XSD)
MAX_AXIOM_TEXT = 2000
_XML_TAG = re.compile(r"([\w.-]+:[\w.-]+|[\w.-]+)")
_XML_ABOUT = re.compile(r'rdf:about="([^"]*)"')
# a JSON string (an `"@id"` key with its value, whole) or a brace
_JSON_TOKEN = re.compile(r'"@id"\s*:\s*"(?P<id>(?:[^"\\]|\\.)*)"|"(?:[^"\\]|\\.)*"|[{}]')


def read_rdf(text: str, rdf_format: str, default_id: str = DEFAULT_ONTOLOGY) -> tuple[list[OntologyTerm], dict[str, str]]:
    """The terms ``text`` declares, and the prefixes it binds. rdflib's errors propagate: the caller
    reports them (a file, or one markdown block, that cannot be read)."""
    import rdflib

    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data=text, format=rdf_format)
    bound = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix}
    return _terms(graph, text, default_id), bound


def _terms(graph, text: str, default_id: str) -> list[OntologyTerm]:
    from rdflib import RDF as R, RDFS as S, BNode, URIRef

    ontologies = sorted(str(s) for s in graph.subjects(R.type, URIRef(OWL + "Ontology")) if isinstance(s, URIRef))
    ontology_id = ontologies[0] if ontologies else default_id
    kinds: dict[str, str] = {}
    for subject, rdf_type in graph.subject_objects(R.type):
        if isinstance(subject, URIRef) and not str(subject).startswith(BUILTIN_NAMESPACES):
            kind = CLASS_TYPES.get(str(rdf_type)) or PROPERTY_TYPES.get(str(rdf_type))
            if kind and (kinds.get(str(subject)) in (None, "object") or kind == "class"):
                kinds[str(subject)] = kind
    for subject in graph.subjects(S.subClassOf):  # a class named only as a subclass is declared by it
        if isinstance(subject, URIRef):
            kinds.setdefault(str(subject), "class")
    lines = _Lines(text, graph)
    spans = {iri: lines.span(iri) for iri in [*ontologies, *sorted(kinds)]}
    terms = []
    for iri in ontologies:
        terms.append(OntologyTerm(iri, "ontology", iri, _text(graph, URIRef(iri), S.label), _text(graph, URIRef(iri), S.comment),
                                  spans[iri][0]))
    for iri, kind in sorted(kinds.items()):
        node = URIRef(iri)
        parents, axioms = [], []
        parent_predicate = S.subClassOf if kind == "class" else S.subPropertyOf
        for parent in graph.objects(node, parent_predicate):
            if isinstance(parent, URIRef):
                parents.append(str(parent))
            elif isinstance(parent, BNode):
                axioms.append(("subClassOf", _render(graph, parent)))
        domains = sorted(str(o) for o in graph.objects(node, S.domain) if isinstance(o, URIRef))
        ranges = sorted(str(o) for o in graph.objects(node, S.range) if isinstance(o, URIRef))
        for predicate, value in graph.predicate_objects(node):
            if str(predicate) in AXIOM_PREDICATES:
                axioms.append((_local(str(predicate)), _render(graph, value)))
            elif predicate == R.type and str(value) in CHARACTERISTICS:
                axioms.append(("characteristic", _local(str(value))))
        terms.append(OntologyTerm(
            iri, kind, ontology_id, _text(graph, node, S.label), _text(graph, node, S.comment), spans[iri][0],
            tuple(sorted(set(parents))), tuple(domains),
            tuple(r for r in ranges if not r.startswith(XSD) and r != RDFS + "Literal"),
            tuple(r for r in ranges if r.startswith(XSD) or r == RDFS + "Literal"),
            tuple(sorted(set(axioms)))))
    return lines.with_ends(terms, {iri: at_start for iri, (_, at_start) in spans.items()})


def _text(graph, node, predicate) -> str:
    """The node's value for ``predicate``: the English or untagged literal first."""
    values = sorted(graph.objects(node, predicate), key=lambda v: (getattr(v, "language", None) not in (None, "en"), str(v)))
    return " ".join(str(values[0]).split())[:2000] if values else ""


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _render(graph, node, depth: int = 0) -> str:
    """A class expression (a blank node: a restriction, a list) as compact Turtle-like text."""
    from rdflib import RDF as R, BNode, URIRef
    from rdflib.collection import Collection

    if isinstance(node, URIRef):
        return graph.namespace_manager.normalizeUri(node) if not str(node).startswith("_") else str(node)
    if not isinstance(node, BNode):
        return str(node)
    if depth > 8:
        return "[…]"
    if graph.value(node, R.first) is not None:
        return "(" + " ".join(_render(graph, item, depth + 1) for item in Collection(graph, node)) + ")"
    parts = [f"{graph.namespace_manager.normalizeUri(p)} {_render(graph, o, depth + 1)}"
             for p, o in sorted(graph.predicate_objects(node)) if not (p == R.type and str(o) == OWL + "Restriction")]
    return ("[" + " ; ".join(parts) + "]")[:MAX_AXIOM_TEXT]


class _Lines:
    """Where a term is written in a file: first at the start of an unindented line (as a subject is),
    else anywhere: whole (`<…>`, `"…"` in JSON-LD and `rdf:about="…"`), or as a CURIE of a prefix
    the file binds.

    A term that starts a line runs to the line before the next line that starts with a subject of
    the file (a term or not: an individual), blank and comment lines at its end aside: a Turtle
    subject's statement. One an RDF/XML element or a JSON-LD object declares runs to its end; one
    found elsewhere is its line alone."""

    def __init__(self, text: str, graph) -> None:
        from rdflib import URIRef

        self.text = text
        self.lines = text.split("\n")  # as `line_starts` counts them, and editors and diffs do
        self.first_tokens: dict[str, int] = {}
        for number, line in enumerate(self.lines, 1):
            if line[:1].isspace():
                continue  # an indented line continues a statement: its first name is an object, not a subject
            token = line.split(None, 1)[0] if line.strip() else ""
            self.first_tokens.setdefault(token.rstrip(";,."), number)
        self.namespaces = [(prefix, str(namespace)) for prefix, namespace in graph.namespaces()]
        self.subject_lines = sorted({self.first_tokens[spelled] for subject in set(graph.subjects()) if isinstance(subject, URIRef)
                                     for spelled in self._spellings(str(subject)) if spelled in self.first_tokens})
        self.declared_ends: dict[str, int] = {}  # IRI → the last line of the element or object declaring it
        self.json_objects: tuple[dict[int, int], dict[int, int], dict[str, list[tuple[int, int]]]] | None = None
        self.abouts: dict[str, int] | None = None  # `rdf:about` value → its first offset
        self.line_starts = list(itertools.accumulate((len(line) + 1 for line in self.lines[:-1]), initial=0))

    def _line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)

    def _spellings(self, iri: str) -> list[str]:
        return [f"<{iri}>", f'"{iri}"'] + [f"{prefix}:{iri[len(namespace):]}" for prefix, namespace in self.namespaces
                                            if iri.startswith(namespace) and len(iri) > len(namespace)]

    def span(self, iri: str) -> tuple[int, bool]:
        """(its line, whether a line starts with it). An RDF/XML element or a JSON-LD object that
        declares it (`rdf:about="…"`, an `"@id"` with more keys beside it) comes before a mere mention
        (`rdf:resource="…"`, `{"@id": "…"}`), and its end is kept for `with_ends`."""
        candidates = self._spellings(iri)
        at_start = [self.first_tokens[c] for c in candidates if c in self.first_tokens]
        if at_start:
            return min(at_start), True
        declared = self._xml_element(iri) or self._json_object(iri)
        if declared is not None:
            start, end = declared
            self.declared_ends[iri] = self._line_of(end)
            return self._line_of(start), False
        found = [position for position in map(self._find, candidates) if position >= 0]
        return (self._line_of(min(found)) if found else 1), False

    def _xml_element(self, iri: str) -> tuple[int, int] | None:
        """(start, end) offsets of the RDF/XML element whose `rdf:about` is ``iri``: to its closing tag."""
        if self.abouts is None:
            self.abouts = {}
            for found in _XML_ABOUT.finditer(self.text):
                self.abouts.setdefault(found.group(1), found.start())
        about = self.abouts.get(iri, -1)
        opening = self.text.rfind("<", 0, about) if about >= 0 else -1
        tag = _XML_TAG.match(self.text, opening + 1) if opening >= 0 else None
        if tag is None:
            return None
        closed = self.text.find(">", about)
        if closed < 0 or self.text[closed - 1] == "/":  # `<owl:Class rdf:about="…"/>`: one tag
            return opening, max(closed, about)
        depth = 1
        for found in re.compile(rf"<(/?){re.escape(tag.group(1))}(?=[\s/>])[^>]*?(/?)>").finditer(self.text, closed):
            if found.group(2):
                continue  # a nested element of the same name, closed in place
            depth += -1 if found.group(1) else 1
            if depth == 0:
                return opening, found.end() - 1
        return opening, closed

    def _json_object(self, iri: str) -> tuple[int, int] | None:
        """(start, end) offsets of the JSON-LD object whose `"@id"` is ``iri`` and that says more
        about it than its id (not a reference such as `{"@id": "…"}`)."""
        closes, owners, ids = self._objects()
        for key, value_end in ids.get(iri, ()):
            start = owners.get(key)
            if start is None or start not in closes:
                continue
            end = closes[start]
            if re.search(r'"\s*:', self.text[start + 1:key] + self.text[value_end:end]):
                return start, end
        return None

    def _objects(self) -> tuple[dict[int, int], dict[int, int], dict[str, list[tuple[int, int]]]]:
        """In one pass over the text's strings and braces: every JSON object, by its opening offset →
        its closing offset; each string's innermost object, by the string's offset; and each `"@id"`
        key's offset and its value's end, by the value."""
        if self.json_objects is None:
            closes: dict[int, int] = {}
            owners: dict[int, int] = {}
            ids: dict[str, list[tuple[int, int]]] = {}
            opened: list[int] = []
            for found in _JSON_TOKEN.finditer(self.text):
                token = found.group()
                if token == "{":
                    opened.append(found.start())
                elif token == "}":
                    if opened:
                        closes[opened.pop()] = found.start()
                elif opened:
                    owners[found.start()] = opened[-1]
                    if found.group("id") is not None:
                        ids.setdefault(found.group("id"), []).append((found.start(), found.end()))
            self.json_objects = (closes, owners, ids)
        return self.json_objects

    def with_ends(self, terms: list[OntologyTerm], starts: dict[str, bool]) -> list[OntologyTerm]:
        """``terms`` with the end line of each that starts a line (``starts``: by IRI), or that an
        element or object declares."""
        subjects = self.subject_lines
        for term in terms:
            if term.iri in self.declared_ends:
                term.end_line = self.declared_ends[term.iri]
            if not starts.get(term.iri):
                continue
            after = bisect.bisect_right(subjects, term.line)
            end = subjects[after] - 1 if after < len(subjects) else len(self.lines)
            while end > term.line and (not self.lines[end - 1].strip() or self.lines[end - 1].lstrip().startswith(("#", "<!--"))):
                end -= 1
            term.end_line = end
        return terms

    def _find(self, written: str) -> int:
        """The first place ``written`` stands as a whole name (not the start of a longer one)."""
        position = self.text.find(written)
        while position >= 0:
            after = self.text[position + len(written): position + len(written) + 1]
            if not (after.isalnum() or after in "_-"):
                return position
            position = self.text.find(written, position + 1)
        return -1


def with_file_facts(terms: list[OntologyTerm], prefixes: dict[str, str], source: bytes) -> list[OntologyTerm]:
    """``terms`` with the file's SHA-1, and a "prefix" term for each prefix bound (OWL's and RDF's own aside)."""
    import hashlib

    sha1 = hashlib.sha1(source).hexdigest()
    ontology_id = next((t.ontology_id for t in terms), DEFAULT_ONTOLOGY)
    for term in terms:
        term.file_sha1 = sha1
    return terms + [OntologyTerm(namespace, "prefix", ontology_id, prefix, file_sha1=sha1)
                    for prefix, namespace in sorted(prefixes.items()) if namespace not in BUILTIN_NAMESPACES]


def expand(name: str, prefixes: dict[str, str]) -> str | None:
    """A CURIE (`ex:Person`) or an IRI (`<http://…>`, `http://…`) as a full IRI; None when its prefix is unknown."""
    name = name.strip()
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    if re.match(r"^[a-z][\w+.-]*://", name) or name.startswith("urn:"):
        return name
    prefix, colon, local = name.partition(":")
    if colon and prefix in prefixes:
        return prefixes[prefix] + local
    return None
