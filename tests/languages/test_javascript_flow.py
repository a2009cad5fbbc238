"""JavaScript/TypeScript flow facts (languages/javascript_flow.py) on real tree-sitter parses: the exact facts of each construct."""

from codekg.languages.base import MAX_NESTING_DEPTH
from codekg.languages.javascript import JavaScriptExtractor
from codekg.languages.typescript import TypeScriptExtractor
from codekg.records import FlowFact

JS = JavaScriptExtractor()
TS = TypeScriptExtractor()
U = ("unknown",)


def facts(source: str) -> list[FlowFact]:
    return JS.extract("m.js", source.encode()).flow


def ts_facts(source: str) -> list[FlowFact]:
    return TS.extract("m.ts", source.encode()).flow


def F(kind, scope, line, target=(), value=(), arguments=(), index=-1, conditional=False, name="", is_new=False):
    return FlowFact(kind, scope, line, target, value, arguments, index, conditional, name, is_new)


def n(name):
    return ("name", name)


def pos(expression):
    return ("positional", "", expression)


def test_declarations_and_destructuring():
    source = """const a = f(), b = a;
let {c, d: e, g = h, ...rest} = a;
var [x, , y = 1, ...zs] = b;
const [[p, q], {r}] = b;
"""
    assert facts(source) == [
        F("call", (), 1, value=n("f"), index=0),
        F("assign", (), 1, n("a"), ("call", 0)),
        F("assign", (), 1, n("b"), n("a")),
        F("assign", (), 2, n("c"), ("attr", n("a"), "c")),
        F("assign", (), 2, n("e"), ("attr", n("a"), "d")),
        F("assign", (), 2, n("g"), ("either", (("attr", n("a"), "g"), n("h")))),
        F("assign", (), 2, n("rest"), n("a")),
        F("assign", (), 3, ("seq", (n("x"), U, U, n("zs")), 3), n("b")),
        F("assign", (), 3, n("y"), ("item", n("b"), 2)),  # a literal default adds nothing known
        F("assign", (), 4, ("seq", (n("p"), n("q")), -1), ("item", n("b"), 0)),
        F("assign", (), 4, n("r"), ("attr", ("item", n("b"), 1), "r")),
    ]


def test_assignments_members_and_compound():
    source = """o.p = v;
o["k"] = w;
o[0] = w;
o[i] = w;
x = y = z;
x += 1;
x ||= fallback;
[a, b] = [b, a];
"""
    assert facts(source) == [
        F("assign", (), 1, ("attr", n("o"), "p"), n("v")),
        F("assign", (), 2, ("attr", n("o"), "k"), n("w")),
        F("assign", (), 3, ("item", n("o"), 0), n("w")),
        F("assign", (), 4, ("item", n("o"), None), n("w")),
        F("assign", (), 5, n("y"), n("z")),
        F("assign", (), 5, n("x"), n("z")),
        F("assign", (), 6, n("x"), U),
        F("assign", (), 7, n("x"), n("fallback"), conditional=True),
        F("assign", (), 8, ("item", ("alloc", 0), 0), n("b")),
        F("assign", (), 8, ("item", ("alloc", 0), 1), n("a")),
        F("assign", (), 8, ("seq", (n("a"), n("b")), -1), ("alloc", 0)),
    ]


def test_functions_are_definitions_hoisted_and_anonymous_ones_numbered():
    source = """run(helper);
function helper(a, b = make(), ...rest) {
  return a;
}
const arrow = x => x;
items.forEach(function (item) { use(item); });
"""
    parsed = JS.extract("m.js", source.encode())
    assert [(d.kind, d.name, d.scope) for d in parsed.definitions] == [
        ("Function", "helper", ()), ("Function", "arrow", ()), ("Function", "<anonymous1>", ()),
    ]
    assert parsed.flow == [
        # the declaration is bound first: it is hoisted
        F("call", ("helper",), 2, value=n("make"), index=0, conditional=True),
        F("parameter", ("helper",), 2, n("a"), index=0, name="positional"),
        F("parameter", ("helper",), 2, n("b"), ("call", 0), index=1, name="positional"),
        F("parameter", ("helper",), 2, n("rest"), index=2, name="star"),
        F("assign", (), 2, n("helper"), ("def", ("helper",))),
        F("return", ("helper",), 3, value=n("a")),
        F("call", (), 1, value=n("run"), arguments=(pos(n("helper")),), index=1),
        F("parameter", ("arrow",), 5, n("x"), index=0, name="positional"),
        F("return", ("arrow",), 5, value=n("x")),
        F("assign", (), 5, n("arrow"), ("def", ("arrow",))),
        F("parameter", ("<anonymous1>",), 6, n("item"), index=0, name="positional"),
        F("call", ("<anonymous1>",), 6, value=n("use"), arguments=(pos(n("item")),), index=2),
        F("call", (), 6, value=("attr", n("items"), "forEach"), arguments=(pos(("def", ("<anonymous1>",))),), index=3),
    ]


def test_calls_new_spread_super_and_tagged_templates():
    source = """f(a, ...rest);
new Widget(opts);
new Plain;
obj?.m?.(1);
tag`x${y}z`;
require("./m").load();
"""
    assert facts(source) == [
        F("call", (), 1, value=n("f"), arguments=(pos(n("a")), ("star", "", n("rest"))), index=0),
        F("call", (), 2, value=n("Widget"), arguments=(pos(n("opts")),), index=1, is_new=True),
        F("call", (), 3, value=n("Plain"), index=2, is_new=True),
        F("call", (), 4, value=("attr", n("obj"), "m"), arguments=(pos(U),), index=3),
        F("call", (), 5, value=n("tag"), arguments=(pos(U), pos(n("y"))), index=4),
        F("call", (), 6, value=n("require"), arguments=(pos(U),), index=5),  # a string literal is ("unknown",)
        F("call", (), 6, value=("attr", ("call", 5), "load"), index=6),
    ]


def test_names_are_read_where_the_tree_says_after_a_leading_blank():
    """The root node starts at the first token, not at byte 0: names are sliced from the file's bytes."""
    assert facts("\n\n  loadTexture(matrices);\n") == [
        F("call", (), 3, value=n("loadTexture"), arguments=(pos(n("matrices")),), index=0),
    ]


def test_object_and_array_literals():
    source = """const api = {
  get,
  post: send,
  "put": update,
  [`x`]: skip,
  ["del"]: remove,
  0: first,
  ...base,
  run() {},
};
const list = [f, , g, ...more, h];
"""
    o, a = ("alloc", 0), ("alloc", 1)
    parsed = JS.extract("m.js", source.encode())
    assert [(d.kind, d.name, d.scope) for d in parsed.definitions] == [
        ("Variable", "api", ()), ("Function", "run", ("api",)), ("Variable", "list", ()),
    ]
    assert parsed.flow == [
        F("assign", (), 1, ("attr", o, "get"), n("get")),
        F("assign", (), 1, ("attr", o, "post"), n("send")),
        F("assign", (), 1, ("attr", o, "put"), n("update")),
        F("assign", (), 1, ("item", o, None), n("skip")),
        F("assign", (), 1, ("attr", o, "del"), n("remove")),
        F("assign", (), 1, ("item", o, 0), n("first")),
        F("assign", (), 1, ("item", o, None), ("item", n("base"), None)),
        F("assign", (), 1, ("attr", o, "run"), ("def", ("api", "run"))),
        F("assign", (), 1, n("api"), o),
        F("assign", (), 11, ("item", a, 0), n("f")),
        F("assign", (), 11, ("item", a, 2), n("g")),
        F("iterate", (), 11, ("item", a, None), n("more")),
        F("assign", (), 11, ("item", a, None), n("h")),
        F("assign", (), 11, n("list"), a),
    ]


def test_control_flow_is_conditional_and_loops_iterate():
    source = """if (ok) { a = f; } else { a = g; }
for (const [k, v] of pairs) use(k);
for (const key in table) {}
for (const {name} of people) {}
try { risky(); } catch (err) { throw err; }
const pick = c ? f : g, either = x || y, nullish = x ?? y;
"""
    assert facts(source) == [
        F("assign", (), 1, n("a"), n("f"), conditional=True),
        F("assign", (), 1, n("a"), n("g"), conditional=True),
        F("iterate", (), 2, ("seq", (n("k"), n("v")), -1), n("pairs"), conditional=True),
        F("call", (), 2, value=n("use"), arguments=(pos(n("k")),), index=0, conditional=True),
        F("assign", (), 3, n("key"), U, conditional=True),
        F("iterate", (), 4, n("<destructured0>"), n("people"), conditional=True),
        F("assign", (), 4, n("name"), ("attr", n("<destructured0>"), "name"), conditional=True),
        F("call", (), 5, value=n("risky"), index=1, conditional=True),
        F("assign", (), 5, n("err"), U, conditional=True),
        F("raise", (), 5, value=n("err"), conditional=True),
        F("assign", (), 6, n("pick"), ("either", (n("f"), n("g")))),
        F("assign", (), 6, n("either"), ("either", (n("x"), n("y")))),
        F("assign", (), 6, n("nullish"), ("either", (n("x"), n("y")))),
    ]


def test_generators_yield_and_delegate():
    source = """function* gen(xs) {
  yield first;
  yield* xs;
}
"""
    assert facts(source) == [
        F("parameter", ("gen",), 1, n("xs"), index=0, name="positional"),
        F("assign", (), 1, n("gen"), ("def", ("gen",))),
        F("yield", ("gen",), 2, value=n("first")),
        F("iterate", ("gen",), 3, value=n("xs")),
        F("yield", ("gen",), 3, value=("item", n("xs"), None)),
    ]


def test_classes_methods_fields_this_and_super():
    source = """class Child extends Base {
  static make() { return new Child(); }
  count = 0;
  handler = () => this.run();
  constructor(repo) {
    super(repo);
    this.repo = repo;
  }
  run() {
    return super.run();
  }
  later() {
    return items.map(x => this.run(x));
  }
}
"""
    parsed = JS.extract("m.js", source.encode())
    C = ("Child",)
    assert [(d.kind, d.name, d.scope) for d in parsed.definitions] == [
        ("Class", "Child", ()), ("Method", "make", C), ("Variable", "count", C), ("Method", "handler", C),
        ("Method", "constructor", C), ("Method", "run", C), ("Method", "later", C),
        ("Function", "<anonymous1>", ("Child", "later")),
    ]
    assert parsed.flow == [
        F("assign", C, 2, n("make"), ("def", ("Child", "make"))),  # a member is bound, then its body walked
        F("call", ("Child", "make"), 2, value=n("Child"), index=0, is_new=True),
        F("return", ("Child", "make"), 2, value=("call", 0)),
        F("assign", C, 3, n("count"), U),
        F("call", ("Child", "handler"), 4, value=("attr", ("this",), "run"), index=1),  # a field's arrow: the instance
        F("return", ("Child", "handler"), 4, value=("call", 1)),
        F("assign", C, 4, n("handler"), ("def", ("Child", "handler"))),  # a field is bound after its value
        F("parameter", ("Child", "constructor"), 5, n("repo"), index=0, name="positional"),
        F("assign", C, 5, n("constructor"), ("def", ("Child", "constructor"))),
        F("call", ("Child", "constructor"), 6, value=("super",), arguments=(pos(n("repo")),), index=2),
        F("assign", ("Child", "constructor"), 7, ("attr", ("this",), "repo"), n("repo")),
        F("assign", C, 9, n("run"), ("def", ("Child", "run"))),
        F("call", ("Child", "run"), 10, value=("attr", ("super",), "run"), index=3),
        F("return", ("Child", "run"), 10, value=("call", 3)),
        F("assign", C, 12, n("later"), ("def", ("Child", "later"))),
        F("parameter", ("Child", "later", "<anonymous1>"), 13, n("x"), index=0, name="positional"),
        # `this` in an arrow is its definer's: the method binds it to "<this>" once
        F("assign", ("Child", "later"), 13, n("<this>"), ("this",)),
        F("call", ("Child", "later", "<anonymous1>"), 13, value=("attr", n("<this>"), "run"),
          arguments=(pos(n("x")),), index=4),
        F("return", ("Child", "later", "<anonymous1>"), 13, value=("call", 4)),
        F("call", ("Child", "later"), 13, value=("attr", n("items"), "map"),
          arguments=(pos(("def", ("Child", "later", "<anonymous1>"))),), index=5),
        F("return", ("Child", "later"), 13, value=("call", 5)),
        # the base as a value, for a base that name resolution does not find (the builder decides)
        F("extends", (), 1, ("def", C), n("Base")),
        F("assign", (), 1, n("Child"), ("def", C)),
    ]


def test_prototypes_and_commonjs():
    source = """function Animal() {}
Animal.prototype.speak = function () { return this.name; };
module.exports = Animal;
exports.helper = function () {};
const dep = require("./dep");
"""
    parsed = JS.extract("m.js", source.encode())
    assert [(d.name, d.scope) for d in parsed.definitions] == [
        ("Animal", ()), ("Animal.speak", ()), ("helper", ()),
    ]
    assert parsed.flow == [
        F("assign", (), 1, n("Animal"), ("def", ("Animal",))),
        F("return", ("Animal.speak",), 2, value=("attr", ("this",), "name")),
        F("assign", (), 2, ("attr", ("attr", n("Animal"), "prototype"), "speak"), ("def", ("Animal.speak",))),
        F("assign", (), 3, ("attr", n("module"), "exports"), n("Animal")),
        F("assign", (), 4, ("attr", n("exports"), "helper"), ("def", ("helper",))),
        F("call", (), 5, value=n("require"), arguments=(pos(U),), index=0),
        F("assign", (), 5, n("dep"), ("call", 0)),
    ]


def test_anonymous_classes_and_functions_returned_and_passed():
    source = """const Mixin = (Base) => class extends Base {
  touch() {}
};
function outer() {
  setTimeout(() => tick(), 0);
  return function () {};
}
"""
    parsed = JS.extract("m.js", source.encode())
    assert [(d.kind, d.name, d.scope) for d in parsed.definitions] == [
        ("Function", "Mixin", ()), ("Class", "<anonymous1>", ("Mixin",)), ("Method", "touch", ("Mixin", "<anonymous1>")),
        ("Function", "outer", ()), ("Function", "<anonymous1>", ("outer",)), ("Function", "<anonymous2>", ("outer",)),
    ]
    mixin = ("Mixin", "<anonymous1>")
    assert parsed.flow == [
        F("assign", (), 4, n("outer"), ("def", ("outer",))),
        F("call", ("outer", "<anonymous1>"), 5, value=n("tick"), index=0),
        F("return", ("outer", "<anonymous1>"), 5, value=("call", 0)),
        F("call", ("outer",), 5, value=n("setTimeout"), arguments=(pos(("def", ("outer", "<anonymous1>"))), pos(U)), index=1),
        F("return", ("outer",), 6, value=("def", ("outer", "<anonymous2>"))),
        F("parameter", ("Mixin",), 1, n("Base"), index=0, name="positional"),
        F("assign", mixin, 2, n("touch"), ("def", (*mixin, "touch"))),
        F("extends", ("Mixin",), 1, ("def", mixin), n("Base")),  # the parameter: its classes are the base
        F("return", ("Mixin",), 1, value=("def", mixin)),
        F("assign", (), 1, n("Mixin"), ("def", ("Mixin",))),
    ]


def test_destructured_and_defaulted_parameters():
    source = """function handle({ req, res = fallback }, [first]) {}
"""
    p0 = n("<parameter0>")
    assert facts(source) == [
        F("parameter", ("handle",), 1, p0, index=0, name="positional"),
        F("parameter", ("handle",), 1, n("<parameter1>"), index=1, name="positional"),
        F("assign", ("handle",), 1, n("req"), ("attr", p0, "req")),
        F("assign", ("handle",), 1, n("res"), ("either", (("attr", p0, "res"), n("fallback")))),
        F("assign", ("handle",), 1, ("seq", (n("first"),), -1), n("<parameter1>")),
        F("assign", (), 1, n("handle"), ("def", ("handle",))),
    ]


def test_typescript_parameter_properties_decorators_and_types():
    source = """interface Repo { find(): void; }
type Id = string;
@Component({ tag: "x" })
class Service {
  @Input() name: string = "";
  constructor(private repo: Repo, @Inject(TOKEN) token: string) {}
  @Log
  run(id: Id): void { (this.repo as Repo).find(); }
}
"""
    S = ("Service",)
    assert ts_facts(source) == [
        F("call", (), 3, value=n("Component"), arguments=(pos(("alloc", 0)),), index=1),
        F("call", S, 5, value=n("Input"), index=2),
        F("assign", S, 5, n("name"), U),
        F("decorate", S, 5, n("name"), arguments=(("call", 2),)),
        # a parameter decorator runs where the class is defined: its calls are the class body's
        F("call", S, 6, value=n("Inject"), arguments=(pos(n("TOKEN")),), index=3),
        F("parameter", ("Service", "constructor"), 6, n("repo"), index=0, name="positional"),
        F("assign", ("Service", "constructor"), 6, ("attr", ("this",), "repo"), n("repo")),
        F("call", S, 6, value=("call", 3), index=4),
        F("parameter", ("Service", "constructor"), 6, n("token"), index=1, name="positional"),
        F("assign", S, 6, n("constructor"), ("def", ("Service", "constructor"))),
        # a decorator on its own line is the member's sibling in the TS tree: the member starts below it
        F("parameter", ("Service", "run"), 8, n("id"), index=0, name="positional"),
        F("assign", S, 8, n("run"), ("def", ("Service", "run"))),
        F("decorate", S, 8, n("run"), arguments=(n("Log"),), name="method"),
        F("call", ("Service", "run"), 8, value=("attr", ("attr", ("this",), "repo"), "find"), index=5),
        F("assign", (), 3, n("Service"), ("def", S)),
        F("decorate", (), 3, n("Service"), arguments=(("call", 1),)),
    ]


def test_five_thousand_nested_calls_give_bounded_expressions():
    depth = 5000
    parsed = JS.extract("m.js", ("x = " + "f(" * depth + "y" + ")" * depth + ";\n").encode())
    calls = [fact for fact in parsed.flow if fact.kind == "call"]
    assert len(calls) == depth
    assert calls[0].arguments == (pos(n("y")),) and calls[1].arguments == (pos(("call", 0)),)
    assert parsed.flow[-1] == F("assign", (), 1, n("x"), ("call", depth - 1))
    deep = JS.extract("m.js", ("x = " + "a." * depth + "b;\n").encode()).flow
    assert deep == [F("assign", (), 1, n("x"), U)]  # deeper than the bound: unknown as a whole


def test_nested_functions_past_the_bound_keep_facts_in_the_kept_ancestor():
    depth = MAX_NESTING_DEPTH + 6
    source = "".join(f"function f{i}() {{\n" for i in range(depth)) + "g();\n" + "}\n" * depth
    parsed = JS.extract("m.js", source.encode())
    (call,) = [fact for fact in parsed.flow if fact.kind == "call"]
    assert call.scope == tuple(f"f{i}" for i in range(MAX_NESTING_DEPTH))


def test_a_default_exported_object_literal_is_bound_to_default():
    source = "export default { forEach, each: forEach, first() {} };\nexport default g();\n"
    o = ("alloc", 0)
    assert facts(source) == [
        F("assign", (), 1, ("attr", o, "forEach"), n("forEach")),
        F("assign", (), 1, ("attr", o, "each"), n("forEach")),
        F("assign", (), 1, ("attr", o, "first"), ("def", ("first",))),
        F("assign", (), 1, n("default"), o),
        F("call", (), 2, value=n("g"), index=1),  # any other expression binds nothing
    ]


def test_an_arrow_reads_the_arguments_and_the_member_keys_of_its_module():
    source = """const kRun = Symbol('kRun');
function outer(fn) {
  const inner = () => arguments[0];
  return this[kRun];
}
"""
    found = facts(source)
    # `arguments` in the arrow is outer's: outer binds it to "<arguments>" once, the arrow reads that name
    assert F("assign", ("outer",), 3, n("<arguments>"), n("arguments")) in found
    assert [f.value for f in found if f.scope == ("outer", "inner") and f.kind == "return"] == [("item", n("<arguments>"), 0)]
    # a module's const symbol keys a member of its own name, not any member
    assert [f.value for f in found if f.scope == ("outer",) and f.kind == "return"] == [("attr", ("this",), "kRun")]
