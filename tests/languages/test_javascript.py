"""The JavaScript extractor on real tree-sitter parses: exact definitions, imports, exports and calls."""

from codekg.languages import extractor_for_path
from codekg.languages.javascript import JavaScriptExtractor
from codekg.records import CallSite, Definition, ExportBinding, FileParse, ImportBinding

ESM = b"""\
/**
 * Router module.
 * Routes requests.
 */
import express, { Router, json as parseJson } from 'express';
import * as path from 'node:path';
import './polyfill.js';

/** Default port. */
export const PORT = 8080;
let counter;
var registry = new Map(), debug = false;

/**
 * Adds two numbers.
 * @param {number} a
 */
export function add(a, b) {
  return helper(a) + b;
}

export async function* stream(items) {
  for (const item of items) yield await fetchItem(item);
}

export const handler = async (req, res) => {
  res.send(format(req.body));
};

const legacy = function (x) {
  function inner() {
    return x.y.z();
  }
  return inner();
};

/** A base router. */
export class Route extends path.Base {
  static registry = new Map();
  count = 0;
  /** Creates a route. */
  constructor(name) {
    super(name);
    this.name = name;
    this.#init();
  }
  get label() {
    return this.name.toUpperCase();
  }
  set label(value) {
    this.name = value;
  }
  static async create(name) {
    return new Route(name);
  }
  onClick = (event) => {
    this.handle(event);
  };
  #init() {
    super.init();
    const cb = () => log(this.name);
    cb();
  }
  @observable() tracked() {}
}

const Mixed = class extends Route {};

export const api = {
  get(url) {
    return request('GET', url);
  },
  post: async (url, body) => request('POST', url, body),
  timeout: 30,
};

export default class Server {}
export { add as sum, legacy };
export * from './all.js';
export * as utils from './utils.js';
export { default as Foo, bar as baz } from './foo.js';

a?.b();
foo().bar();
x[0].m();
arr[0]();
f()();
(a || b)();
new ns.Widget();
new Local;
import('./lazy.js');
"""

COMMONJS = b"""\
#!/usr/bin/env node
'use strict';
const fs = require('fs');
const { join, resolve: resolvePath } = require('path');
const EventEmitter = require('events').EventEmitter;
const debug = require('debug')('app');
require('dotenv/config');

function load(file) {
  const yaml = require('js-yaml');
  return yaml.load(fs.readFileSync(join(file)));
}

/** Saves. */
exports.save = function save(data) {
  fs.writeFileSync(resolvePath(data));
};
exports.load = load;
module.exports.VERSION = '2.0';
module.exports = { load, read: load, write(data) { debug(data); }, retries: 3 };
module.exports = load;
module.exports = function () {};
"""


EXTRACTOR = JavaScriptExtractor()  # one instance, so its compiled query is reused across tests


def _parse(source: bytes, path: str = "lib/router/index.js") -> FileParse:
    return EXTRACTOR.extract(path, source)


def _definitions(parsed: FileParse) -> list[tuple]:
    return [(d.kind, d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions]


def _calls(parsed: FileParse) -> list[tuple]:
    return [(c.callee, c.receiver, c.scope, c.line, c.is_new) for c in parsed.calls]


def _flags(definition: Definition) -> tuple[bool, bool, bool]:
    return definition.is_async, definition.is_static, definition.is_property


def test_definitions_are_exact():
    parsed = _parse(ESM)
    assert _definitions(parsed) == [
        ("Variable", "PORT", (), 10, 10),
        ("Variable", "counter", (), 11, 11),
        ("Variable", "registry", (), 12, 12),
        ("Variable", "debug", (), 12, 12),
        ("Function", "add", (), 18, 20),
        ("Function", "stream", (), 22, 24),
        ("Function", "handler", (), 26, 28),
        ("Function", "legacy", (), 30, 35),
        ("Function", "inner", ("legacy",), 31, 33),
        ("Class", "Route", (), 38, 65),
        ("Variable", "registry", ("Route",), 39, 39),
        ("Variable", "count", ("Route",), 40, 40),
        ("Method", "constructor", ("Route",), 42, 46),
        ("Method", "label", ("Route",), 47, 49),
        ("Method", "label", ("Route",), 50, 52),
        ("Method", "create", ("Route",), 53, 55),
        ("Method", "onClick", ("Route",), 56, 58),
        ("Method", "#init", ("Route",), 59, 63),
        ("Function", "cb", ("Route", "#init"), 61, 61),
        ("Method", "tracked", ("Route",), 64, 64),
        ("Class", "Mixed", (), 67, 67),
        ("Variable", "api", (), 69, 75),
        ("Function", "get", ("api",), 70, 72),
        ("Function", "post", ("api",), 73, 73),
        ("Class", "Server", (), 77, 77),
    ]
    assert parsed.docstring == "Router module.\nRoutes requests."
    assert (parsed.language, parsed.line_count, parsed.parse_errors) == ("javascript", 91, 0)


def test_definition_details():
    definitions = _parse(ESM).definitions
    details = {
        (d.name, d.start_line): (d.signature, d.docstring, d.bases, d.decorators, *_flags(d))
        for d in definitions
        if d.kind != "Variable"
    }
    assert details == {
        ("add", 18): ("function add(a, b)", "Adds two numbers.\n@param {number} a", (), (), False, False, False),
        ("stream", 22): ("async function* stream(items)", "", (), (), True, False, False),
        ("handler", 26): ("const handler = async (req, res) =>", "", (), (), True, False, False),
        ("legacy", 30): ("const legacy = function (x)", "", (), (), False, False, False),
        ("inner", 31): ("function inner()", "", (), (), False, False, False),
        ("Route", 38): ("class Route extends path.Base", "A base router.", ("path.Base",), (), False, False, False),
        ("constructor", 42): ("constructor(name)", "Creates a route.", (), (), False, False, False),
        ("label", 47): ("get label()", "", (), (), False, False, True),
        ("label", 50): ("set label(value)", "", (), (), False, False, True),
        ("create", 53): ("static async create(name)", "", (), (), True, True, False),
        ("onClick", 56): ("onClick = (event) =>", "", (), (), False, False, False),
        ("#init", 59): ("#init()", "", (), (), False, False, False),
        ("cb", 61): ("const cb = () =>", "", (), (), False, False, False),
        ("tracked", 64): ("tracked()", "", (), ("observable()",), False, False, False),
        ("Mixed", 67): ("const Mixed = class extends Route", "", ("Route",), (), False, False, False),
        ("get", 70): ("get(url)", "", (), (), False, False, False),
        ("post", 73): ("post: async (url, body) =>", "", (), (), True, False, False),
        ("Server", 77): ("class Server", "", (), (), False, False, False),
    }
    port = next(d for d in definitions if d.name == "PORT")
    assert (port.signature, port.docstring) == ("", "Default port.")


def test_imports_are_exact():
    assert _parse(ESM).imports == [
        ImportBinding("default", "express", "default", "express", 5),
        ImportBinding("symbol", "express", "Router", "Router", 5),
        ImportBinding("symbol", "express", "json", "parseJson", 5),
        ImportBinding("namespace", "node:path", "", "path", 6),
        ImportBinding("side-effect", "./polyfill.js", "", "", 7),
        ImportBinding("reexport", "./all.js", "*", "", 79),
        ImportBinding("reexport", "./utils.js", "*", "utils", 80),
        ImportBinding("reexport", "./foo.js", "default", "Foo", 81),
        ImportBinding("reexport", "./foo.js", "bar", "baz", 81),
        ImportBinding("side-effect", "./lazy.js", "", "", 91),
    ]


def test_exports_are_exact():
    assert _parse(ESM).exports == [
        ExportBinding("PORT", "PORT", 10),
        ExportBinding("add", "add", 18),
        ExportBinding("stream", "stream", 22),
        ExportBinding("handler", "handler", 26),
        ExportBinding("Route", "Route", 38),
        ExportBinding("api", "api", 69),
        ExportBinding("default", "Server", 77),
        ExportBinding("sum", "add", 78),
        ExportBinding("legacy", "legacy", 78),
    ]


def test_call_sites_are_exact():
    assert _calls(_parse(ESM)) == [
        ("Map", None, (), 12, True),
        ("helper", None, ("add",), 19, False),
        ("fetchItem", None, ("stream",), 23, False),
        ("send", "res", ("handler",), 27, False),
        ("format", None, ("handler",), 27, False),
        ("z", "x.y", ("legacy", "inner"), 32, False),
        ("inner", None, ("legacy",), 34, False),
        ("Map", None, ("Route",), 39, True),  # a class field initialiser runs in the class scope
        ("constructor", "super", ("Route", "constructor"), 43, False),
        ("#init", "this", ("Route", "constructor"), 45, False),
        ("toUpperCase", "this.name", ("Route", "label"), 48, False),
        ("Route", None, ("Route", "create"), 54, True),
        ("handle", "this", ("Route", "onClick"), 57, False),
        ("init", "super", ("Route", "#init"), 60, False),
        ("log", None, ("Route", "#init", "cb"), 61, False),
        ("cb", None, ("Route", "#init"), 62, False),
        ("observable", None, ("Route",), 64, False),
        ("request", None, ("api", "get"), 71, False),
        ("request", None, ("api", "post"), 73, False),
        ("b", "a", (), 83, False),
        ("bar", "<expr>call:foo", (), 84, False),  # on what `foo()` gives
        ("foo", None, (), 84, False),
        ("m", "<expr>", (), 85, False),
        # `arr[0]()` and `(a || b)()` call no name; of `f()()` only the inner call names one
        ("f", None, (), 87, False),
        ("Widget", "ns", (), 89, True),
        ("Local", None, (), 90, True),
    ]


def test_commonjs_requires_and_exports():
    parsed = _parse(COMMONJS, "lib/loader.cjs")
    assert _definitions(parsed) == [
        ("Variable", "debug", (), 6, 6),
        ("Function", "load", (), 9, 12),
        ("Function", "save", (), 15, 17),
        ("Function", "write", (), 20, 20),
        ("Function", "module.exports", (), 22, 22),  # a name no bare call can reach
    ]
    save = parsed.definitions[2]
    assert (save.signature, save.docstring) == ("exports.save = function save(data)", "Saves.")
    assert parsed.imports == [
        ImportBinding("namespace", "fs", "", "fs", 3),
        ImportBinding("symbol", "path", "join", "join", 4),
        ImportBinding("symbol", "path", "resolve", "resolvePath", 4),
        ImportBinding("symbol", "events", "EventEmitter", "EventEmitter", 5),
        ImportBinding("side-effect", "debug", "", "", 6),
        ImportBinding("side-effect", "dotenv/config", "", "", 7),
        ImportBinding("namespace", "js-yaml", "", "yaml", 10, ("load",)),
    ]
    assert parsed.exports == [
        ExportBinding("save", "save", 15, commonjs=True),
        ExportBinding("load", "load", 18, commonjs=True),
        ExportBinding("VERSION", "", 19, commonjs=True),
        ExportBinding("load", "load", 20, commonjs=True),
        ExportBinding("read", "load", 20, commonjs=True),
        ExportBinding("write", "write", 20, commonjs=True),
        ExportBinding("retries", "", 20, commonjs=True),
        ExportBinding("default", "load", 21, commonjs=True),
        ExportBinding("default", "module.exports", 22, commonjs=True),
    ]
    assert parsed.calls == [
        CallSite("load", "yaml", ("load",), 11),
        CallSite("readFileSync", "fs", ("load",), 11),
        CallSite("join", None, ("load",), 11),
        CallSite("writeFileSync", "fs", ("save",), 16),
        CallSite("resolvePath", None, ("save",), 16),
        CallSite("debug", None, ("write",), 20),
    ]
    assert (parsed.docstring, parsed.parse_errors) == ("", 0)


def test_default_exports_and_doc_comments_need_adjacency():
    source = b"""\
#!/usr/bin/env node
/** Tool entry point. */

/** Detached section comment. */

function main() {}
/** Runs. */
export default function run() {}
export default () => {};
export { main as default };
export default main;
"""
    parsed = _parse(source)
    assert parsed.docstring == "Tool entry point."
    # an unnamed default export is defined as `default`, so that a default import's calls reach it
    assert [(d.name, d.docstring) for d in parsed.definitions] == [("main", ""), ("run", "Runs."), ("default", "")]
    assert parsed.exports == [
        ExportBinding("default", "run", 8),
        ExportBinding("default", "default", 9),
        ExportBinding("default", "main", 10),
        ExportBinding("default", "main", 11),
    ]


def test_only_module_level_single_names_are_variables():
    source = b"""\
const { host, port } = config;
const [first] = list;
function setup() {
  const local = 1;
  let step = () => local;
  return step();
}
if (ready) { var late = 2; }
"""
    parsed = _parse(source)
    assert _definitions(parsed) == [("Function", "setup", (), 3, 7), ("Function", "step", ("setup",), 5, 5)]
    assert _calls(parsed) == [("step", None, ("setup",), 6, False)]


def test_jsx_calls_and_callbacks_belong_to_the_component():
    source = b"""\
export default function Card({ item }) {
  return <li onClick={() => select(item)}>{render(item)}</li>;
}
"""
    parsed = _parse(source, "src/Card.jsx")
    assert _definitions(parsed) == [("Function", "Card", (), 1, 3), ("Function", "<anonymous1>", ("Card",), 2, 2)]
    assert parsed.exports == [ExportBinding("default", "Card", 1)]
    assert _calls(parsed) == [("select", None, ("Card", "<anonymous1>"), 2, False), ("render", None, ("Card",), 2, False)]
    assert parsed.parse_errors == 0


def test_syntax_errors_keep_what_parses():
    source = b"""\
function good() { a(); }
const x = ;
class K { m() { b(); } }
let y = [1, 2
function after() { ok(); }
"""
    parsed = _parse(source)
    assert parsed.parse_errors == 2
    assert _definitions(parsed) == [
        ("Function", "good", (), 1, 1),
        ("Variable", "x", (), 2, 2),
        ("Class", "K", (), 3, 3),
        ("Method", "m", ("K",), 3, 3),
        ("Function", "after", (), 5, 5),  # read as a function expression in the array: it keeps its own name
    ]
    assert _calls(parsed) == [
        ("a", None, ("good",), 1, False),
        ("b", None, ("K", "m"), 3, False),
        ("ok", None, ("after",), 5, False),
    ]


def test_invalid_utf8_and_junk_never_raise():
    parsed = _parse(b'// caf\xe9\nfunction ok() { call("\xff\xfe"); }\n')
    assert _definitions(parsed) == [("Function", "ok", (), 2, 2)]
    assert _calls(parsed) == [("call", None, ("ok",), 2, False)]
    assert parsed.parse_errors == 0

    junk = bytes(range(256)) * 8 + b"\x00{[(`'\"/*"
    parsed = _parse(junk)
    assert (parsed.language, parsed.line_count, parsed.parse_errors) == ("javascript", 9, 1)
    assert (parsed.definitions, parsed.imports, parsed.exports, parsed.calls) == ([], [], [], [])
    for cut in range(0, len(ESM), 7):  # truncating a real file anywhere never raises
        _parse(ESM[:cut])
    assert _parse(b"") == FileParse("lib/router/index.js", "javascript", 0)


def test_module_names_and_extensions():
    extractor = EXTRACTOR
    assert extractor.module_name("lib/router/index.js", ("src",)) == "lib.router.index"
    assert extractor.module_name("app.mjs", ()) == "app"
    assert [type(extractor_for_path(p)).__name__ for p in ("a.js", "b.JSX", "c.mjs", "d.cjs")] == [
        "JavaScriptExtractor"
    ] * 4


def test_local_bindings_are_recorded_per_function():
    source = b"""const top = 1;
function f(a, b = 2, ...rest) {
  const { c, d } = a;
  let [e] = b;
  for (const k in rest) {}
  try {} catch (err) {}
  const g = (h) => h;
  [1].map(function (x) {
    return x;
  });
}
"""
    parsed = JavaScriptExtractor().extract("a.js", source)
    # (name, scope, line, region): region (0, 0) is the scope's own binding (an anonymous function's
    # parameter carries that function's lines only when the function is folded past the bounds)
    assert [(b.name, b.scope, b.line, (b.region_start, b.region_end)) for b in parsed.local_bindings] == [
        ("top", (), 1, (0, 0)), ("a", ("f",), 2, (0, 0)), ("b", ("f",), 2, (0, 0)), ("rest", ("f",), 2, (0, 0)),
        ("c", ("f",), 3, (0, 0)), ("d", ("f",), 3, (0, 0)), ("e", ("f",), 4, (0, 0)), ("k", ("f",), 5, (0, 0)),
        ("err", ("f",), 6, (0, 0)), ("g", ("f",), 7, (0, 0)), ("h", ("f", "g"), 7, (0, 0)),
        ("x", ("f", "<anonymous1>"), 8, (0, 0)),  # an anonymous function is a definition: its own scope
    ]


def test_functions_assigned_to_members_are_definitions_named_by_the_chain():
    source = b"""res.send = function send(body) {
  return format(body);
};
Layer.prototype.handle = (req) => req.next();
exports.kept = function () {};
module.exports.also = function () {};
"""
    parsed = JavaScriptExtractor().extract("lib/response.js", source)
    assert [(d.kind, d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions] == [
        ("Function", "res.send", (), 1, 3),
        ("Function", "Layer.handle", (), 4, 4),  # a prototype method is named like a class method
        ("Function", "kept", (), 5, 5),
        ("Function", "also", (), 6, 6),
    ]
    assert [(c.callee, c.receiver, c.scope) for c in parsed.calls] == [
        ("format", None, ("res.send",)),
        ("next", "req", ("Layer.handle",)),
    ]


def test_module_exports_values_are_commonjs_defaults():
    parsed = _parse(
        b"exports = module.exports = createApplication;\n"
        b"module.exports = class extends Base {\n  run() {}\n};\n"
        b"exports.helper = helper;\n"
    )
    assert parsed.exports == [
        ExportBinding("default", "createApplication", 1, commonjs=True),
        ExportBinding("default", "module.exports", 2, commonjs=True),
        ExportBinding("helper", "helper", 5, commonjs=True),
    ]
    assert [(d.kind, d.name, d.scope, d.bases) for d in parsed.definitions] == [
        ("Class", "module.exports", (), ("Base",)), ("Method", "run", ("module.exports",), ()),
    ]


# --- hostile input: deep nesting, long names ---------------------------------------------------------


def test_five_thousand_nested_calls_each_get_their_scope():
    depth = 5000
    parsed = _parse(b"function outer() {\n  x = " + b"f(" * depth + b"y" + b")" * depth + b";\n}\n")
    assert parsed.calls == [CallSite("f", None, ("outer",), 2)] * depth
    assert parsed.warnings == []


def _nested_functions(depth: int) -> bytes:
    """`function f0() {` / `c0();` / `function f1() {` ... `}`: one call at the top of each level."""
    return ("".join(f"function f{i}() {{\nc{i}();\n" for i in range(depth)) + "}\n" * depth).encode()


def test_three_thousand_nested_functions_are_folded_at_the_limit_with_a_warning():
    from codekg.languages.base import MAX_NESTING_DEPTH

    depth = 3000
    parsed = _parse(_nested_functions(depth))
    names = tuple(f"f{i}" for i in range(MAX_NESTING_DEPTH))
    assert [(d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions] == [
        (f"f{i}", names[:i], 2 * i + 1, 3 * depth - i) for i in range(MAX_NESTING_DEPTH)
    ]
    assert parsed.calls == [
        CallSite(f"c{i}", None, names[: i + 1] if i < MAX_NESTING_DEPTH else names, 2 * i + 2) for i in range(depth)
    ]
    assert parsed.warnings == [
        f"nesting deeper than {MAX_NESTING_DEPTH} definitions: {depth - MAX_NESTING_DEPTH} definition(s) from line "
        f"{2 * MAX_NESTING_DEPTH + 1} on folded into f{MAX_NESTING_DEPTH - 1} (line {2 * MAX_NESTING_DEPTH - 1}), "
        "which takes their calls"
    ]
    assert all(len(binding.scope) <= MAX_NESTING_DEPTH for binding in parsed.local_bindings + parsed.imports)


def test_scope_paths_stay_bounded_in_characters():
    from codekg.languages.base import MAX_SCOPE_PATH_CHARS

    member = ".".join(["a"] * MAX_SCOPE_PATH_CHARS)
    parsed = _parse(f"function outer() {{\n  {member} = function () {{\n    g();\n  }};\n  h();\n}}\n".encode())
    assert [(d.name, d.scope) for d in parsed.definitions] == [("outer", ())]
    assert parsed.calls == [CallSite("g", None, ("outer",), 3), CallSite("h", None, ("outer",), 5)]
    assert parsed.warnings == [
        f"scope path longer than {MAX_SCOPE_PATH_CHARS} characters: 1 definition(s) from line 2 on folded into outer "
        "(line 1), which takes their calls"
    ]


def test_deeply_nested_arrows_and_this_calls_complete():
    """Each arrow function is a definition binding its parameter, up to the nesting bound; `this`
    inside them stays a method's instance."""
    from codekg.languages.base import MAX_NESTING_DEPTH

    depth = 3000
    body = "x => " * depth + "this.m()"
    parsed = _parse(f"class C {{\n  run() {{\n    return {body};\n  }}\n}}\n".encode())
    arrows = MAX_NESTING_DEPTH - 2  # C and run hold the first two levels
    deepest = ("C", "run") + ("<anonymous1>",) * arrows
    assert parsed.calls == [CallSite("m", "this", deepest, 3)]
    assert [(b.name, b.scope, b.line, b.region_start, b.region_end) for b in parsed.local_bindings] == [
        ("x", ("C", "run") + ("<anonymous1>",) * level, 3, 0, 0) for level in range(1, arrows + 1)
    ] + [("x", deepest, 3, 3, 3)]  # the folded arrows' parameters: one binding per (scope, name, region)
    assert parsed.warnings == [
        f"nesting deeper than {MAX_NESTING_DEPTH} definitions: {depth - arrows} definition(s) from line 3 on folded "
        "into <anonymous1> (line 3), which takes their calls"
    ]
    this_call = [fact for fact in parsed.flow if fact.kind == "call"]
    assert [(fact.scope, fact.value) for fact in this_call] == [(deepest, ("attr", ("name", "<this>"), "m"))]


def test_syntax_errors_are_warned_of_with_their_lines():
    parsed = JavaScriptExtractor().extract("m.js", b"function a() { return 1 }\nfunction b( {\n  return 2\n}\nfunction c() { return a() }\n")
    assert [d.name for d in parsed.definitions] == ["a", "c"]
    assert (parsed.parse_errors, parsed.warnings) == (
        1, ["syntax errors at lines 2-5: definitions there, or after them, may be missing from the index"])


def test_a_default_exported_object_literal_is_a_variable_named_default():
    """`export default { forEach, first() {} }` (axios's utils): the object is the module's default
    value, so a default import reaches its members. `default` cannot name anything else in JavaScript;
    its members stay where they were (`utils.first`)."""
    parsed = _parse(b"function forEach() {}\nexport default {\n  forEach,\n  first(list) {},\n};\n")
    assert [(d.kind, d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions] == [
        ("Function", "forEach", (), 1, 1), ("Variable", "default", (), 2, 5), ("Function", "first", (), 4, 4)]
    assert parsed.exports == [ExportBinding("default", "default", 2)]
