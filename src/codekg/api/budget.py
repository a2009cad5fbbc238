"""Output budgets for the MCP tools: an answer an agent can read whole, and the way to the rest.

An agent's window is small and every byte of a tool's answer is read. Unbounded, `context` of flask's
`Flask` was 60 KB and `impact` of `Scaffold` at depth 3 145 KB. So every tool's result passes through
``paged`` before it is sent:

- every list of records in it (callers, levels' symbols, search results, query rows, …; a *page*,
  named by its path such as `callers` or `levels.1.symbols`) shows at most ``limit`` items, from the
  offset a ``cursor`` gives (0 without one), records of tests, docs and examples after the others;
- ``detail="summary"`` keeps of each symbol record (an item of a page with a `qualified_name`) only
  what locates and ranks it (`SUMMARY_KEYS`: names, label, location, confidence, relation, signature, …) and cuts long strings
  (a snippet, a docstring) to `SUMMARY_STRING` characters; ``"full"`` keeps everything;
- then, while the JSON (its `page` member included) is over ``budget`` bytes, the innermost page
  holding the most bytes is halved; when every page is down to one item, strings are cut to
  `STRING_FLOOR` characters.

What was cut is said in the answer's `page` member: `{"detail", "budget_bytes", "bytes", "cut": {path:
{"from", "shown", "total"}}, "next_cursor"}`; `next_cursor` (null when nothing is left) is passed back
as ``cursor`` to the same tool with the same arguments for the next items of every page: it holds
where each page of the answer stopped, so a page already shown to its end comes back empty.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from codekg.conventions import is_secondary_path
from codekg.errors import InputError

DEFAULT_BUDGET = 8192
MAX_BUDGET = 262_144
DEFAULT_LIMIT = 50
DETAILS = ("summary", "full")
SUMMARY_KEYS = frozenset({
    "id", "qualified_name", "name", "label", "kind", "file_path", "start_line", "end_line", "line", "file",
    "depth", "confidence", "relation", "reason", "score", "container", "operation", "change", "call_count",
    "signature", "evidence",
})
SUMMARY_STRING = 600
STRING_FLOOR = 120


def paged(result: dict[str, Any], detail: str = "summary", limit: int = DEFAULT_LIMIT, cursor: str | None = None,
          budget: int = DEFAULT_BUDGET, scope: str = "") -> dict[str, Any]:
    """``result`` within ``limit`` items per page and ``budget`` bytes (its `page` member included),
    with its `page` member. ``scope`` (the tool's name) is written into the cursor: a cursor of
    another tool is refused."""
    if detail not in DETAILS:
        raise InputError(f"unknown detail {detail!r}: use summary or full")
    offsets = decode_cursor(cursor, scope)
    pages: dict[str, _Page] = {}
    shaped = _shape(result, "", offsets, limit, detail == "summary", pages)
    capped = False
    while True:
        page = _page_member(pages, detail, budget, scope)
        while page["bytes"] != (measured := _size({**shaped, "page": page})):  # its own digits count too
            page["bytes"] = measured
        if page["bytes"] <= budget:
            break
        leaves = [page for page in pages.values() if len(page.items) > 1 and not page.has_inner(pages)]
        leaves = leaves or [page for page in pages.values() if len(page.items) > 1]
        if not leaves:
            if capped:
                break  # as small as it gets: the budget is below what one item of each list needs
            _cap_strings(shaped, STRING_FLOOR)
            capped = True
            continue
        largest = max(leaves, key=lambda page: (_size(page.items), page.path))
        del largest.items[max(1, len(largest.items) // 2):]
        for path in [p for p in pages if p.startswith(largest.path + ".")]:  # pages inside the items cut
            if int(path[len(largest.path) + 1:].split(".", 1)[0]) >= largest.start + len(largest.items):
                del pages[path]
    shaped["page"] = page
    return shaped


def _page_member(pages: dict[str, "_Page"], detail: str, budget: int, scope: str) -> dict[str, Any]:
    """What was cut (a page shown to its end on an earlier answer is not listed), and the cursor."""
    cut = {path: {"from": page.start, "shown": len(page.items), "total": page.total}
           for path, page in sorted(pages.items()) if (page.start or len(page.items) < page.total) and page.start < page.total}
    # where each page resumes: its end once shown whole (it comes back empty), its start while a page
    # inside its items has more (the levels of `impact` stay while their symbols are paged through)
    following = {path: page.start + len(page.items) for path, page in pages.items()}
    for path, page in pages.items():
        if any(following[inner] < pages[inner].total for inner in pages if inner.startswith(path + ".")):
            following[path] = page.start
    more = any(offset < pages[path].total for path, offset in following.items())
    return {"detail": detail, "budget_bytes": budget, "bytes": 0, "cut": cut,
            "next_cursor": encode_cursor(following, scope) if more else None}


def offset_of(cursor: str | None, path: str, scope: str = "") -> int:
    """Where the page at ``path`` starts for ``cursor`` (a tool that must compute that many more, as search does)."""
    return decode_cursor(cursor, scope).get(path, 0)


def encode_cursor(offsets: dict[str, int], scope: str = "") -> str:
    document = {"scope": scope, "offsets": offsets}
    return base64.urlsafe_b64encode(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, scope: str = "") -> dict[str, int]:
    if not cursor:
        return {}
    try:
        document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        document = None
    offsets = document.get("offsets") if isinstance(document, dict) else None
    if (not isinstance(offsets, dict) or document.get("scope") != scope
            or not all(isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in offsets.items())):
        raise InputError("not a cursor of this tool: pass back the `page.next_cursor` of its last answer")
    return offsets


class _Page:
    def __init__(self, path: str, start: int, total: int, items: list[Any]) -> None:
        self.path, self.start, self.total, self.items = path, start, total, items

    def has_inner(self, pages: dict[str, "_Page"]) -> bool:
        return any(other.startswith(self.path + ".") for other in pages)


def _is_page(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, (dict, list)) for item in value)


def _shape(value: Any, path: str, offsets: dict[str, int], limit: int, summary: bool, pages: dict[str, _Page],
           record: bool = False) -> Any:
    """``value`` with its pages cut to ``limit`` from their offsets; in summary, a symbol record (an
    item of a page with a `qualified_name`) keeps only `SUMMARY_KEYS` and the pages it holds."""
    if isinstance(value, dict):
        shaped = {}
        symbol = summary and record and "qualified_name" in value
        for key, item in value.items():
            if symbol and key not in SUMMARY_KEYS and not _is_page(item):
                continue
            shaped[key] = _shape(item, f"{path}.{key}" if path else key, offsets, limit, summary, pages)
        return shaped
    if _is_page(value):
        start = offsets.get(path, 0)
        # tests, docs and examples after the code itself (stable: the result's own order otherwise)
        value = sorted(value, key=lambda item: isinstance(item, dict) and is_secondary_path(item.get("file_path") or ""))
        items = [_shape(item, f"{path}.{index}", offsets, limit, summary, pages, record=True)
                 for index, item in enumerate(value[start:start + limit], start)]
        pages[path] = _Page(path, start, len(value), items)
        return items
    if isinstance(value, list):
        return [_shape(item, f"{path}.{index}", offsets, limit, summary, pages) for index, item in enumerate(value)]
    if summary and isinstance(value, str) and len(value) > SUMMARY_STRING:
        return value[:SUMMARY_STRING] + "…"
    return value


def _cap_strings(value: Any, cap: int) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in list(items):
        if isinstance(item, str) and len(item) > cap:
            value[key] = item[:cap] + "…"
        else:
            _cap_strings(item, cap)


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())
