"""The TypeScript extractor on real tree-sitter parses: the JavaScript rules plus interfaces, abstract
classes, `implements`, type-only imports, `import x = require()`, `export =` and TSX."""

from codekg.languages import extractor_for_path
from codekg.languages.typescript import TypeScriptExtractor
from codekg.records import ExportBinding, FileParse, ImportBinding

SHAPES = b"""\
import type { Config } from './config';
import { type Logger, createLogger } from './log';
import fs = require('fs');
import Default, * as all from './all';

/** Something with an area. */
export interface Shape extends Base, geo.Named<number> {
  area(): number;
}
interface Empty {}
type Alias = string | number;
enum Color { Red, Green }
export type { Config };
export type { Point } from './point';

/**
 * A widget.
 */
@Component({ selector: 'app-widget' })
export abstract class Widget<T> extends ui.Base<T> implements Shape, Serializable<T> {
  private readonly logger: Logger = createLogger('widget');
  static instances = 0;
  /** Renders. */
  abstract render(target: Element): void;
  @Input() @Log
  public static async load(id: string): Promise<Widget<T>> {
    await this.cache!.get(id);
    return new WidgetImpl(id);
  }
  protected handler = (e: Event): void => {
    this.emit(e);
  };
  area(): number;
  area(scale?: number): number {
    return compute<number>(scale) * super.area();
  }
}

function format(value: unknown): string;
function format(value: any) {
  return String(value);
}

export const parse = <T,>(raw: string): T => JSON.parse(raw) as T;
export default interface Props { name: string }
export = Widget;
"""

APP = b"""\
import React, { useState } from 'react';

export function App({ title }: { title: string }) {
  const [count, setCount] = useState(0);
  const onClick = () => setCount(count + 1);
  return (
    <div onClick={onClick}>
      {format(title)}
      <Child label="x" />
    </div>
  );
}
"""

EXTRACTOR = TypeScriptExtractor()  # one instance, so its compiled queries are reused across tests


def _parse(source: bytes, path: str = "src/shapes.ts") -> FileParse:
    return EXTRACTOR.extract(path, source)


def _definitions(parsed: FileParse) -> list[tuple]:
    return [(d.kind, d.name, d.scope, d.start_line, d.end_line) for d in parsed.definitions]


def _calls(parsed: FileParse) -> list[tuple]:
    return [(c.callee, c.receiver, c.scope, c.line, c.is_new) for c in parsed.calls]


def test_definitions_are_exact():
    parsed = _parse(SHAPES)
    # a type alias is a Type, an enum an Enum with its members as Variables; overload signatures and
    # interface members are not definitions
    assert _definitions(parsed) == [
        ("Interface", "Shape", (), 7, 9),
        ("Interface", "Empty", (), 10, 10),
        ("Type", "Alias", (), 11, 11),
        ("Enum", "Color", (), 12, 12),
        ("Variable", "Red", ("Color",), 12, 12),
        ("Variable", "Green", ("Color",), 12, 12),
        ("Class", "Widget", (), 19, 37),
        ("Variable", "logger", ("Widget",), 21, 21),
        ("Variable", "instances", ("Widget",), 22, 22),
        ("Method", "render", ("Widget",), 24, 24),
        ("Method", "load", ("Widget",), 25, 29),
        ("Method", "handler", ("Widget",), 30, 32),
        ("Method", "area", ("Widget",), 34, 36),
        ("Function", "format", (), 40, 42),
        ("Function", "parse", (), 44, 44),
        ("Interface", "Props", (), 45, 45),
    ]
    assert (parsed.language, parsed.line_count, parsed.parse_errors, parsed.docstring) == ("typescript", 46, 0, "")


def test_definition_details():
    by_name = {d.name: d for d in _parse(SHAPES).definitions}
    shape, widget = by_name["Shape"], by_name["Widget"]
    assert (shape.bases, shape.signature, shape.docstring) == (
        ("Base", "geo.Named"),
        "interface Shape extends Base, geo.Named<number>",
        "Something with an area.",
    )
    assert (widget.bases, widget.implements, widget.decorators, widget.docstring) == (
        ("ui.Base",),
        ("Shape", "Serializable"),
        ("Component({ selector: 'app-widget' })",),
        "A widget.",
    )
    assert widget.signature == "abstract class Widget<T> extends ui.Base<T> implements Shape, Serializable<T>"
    assert (by_name["render"].signature, by_name["render"].docstring) == (
        "abstract render(target: Element): void",
        "Renders.",
    )
    load = by_name["load"]
    assert (load.signature, load.decorators, load.is_async, load.is_static) == (
        "public static async load(id: string): Promise<Widget<T>>",
        ("Input()", "Log"),
        True,
        True,
    )
    assert by_name["handler"].signature == "protected handler = (e: Event): void =>"
    assert by_name["area"].signature == "area(scale?: number): number"
    assert by_name["format"].signature == "function format(value: any)"
    assert by_name["parse"].signature == "const parse = <T,>(raw: string): T =>"


def test_imports_are_exact():
    assert _parse(SHAPES).imports == [
        ImportBinding("symbol", "./config", "Config", "Config", 1, is_type_only=True),
        ImportBinding("symbol", "./log", "Logger", "Logger", 2, is_type_only=True),
        ImportBinding("symbol", "./log", "createLogger", "createLogger", 2),
        ImportBinding("namespace", "fs", "", "fs", 3),
        ImportBinding("default", "./all", "default", "Default", 4),
        ImportBinding("namespace", "./all", "", "all", 4),
        ImportBinding("reexport", "./point", "Point", "Point", 14, is_type_only=True),
    ]


def test_exports_are_exact():
    assert _parse(SHAPES).exports == [
        ExportBinding("Shape", "Shape", 7),
        ExportBinding("Config", "Config", 13),
        ExportBinding("Widget", "Widget", 19),
        ExportBinding("parse", "parse", 44),
        ExportBinding("default", "Props", 45),
        ExportBinding("default", "Widget", 46, commonjs=True),  # `export =`: the module's whole value
    ]


def test_call_sites_are_exact():
    assert _calls(_parse(SHAPES)) == [
        ("Component", None, (), 19, False),
        ("createLogger", None, ("Widget",), 21, False),
        ("Input", None, ("Widget",), 25, False),
        ("get", "this.cache", ("Widget", "load"), 27, False),  # `!` does not hide the receiver
        ("WidgetImpl", None, ("Widget", "load"), 28, True),
        ("emit", "this", ("Widget", "handler"), 31, False),
        ("compute", None, ("Widget", "area"), 35, False),
        ("area", "super", ("Widget", "area"), 35, False),
        ("String", None, ("format",), 41, False),
        ("parse", "JSON", ("parse",), 44, False),
    ]


def test_tsx_uses_the_tsx_grammar():
    parsed = _parse(APP, "src/App.tsx")
    assert parsed.parse_errors == 0
    assert _definitions(parsed) == [("Function", "App", (), 3, 12), ("Function", "onClick", ("App",), 5, 5)]
    assert parsed.imports == [
        ImportBinding("default", "react", "default", "React", 1),
        ImportBinding("symbol", "react", "useState", "useState", 1),
    ]
    assert parsed.exports == [ExportBinding("App", "App", 3)]
    assert _calls(parsed) == [
        ("useState", None, ("App",), 4, False),
        ("setCount", None, ("App", "onClick"), 5, False),
        ("format", None, ("App",), 8, False),
    ]
    assert _parse(APP, "src/App.ts").parse_errors == 2  # JSX is not TypeScript


def test_syntax_errors_keep_what_parses():
    source = b"""\
export class A {
  m(): void { this.n(; }
  n() { go(); }
}
interface I { x: number
function later(): void { run(); }
"""
    parsed = _parse(source)
    assert parsed.parse_errors == 3
    assert _definitions(parsed) == [
        ("Class", "A", (), 1, 4),
        ("Method", "m", ("A",), 2, 2),
        ("Method", "n", ("A",), 3, 3),
        ("Interface", "I", (), 5, 6),
    ]
    assert _calls(parsed) == [
        ("n", "this", ("A", "m"), 2, False),
        ("go", None, ("A", "n"), 3, False),
        ("run", None, (), 6, False),  # `later` fell into the unclosed interface; its call survived
    ]


def test_invalid_utf8_and_junk_never_raise():
    parsed = _parse(b"const s: string = '\xff\xfe';\nexport function ok(): void { call(s); }\n")
    assert _definitions(parsed) == [("Variable", "s", (), 1, 1), ("Function", "ok", (), 2, 2)]
    assert (parsed.parse_errors, parsed.exports) == (0, [ExportBinding("ok", "ok", 2)])
    junk = bytes(range(256)) * 8
    for path in ("junk.ts", "junk.tsx"):
        parsed = _parse(junk, path)
        assert (parsed.line_count, parsed.definitions, parsed.calls) == (9, [], [])
    for cut in range(0, len(SHAPES), 7):  # truncating a real file anywhere never raises
        _parse(SHAPES[:cut])


def test_module_names_and_extensions():
    assert EXTRACTOR.module_name("src/app/main.ts", ("src",)) == "src.app.main"
    assert [type(extractor_for_path(p)).__name__ for p in ("a.ts", "b.tsx", "c.mts", "d.cts")] == [
        "TypeScriptExtractor"
    ] * 4


def test_typed_parameters_are_local_bindings():
    parsed = TypeScriptExtractor().extract("a.ts", b"function f(a: number, b?: string, c = 1) { const d = a; }\n")
    assert [(b.name, b.scope) for b in parsed.local_bindings] == [("a", ("f",)), ("b", ("f",)), ("c", ("f",)), ("d", ("f",))]


def test_parameter_variable_and_field_annotations_are_recorded_as_dotted_type_names():
    parsed = TypeScriptExtractor().extract("a.ts", (
        b"function f(s: Service, t?: ns.Repo<User>, u: A | B, v: Item[], w) { const x: Cache = make(); }\n"
        b"class K {\n  private store: Store;\n  count = 0;\n"
        b"  constructor(private readonly api: Api, @Inject(T) protected t: ns.T, plain: Plain, public n = 1) {}\n}\n"
    ))
    assert [(b.name, b.scope, b.annotation) for b in parsed.local_bindings] == [
        ("s", ("f",), "Service"), ("t", ("f",), "ns.Repo"), ("u", ("f",), ""), ("v", ("f",), ""), ("w", ("f",), ""),
        ("x", ("f",), "Cache"),
        ("api", ("K", "constructor"), "Api"), ("t", ("K", "constructor"), "ns.T"),
        ("plain", ("K", "constructor"), "Plain"), ("n", ("K", "constructor"), ""),
    ]
    # class fields and constructor parameter properties (`private`, `readonly`, …) are Variables of the
    # class; parameter properties are placed at the top of the class body, so they come first
    assert [(d.kind, d.name, d.scope, d.start_line, d.annotation) for d in parsed.definitions] == [
        ("Function", "f", (), 1, ""),
        ("Class", "K", (), 2, ""),
        ("Variable", "api", ("K",), 5, "Api"),
        ("Variable", "t", ("K",), 5, "ns.T"),
        ("Variable", "n", ("K",), 5, ""),
        ("Variable", "store", ("K",), 3, "Store"),
        ("Variable", "count", ("K",), 4, ""),
        ("Method", "constructor", ("K",), 5, ""),
    ]


def test_type_only_imports_and_commonjs_export_assignment():
    parsed = TypeScriptExtractor().extract("a.ts", (
        b"import type { A } from './a';\nimport { type B, C } from './b';\nimport type * as N from './n';\n"
        b"import type D from './d';\nexport type { E } from './e';\nexport = C;\n"
    ))
    assert parsed.imports == [
        ImportBinding("symbol", "./a", "A", "A", 1, is_type_only=True),
        ImportBinding("symbol", "./b", "B", "B", 2, is_type_only=True),
        ImportBinding("symbol", "./b", "C", "C", 2),
        ImportBinding("namespace", "./n", "", "N", 3, is_type_only=True),
        ImportBinding("default", "./d", "default", "D", 4, is_type_only=True),
        ImportBinding("reexport", "./e", "E", "E", 5, is_type_only=True),
    ]
    assert parsed.exports == [ExportBinding("default", "C", 6, commonjs=True)]


DECLARATIONS = b"""\
export declare class Client {
    constructor(options?: Options);
    request(url: string): Promise<Response>;
    request(url: string, init: Init): Promise<Response>;
    get name(): string;
    set name(value: string);
    static create(): Client;
    private secret;
}
export declare function connect(url: string): Client;
declare function retry(times: number): void;
declare function retry(times: number, delay: number): void;
export interface Options { timeout?: number; retry(count: number): boolean; }
"""


def test_a_declaration_file_defines_its_bodiless_functions_and_methods_once_each():
    """A .d.ts (or `declare`) states functions and class members without bodies; each is a definition,
    and several signatures of one name (overloads, a getter and its setter) are one: the first."""
    parsed = TypeScriptExtractor().extract("types/index.d.ts", DECLARATIONS)
    assert [(d.kind, d.name, d.scope, d.start_line, d.signature) for d in parsed.definitions] == [
        ("Class", "Client", (), 1, "class Client"),
        ("Method", "constructor", ("Client",), 2, "constructor(options?: Options)"),
        ("Method", "request", ("Client",), 3, "request(url: string): Promise<Response>"),
        ("Method", "name", ("Client",), 5, "get name(): string"),
        ("Method", "create", ("Client",), 7, "static create(): Client"),
        ("Variable", "secret", ("Client",), 8, ""),
        ("Function", "connect", (), 10, "function connect(url: string): Client"),
        ("Function", "retry", (), 11, "function retry(times: number): void"),
        ("Interface", "Options", (), 13, "interface Options"),
    ]


def test_overload_signatures_are_not_definitions_beside_their_implementation():
    parsed = TypeScriptExtractor().extract("a.ts", (
        b"export function parse(x: string): number;\nexport function parse(x: number): number;\n"
        b"export function parse(x: any): number { return 0; }\n"
        b"class P {\n  at(i: number): string;\n  at(i: any) { return ''; }\n}\n"
    ))
    assert [(d.kind, d.name, d.start_line) for d in parsed.definitions] == [
        ("Function", "parse", 3), ("Class", "P", 4), ("Method", "at", 6),
    ]
