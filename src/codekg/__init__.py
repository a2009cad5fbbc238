"""codekg: turns a source repository into a code knowledge graph."""

__version__ = "0.1.0"
