"""api/budget.py: every MCP answer within its item limit and byte budget, with the way to the rest."""

from __future__ import annotations

import json

import pytest

from codekg.api.budget import DEFAULT_BUDGET, decode_cursor, encode_cursor, paged
from codekg.errors import InputError


def symbol(index: int, **extra) -> dict:
    return {"id": f"Function:m.py:m.f{index}", "label": "Function", "name": f"f{index}", "qualified_name": f"m.f{index}",
            "file_path": "m.py", "start_line": index, "end_line": index + 1, "docstring": "d" * 50, "path": ["a", "b"],
            "confidence": 1.0, **extra}


def size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def test_limit_and_cursor_page_through_every_list_and_summary_keeps_what_locates_a_symbol():
    result = {"symbol": {"qualified_name": "m", "docstring": "kept: not a record of a list"},
              "callers": [symbol(i) for i in range(5)], "imports": [symbol(9)],
              "levels": [{"depth": 1, "symbols": [symbol(i) for i in range(3)]}]}
    first = paged(result, limit=2)
    assert first["symbol"] == {"qualified_name": "m", "docstring": "kept: not a record of a list"}
    assert first["callers"] == [{k: v for k, v in symbol(i).items() if k not in ("docstring", "path")} for i in range(2)]
    assert [s["name"] for s in first["levels"][0]["symbols"]] == ["f0", "f1"]
    assert first["page"]["cut"] == {"callers": {"from": 0, "shown": 2, "total": 5},
                                    "levels.0.symbols": {"from": 0, "shown": 2, "total": 3}}
    assert decode_cursor(first["page"]["next_cursor"]) == {"callers": 2, "imports": 1, "levels": 0, "levels.0.symbols": 2}
    second = paged(result, limit=2, cursor=first["page"]["next_cursor"])
    assert [c["name"] for c in second["callers"]] == ["f2", "f3"]
    assert [s["name"] for s in second["levels"][0]["symbols"]] == ["f2"]
    assert second["imports"] == []  # shown to its end already
    third = paged(result, limit=2, cursor=second["page"]["next_cursor"])
    assert ([c["name"] for c in third["callers"]], third["page"]["next_cursor"]) == (["f4"], None)
    assert third["page"]["cut"] == {"callers": {"from": 4, "shown": 1, "total": 5}}  # lists done before: not listed
    full = paged(result, detail="full", limit=10)
    assert full["callers"] == result["callers"] and full["page"] == {
        "detail": "full", "budget_bytes": DEFAULT_BUDGET, "bytes": size(full), "cut": {}, "next_cursor": None}


def test_over_the_budget_the_innermost_largest_list_is_halved_and_every_item_is_reached_once():
    result = {"target": {"qualified_name": "t"}, "levels": [
        {"depth": 1, "symbols": [symbol(i) for i in range(40)]},
        {"depth": 2, "symbols": [symbol(i) for i in range(100, 2100)]}]}
    seen: list[str] = []
    cursor = None
    for _ in range(200):
        answer = paged(result, limit=500, cursor=cursor, budget=8192)
        assert answer["page"]["bytes"] <= 8192 and size(answer) == answer["page"]["bytes"]  # the page member counted
        assert len(answer["levels"]) == 2  # the levels are never cut: their symbols are
        seen += [s["name"] for level in answer["levels"] for s in level["symbols"]]
        cursor = answer["page"]["next_cursor"]
        if cursor is None:
            break
    by_level = [s["name"] for level in result["levels"] for s in level["symbols"]]
    assert sorted(seen) == sorted(by_level) and len(seen) == len(set(seen)) == 2040


def test_long_strings_are_cut_in_summary_and_when_every_list_is_one_item():
    result = {"rows": [["x" * 20_000]], "snippet": {"text": "y" * 20_000}}
    summary = paged(result, budget=2048)
    assert summary["rows"] == [["x" * 600 + "…"]] and summary["snippet"]["text"] == "y" * 600 + "…"
    full = paged(result, detail="full", budget=2048)
    assert full["rows"] == [["x" * 120 + "…"]] and full["snippet"]["text"] == "y" * 120 + "…"
    assert full["page"]["bytes"] <= 2048


@pytest.mark.parametrize("cursor", ["not base64!", encode_cursor({"a": 1})[:-3] + "@@@", "W10", "eyJhIjotMX0",
                                    encode_cursor({"a": -1}), encode_cursor({"a": 1}, "another tool")])
def test_a_cursor_that_is_not_one_is_refused(cursor):
    with pytest.raises(InputError, match="not a cursor of this tool"):
        paged({"rows": [[1]]}, cursor=cursor)


def test_an_unknown_detail_is_refused():
    with pytest.raises(InputError, match="unknown detail 'everything': use summary or full"):
        paged({}, detail="everything")


def test_a_cursor_is_the_tools_own_and_tests_docs_and_examples_come_last():
    result = {"callers": [symbol(1, file_path="tests/test_m.py"), symbol(2, file_path="docs/example.py"), symbol(3)]}
    first = paged(result, limit=1, scope="context")
    assert [c["file_path"] for c in first["callers"]] == ["m.py"]
    second = paged(result, limit=1, cursor=first["page"]["next_cursor"], scope="context")
    assert [c["file_path"] for c in second["callers"]] == ["tests/test_m.py"]  # then in the result's order
    with pytest.raises(InputError, match="not a cursor of this tool"):
        paged(result, limit=1, cursor=first["page"]["next_cursor"], scope="impact")
