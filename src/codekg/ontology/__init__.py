"""Ontologies in the graph: OWL/RDF files and markdown pages read into `OntologyTerm` records
(rdflib underneath), and the IRIs and CURIEs code and docs mention (docs/ontologies.md)."""
