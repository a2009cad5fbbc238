"""Call resolution on small real trees: the three stages, ambiguity, and names that must not link."""

from __future__ import annotations

from pathlib import Path

from codekg.passes.parse import parse_files
from codekg.passes.resolve import call_outcomes_by_language, resolve_references
from codekg.passes.scan import scan_repository
from codekg.passes.structure import build_structure
from codekg.resolve.tsconfig import load_project_configs
from codekg.settings import load_settings


def resolve_tree(root: Path, files: dict[str, str], ambiguity_limit: int = 3, value_flow: bool = True) -> tuple[set, set, dict]:
    """Write ``files`` under ``root`` and resolve them: (CALLS, IMPORTS, call-site outcomes). The CALLS
    are those of code: a Decorator's (tests/passes/test_structure.py) repeat the code applying it.
    ``value_flow`` false: the rules alone, as an index with the setting's default resolves."""
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    settings = load_settings(root, use_git_ls_files=False)
    scan = scan_repository(root, settings)
    configs, _ = load_project_configs(scan.root, scan.project_configs, settings.max_file_size)
    parsed = parse_files(scan.root, scan.files, flow=value_flow)
    structure = build_structure(scan.root, parsed.parses, settings)
    resolved = resolve_references(structure.symbols, ambiguity_limit, project_configs=configs, value_flow=value_flow)
    calls, imports = set(), set()
    for resolution in resolved.values():
        for (rel_type, source, _), rows in resolution.graph.edges.items():
            if rel_type == "CALLS" and source != "Decorator":
                calls |= {(r["from"].split(":")[-1], r["to"].split(":")[-1], r["reason"], r["confidence"]) for r in rows}
            elif rel_type == "IMPORTS":
                imports |= {(r["from"].split(":", 1)[1], r["to"], tuple(r["names"])) for r in rows}
    languages = {path: structure.symbols.files[path].parse.language for path in resolved}
    return calls, imports, call_outcomes_by_language(languages, {p: r.call_outcomes for p, r in resolved.items()})


def call_edges(root: Path, files: dict[str, str], ambiguity_limit: int = 3, value_flow: bool = True) -> tuple[set, dict]:
    calls, _, outcomes = resolve_tree(root, files, ambiguity_limit, value_flow)
    return calls, outcomes


def test_ambiguous_names_link_every_candidate_with_split_confidence(tmp_path):
    edges, outcomes = call_edges(tmp_path, {
        "a.js": "function run() {}\n",
        "b.js": "function run() {}\n",
        "main.js": "function go() { run(); }\n",
    })
    assert edges == {("main.go", "a.run", "ambiguous-global-name", 0.15), ("main.go", "b.run", "ambiguous-global-name", 0.15)}
    assert outcomes == {"javascript": {"ambiguous": 1}}


def test_too_many_candidates_stay_unresolved(tmp_path):
    files = {f"m{i}.js": "function run() {}\n" for i in range(4)}
    files["main.js"] = "function go() { run(); }\n"
    edges, outcomes = call_edges(tmp_path, files, ambiguity_limit=3)
    assert edges == set()
    assert outcomes == {"javascript": {"unresolved": 1}}


def test_only_classic_scripts_guess_a_name_they_do_not_bind(tmp_path):
    edges, outcomes = call_edges(tmp_path, {
        "a.py": "def helper():\n    pass\n", "b.py": "def go():\n    helper()\n",  # a NameError in Python
        "page/lib.js": "function show() {}\n", "page/main.js": "function go() { show(); }\n",  # one page's scripts
        "mod/lib.js": "export function hide() {}\n",  # a module's declarations are not global
        "mod/main.js": "import './side';\nfunction go() { show(); hide(); }\n",  # a module never guesses
    })
    assert edges == {("page.main.go", "page.lib.show", "unique-global-name", 0.3)}
    assert outcomes == {"javascript": {"resolved": 1, "unresolved": 2}, "python": {"unresolved": 1}}


def test_parameters_and_locals_shadow_global_names(tmp_path):
    edges, outcomes = call_edges(tmp_path, {
        "conftest.py": "def httpbin():\n    pass\n",
        "test_a.py": "def test_get(httpbin):\n    httpbin('get')\n\ndef test_local():\n    httpbin = make()\n    httpbin()\n",
        "app.js": "function handler() {}\nfunction route(handler) { handler(); }\n",
    })
    assert edges == set()
    assert outcomes == {"javascript": {"unresolved": 1}, "python": {"unresolved": 3}}


def test_class_body_names_are_not_visible_in_methods(tmp_path):
    edges, _ = call_edges(tmp_path, {
        "m.py": "def helper():\n    pass\n\nclass C:\n    def helper(self):\n        pass\n\n    def run(self):\n        helper()\n",
    })
    assert edges == {("m.C.run", "m.helper", "same-file", 1.0)}


def test_function_local_import_shadows_module_definition(tmp_path):
    edges, _ = call_edges(tmp_path, {
        "util.py": "def dump():\n    pass\n",
        "m.py": "def dump():\n    pass\n\ndef go():\n    from util import dump\n    dump()\n",
    })
    assert edges == {("m.go", "util.dump", "import", 1.0)}


def test_inherited_method_through_imported_base(tmp_path):
    edges, _ = call_edges(tmp_path, {
        "base.py": "class Base:\n    def save(self):\n        pass\n",
        "child.py": "from base import Base\n\nclass Child(Base):\n    def run(self):\n        self.save()\n",
    })
    assert edges == {("child.Child.run", "base.Base.save", "self-member", 0.8)}


def test_parameters_of_anonymous_functions_shadow_only_their_own_lines(tmp_path):
    edges, outcomes = call_edges(tmp_path, {
        "router.js": "function next() {}\nmodule.exports = { next };\n",
        "layer.js": (
            "Layer.prototype.handle = function handle(req, res, next) {\n  next();\n};\n"
            "app.use((err, next) => next(err));\n"
        ),
        "lib.py": "def helper():\n    pass\n",
        "use.py": "items = map(lambda helper: helper(), [])\nvalues = [helper() for helper in []]\nhelper()\n",
    })
    # `map` calls the lambda (a callback); inside it `helper` is its parameter; the module-level
    # `helper()` is a NameError. The flow adds a callee to the `map(...)` site, so its edges stand there
    assert edges == {("use", "<builtin>.map", "flow-external", 0.9), ("use", "use.<lambda1>", "flow-callback", 0.8)}
    assert outcomes == {"javascript": {"unresolved": 3}, "python": {"resolved": 1, "unresolved": 3}}


def test_require_inside_a_function_is_an_import_not_a_local(tmp_path):
    edges, _ = call_edges(tmp_path, {
        "util.js": "function helper() {}\nmodule.exports = { helper };\n",
        "main.js": "function go() {\n  const util = require('./util');\n  util.helper();\n}\n",
    })
    assert edges == {("main.go", "util.helper", "import", 1.0)}


def test_python_imports_never_resolve_to_javascript_files(tmp_path):
    calls, imports, _ = resolve_tree(tmp_path, {
        "helpers.js": "export function go() {}\nexport function onlyjs() {}\n",
        "helpers.py": "def go():\n    pass\n",
        "main.py": "import helpers\nhelpers.go()\nonlyjs()\n",
    })
    assert calls == {("main", "helpers.go", "import", 1.0)}
    assert [c for c in calls if "onlyjs" in c[1]] == []
    assert imports == {("main.py", "File:helpers.py", ())}


def test_script_folders_import_their_sibling_module(tmp_path):
    calls, imports, _ = resolve_tree(tmp_path, {
        "scripts/utils.py": "def f():\n    pass\n",
        "tools/utils.py": "def f():\n    pass\n",
        "tools/run.py": "import utils\nutils.f()\n",
    })
    assert calls == {("tools.run", "tools.utils.f", "import", 1.0)}
    assert imports == {("tools/run.py", "File:tools/utils.py", ())}


def test_global_guesses_stay_within_a_language_family(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "pydefs.py": "def handler():\n    pass\n",
        "jsdefs.js": "function handler() {}\n",
        "pymain.py": "def go():\n    handler()\n",
        "tsmain.ts": "function go() { handler(); }\n",
    })
    assert calls == {("tsmain.go", "jsdefs.handler", "unique-global-name", 0.3)}  # Python never guesses


def test_names_bound_by_an_import_are_never_guessed(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "a.js": "export default function () {}\nexport function present() {}\n",
        "z.js": "function missing() {}\nfunction anon() {}\n",
        "b.js": "import { missing } from './a.js';\nimport anon from './a.js';\nimport { gone } from './nowhere';\nmissing();\nanon();\ngone();\n",
        "p.py": "import sys\nif sys:\n    thing = sys.exit\n",
        "q.py": "from p import thing\nthing()\n",
        "r.py": "def thing():\n    pass\n",
    })
    # `anon` is a.js's unnamed default function, never z.js's `anon`; the other imported names are
    # missing or external, and none is guessed
    assert calls == {("b", "a.default", "import", 1.0)}


def test_module_level_loop_and_except_variables_shadow_global_names(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "defs.py": "def handler():\n    pass\n\ndef cb():\n    pass\n",
        "main.py": "for handler in []:\n    handler()\ntry:\n    pass\nexcept Exception as cb:\n    cb()\n",
    })
    assert calls == set()


def test_the_later_star_import_wins_and_private_names_are_not_exported(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "a.py": "def f():\n    pass\n\ndef _p():\n    pass\n",
        "b.py": "def f():\n    pass\n",
        "main.py": "from a import *\nfrom b import *\nf()\n_p()\n",
    })
    assert calls == {("main", "b.f", "import", 1.0)}  # `_p()` is a NameError: a star import skips it


def test_this_inside_a_plain_function_is_not_the_instance(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "a.js": (
            "class A {\n  m() {\n    [1].forEach(function () { this.helper(); });\n"
            "    [1].forEach(() => this.helper());\n  }\n  helper() {}\n}\n"
        ),
    })
    # both callbacks are called by `forEach` (edges from `m`, which passes them); `this` in the function
    # expression is undefined (class bodies are strict), in the arrow it is the instance
    assert calls == {
        ("a.A.m", "a.A.m.<anonymous1>", "flow-callback", 0.8),
        ("a.A.m", "a.A.m.<anonymous2>", "flow-callback", 0.8),
        ("a.A.m.<anonymous2>", "a.A.helper", "self-member", 0.9),
    }


def test_relative_imports_above_the_root_stay_unresolved_and_missing_ones_are_anchored(tmp_path):
    calls, imports, _ = resolve_tree(tmp_path, {
        "other.py": "def g():\n    pass\n",
        "pkg/__init__.py": "from ._compiled import fast\n",
        "pkg/mod.py": "from ...other import g\nfrom .missing import h\nfrom . import fast\ng()\nh()\nfast()\n",
        "ns/sib.py": "def s():\n    pass\n",
        "ns/user.py": "from . import sib\nsib.s()\n",
        "web/a.js": "import { f } from './util';\nf();\n",
    })
    # `.missing` and `._compiled` are not source files here (a compiled extension, say): they become
    # External modules named from their package, never "." or a guess inside the repository
    assert calls == {
        ("ns.user", "ns.sib.s", "import", 1.0),
        ("pkg.mod", "pkg.missing.h", "import-external", 1.0),
        ("pkg.mod", "pkg._compiled.fast", "import-external", 1.0),
    }
    assert imports == {
        ("ns/user.py", "File:ns/sib.py", ("sib",)),
        ("pkg/mod.py", "External:pkg.missing", ("h",)),
        ("pkg/mod.py", "File:pkg/__init__.py", ("fast",)),
        ("pkg/__init__.py", "External:pkg._compiled", ("fast",)),
    }


def test_conditional_definitions_are_each_a_candidate(tmp_path):
    calls, outcomes = call_edges(tmp_path, {
        "m.py": "import sys\nif sys:\n    def dup():\n        pass\nelse:\n    def dup():\n        pass\n\ndup()\n",
    })
    # either branch may run: both definitions are callees. The flow and the older rule agree on the two,
    # so the older rule's edges stand (split between the candidates)
    assert calls == {("m", "m.dup", "same-file", 0.5), ("m", "m.dup#2", "same-file", 0.5)}
    assert outcomes == {"python": {"ambiguous": 1}}


def test_a_def_under_if_in_a_class_body_is_a_method(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "m.py": "class Engine:\n    if True:\n        def cond(self):\n            self.run()\n\n    def run(self):\n        pass\n",
    })
    assert calls == {("m.Engine.cond", "m.Engine.run", "self-member", 0.9)}


def test_a_nested_arrow_function_is_called_not_shadowed(tmp_path):
    calls, _ = call_edges(tmp_path, {"a.js": "function helper() {\n  const inner = () => 1;\n  return inner();\n}\n"})
    assert calls == {("a.helper", "a.helper.inner", "same-scope", 1.0)}


def test_overload_stubs_and_property_setters_are_not_separate_targets(tmp_path):
    calls, outcomes = call_edges(tmp_path, {
        "m.py": (
            "from typing import overload\n\n"
            "@overload\ndef f(x: int) -> int: ...\n"
            "@overload  # a comment after the decorator\ndef f(x: str) -> str: ...\n"
            "def f(x):\n    return x\n\n"
            "class C:\n    @property\n    def v(self):\n        return 1\n\n"
            "    @v.setter\n    def v(self, value):\n        pass\n\n"
            "    def run(self):\n        self.v()\n\n"
            "f(1)\n"
        ),
    })
    # applying a decorator is a call from where the `def` runs (`@v.setter` is part of `@property`)
    assert calls == {
        ("m", "m.f#3", "same-file", 1.0), ("m.C.run", "m.C.v", "self-member", 0.9),
        ("m", "typing.overload", "import-external", 1.0), ("m.C", "<builtin>.property", "builtin", 1.0),
    }
    assert outcomes == {"python": {"resolved": 5}}


def test_twin_definitions_each_own_their_calls(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "m.py": (
            "import sys\n\ndef a():\n    pass\n\ndef b():\n    pass\n\n"
            "if sys:\n    def pick():\n        a()\nelse:\n    def pick():\n        b()\n"
        ),
    })
    assert calls == {("m.pick", "m.a", "same-file", 1.0), ("m.pick#2", "m.b", "same-file", 1.0)}


def test_type_checking_only_definitions_are_not_runtime_targets(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "m.py": (
            "from typing import TYPE_CHECKING\n\n"
            "class Base:\n    if TYPE_CHECKING:\n        def hook(self):\n            ...\n\n"
            "    def run(self):\n        pass\n\n"
            "class Child(Base):\n    def hook(self):\n        super().hook()\n        super().run()\n\n"
            "if TYPE_CHECKING:\n    def helper():\n        ...\nelse:\n    def helper():\n        pass\n\nhelper()\n"
        ),
    })
    assert calls == {
        ("m.Child.hook", "<builtin>.super", "builtin", 1.0),
        ("m.Child.hook", "m.Base.run", "super-member", 0.9),
        ("m", "m.helper#2", "same-file", 1.0),
    }


def test_defaults_annotations_and_bases_run_in_the_enclosing_scope(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "m.py": (
            "def make():\n    return 1\n\ndef mixin():\n    return object\n\n"
            "def outer():\n    def inner(x=make()) -> make():\n        pass\n\n"
            "    class Local(mixin()):\n        pass\n"
        ),
    })
    assert calls == {("m.outer", "m.make", "same-file", 1.0), ("m.outer", "m.mixin", "same-file", 1.0)}


def test_code_in_member_assigned_functions_has_its_own_caller(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "response.js": (
            "function stringify(v) { return v; }\n"
            "res.json = function json(obj) {\n  return stringify(obj);\n};\n"
            "proto.handle = function handle(req, res, next) {\n  next();\n  function next() {}\n};\n"
        ),
    })
    assert calls == {
        ("response.res.json", "response.stringify", "same-file", 1.0),
        ("response.proto.handle", "response.proto.handle.next", "same-scope", 1.0),
    }


def test_object_literal_methods_and_static_members(tmp_path):
    calls, outcomes = call_edges(tmp_path, {
        "api.js": "export const api = { get() { return 1; }, post: () => api.get() };\n",
        "use.js": (
            "import { api } from './api';\n"
            "class A { static make() {} run() {} }\n"
            "function go() { api.get(); api.post(); api.missing(); A.make(); A.run(); }\n"
        ),
    })
    assert calls == {
        ("api.api.post", "api.api.get", "same-file", 1.0),
        ("use.go", "api.api.get", "import", 1.0),
        ("use.go", "api.api.post", "import", 1.0),
        ("use.go", "use.A.make", "same-file", 0.9),
    }  # `A.run()` on the class itself: an instance method is not there in JavaScript
    assert outcomes == {"javascript": {"resolved": 4, "unresolved": 2}}


def test_constructors_and_super_calls_follow_the_extends_chain(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "base.ts": "export class B {\n  constructor() {}\n  m() {}\n}\n",
        "kids.ts": (
            "import { B } from './base';\n"
            "class C extends B {\n  m() { super.m(); }\n}\n"
            "class D extends C {\n  constructor() { super(); }\n}\n"
            "new C();\nnew D();\n"
        ),
    })
    assert calls == {
        ("kids.C.m", "base.B.m", "super-member", 0.9),
        ("kids.D.constructor", "base.B.constructor", "super-member", 0.9),  # C has none: B's runs
        ("kids", "kids.C", "same-file", 1.0), ("kids", "base.B.constructor", "constructor", 1.0),
        ("kids", "kids.D", "same-file", 1.0), ("kids", "kids.D.constructor", "constructor", 1.0),
    }


def test_class_bodies_are_callers_and_cls_dispatches_through_the_hierarchy(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "m.py": (
            "def helper():\n    return 1\n\n"
            "class Base:\n    @classmethod\n    def build(cls):\n        return cls.create()\n\n"
            "    @staticmethod\n    def create():\n        pass\n\n"
            "class Child(Base):\n    value = helper()\n"
        ),
    })
    assert calls == {
        ("m.Child", "m.helper", "same-file", 1.0),
        ("m.Base", "<builtin>.classmethod", "builtin", 1.0),
        ("m.Base", "<builtin>.staticmethod", "builtin", 1.0),
        ("m.Base.build", "m.Base.create", "self-member", 0.9),
    }


def test_decorators_are_called_where_the_def_runs_and_the_decorated_function_stays_the_target(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "deco.py": "def traced(f):\n    return f\n\ndef route(path):\n    return traced\n",
        "m.py": (
            "import functools\nfrom deco import route, traced\n\n"
            "@traced\ndef job():\n    pass\n\n"
            "@route('/')\n@functools.lru_cache\ndef page():\n    job()\n\n"
            "def outer():\n    @traced\n    def inner():\n        pass\n    inner()\n"
        ),
    })
    assert calls == {
        ("m", "deco.traced", "import", 1.0),
        ("m", "deco.route", "import", 1.0),
        ("m", "functools.lru_cache", "import-external", 1.0),
        ("m.page", "m.job", "same-file", 1.0),
        ("m.outer", "deco.traced", "import", 1.0),
        ("m.outer", "m.outer.inner", "same-scope", 1.0),
    }


def test_star_imports_bind_the_names_of_all(tmp_path):
    calls, imports, _ = resolve_tree(tmp_path, {
        "pkg/__init__.py": "from .core import *\nfrom .extra import helper\n__all__ = ['run', 'helper', '_private']\n",
        "pkg/core.py": "__all__ = ['run', '_private']\n\ndef run():\n    pass\n\ndef _private():\n    pass\n\ndef hidden():\n    pass\n",
        "pkg/extra.py": "def helper():\n    pass\n",
        "main.py": "from pkg import *\nrun()\nhelper()\n_private()\nhidden()\n",
    })
    # `hidden` is not in `__all__`: the star import does not bind it, so calling it is a NameError
    assert calls == {
        ("main", "pkg.core.run", "import", 1.0),
        ("main", "pkg.extra.helper", "import", 1.0),
        ("main", "pkg.core._private", "import", 1.0),
    }


def test_a_function_passed_to_a_callee_of_the_same_file_is_called_by_it(tmp_path):
    calls, _ = call_edges(tmp_path, {
        "main.py": (
            "from lib import run as remote\n\n"
            "def done():\n    pass\n\n"
            "def run(cb, times=1):\n    return cb()\n\n"
            "def keep(cb):\n    return cb\n\n"
            "class Bus:\n    def emit(self, handler):\n        handler()\n\n"
            "run(done)\nkeep(done)\nbus = Bus()\nbus.emit(done)\nrun(len)\nrun(lambda: 1)\nremote(done)\n"
        ),
        "lib.py": "def run(task):\n    return task()\n",
    })
    # the calls through a parameter (`cb()`, `handler()`, `task()`) have no callee by the older rules:
    # the flow's edges stand there, whoever passed the function and from which file
    assert calls == {
        ("main", "main.run", "same-file", 1.0), ("main", "main.keep", "same-file", 1.0),
        ("main", "main.Bus", "same-file", 1.0), ("main", "main.Bus.emit", "instance-type", 0.9),
        ("main", "lib.run", "import", 1.0),
        ("main.run", "main.done", "flow-argument", 0.8),  # `keep` returns its parameter, never calls it
        ("main.run", "<builtin>.len", "flow-argument", 0.8),
        ("main.run", "main.<lambda1>", "flow-argument", 0.8),
        ("main.Bus.emit", "main.done", "flow-argument", 0.8),
        ("lib.run", "main.done", "flow-argument", 0.8),  # `remote(done)`: lib.run calls it
    }


def test_a_variable_and_a_definition_of_one_name_never_make_a_variable_an_endpoint(tmp_path):
    # issue 12: ES5 classes built in an IIFE (three.js, vue) and Python's `X = None` then a conditional
    # `class X` made CALLS edges from or to a Variable, which the schema forbids, and aborted the run.
    edges, outcomes = call_edges(tmp_path, {
        "iife.js": (
            "var A = (function () { function A() { b(); } return A; }());\n"
            "var Vector = (function () {\n"
            "  function Vector(x) { this.x = x; init(); }\n"
            "  return Vector;\n"
            "}());\n"
            "function b() {}\nfunction init() {}\n"
        ),
        "cond.py": (
            "X = None\nif True:\n    class X:\n        def m(self):\n            helper()\n\n"
            "def helper():\n    pass\n\nX()\n"
        ),
    })
    # a function expression called on the spot is an anonymous definition, called by the module
    assert edges == {
        ("iife", "iife.<anonymous1>", "flow-call", 0.9),
        ("iife", "iife.<anonymous2>", "flow-call", 0.9),
        ("iife.<anonymous1>.A", "iife.b", "same-file", 1.0),
        ("iife.<anonymous2>.Vector", "iife.init", "same-file", 1.0),
        ("cond.X.m", "cond.helper", "same-file", 1.0),
        ("cond", "cond.X", "same-file", 0.5),  # X is None or the class: the Variable twin takes no edge
    }
    assert outcomes == {"javascript": {"resolved": 2}, "python": {"resolved": 2}}


ASYNC_MANAGERS = '''\
class Client:
    def __enter__(self):
        return Sync()

    async def __aenter__(self):
        return self

    async def get(self):
        return 1


class Sync:
    def get(self):
        return 2


class Pool:
    async def __aenter__(self):
        return Client()


async def fetch():
    async with Client() as client:
        await client.get()


async def pooled():
    async with Pool() as client:
        await client.get()


def blocking():
    with Client() as session:
        session.get()
'''


def test_async_with_binds_what_awaiting_aenter_gives_without_the_value_flow(tmp_path):
    """PEP 492: `async with M() as x` binds `await type(m).__aenter__(m)`, never `__enter__`'s result
    (here a different class, so the sync protocol would link the wrong `get`); the rules alone."""
    edges, _ = call_edges(tmp_path, {"main.py": ASYNC_MANAGERS}, value_flow=False)
    gets = {(caller, callee) for caller, callee, _, _ in edges if callee.endswith(".get")}
    assert gets == {("main.fetch", "main.Client.get"), ("main.pooled", "main.Client.get"), ("main.blocking", "main.Sync.get")}


ANNOTATED_ENTRY = {
    "kit/types.py": '''\
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    class ClientFactory(Protocol):
        def __call__(self, app: object) -> "Client": ...
else:
    class ClientFactory:
        pass


class Client:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def get(self, path):
        return path
''',
    "kit/test_app.py": '''\
from kit.types import Client, ClientFactory


def test_with_client(client: Client) -> None:
    with client:
        client.get("/")


def test_with_factory(client_factory: ClientFactory) -> None:
    client_factory(object())
''',
}


def test_a_parameter_no_call_reaches_holds_its_annotated_class_but_never_a_protocol(tmp_path):
    """An entry point's parameter (a test's fixture, a handler's request) that no call of the repository
    gives a value holds an instance of its annotated class, so the value flow links the protocol calls
    on it (`with client:`); one annotated with a typing.Protocol (here under TYPE_CHECKING, a plain
    class at run time, as starlette's tests do) holds nothing: calling it is no call of `__call__`."""
    edges, _ = call_edges(tmp_path, ANNOTATED_ENTRY)
    found = {(caller, callee) for caller, callee, _, _ in edges if caller.startswith("kit.test_app")}
    assert found == {("kit.test_app.test_with_client", "kit.types.Client.__enter__"),
                     ("kit.test_app.test_with_client", "kit.types.Client.__exit__"),
                     ("kit.test_app.test_with_client", "kit.types.Client.get"),
                     ("kit.test_app.test_with_factory", "<builtin>.object")}


def test_this_in_a_prototype_method_no_call_reaches_is_an_instance_of_its_constructor(tmp_path):
    """ES5 classes (eventemitter3, much of npm): `F.prototype.m = function () { this.n() }` in a library
    that only exports F. No call of the repository reaches `m`, so its `this` is read as an F, as a
    method's `self` is; a function stored on F itself (`F.helper`) gets no such `this`."""
    edges, _ = call_edges(tmp_path, {"index.js": """\
function EventEmitter() {
  this._events = {};
}

EventEmitter.prototype.removeListener = function removeListener(event) {
  delete this._events[event];
  return this;
};

EventEmitter.prototype.emit = function emit(event) {
  this.removeListener(event);
  return true;
};

EventEmitter.prefixed = function prefixed() {
  return this.emit("x");
};

module.exports = EventEmitter;
"""})
    assert {(caller, callee) for caller, callee, _, _ in edges} == {
        ("index.EventEmitter.emit", "index.EventEmitter.removeListener")}


PICKED = """\
def pick(fn, flag):
    if flag:
        return fn
    return None


def run_one(callback):
    return callback()


def a():
    return 1


def b():
    return 2


def c():
    return 3


def d():
    return 4


def e():
    return 5


def g1():
    return 6


def g2():
    return 7


def g3():
    return 8


def g4():
    return 9


def logged(fn):
    def wrapper(*args):
        return fn(*args)
    return wrapper


@logged
def h1():
    return 1


@logged
def h2():
    return 2


@logged
def h3():
    return 3


@logged
def h4():
    return 4


@logged
def h5():
    return 5


def main():
    for fn in (b, c, d, e):
        pick(fn, False)
    run_one(pick(a, True))
    run_one(g1)
    run_one(g2)
    run_one(g3)
    run_one(g4)
    h1()
"""


def test_a_call_through_a_parameter_calls_what_each_caller_passes_unless_that_argument_merges_many(tmp_path):
    """`callback()` on a parameter, and a decorator's wrapper calling `fn`, call whatever each call of
    their function passed: five callers, five edges, past the limit on one site's callees. An argument
    that itself holds more than FANOUT_LIMIT functions (`pick`'s result merges every function any call
    of `pick` was given) adds none of them: `b` to `e` were never called, and `a`, which was, is the
    price of that (a missing edge, not four wrong ones)."""
    edges, _ = call_edges(tmp_path, {"main.py": PICKED})
    found = {(caller, callee) for caller, callee, _, _ in edges if caller in ("main.run_one", "main.logged.wrapper")}
    assert found == {("main.run_one", f"main.g{n}") for n in range(1, 5)} | {
        ("main.logged.wrapper", f"main.h{n}") for n in range(1, 6)}


def test_a_javascript_utility_calls_each_callback_given_to_fn_call_even_past_the_value_bound(tmp_path):
    """axios's `utils.forEach(obj, fn)` calls `fn.call(null, value, key, obj)`; twenty callers pass
    twenty callbacks, more than the parameter's value set keeps (flow.MAX_VALUES): each is called."""
    callers = "\n".join(f"export function use{n}(h) {{ utils.forEach(h, function cb{n}(v) {{ return v; }}); }}"
                        for n in range(20))
    edges, _ = call_edges(tmp_path, {
        "utils.js": "function forEach(obj, fn) {\n  for (const key of Object.keys(obj)) {\n"
                    "    fn.call(null, obj[key], key, obj);\n  }\n}\nexport default { forEach };\n",
        "main.js": "import utils from './utils.js';\n" + callers + "\n"})
    found = {callee for caller, callee, _, _ in edges if caller == "utils.forEach" and callee.startswith("main.")}
    assert found == {f"main.use{n}.cb{n}" for n in range(20)}


FORWARDED = """\
class Comparable:
    def __lt__(self, other):
        return True


class Writer:
    def write(self, text):
        return text

    def __call__(self):
        return None


class Bar(Comparable):
    def __init__(self, iterable=None, total=None, parent=None, file=None, on_done=None):
        self.total = total
        self.parent = parent
        self.file = file
        self.on_done = on_done

    def close(self):
        self.file.write("x")
        self.on_done()

    def done(self):
        return self.total < 3

    def nested(self):
        return self.parent < self.parent


class Sub(Bar):
    def __init__(self, *args, **kwargs):
        options = kwargs.copy()
        super().__init__(*args, **options)


def finish():
    return 0


def main():
    bar = Sub([1], 5, Bar(), file=Writer(), on_done=finish)
    bar.close()
    bar.done()
    bar.nested()
"""


def test_forwarded_arguments_reach_the_parameter_of_their_own_place_and_key(tmp_path):
    """tqdm's subclasses pass `*args, **kwargs` on to `tqdm.__init__`: each value reaches the parameter
    of its place or key, so `self.total` (an int) is never the parent bar, and `on_done` never the
    writer. Every value reaching every parameter had linked `self.total < 3` to `Comparable.__lt__`
    and `self.on_done()` to `Writer.__call__`."""
    edges, _ = call_edges(tmp_path, {"main.py": FORWARDED})
    found = {(caller, callee) for caller, callee, _, _ in edges if caller.startswith("main.Bar.")}
    assert found == {("main.Bar.close", "main.Writer.write"), ("main.Bar.close", "main.finish"),
                     ("main.Bar.nested", "main.Comparable.__lt__")}


def test_this_in_a_function_stored_on_an_object_no_call_reaches_is_that_object(tmp_path):
    """express's `res.json = function () { return this.send(…) }`: the package never calls `res.json`
    (its users do, on `Object.create(res)` objects), so `this` is read as `res`, and a reply made by
    `Object.create(res)` in a file read before `res` holds anything still finds its methods."""
    edges, _ = call_edges(tmp_path, {
        "a_main.js": "const res = require('./response');\n"
                     "function handle() {\n  const reply = Object.create(res);\n  reply.json({});\n}\n",
        "response.js": "var res = Object.create(null);\nmodule.exports = res;\n"
                       "res.send = function send(body) {\n  return body;\n};\n"
                       "res.json = function json(obj) {\n  return this.send(obj);\n};\n"
                       "res.helper = function helper(list) {\n  return list.map(function each(x) { return x; });\n};\n"})
    assert {(caller, callee) for caller, callee, _, _ in edges if not callee.startswith("<builtin>")} == {
        ("a_main.handle", "response.res.json"), ("response.res.json", "response.res.send"),
        ("response.res.helper", "response.res.helper.each")}


def test_a_python_function_that_cannot_take_the_arguments_is_not_called_but_still_counts_as_merged(tmp_path):
    """`handler("event")` on a name holding `handler_a(event=None)` and `handler_b()` calls handler_a
    only (handler_b would raise TypeError); `h(event=…)` likewise. A site whose callees are past the
    limit only once the misfits are dropped stays without flow edges: its value set is merged."""
    edges, _ = call_edges(tmp_path, {"main.py": """\
def handler_a(event=None):
    return event


def handler_b():
    return None


def choose(flag):
    return handler_a if flag else handler_b


def fire_one(flag):
    return choose(flag)("event")


def fire_keyword(flag):
    return choose(flag)(event="e")


def f1():
    return 1


def f2(x):
    return x


def f3(x):
    return x


def f4(x):
    return x


def f5(x):
    return x


def pick(n):
    return [f1, f2, f3, f4, f5][n]


def merged(n):
    return pick(n)()
"""})
    found = {(caller, callee) for caller, callee, _, _ in edges
             if caller in ("main.fire_one", "main.fire_keyword", "main.merged") and callee.startswith("main.")}
    assert found == {("main.fire_one", "main.choose"), ("main.fire_one", "main.handler_a"),
                     ("main.fire_keyword", "main.choose"), ("main.fire_keyword", "main.handler_a"),
                     ("main.merged", "main.pick")}


def test_javascript_arguments_hold_what_each_call_passed_by_place(tmp_path):
    """ES5 code reads its arguments through `arguments`: `arguments[1](a)` calls what the second
    argument was, and a wrapper's `fn.apply(this, arguments)` gives each argument its own place."""
    edges, _ = call_edges(tmp_path, {"main.js": """\
function second(a) {
  return arguments[1](a);
}
function wrap(fn) {
  return function wrapped() {
    return fn.apply(this, arguments);
  };
}
function call(target) {
  return target();
}
function hello() {
  return 1;
}
function echo(x) {
  return x;
}
second(hello, echo);
wrap(call)(hello);
"""})
    assert {(caller, callee) for caller, callee, _, _ in edges if caller != "main"} == {
        ("main.second", "main.echo"), ("main.wrap.wrapped", "main.call"), ("main.call", "main.hello")}


def test_a_python_list_s_own_methods_are_no_elements_of_it(tmp_path):
    """structlog's `processors.clear()` on a list of callable processors had called each of them."""
    edges, _ = call_edges(tmp_path, {"main.py": """\
class Capture:
    def __call__(self, event):
        return event


CONFIG = {"processors": [Capture()]}


def capture_logs():
    processors = CONFIG["processors"]
    processors.clear()
    return processors.index(None)
"""})
    assert not {(caller, callee) for caller, callee, _, _ in edges if caller == "main.capture_logs"}


def test_a_base_class_named_through_an_alias_of_a_class_is_that_class(tmp_path):
    """tqdm's `tqdm = tqdm_asyncio` (asyncio.py), then `class tqdm(notebook_tqdm, asyncio_tqdm)` on the
    import of that name: the base was a Variable and was dropped, with its constructor."""
    edges, _ = call_edges(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/aio.py": "class AsyncBar:\n    def __init__(self, total=None):\n        self.total = total\n\n\nBar = AsyncBar\n",
        "pkg/auto.py": "from .aio import Bar as AsyncBar\n\n\nclass Bar(AsyncBar):\n    pass\n\n\n"
                       "def make():\n    return Bar(3)\n"})
    assert {(caller, callee) for caller, callee, _, _ in edges} == {
        ("pkg.auto.make", "pkg.auto.Bar"), ("pkg.auto.make", "pkg.aio.AsyncBar.__init__")}
