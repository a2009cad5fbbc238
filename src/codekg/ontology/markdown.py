"""Markdown pages with ontology blocks (the accepted form is in docs/ontologies.md).

- A fenced block whose info string is `turtle` or `ttl` is Turtle. Each block is read alone, with the
  prefixes of the page's earlier blocks; one that cannot be read is reported and the others are kept.
- A *property block* is a run of `key:: value` lines (as Logseq and similar tools write page
  properties). A block with `iri::` (or `id::`) declares one term: `type::` class (the default),
  `ObjectProperty`, `DatatypeProperty` or `AnnotationProperty` (with or without `owl:`); `label::`,
  `comment::`, `subClassOf::` / `subPropertyOf::`, `domain::`, `range::` (comma-separated CURIEs or
  IRIs). A block with `prefix::` lines (`prefix:: ex http://example.org/`) binds prefixes for the page;
  `ontology::` names the page's ontology.
"""

from __future__ import annotations

import re

from codekg.ontology.rdf import BUILTIN_NAMESPACES, DEFAULT_ONTOLOGY, OWL, RDF, RDFS, XSD, expand, read_rdf
from codekg.records import OntologyTerm

_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w-]*)[^\n]*$")
_PROPERTY = re.compile(r"^\s*(?:[-*]\s+)?([A-Za-z][\w-]*)::\s*(.*?)\s*$")
TURTLE_INFO = ("turtle", "ttl")
_RDFLIB_LINE = re.compile(r"at line (\d+) of <[^>]*>")
STANDARD_PREFIXES = {"owl": OWL, "rdf": RDF, "rdfs": RDFS, "xsd": XSD}
PROPERTY_KINDS = {"class": "class", "objectproperty": "object", "datatypeproperty": "datatype",
                  "annotationproperty": "annotation", "property": "object"}


def read_markdown(text: str) -> tuple[list[OntologyTerm], dict[str, str], list[str], list[tuple[int, str]]]:
    """The terms a page declares, the prefixes it binds, the problems met (each names its line), and
    the page's prose lines (those outside fenced blocks) for mentions."""
    lines = text.splitlines()
    blocks, prose = _split(lines)
    prefixes = dict(STANDARD_PREFIXES)
    ontology_id = DEFAULT_ONTOLOGY
    for kind, start, body in blocks:  # the page's prefixes and ontology, wherever they are written
        if kind == "properties":
            for line, key, value in body:
                if key.lower() == "prefix" and len(value.split()) == 2:
                    name, namespace = value.split()
                    prefixes[name.rstrip(":")] = namespace.strip("<>")
                elif key.lower() == "ontology" and value:
                    ontology_id = expand(value, prefixes) or value
    terms: list[OntologyTerm] = []
    problems: list[str] = []
    for kind, start, body in blocks:
        if kind == "turtle":  # read with the prefixes bound so far: the standard ones, the page's, earlier blocks'
            declared = [f"@prefix {name}: <{namespace}> ." for name, namespace in sorted(prefixes.items())]
            shift = start - len(declared)  # line k of what rdflib reads is the page's line k + shift - 1
            try:
                found, bound = read_rdf("\n".join(declared + body), "turtle", ontology_id)
            except Exception as error:  # noqa: BLE001 - rdflib raises many kinds; the block is reported and skipped
                message = _RDFLIB_LINE.sub(lambda m: f"at line {int(m.group(1)) + shift - 1}", _message(error))
                problems.append(f"line {start}: a turtle block cannot be read: {message}")
                continue
            terms += [_shifted(term, shift) for term in found]
            prefixes.update(bound)
        else:
            term, problem = _property_term(body, prefixes, ontology_id)
            if term is not None:
                terms.append(term)
            if problem:
                problems.append(problem)
    return terms, prefixes, problems, prose


def _split(lines: list[str]) -> tuple[list[tuple[str, int, list]], list[tuple[int, str]]]:
    """("turtle", first line of its body, its lines) and ("properties", first line, [(line, key,
    value)]) blocks, and the prose lines (1-based numbers)."""
    blocks: list[tuple[str, int, list]] = []
    prose: list[tuple[int, str]] = []
    number = 0
    properties: list[tuple[int, str, str]] = []
    while number < len(lines):
        line = lines[number]
        fence = _FENCE.match(line)
        if fence:
            marker, info = fence.group(2), fence.group(3).lower()
            body, number = [], number + 1
            while number < len(lines) and not lines[number].strip().startswith(marker[:3]):
                body.append(lines[number])
                number += 1
            if info in TURTLE_INFO:
                blocks.append(("turtle", number - len(body) + 1, body))
            number += 1
            continue
        found = _PROPERTY.match(line)
        if found:
            properties.append((number + 1, found.group(1), found.group(2)))
        else:
            if properties:
                blocks.append(("properties", properties[0][0], properties))
                properties = []
            prose.append((number + 1, line))
        number += 1
    if properties:
        blocks.append(("properties", properties[0][0], properties))
    return blocks, prose


def _property_term(body: list[tuple[int, str, str]], prefixes: dict[str, str],
                   ontology_id: str) -> tuple[OntologyTerm | None, str]:
    """The term a property block declares, and its problems, each cited at its own line with its
    key as written."""
    values: dict[str, str] = {}
    written: dict[str, tuple[int, str]] = {}  # key: (its line, its spelling)
    for number, key, value in body:
        values.setdefault(key.lower(), value)
        written.setdefault(key.lower(), (number, key))
    name_key = "iri" if "iri" in values else "id"
    name = values.get(name_key)
    start = body[0][0]
    if not name:
        return None, ""
    problems: list[str] = []
    iri = expand(name, prefixes)
    if iri is None:
        problems.append(f"line {written[name_key][0]}: `{name}`: unknown prefix (bind it with "
                        f"`prefix:: {name.partition(':')[0]} <namespace>`)")
    kind_name = values.get("type", "class").split(":")[-1].lower()
    kind = PROPERTY_KINDS.get(kind_name)
    if kind is None:
        line, key = written["type"]
        problems.append(f"line {line}: `{key}:: {values['type']}` is not a class or property type")
    if iri is None or kind is None:
        return None, "; ".join(problems)

    def names(key: str) -> tuple[str, ...]:
        found = []
        for part in (p.strip() for p in values.get(key, "").split(",")):
            if not part:
                continue
            part = part.removeprefix("[[").removesuffix("]]")
            expanded = expand(part, prefixes)
            if expanded is None:
                line, spelled = written[key]
                problems.append(f"line {line}: `{spelled}:: {part}`: unknown prefix")
            else:
                found.append(expanded)
        return tuple(sorted(set(found)))

    parents = names("subclassof") + names("subpropertyof")
    ranges = names("range")
    term = OntologyTerm(iri, kind, ontology_id, values.get("label", ""), values.get("comment", ""), start,
                        parents, names("domain"), tuple(r for r in ranges if not r.startswith(XSD)),
                        tuple(r for r in ranges if r.startswith(XSD)), end_line=body[-1][0])
    if iri.startswith(BUILTIN_NAMESPACES):
        return None, f"line {start}: `{name}` is a term of OWL/RDF itself, not one to declare"
    return term, "; ".join(problems)


def _shifted(term: OntologyTerm, shift: int) -> OntologyTerm:
    term.line += shift - 1
    term.end_line = term.end_line + shift - 1 if term.end_line else 0
    return term


def _message(error: Exception) -> str:
    return " ".join(str(error).split())[:300] or type(error).__name__
