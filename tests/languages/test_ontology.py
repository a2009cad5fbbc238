"""The ontology extractors: every RDF format rdflib reads, markdown pages with turtle and `key::`
blocks, unreadable files and blocks, and the IRIs and CURIEs code and pages mention."""

from __future__ import annotations

from pathlib import Path

from codekg.passes.parse import extract_source

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ontology"
ONTO, VEHICLES = "http://example.org/onto", "http://example.org/vehicles"
EX = ONTO + "#"


def extracted(path: str, language: str = "ontology"):
    return extract_source(path, language, (FIXTURE / path).read_bytes())


def outline(terms) -> list[tuple]:
    return [(t.iri, t.kind, t.ontology_id, t.label, t.line, t.parents, t.domains, t.ranges, t.datatype_ranges, t.axioms)
            for t in terms]


def test_a_turtle_file_gives_its_ontology_classes_properties_axioms_and_prefixes():
    parsed = extracted("kb/core.ttl")
    assert (parsed.parse_errors, parsed.warnings) == (0, [])
    assert outline(parsed.ontology) == [
        (ONTO, "ontology", ONTO, "Example ontology", 6, (), (), (), (), ()),
        (EX + "Agent", "class", ONTO, "Agent", 9, (), (), (), (), ()),
        (EX + "Organization", "class", ONTO, "", 18, (EX + "Agent",), (), (), (), (("disjointWith", "ex:Person"),)),
        (EX + "Person", "class", ONTO, "Person", 13, (EX + "Agent",), (), (), (),
         (("subClassOf", "[owl:onProperty ex:memberOf ; owl:someValuesFrom ex:Organization]"),)),
        (EX + "Robot", "class", ONTO, "", 22, (EX + "Machine",), (), (), (), ()),
        (EX + "memberOf", "object", ONTO, "", 25, (), (EX + "Person",), (EX + "Organization",), (),
         (("characteristic", "TransitiveProperty"),)),
        (EX + "name", "datatype", ONTO, "", 29, (), (EX + "Agent",), (), ("http://www.w3.org/2001/XMLSchema#string",), ()),
        (EX, "prefix", ONTO, "ex", 1, (), (), (), (), ()),
    ]
    assert parsed.ontology[1].comment == "Something that acts."
    assert {t.file_sha1 for t in parsed.ontology} == {__import__("hashlib").sha1((FIXTURE / "kb/core.ttl").read_bytes()).hexdigest()}


def test_rdf_xml_n_triples_and_json_ld_give_the_same_kind_of_terms():
    assert [(t.iri, t.kind, t.ontology_id, t.line, t.parents, t.domains, t.ranges) for t in extracted("kb/vehicles.rdf").ontology] == [
        (VEHICLES, "ontology", VEHICLES, 5, (), (), ()),
        (VEHICLES + "#Car", "class", VEHICLES, 9, (EX + "Machine", VEHICLES + "#Vehicle"), (), ()),
        (VEHICLES + "#Vehicle", "class", VEHICLES, 6, (), (), ()),
        (VEHICLES + "#ownedBy", "object", VEHICLES, 13, (), (VEHICLES + "#Vehicle",), (EX + "Person",)),
    ]
    places = "http://example.org/places#"
    assert [(t.iri, t.kind, t.ontology_id, t.line, t.parents) for t in extracted("kb/places.nt").ontology] == [
        (places + "City", "class", "default", 2, (places + "Place",)),  # declared by its subClassOf alone
        (places + "Place", "class", "default", 1, ()),
    ]
    events = "http://example.org/events#"
    assert [(t.iri, t.kind, t.label, t.line, t.parents) for t in extracted("kb/events.jsonld").ontology
            if t.kind != "prefix"] == [
        (events + "Event", "class", "Event", 4, ()),
        (events + "Meeting", "class", "", 5, (events + "Event",)),
    ]


def test_a_page_keeps_its_readable_blocks_and_reports_the_other_with_its_page_line():
    parsed = extracted("kb/employee.md", "markdown")
    assert outline(t for t in parsed.ontology if t.kind != "prefix") == [
        (EX + "Employee", "class", ONTO, "Employee", 5, (EX + "Person",), (), (), (), ()),
        (EX + "worksFor", "object", ONTO, "", 13, (), (EX + "Employee",), (EX + "Company",), (), ()),
    ]
    assert parsed.parse_errors == 1
    assert len(parsed.warnings) == 1 and parsed.warnings[0].startswith(
        "line 19: a turtle block cannot be read: at line 19: Bad syntax")
    assert parsed.docstring == "Employee"
    assert [(m.line, m.text) for m in parsed.mentions] == [(3, "ex:Person"), (3, "ex:Organization")]


def test_a_property_block_with_an_unknown_prefix_or_type_is_reported_not_guessed():
    text = ("iri:: zz:Thing\n\niri:: ex:A\ntype:: Widget\nprefix:: ex http://e.org/#\n\niri:: ex:B\nsubClassOf:: qq:C, ex:A\n"
            "\nlabel:: Both\niri:: zz:Both\nType:: Gadget\n")
    parsed = extract_source("page.md", "markdown", text.encode())
    assert [(t.iri, t.parents) for t in parsed.ontology if t.kind != "prefix"] == [("http://e.org/#B", ("http://e.org/#A",))]
    assert parsed.warnings == [  # each at its own line, its key as written; a block's problems all told
        "line 1: `zz:Thing`: unknown prefix (bind it with `prefix:: zz <namespace>`)",
        "line 4: `type:: Widget` is not a class or property type",
        "line 8: `subClassOf:: qq:C`: unknown prefix",
        "line 11: `zz:Both`: unknown prefix (bind it with `prefix:: zz <namespace>`); line 12: `Type:: Gadget` is not a "
        "class or property type",
    ]


def test_an_unreadable_file_gives_no_terms_and_a_warning():
    parsed = extracted("kb/broken.ttl")
    assert (parsed.ontology, parsed.parse_errors) == ([], 1)
    assert parsed.warnings[0].startswith("cannot read this ontology file (turtle): at line 2")


def test_an_owl_file_written_in_turtle_is_read_as_turtle():
    parsed = extract_source("x.owl", "ontology", b"@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<http://e.org/#A> a owl:Class .\n")
    assert [(t.iri, t.kind) for t in parsed.ontology] == [("http://e.org/#A", "class")]


def test_code_mentions_iris_anywhere_and_curies_only_quoted():
    parsed = extracted("app/people.py", "python")
    assert [(m.line, m.text) for m in parsed.mentions] == [
        (1, "ex:Person"), (4, EX + "Organization"), (11, VEHICLES + "#Car"), (11, "ex:Unknown")]
    unquoted = extract_source("m.py", "python", b"x = {a:b for a, b in y}  # ex:Person\nurl = 'https://e.org/a/b.'\n")
    assert [(m.line, m.text) for m in unquoted.mentions] == [(2, "https://e.org/a/b")]


INDENTED_OBJECTS = b'''@prefix ex: <http://example.org/t#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

ex:Person a owl:Class ;
    owl:disjointWith
        ex:Animal ,
        ex:Robot ;
    rdfs:label "Person" .

# Animals
ex:Animal a owl:Class ;
    rdfs:comment """A living
thing that moves.""" ;
    rdfs:label "Animal" .

ex:Robot
    a owl:Class ;
    rdfs:label "Robot" .

ex:rex a ex:Animal .
'''


def test_a_turtle_term_spans_its_statement_and_an_indented_object_starts_nothing():
    """A subject starts an unindented line; a term named first on an indented line (an object of a
    list) is not declared there. A statement ends before the next subject, an individual's too, its
    trailing blank and comment lines aside."""
    terms = extract_source("kb/t.ttl", "ontology", INDENTED_OBJECTS).ontology
    assert [(t.iri.rsplit("#", 1)[-1], t.line, t.end_line) for t in terms if t.kind == "class"] == [
        ("Animal", 12, 15), ("Person", 5, 9), ("Robot", 17, 19)]


def test_an_rdf_xml_element_and_a_json_ld_object_span_their_declaration_not_a_mention_before_it():
    """The element whose `rdf:about` is the term, to its closing tag (a nested element of the same
    name, or one closed in place, aside); the JSON-LD object whose `"@id"` is the term and says more
    than its id, to its closing brace; a mention before the declaration (`rdf:resource`, a bare
    `{"@id": …}`) starts nothing."""
    xml = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:owl="http://www.w3.org/2002/07/owl#">
  <owl:Class rdf:about="http://x.org/o#Car">
    <rdfs:subClassOf rdf:resource="http://x.org/o#Vehicle"/>
    <rdfs:subClassOf>
      <owl:Class rdf:about="http://x.org/o#Machine"/>
    </rdfs:subClassOf>
  </owl:Class>
  <owl:Class rdf:about="http://x.org/o#Vehicle">
    <rdfs:label>Vehicle</rdfs:label>
  </owl:Class>
</rdf:RDF>
"""
    terms = extract_source("kb/o.owl", "ontology", xml).ontology
    assert [(t.iri.rsplit("#", 1)[-1], t.line, t.end_line) for t in terms if t.kind == "class"] == [
        ("Car", 4, 9), ("Machine", 7, 7), ("Vehicle", 10, 12)]
    json_ld = b"""{
  "@context": {"owl": "http://www.w3.org/2002/07/owl#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
  "@graph": [
    {"@id": "http://x.org/e#Meeting", "@type": "owl:Class",
     "rdfs:comment": "a {braced} \\"quoted\\" text",
     "rdfs:subClassOf": {"@id": "http://x.org/e#Event"}},
    {
      "@id": "http://x.org/e#Event",
      "@type": "owl:Class"
    }
  ]
}
"""
    terms = extract_source("kb/e.jsonld", "ontology", json_ld).ontology
    assert [(t.iri.rsplit("#", 1)[-1], t.line, t.end_line) for t in terms if t.kind == "class"] == [
        ("Event", 7, 10), ("Meeting", 4, 6)]
