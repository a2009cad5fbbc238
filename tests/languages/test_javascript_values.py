"""languages/javascript_values.py on real tree-sitter parses: every binding of a name the default
resolver may follow, in the scope it belongs to, and none of a name it must not trust."""

from __future__ import annotations

from codekg.languages.javascript import JavaScriptExtractor
from codekg.languages.typescript import TypeScriptExtractor

SAMPLE = b"""\
import { Engine } from './engine';

class Car {
  wheels = new Wheels();
  static count = 0;

  constructor(name) {
    this.engine = new Engine(name);
    this.name = name;
  }

  start() {
    const go = () => { this.engine = makeEngine(); };
    return this.engine.start();
  }
}

function makeEngine() {
  return new Engine('x');
}

const build = () => new Car('a');

async function load() {
  let car = await fetchCar();
  car = null;
  return car;
}

function* items() {
  yield 1;
  return new Car('b');
}

function outer() {
  let shared = new Car('c');
  function inner(x) {
    shared = other();
    x = new Engine();
  }
  return shared;
}
"""


def _values(parsed) -> list[tuple]:
    return [(v.target, v.scope, v.line, v.kind, v.source) for v in parsed.values]


def test_declarations_assignments_instance_attributes_and_returns():
    assert _values(JavaScriptExtractor().extract("sample.js", SAMPLE)) == [
        ("wheels", ("Car",), 4, "call", "Wheels"),  # an instance field: the class body's binding
        ("this.engine", ("Car", "constructor"), 8, "call", "Engine"),
        ("this.name", ("Car", "constructor"), 9, "alias", "name"),
        ("<return>", ("Car", "start"), 14, "call", "this.engine.start"),
        ("this.engine", ("Car", "start"), 13, "call", "makeEngine"),  # an arrow function keeps the method's `this`
        ("<return>", ("build",), 22, "call", "Car"),  # an arrow function's expression body
        ("<return>", ("load",), 27, "alias", "car"),
        ("car", ("load",), 25, "await", "fetchCar"),
        ("car", ("load",), 26, "none", ""),
        ("<return>", ("makeEngine",), 19, "call", "Engine"),
        ("<return>", ("outer",), 41, "alias", "shared"),
        ("shared", ("outer",), 36, "call", "Car"),
        ("shared", ("outer",), 38, "call", "other"),  # assigned in a nested function: still outer's binding
        ("x", ("outer", "inner"), 37, "other", ""),  # the parameter, then its assignment
        ("x", ("outer", "inner"), 39, "call", "Engine"),
    ]  # `static count`, the generator's return and the names bound only to unknown values: none


def test_typescript_annotations_are_declared_types():
    parsed = TypeScriptExtractor().extract("a.ts", (
        b"function run(engine: Engine, spare) {\n  const cache: Cache = make();\n  let plain;\n  return engine;\n}\n"))
    assert _values(parsed) == [
        ("<return>", ("run",), 4, "alias", "engine"),
        ("cache", ("run",), 2, "type", "Cache"),  # the annotation, not what make() returns
        ("engine", ("run",), 1, "type", "Engine"),
    ]


def test_a_destructuring_assignment_makes_each_name_it_assigns_unknown():
    parsed = JavaScriptExtractor().extract("a.js", (
        b"function f(o) {\n  let e = new Engine();\n  [e] = [o];\n  e.start();\n}\n"
        b"function g(o) {\n  let e = new Engine();\n  ({ a: e } = o);\n  e.start();\n}\n"))
    assert {(v.target, v.scope, v.line, v.kind) for v in parsed.values} == {
        ("e", ("f",), 2, "call"), ("e", ("f",), 3, "other"), ("e", ("g",), 7, "call"), ("e", ("g",), 8, "other")}
