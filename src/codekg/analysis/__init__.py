"""Questions people and agents ask of an index: what is this symbol (`context`), what does changing it
reach (`impact`), and what do my uncommitted edits reach (`changes`). Each public function takes the
read-only store `open_index` returns and returns a JSON-ready dict."""

from codekg.analysis.changes import detect_changes
from codekg.analysis.context import symbol_context
from codekg.analysis.impact import impact
from codekg.analysis.symbols import Symbol, resolve_symbol

__all__ = ["Symbol", "detect_changes", "impact", "resolve_symbol", "symbol_context"]
