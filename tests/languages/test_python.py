"""The Python extractor on real tree-sitter parses: exact definitions, imports and call sites."""

from codekg.languages.python import PythonExtractor
from codekg.records import CallSite, ExportBinding, ImportBinding, ValueBinding

SOURCE = b'''"""Module doc."""
import os, a.b as ab
from .sibling import (thing as other, more)
from pkg import *
X = 1
first, second = 2, 3


class Shape(Base, mod.Mixin, metaclass=Meta):
    """A shape."""

    sides: int = 0

    @staticmethod
    def make(kind: str) -> "Shape":
        def build():
            return Shape()
        return build()

    @classmethod
    def named(cls, name):
        return cls.make(name)

    @property
    def area(self):
        return self.compute(os.sep)

    def compute(self, value):
        return super().compute(value)


@app.route("/")
async def handler(request):
    return Shape.make("square")


handler(None)
'''


def test_definitions_are_exact():
    parsed = PythonExtractor().extract("pkg/shapes.py", SOURCE)
    got = [(d.kind, d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions]
    assert got == [
        ("Class", "Shape", (), 9, 29),
        ("Method", "make", ("Shape",), 14, 18),
        ("Function", "build", ("Shape", "make"), 16, 17),
        ("Method", "named", ("Shape",), 20, 22),
        ("Method", "area", ("Shape",), 24, 26),
        ("Method", "compute", ("Shape",), 28, 29),
        ("Function", "handler", (), 32, 34),
        ("Variable", "X", (), 5, 5),
        ("Variable", "first", (), 6, 6),
        ("Variable", "second", (), 6, 6),
        ("Variable", "sides", ("Shape",), 12, 12),
    ]
    by_name = {d.name: d for d in parsed.definitions}
    shape = by_name["Shape"]
    assert shape.bases == ("Base", "mod.Mixin")
    assert shape.docstring == "A shape."
    assert shape.signature == "class Shape(Base, mod.Mixin, metaclass=Meta)"
    assert by_name["make"].signature == 'def make(kind: str) -> "Shape"'
    assert (by_name["make"].is_static, by_name["named"].is_classmethod, by_name["area"].is_property) == (True, True, True)
    assert by_name["compute"].is_static is False
    assert by_name["handler"].is_async is True
    assert by_name["handler"].decorators == ('app.route("/")',)
    assert parsed.docstring == "Module doc."
    assert parsed.parse_errors == 0
    assert parsed.line_count == 37


def test_imports_are_exact():
    parsed = PythonExtractor().extract("pkg/shapes.py", SOURCE)
    assert parsed.imports == [
        ImportBinding("module", "a.b", "", "ab", 2),
        ImportBinding("module", "os", "", "os", 2),
        ImportBinding("symbol", ".sibling", "more", "more", 3),
        ImportBinding("symbol", ".sibling", "thing", "other", 3),
        ImportBinding("star", "pkg", "*", "", 4),
    ]


def test_call_sites_are_exact():
    parsed = PythonExtractor().extract("pkg/shapes.py", SOURCE)
    assert parsed.calls == [
        CallSite("staticmethod", None, ("Shape",), 14),  # a decorator is called where its `def` runs
        CallSite("Shape", None, ("Shape", "make", "build"), 17),
        CallSite("build", None, ("Shape", "make"), 18),
        CallSite("classmethod", None, ("Shape",), 20),
        CallSite("make", "cls", ("Shape", "named"), 22, arguments=("name",)),
        CallSite("property", None, ("Shape",), 24),
        CallSite("compute", "self", ("Shape", "area"), 26, arguments=("",)),  # a literal: ""
        CallSite("super", None, ("Shape", "compute"), 29),
        CallSite("compute", "super", ("Shape", "compute"), 29, arguments=("value",)),
        CallSite("route", "app", (), 32, arguments=("",)),
        CallSite("make", "Shape", ("handler",), 34, arguments=("",)),
        CallSite("handler", None, (), 37, arguments=("",)),
    ]


def test_syntax_errors_keep_what_parses():
    source = b"def good():\n    return 1\n\ndef broken(:\n    pass\n\nclass After:\n    def m(self):\n        good()\n"
    parsed = PythonExtractor().extract("bad.py", source)
    assert parsed.parse_errors >= 1
    names = [(d.kind, d.name) for d in parsed.definitions]
    assert ("Function", "good") in names
    assert ("Class", "After") in names
    assert ("Method", "m") in names
    assert CallSite("good", None, ("After", "m"), 9) in parsed.calls


def test_invalid_utf8_and_junk_never_raise():
    parsed = PythonExtractor().extract("junk.py", b"def f():\n    return '\xff\xfe'\n\x80\x81 = 3\n")
    assert [(d.kind, d.name) for d in parsed.definitions][0] == ("Function", "f")
    assert PythonExtractor().extract("empty.py", b"").definitions == []


def test_module_names_follow_source_roots():
    extractor = PythonExtractor()
    assert extractor.module_name("src/flask/app.py", ("src",)) == "flask.app"
    assert extractor.module_name("src/flask/__init__.py", ("src",)) == "flask"
    assert extractor.module_name("tests/test_app.py", ("src",)) == "tests.test_app"
    assert extractor.module_name("main.py", ("src",)) == "main"


def test_local_bindings_are_recorded_per_function():
    source = b"""x = 1
def f(a, b: int, c=1, *args, d: str = 'x', **kw):
    y = 2
    for i, j in z:
        pass
    with open(a) as fh:
        pass
    try:
        pass
    except E as err:
        pass
    if (n := 3):
        a = 4
    return [z for z in (lambda q: q)(a)]
"""
    parsed = PythonExtractor().extract("a.py", source)
    whole = (0, 0)
    assert [(b.name, b.scope, b.line, (b.region_start, b.region_end)) for b in parsed.local_bindings] == [
        ("x", (), 1, whole), ("a", ("f",), 2, whole), ("b", ("f",), 2, whole), ("c", ("f",), 2, whole),
        ("args", ("f",), 2, whole), ("d", ("f",), 2, whole), ("kw", ("f",), 2, whole), ("y", ("f",), 3, whole),
        ("i", ("f",), 4, whole), ("j", ("f",), 4, whole), ("fh", ("f",), 6, whole), ("err", ("f",), 10, whole),
        ("n", ("f",), 12, whole), ("z", ("f",), 14, (14, 14)), ("q", ("f", "<lambda1>"), 14, whole),
    ]


def test_value_bindings_record_every_binding_of_a_name_with_a_known_one():
    source = b"""__all__ = ["run", 'Repo']
__all__ += names()

class Service:
    repo: "Repo"

    def __init__(self, repo: Repo, n):
        self.repo = repo
        self.n = n + 1

    def make(self) -> "Service":
        return self

def run(flag, a: Optional[Repo] = None):
    x = Repo()
    if flag:
        x = flag
    with Repo() as r:
        pass
    handlers = {"a": run, "b": other}
    handlers[flag]()
    for h in handlers:
        h()
    y = await fetch()
    return x
"""
    parsed = PythonExtractor().extract("a.py", source)
    assert parsed.exports == [ExportBinding("run", "run", 1), ExportBinding("Repo", "Repo", 1), ExportBinding("*", "", 2)]
    assert parsed.values == [
        ValueBinding("repo", ("Service",), 5, "type", "Repo"),
        ValueBinding("repo", ("Service", "__init__"), 7, "type", "Repo"),
        ValueBinding("self.repo", ("Service", "__init__"), 8, "alias", "repo"),
        ValueBinding("<return>", ("Service", "make"), 11, "type", "Service"),
        ValueBinding("<return>", ("Service", "make"), 12, "alias", "self"),
        ValueBinding("<return>", ("run",), 25, "alias", "x"),
        ValueBinding("a", ("run",), 14, "type", "Repo"),
        ValueBinding("h", ("run",), 22, "element", "handlers"),
        ValueBinding("handlers", ("run",), 20, "items", "run,other"),
        ValueBinding("r", ("run",), 18, "enter", "Repo"),
        ValueBinding("x", ("run",), 15, "call", "Repo"),
        ValueBinding("x", ("run",), 17, "alias", "flag"),
        ValueBinding("y", ("run",), 24, "await", "fetch"),
    ]
    assert CallSite("[]", "handlers", ("run",), 21) in parsed.calls


def test_positional_parameters_and_arguments_are_recorded():
    parsed = PythonExtractor().extract("m.py", (
        b"def run(cb, /, n: int = 1, *rest, flag=False, **kw):\n    cb()\n\n"
        b"run(done, 2, *more)\nrun(done, key=1)\nrun(obj.attr, f(), other)\n"
    ))
    [run] = [d for d in parsed.definitions if d.name == "run"]
    assert run.parameters == ("cb", "n")  # `/` only marks the ones before it; `*rest` ends them
    assert [c.arguments for c in parsed.calls if c.callee == "run"] == [("done", ""), ("done",), ("", "", "other")]


# --- hostile input: deep nesting, long names, encodings ---------------------------------------------


def test_five_thousand_nested_calls_each_get_their_scope():
    depth = 5000
    source = b"def outer():\n    x = " + b"f(" * depth + b"y" + b")" * depth + b"\n"
    parsed = PythonExtractor().extract("deep.py", source)
    assert parsed.calls == [CallSite("f", None, ("outer",), 2, arguments=("",))] * (depth - 1) + [
        CallSite("f", None, ("outer",), 2, arguments=("y",))
    ]
    assert parsed.warnings == []


def test_long_chains_and_nested_targets_never_recurse():
    """Receiver chains, dotted values, nested annotations and unpacking targets far deeper than
    Python's recursion limit."""
    chain = ".".join(["a"] * 3000)
    source = (f"{chain}.m()\n"
              f"{'(' * 3000}q,{'),' * 2999}) = z\n"
              f"y: {'Optional[' * 3000}A{']' * 3000}\n"
              f"w: A{' | None' * 3000}\n"
              f"def f(self):\n    x = {chain}\n").encode()
    parsed = PythonExtractor().extract("chain.py", source)
    assert parsed.calls == [CallSite("m", chain, (), 1)]
    assert [(d.kind, d.name, d.scope, d.start_line) for d in parsed.definitions] == [
        ("Function", "f", (), 5), ("Variable", "q", (), 2), ("Variable", "y", (), 3), ("Variable", "w", (), 4),
    ]
    assert [v for v in parsed.values if v.target in ("x", "y", "w")] == [
        ValueBinding("w", (), 4, "type", "A"),
        ValueBinding("y", (), 3, "type", "A"),
        ValueBinding("x", ("f",), 6, "alias", chain),
    ]
    assert parsed.warnings == []


def _nested_defs(depth: int) -> bytes:
    """`def f0():` / `    c0()` / `    def f1():` ...: one call at the top of each level."""
    return "".join("    " * i + f"def f{i}():\n" + "    " * (i + 1) + f"c{i}()\n" for i in range(depth)).encode()


def test_definitions_nested_past_the_limit_are_folded_into_the_deepest_kept_one():
    from codekg.languages.base import MAX_NESTING_DEPTH

    depth = MAX_NESTING_DEPTH + 36
    parsed = PythonExtractor().extract("nest.py", _nested_defs(depth))
    names = tuple(f"f{i}" for i in range(MAX_NESTING_DEPTH))
    assert [(d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions] == [
        (f"f{i}", names[:i], 2 * i + 1, 2 * depth) for i in range(MAX_NESTING_DEPTH)
    ]
    assert parsed.calls == [
        CallSite(f"c{i}", None, names[: i + 1] if i < MAX_NESTING_DEPTH else names, 2 * i + 2) for i in range(depth)
    ]
    assert parsed.warnings == [
        f"nesting deeper than {MAX_NESTING_DEPTH} definitions: 36 definition(s) from line {2 * MAX_NESTING_DEPTH + 1} "
        f"on folded into f{MAX_NESTING_DEPTH - 1} (line {2 * MAX_NESTING_DEPTH - 1}), which takes their calls"
    ]
    assert parsed.parse_errors == 0


def test_three_thousand_nested_defs_are_cut_with_a_report_never_silently():
    """tree-sitter's Python scanner gives up on indentation some 500 levels deep: the outer levels
    become a syntax error region (reported as such; which levels depends on tree-sitter's recovery),
    and what parses as nested defs is folded at the nesting limit, with a warning."""
    from codekg.languages.base import MAX_NESTING_DEPTH

    parsed = PythonExtractor().extract("nest.py", _nested_defs(3000))
    assert len(parsed.definitions) == MAX_NESTING_DEPTH
    assert max(len(d.scope) for d in parsed.definitions) == MAX_NESTING_DEPTH - 1
    assert [c.callee for c in parsed.calls] == [f"c{i}" for i in range(3000)]
    assert max(len(c.scope) for c in parsed.calls) == MAX_NESTING_DEPTH
    assert parsed.parse_errors >= 1
    syntax, nesting = parsed.warnings
    assert syntax.startswith("syntax errors at line") and nesting.startswith(f"nesting deeper than {MAX_NESTING_DEPTH} definitions: ")


def test_scope_paths_stay_bounded_in_characters():
    from codekg.languages.base import MAX_SCOPE_PATH_CHARS

    long_name = "n" * MAX_SCOPE_PATH_CHARS
    source = f"class A:\n    def {long_name}(self):\n        def inner():\n            g()\n    def m(self):\n        h()\n"
    parsed = PythonExtractor().extract("long.py", source.encode())
    assert [(d.name, d.scope) for d in parsed.definitions] == [("A", ()), ("m", ("A",))]
    assert parsed.calls == [CallSite("g", None, ("A",), 4), CallSite("h", None, ("A", "m"), 6)]
    assert parsed.warnings == [
        f"scope path longer than {MAX_SCOPE_PATH_CHARS} characters: 2 definition(s) from line 2 on folded into A "
        "(line 1), which takes their calls"
    ]


LATIN_1 = '''# -*- coding: latin-1 -*-
"""Grüße aus Köln."""
GRÜSSE = "grüß"


def grüße(café):
    """Sagt grüß."""
    return café.wärme("ñ")
'''


def test_a_coding_cookie_decodes_names_strings_and_docstrings():
    parsed = PythonExtractor().extract("gruss.py", LATIN_1.encode("latin-1"))
    assert parsed.docstring == "Grüße aus Köln."
    assert [(d.kind, d.name, d.start_line, d.end_line, d.signature, d.docstring) for d in parsed.definitions] == [
        ("Function", "grüße", 6, 8, "def grüße(café)", "Sagt grüß."),
        ("Variable", "GRÜSSE", 3, 3, 'GRÜSSE = "grüß"', ""),
    ]
    assert parsed.calls == [CallSite("wärme", "café", ("grüße",), 8, arguments=("",))]
    assert [(b.name, b.scope, b.line) for b in parsed.local_bindings] == [("GRÜSSE", (), 3), ("café", ("grüße",), 6)]
    assert (parsed.parse_errors, parsed.warnings, parsed.encoding, parsed.line_count) == (0, [], "iso8859-1", 8)


def test_a_cookie_on_the_second_line_and_a_bom_are_honoured():
    second_line = ("#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\ndef ê():\n    «x»()\n").encode("cp1252")
    parsed = PythonExtractor().extract("a.py", second_line)
    assert [d.name for d in parsed.definitions] == ["ê"]
    assert parsed.encoding == "cp1252"
    with_bom = "\ufeffdef é():\n    '''ü'''\n".encode("utf-8")
    parsed = PythonExtractor().extract("b.py", with_bom)
    assert [(d.name, d.start_line, d.signature, d.docstring) for d in parsed.definitions] == [("é", 1, "def é()", "ü")]
    assert (parsed.encoding, parsed.warnings, parsed.parse_errors) == ("utf-8-sig", [], 0)


def test_an_unknown_codec_decodes_as_utf8_with_a_warning():
    parsed = PythonExtractor().extract("k.py", "# coding: klingon\ndef é():\n    pass\n".encode("utf-8"))
    assert [d.name for d in parsed.definitions] == ["é"]
    assert parsed.encoding == "utf-8"
    assert parsed.warnings == ["unknown encoding 'klingon' in the coding cookie: decoded as UTF-8"]
    wrong = PythonExtractor().extract("w.py", b"# coding: utf-16\nx = 1\n")  # not ASCII-compatible: not Python source
    assert wrong.warnings == ["unknown encoding 'utf-16' in the coding cookie: decoded as UTF-8"]
    assert [d.name for d in wrong.definitions] == ["x"]


def test_bytes_the_declared_codec_cannot_decode_are_replaced_with_a_warning():
    parsed = PythonExtractor().extract("bad.py", b"# coding: ascii\ndef f():\n    return '\xe9'\n")
    assert [(d.name, d.start_line) for d in parsed.definitions] == [("f", 2)]
    assert parsed.warnings == ["not valid ascii: decoded with replacement characters"]


def test_the_parse_pass_does_not_call_a_declared_encoding_invalid_utf8():
    from codekg.passes.parse import extract_source

    parsed = extract_source("gruss.py", "python", LATIN_1.encode("latin-1"))
    assert parsed.invalid_utf8 is False
    assert extract_source("raw.py", "python", b"x = '\xff'\n").invalid_utf8 is True


def test_a_block_holding_one_statement_is_outside_it():
    """A block of one statement spans the same bytes as the statement: the block is the outer one."""
    source = b"if TYPE_CHECKING:\n    class P(Protocol):\n        def m(self, x=g()) -> int: h()\n"
    parsed = PythonExtractor().extract("p.py", source)
    assert [(d.name, d.scope, d.is_type_only) for d in parsed.definitions] == [("P", (), True), ("m", ("P",), False)]
    assert parsed.calls == [CallSite("g", None, ("P",), 3), CallSite("h", None, ("P", "m"), 3)]


def test_a_signature_is_the_header_without_its_comments():
    """Comments after the colon, before the first statement and among the parameters are not part of
    the signature (requests' `Session.__init__` carried its attribute comments: `#: A case-insensitive…`)."""
    source = b'''class Session(Base):  # noqa: D101
    #: headers sent with every request
    headers = {}

    def __init__(self):
        #: A case-insensitive dictionary of headers
        self.headers = {}

    def send(self, request,  # the prepared request
             stream=False) -> "Response":  # noqa: C901
        return request


def proxy_bypass(host): # noqa
    pass


square = lambda x: x * x
'''
    parsed = PythonExtractor().extract("m.py", source)
    assert [(d.name, d.signature) for d in parsed.definitions if d.kind in ("Class", "Function", "Method")] == [
        ("Session", "class Session(Base)"), ("__init__", "def __init__(self)"),
        ("send", 'def send(self, request, stream=False) -> "Response"'), ("proxy_bypass", "def proxy_bypass(host)"),
        ("square", "lambda x")]


def test_syntax_errors_are_warned_of_with_their_lines():
    """A parser recovers by skipping a region, which may swallow what follows (here `good_after`):
    the warning names the lines, where it said "the rest indexed"."""
    source = b"def good_before():\n    return 1\n\n\ndef broken(:\n    return 2\n\n\nclass Broken(\n    x = 1\n\n\ndef good_after():\n    return good_before()\n"
    parsed = PythonExtractor().extract("m.py", source)
    assert [d.name for d in parsed.definitions if d.kind != "Variable"] == ["good_before", "broken", "Broken"]
    assert (parsed.parse_errors, parsed.warnings) == (
        3, ["syntax errors at lines 5, 13: definitions there, or after them, may be missing from the index"])
    assert PythonExtractor().extract("ok.py", b"def f():\n    return 1\n").warnings == []
