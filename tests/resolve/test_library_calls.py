"""resolve/library_calls.py: what a read off a builtin constructor may give."""

from __future__ import annotations

import pytest

from codekg.resolve.library_calls import builtin_member


@pytest.mark.parametrize(("name", "attribute", "member"), [
    ("<builtin>.Array", "isArray", True),  # a static member
    ("<builtin>.Object", "getPrototypeOf", True),
    ("<builtin>.Promise", "resolve", True),
    ("<builtin>.Array", "prototype", True),  # `Array.prototype.map.call(…)`
    ("<builtin>.Blob", "bind", True),  # a function's own methods
    ("<builtin>.Blob", "toLowerCase", False),  # a string's method is no member of a constructor
    ("<builtin>.Blob", "FormData", False),
    ("<builtin>.globalThis.Request", "map", False),  # `globalThis.Request` is `Request`
    ("<builtin>.window.Response", "json", True),
    ("<builtin>.Array.prototype", "slice", True),  # below the constructor: not constrained here
    ("<builtin>.process", "nextTick", True),  # a namespace, not a constructor: any name
    ("<builtin>.JSON", "stringify", True),
    ("<builtin>.globalThis", "addEventListener", True),
    ("<builtin>.TypeError", "__init__", True),  # Python's builtin of the same name: left alone
    ("os", "path", True),  # a library's name: any attribute
])
def test_a_builtin_constructor_gives_only_its_members(name, attribute, member):
    assert builtin_member(name, attribute) is member
