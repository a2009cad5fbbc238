"""The ontology extractors: OWL/RDF files, and markdown pages (with or without ontology blocks).

Not tree-sitter: rdflib reads Turtle, RDF/XML, N-Triples, JSON-LD and N3 (codekg/ontology/rdf.py);
markdown pages are read by codekg/ontology/markdown.py. A file that cannot be read gives no terms and
a warning with rdflib's message; a page keeps every block it could read. A page's prose gives the
IRIs and CURIEs it mentions. Neither defines a module: terms hang off the File (DECLARED_IN).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from codekg.language_table import LANGUAGES
from codekg.languages.base import LanguageExtractor, line_count
from codekg.records import FileParse

_OWL_FALLBACK = "turtle"  # a `.owl` file that is not RDF/XML is most often Turtle


class _KnowledgeExtractor(LanguageExtractor):
    """What ontology files and pages share: no module, their own warnings per problem, named by path."""

    resolution_family = "ontology"
    defines_module = False
    describes_syntax_errors = True

    def module_name(self, path: str, source_roots: tuple[str, ...]) -> str:
        return ".".join(PurePosixPath(path).parts)


class OntologyExtractor(_KnowledgeExtractor):
    name = "ontology"
    extensions = LANGUAGES["ontology"].extensions
    version = LANGUAGES["ontology"].version

    def extract(self, path: str, source: bytes) -> FileParse:
        from codekg.ontology.rdf import RDF_FORMATS, read_rdf, with_file_facts

        parsed = FileParse(path=path, language=self.name, line_count=line_count(source))
        text = source.decode("utf-8", errors="replace")
        rdf_format = RDF_FORMATS[PurePosixPath(path).suffix.lower()]
        try:
            parsed.ontology = with_file_facts(*read_rdf(text, rdf_format), source)
        except Exception as error:  # noqa: BLE001 - rdflib's parsers raise many kinds; the file is reported
            if rdf_format == "xml" and path.lower().endswith(".owl"):
                try:
                    parsed.ontology = with_file_facts(*read_rdf(text, _OWL_FALLBACK), source)
                    return parsed
                except Exception:  # noqa: BLE001 - the first message is the one reported
                    pass
            parsed.parse_errors = 1
            parsed.warnings = [f"cannot read this ontology file ({rdf_format}): {' '.join(str(error).split())[:300]}"]
        return parsed


class MarkdownExtractor(_KnowledgeExtractor):
    name = "markdown"
    extensions = LANGUAGES["markdown"].extensions
    version = LANGUAGES["markdown"].version

    def extract(self, path: str, source: bytes) -> FileParse:
        from codekg.ontology.markdown import read_markdown
        from codekg.ontology.mentions import prose_mentions
        from codekg.ontology.rdf import with_file_facts

        text = source.decode("utf-8", errors="replace")
        terms, prefixes, problems, prose = read_markdown(text)
        parsed = FileParse(path=path, language=self.name, line_count=line_count(source),
                           ontology=with_file_facts(terms, prefixes, source) if terms else [],
                           mentions=prose_mentions(prose), docstring=_title(prose))
        parsed.parse_errors = len(problems)
        parsed.warnings = problems
        return parsed


def _title(prose: list[tuple[int, str]]) -> str:
    """A page's first heading, else its first line of text."""
    for _, line in prose:
        if line.lstrip().startswith("#"):
            return line.lstrip("# ").strip()[:200]
    return next((line.strip()[:200] for _, line in prose if line.strip()), "")
