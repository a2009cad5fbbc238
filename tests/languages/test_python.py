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
        ("n", ("f",), 12, whole), ("z", ("f",), 14, (14, 14)), ("q", ("f",), 14, (14, 14)),
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
