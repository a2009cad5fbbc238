"""Ontologies in the graph: the exact nodes and edges of a repository of ontology files, pages and
code; undeclared terms as nodes with `declared` false and a warning; incremental runs equal a full one."""

from __future__ import annotations

from pathlib import Path

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index

ONTO, VEHICLES = "http://example.org/onto", "http://example.org/vehicles"
EX, VX, PX, EV = ONTO + "#", VEHICLES + "#", "http://example.org/places#", "http://example.org/events#"
TERMS = "MATCH (n) WHERE label(n) IN ['Ontology', 'OntologyClass', 'OntologyProperty', 'Axiom'] RETURN label(n), n.id, n.declared"
DERIVED = ("MATCH (a)-[e]->(b) WHERE label(e) IN ['SUBCLASS_OF', 'DOMAIN', 'RANGE', 'MENTIONS'] "
           "RETURN label(e), a.id, b.id, e.reason, e.confidence")


def c(ontology: str, iri: str) -> str:
    return f"OntologyClass:{ontology}|{iri}"


def p(ontology: str, iri: str) -> str:
    return f"OntologyProperty:{ontology}|{iri}"


def rows(db: Path, repo: Path, cypher: str) -> set[tuple]:
    store = open_index(db, load_settings(repo))
    try:
        return {tuple(row) for row in store.query(cypher).rows}
    finally:
        store.close()


def test_a_repository_of_ontology_files_pages_and_code_gives_the_exact_graph(index_fixture):
    indexed = index_fixture("ontology")
    declared = {(label, node_id) for label, node_id, is_declared in indexed.rows(TERMS) if is_declared is not False}
    assert {(label, node_id) for label, node_id, is_declared in indexed.rows(TERMS) if is_declared is False} == {
        ("OntologyClass", c(ONTO, EX + "Machine")), ("OntologyClass", c(ONTO, EX + "Company")),
        ("OntologyClass", c(VEHICLES, EX + "Machine")),  # each ontology names its own undeclared parent
    }
    assert declared == {
        ("Ontology", f"Ontology:{ONTO}"), ("Ontology", f"Ontology:{VEHICLES}"), ("Ontology", "Ontology:default"),
        *(("OntologyClass", c(ONTO, EX + name)) for name in ("Agent", "Organization", "Person", "Robot", "Employee")),
        ("OntologyClass", c(VEHICLES, VX + "Car")), ("OntologyClass", c(VEHICLES, VX + "Vehicle")),
        ("OntologyClass", c("default", PX + "City")), ("OntologyClass", c("default", PX + "Place")),
        ("OntologyClass", c("default", EV + "Event")), ("OntologyClass", c("default", EV + "Meeting")),
        ("OntologyProperty", p(ONTO, EX + "memberOf")), ("OntologyProperty", p(ONTO, EX + "name")),
        ("OntologyProperty", p(ONTO, EX + "worksFor")), ("OntologyProperty", p(VEHICLES, VX + "ownedBy")),
        *(("Axiom", f"Axiom:{ONTO}|{EX}{name}|kb/core.ttl#1") for name in ("Organization", "Person", "memberOf")),
    }
    assert set(indexed.rows(DERIVED)) == {
        ("SUBCLASS_OF", c(ONTO, EX + "Organization"), c(ONTO, EX + "Agent"), "ontology", 1.0),
        ("SUBCLASS_OF", c(ONTO, EX + "Person"), c(ONTO, EX + "Agent"), "ontology", 1.0),
        ("SUBCLASS_OF", c(ONTO, EX + "Robot"), c(ONTO, EX + "Machine"), "ontology", 1.0),
        ("SUBCLASS_OF", c(ONTO, EX + "Employee"), c(ONTO, EX + "Person"), "ontology", 1.0),  # the page's `subClassOf::`
        ("SUBCLASS_OF", c(VEHICLES, VX + "Car"), c(VEHICLES, VX + "Vehicle"), "ontology", 1.0),
        ("SUBCLASS_OF", c(VEHICLES, VX + "Car"), c(VEHICLES, EX + "Machine"), "ontology", 1.0),
        ("SUBCLASS_OF", c("default", PX + "City"), c("default", PX + "Place"), "ontology", 1.0),
        ("SUBCLASS_OF", c("default", EV + "Meeting"), c("default", EV + "Event"), "ontology", 1.0),
        ("DOMAIN", p(ONTO, EX + "memberOf"), c(ONTO, EX + "Person"), "ontology", 1.0),
        ("DOMAIN", p(ONTO, EX + "name"), c(ONTO, EX + "Agent"), "ontology", 1.0),
        ("DOMAIN", p(ONTO, EX + "worksFor"), c(ONTO, EX + "Employee"), "ontology", 1.0),
        ("DOMAIN", p(VEHICLES, VX + "ownedBy"), c(VEHICLES, VX + "Vehicle"), "ontology", 1.0),
        ("RANGE", p(ONTO, EX + "memberOf"), c(ONTO, EX + "Organization"), "ontology", 1.0),
        ("RANGE", p(ONTO, EX + "worksFor"), c(ONTO, EX + "Company"), "ontology", 1.0),
        ("RANGE", p(VEHICLES, VX + "ownedBy"), c(ONTO, EX + "Person"), "ontology-other", 0.9),
        ("MENTIONS", "Variable:app/people.py:app.people.PERSON", c(ONTO, EX + "Person"), "curie", 0.9),
        ("MENTIONS", "Function:app/people.py:app.people.lookup", c(ONTO, EX + "Organization"), "iri", 1.0),
        ("MENTIONS", "Method:app/people.py:app.people.Registry.vehicles", c(VEHICLES, VX + "Car"), "iri", 1.0),
        ("MENTIONS", "File:kb/employee.md", c(ONTO, EX + "Person"), "curie", 0.9),
        ("MENTIONS", "File:kb/employee.md", c(ONTO, EX + "Organization"), "curie", 0.9),
    }
    assert set(indexed.rows("MATCH (t)-[:HAS_AXIOM]->(a:Axiom) RETURN t.iri, a.kind, a.text")) == {
        (EX + "Organization", "disjointWith", "ex:Person"),
        (EX + "Person", "subClassOf", "[owl:onProperty ex:memberOf ; owl:someValuesFrom ex:Organization]"),
        (EX + "memberOf", "characteristic", "TransitiveProperty"),
    }
    assert indexed.rows("MATCH (o:Ontology)-[:CONTAINS]->(t) RETURN o.ontology_id, count(t)") and set(
        indexed.rows("MATCH (o:Ontology)-[:CONTAINS]->(t) RETURN o.ontology_id, count(t)")) == {
        (ONTO, 10), (VEHICLES, 4), ("default", 4)}
    assert indexed.rows("MATCH (t:OntologyClass)-[d:DECLARED_IN]->(f:File) WHERE t.iri ENDS WITH '#Employee' "
                        "RETURN f.file_path, d.line, t.label, t.file_path") == [("kb/employee.md", 5, "Employee", "kb/employee.md")]
    warnings = {(w["path"], w["kind"], w["message"]) for w in indexed.summary.warnings if w["kind"].startswith("ontology")}
    assert warnings == {
        ("kb/core.ttl", "ontology-undeclared", f"line 22: SUBCLASS_OF {EX}Machine: no file of the repository declares it"),
        ("kb/employee.md", "ontology-undeclared", f"line 13: RANGE {EX}Company: no file of the repository declares it"),
        ("kb/vehicles.rdf", "ontology-undeclared", f"line 9: SUBCLASS_OF {EX}Machine: no file of the repository declares it"),
    }
    assert {w["path"] for w in indexed.summary.warnings if w["kind"] == "extraction"} == {"kb/broken.ttl", "kb/employee.md"}


def test_declaring_a_missing_term_incrementally_equals_a_full_index(copy_fixture, tmp_path):
    repo = copy_fixture("ontology")
    settings = load_settings(repo)
    index_repository(repo, tmp_path / "db", settings)
    with (repo / "kb/core.ttl").open("a") as core:
        core.write("\nex:Machine a owl:Class ;\n    rdfs:label \"Machine\" .\n")
    (repo / "kb/places.nt").unlink()
    (repo / "app/people.py").write_text('ROBOT = "ex:Robot"\n')
    summary = index_repository(repo, tmp_path / "db", settings)
    assert summary.delta["mode"] == "incremental"
    index_repository(repo, tmp_path / "full", settings, full=True)
    everything = ("MATCH (a)-[e]->(b) WHERE label(a) STARTS WITH 'Ontology' OR label(b) STARTS WITH 'Ontology' "
                  "OR label(b) = 'Axiom' RETURN label(e), a.id, b.id, e.reason")
    nodes = TERMS.replace("n.declared", "n.declared, n.label, n.file_path, n.file_sha1")
    assert rows(tmp_path / "db", repo, everything) == rows(tmp_path / "full", repo, everything)
    assert rows(tmp_path / "db", repo, nodes) == rows(tmp_path / "full", repo, nodes)
    assert ("OntologyClass", c(ONTO, EX + "Machine"), True, "Machine", "kb/core.ttl") in {
        row[:5] for row in rows(tmp_path / "db", repo, nodes)}
    assert ("MENTIONS", "Variable:app/people.py:app.people.ROBOT", c(ONTO, EX + "Robot"), "curie") in rows(
        tmp_path / "db", repo, everything)
    assert not any(c("default", PX) in row[1] for row in rows(tmp_path / "db", repo, nodes))
    assert not any(w["kind"] == "ontology-undeclared" and "Machine" in w["message"] and w["path"] == "kb/core.ttl"
                   for w in summary.warnings)


def test_a_term_spans_its_statement_or_its_page_section(index_fixture):
    """A Turtle subject runs to the line before the next subject (its blank and comment lines aside), a
    page's property block over its lines, a term of a page's Turtle block over its statement, an
    RDF/XML element to its closing tag, a JSON-LD object to its closing brace. `detect-changes` maps
    a changed line to the terms whose span holds it."""
    indexed = index_fixture("ontology")
    spans = {(path, iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]): (start, end) for path, iri, start, end in indexed.rows(
        "MATCH (t) WHERE label(t) IN ['OntologyClass', 'OntologyProperty'] AND t.declared "
        "RETURN t.file_path, t.iri, t.start_line, t.end_line")}
    assert {key: span for key, span in spans.items() if key[0] in ("kb/core.ttl", "kb/employee.md")} == {
        ("kb/core.ttl", "Agent"): (9, 11), ("kb/core.ttl", "Person"): (13, 16), ("kb/core.ttl", "Organization"): (18, 20),
        ("kb/core.ttl", "Robot"): (22, 23), ("kb/core.ttl", "memberOf"): (25, 27), ("kb/core.ttl", "name"): (29, 31),
        ("kb/employee.md", "Employee"): (5, 10), ("kb/employee.md", "worksFor"): (13, 15),
    }
    assert {key: span for key, span in spans.items() if key[0] in ("kb/vehicles.rdf", "kb/events.jsonld")} == {
        ("kb/vehicles.rdf", "Vehicle"): (6, 8), ("kb/vehicles.rdf", "Car"): (9, 12), ("kb/vehicles.rdf", "ownedBy"): (13, 16),
        ("kb/events.jsonld", "Event"): (4, 4), ("kb/events.jsonld", "Meeting"): (5, 6),
    }
    assert indexed.rows(f"MATCH (o:Ontology) WHERE o.id = 'Ontology:{ONTO}' RETURN o.start_line, o.end_line") == [(6, 7)]
