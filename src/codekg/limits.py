"""Bounds that the CLI, the HTTP API and the MCP server all put on a request, defined once.

Constants only, so the CLI can declare its options with them without importing what enforces them.
"""

MAX_DEPTH = 10  # edges an impact walk (`impact`, `detect-changes`) follows at most
