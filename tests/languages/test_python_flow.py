"""Python flow facts (languages/python_flow.py) on real tree-sitter parses: the exact facts of each construct."""

from codekg.languages.python import PythonExtractor
from codekg.records import FlowFact


def facts(source: str) -> list[FlowFact]:
    return PythonExtractor().extract("m.py", source.encode()).flow


def F(kind, scope, line, target=(), value=(), arguments=(), index=-1, conditional=False, name=""):
    return FlowFact(kind, scope, line, target, value, arguments, index, conditional, name)


def n(name):
    return ("name", name)


def test_assignments_and_unpacking():
    source = """a = b = f()
c, [d, *e] = a
x: int = d
y: int
self.z = x
a += 1
if (w := c):
    a = w
"""
    assert facts(source) == [
        F("call", (), 1, value=n("f"), index=0),
        F("assign", (), 1, n("b"), ("call", 0)),
        F("assign", (), 1, n("a"), ("call", 0)),
        F("assign", (), 2, ("seq", (n("c"), ("seq", (n("d"), n("e")), 1)), -1), n("a")),
        F("assign", (), 3, n("x"), n("d")),
        F("assign", (), 5, ("attr", n("self"), "z"), n("x")),
        F("operator", (), 6, value=n("a"), arguments=(("unknown",),), index=1, name="__iadd__"),
        F("assign", (), 6, n("a"), ("call", 1)),
        F("assign", (), 7, n("w"), n("c")),
        F("assign", (), 8, n("a"), n("w"), conditional=True),
    ]


def test_calls_and_arguments():
    source = """g(a, *b, k=c, **d)
obj.m(h(x))
sum(v for v in xs)
"""
    assert facts(source) == [
        F("call", (), 1, value=n("g"), index=0, arguments=(
            ("positional", "", n("a")), ("star", "", n("b")), ("keyword", "k", n("c")), ("double-star", "", n("d")))),
        F("call", (), 2, value=n("h"), index=1, arguments=(("positional", "", n("x")),)),
        F("call", (), 2, value=("attr", n("obj"), "m"), index=2, arguments=(("positional", "", ("call", 1)),)),
        F("iterate", (), 3, n("v"), n("xs"), conditional=True),
        F("assign", (), 3, ("item", ("alloc", 3), None), n("v"), conditional=True),
        F("call", (), 3, value=n("sum"), index=4, arguments=(("positional", "", ("alloc", 3)),)),
    ]


def test_containers_with_constant_keys():
    source = """t = [f, 1, g]
d = {"a": f, 2: g, k: h, **other}
s = {f, *rest, g}
r = t[0]
"""
    t, d, s = ("alloc", 0), ("alloc", 1), ("alloc", 2)
    assert facts(source) == [
        F("assign", (), 1, ("item", t, 0), n("f")),
        F("assign", (), 1, ("item", t, 2), n("g")),
        F("assign", (), 1, n("t"), t),
        F("assign", (), 2, ("item", d, "a"), n("f")),
        F("assign", (), 2, ("item", d, 2), n("g")),
        F("assign", (), 2, ("item", d, None), n("h")),
        F("assign", (), 2, ("item", d, None), ("item", n("other"), None)),
        F("assign", (), 2, n("d"), d),
        F("assign", (), 3, ("item", s, None), n("f")),
        F("iterate", (), 3, ("item", s, None), n("rest")),
        F("assign", (), 3, ("item", s, None), n("g")),
        F("assign", (), 3, n("s"), s),
        F("operator", (), 4, value=n("t"), arguments=(("unknown",),), index=3, name="__getitem__"),
        F("assign", (), 4, n("r"), ("item", n("t"), 0)),
    ]


def test_lambdas_are_definitions_named_by_binding_or_numbered():
    source = """first = lambda raw: parse(raw)
steps = [lambda rows: check(rows)]
def run(x=lambda: 1):
    return (lambda fn: fn(x))(g)
"""
    parsed = PythonExtractor().extract("m.py", source.encode())
    assert [(d.kind, d.name, d.scope, d.start_line) for d in parsed.definitions] == [
        ("Function", "first", (), 1), ("Function", "<lambda1>", (), 2), ("Function", "run", (), 3),
        ("Function", "<lambda2>", (), 3), ("Function", "<lambda1>", ("run",), 4), ("Variable", "steps", (), 2),
    ]
    first, l1, l2, run_l1 = ("first",), ("<lambda1>",), ("<lambda2>",), ("run", "<lambda1>")
    assert parsed.flow == [
        F("parameter", first, 1, n("raw"), index=0, name="positional"),
        F("call", first, 1, value=n("parse"), index=0, arguments=(("positional", "", n("raw")),)),
        F("return", first, 1, value=("call", 0)),
        F("assign", (), 1, n("first"), ("def", first)),
        F("parameter", l1, 2, n("rows"), index=0, name="positional"),
        F("call", l1, 2, value=n("check"), index=1, arguments=(("positional", "", n("rows")),)),
        F("return", l1, 2, value=("call", 1)),
        F("assign", (), 2, ("item", ("alloc", 2), 0), ("def", l1)),
        F("assign", (), 2, n("steps"), ("alloc", 2)),
        F("return", l2, 3, value=("unknown",)),
        F("parameter", ("run",), 3, n("x"), ("def", l2), index=0, name="positional"),
        F("assign", (), 3, n("run"), ("def", ("run",))),
        F("parameter", run_l1, 4, n("fn"), index=0, name="positional"),
        F("call", run_l1, 4, value=n("fn"), index=3, arguments=(("positional", "", n("x")),)),
        F("return", run_l1, 4, value=("call", 3)),
        F("call", ("run",), 4, value=("def", run_l1), index=4, arguments=(("positional", "", n("g")),)),
        F("return", ("run",), 4, value=("call", 4)),
    ]
    # calls inside a lambda are its own
    assert [(c.callee, c.scope) for c in parsed.calls] == [("parse", first), ("check", l1), ("fn", run_l1)]


def test_classes_decorators_and_super():
    source = """@register
@route("/")
class Shape(Base):
    kind = "x"

    def area(self):
        return super().area()
"""
    assert facts(source) == [
        F("call", (), 2, value=n("route"), index=0, arguments=(("positional", "", ("unknown",)),)),
        F("assign", ("Shape",), 4, n("kind"), ("unknown",)),
        F("parameter", ("Shape", "area"), 6, n("self"), index=0, name="positional"),
        F("assign", ("Shape",), 6, n("area"), ("def", ("Shape", "area"))),
        F("call", ("Shape", "area"), 7, value=("attr", ("super",), "area"), index=1),
        F("return", ("Shape", "area"), 7, value=("call", 1)),
        F("assign", (), 3, n("Shape"), ("def", ("Shape",))),
        F("decorate", (), 1, n("Shape"), arguments=(("call", 0), n("register"))),
    ]


def test_protocols_and_operators():
    source = """a + b
-a
x in y
a < b
len(x)
f"{x!r}{y}"
"""
    assert facts(source) == [
        F("operator", (), 1, value=n("a"), arguments=(n("b"),), index=0, name="__add__"),
        F("operator", (), 2, value=n("a"), index=1, name="__neg__"),
        F("operator", (), 3, value=n("y"), arguments=(n("x"),), index=2, name="__contains__"),
        F("operator", (), 4, value=n("a"), arguments=(n("b"),), index=3, name="__lt__"),
        F("call", (), 5, value=n("len"), arguments=(("positional", "", n("x")),), index=4),
        F("operator", (), 5, n("len"), value=n("x"), index=5, name="__len__"),  # holds where `len` is the builtin
        F("operator", (), 6, value=n("x"), index=6, name="__repr__"),
        F("operator", (), 6, value=n("y"), index=7, name="__str__"),
    ]


def test_loops_with_except_return_yield_raise():
    source = """def gen(items):
    for k, v in items:
        yield v
    with open(k) as fh, lock:
        yield from fh
    try:
        raise Error
    except (A, B) as err:
        return err
"""
    g = ("gen",)
    assert facts(source) == [
        F("parameter", g, 1, n("items"), index=0, name="positional"),
        F("assign", (), 1, n("gen"), ("def", g)),
        F("iterate", g, 2, ("seq", (n("k"), n("v")), -1), n("items"), conditional=True),
        F("yield", g, 3, value=n("v"), conditional=True),
        F("call", g, 4, value=n("open"), arguments=(("positional", "", n("k")),), index=0),
        F("enter", g, 4, n("fh"), ("call", 0)),
        F("enter", g, 4, value=n("lock")),
        F("iterate", g, 5, value=n("fh")),
        F("yield", g, 5, value=("item", n("fh"), None)),
        F("raise", g, 7, value=n("Error"), conditional=True),
        F("assign", g, 8, n("err"), ("either", (("instance", n("A")), ("instance", n("B")))), conditional=True),
        F("return", g, 9, value=n("err"), conditional=True),
    ]


def test_either_values_of_short_circuits_and_conditional_expressions():
    assert facts("x = a or b\ny = c if t else d\n") == [
        F("assign", (), 1, n("x"), ("either", (n("a"), n("b")))),
        F("assign", (), 2, n("y"), ("either", (n("c"), n("d")))),
    ]


def test_deep_nesting_is_bounded_and_never_recursive():
    from codekg.languages.python_flow import MAX_EXPRESSION_DEPTH

    depth = 5000
    parsed = PythonExtractor().extract("deep.py", ("x = " + "f(" * depth + ")" * depth + "\n").encode())
    assert [fact.kind for fact in parsed.flow] == ["call"] * depth + ["assign"]
    assert parsed.flow[0] == F("call", (), 1, value=n("f"), index=0)
    assert parsed.flow[-1] == F("assign", (), 1, n("x"), ("call", depth - 1))
    def attributes(value):
        levels = 0
        while value[0] == "attr":
            value, levels = value[1], levels + 1
        return value, levels

    long_chain, parenthesized = facts(f"x = a{'.b' * 3000}\ny = {'(' * 3000}z{')' * 3000}\n")
    assert long_chain == F("assign", (), 1, n("x"), ("unknown",))  # too deep: unknown as a whole
    assert parenthesized == F("assign", (), 2, n("y"), n("z"))
    assert attributes(facts(f"x = a{'.b' * (MAX_EXPRESSION_DEPTH - 1)}\n")[0].value) == (n("a"), MAX_EXPRESSION_DEPTH - 1)


def test_del_of_an_item_runs_delitem_and_del_of_a_name_or_attribute_makes_no_fact():
    source = """del x[k], y.a
del z
"""
    assert facts(source) == [
        F("operator", (), 1, value=n("x"), arguments=(n("k"),), index=0, name="__delitem__"),
    ]
