"""Call resolution on small real trees: the three stages, ambiguity, and names that must not link."""

from __future__ import annotations

from pathlib import Path

from codekg.passes.parse import parse_files
from codekg.passes.resolve import resolve_references
from codekg.passes.scan import scan_repository
from codekg.passes.structure import build_structure
from codekg.settings import load_settings


def call_edges(root: Path, files: dict[str, str], ambiguity_limit: int = 3) -> tuple[set, dict]:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    settings = load_settings(root, use_git_ls_files=False)
    scan = scan_repository(root, settings)
    parsed = parse_files(scan.root, scan.files)
    structure = build_structure(scan.root, parsed.parses, settings)
    resolved = resolve_references(structure.symbols, ambiguity_limit)
    edges = set()
    for (rel_type, _, _), rows in resolved.graph.edges.items():
        if rel_type == "CALLS":
            edges |= {(r["from"].split(":")[-1], r["to"].split(":")[-1], r["reason"], r["confidence"]) for r in rows}
    return edges, resolved.call_outcomes


def test_ambiguous_names_link_every_candidate_with_split_confidence(tmp_path):
    edges, outcomes = call_edges(tmp_path, {
        "a.py": "def run():\n    pass\n",
        "b.py": "def run():\n    pass\n",
        "main.py": "def go():\n    run()\n",
    })
    assert edges == {("main.go", "a.run", "ambiguous-global-name", 0.25), ("main.go", "b.run", "ambiguous-global-name", 0.25)}
    assert outcomes == {"python": {"ambiguous": 1}}


def test_too_many_candidates_stay_unresolved(tmp_path):
    files = {f"m{i}.py": "def run():\n    pass\n" for i in range(4)}
    files["main.py"] = "def go():\n    run()\n"
    edges, outcomes = call_edges(tmp_path, files, ambiguity_limit=3)
    assert edges == set()
    assert outcomes == {"python": {"unresolved": 1}}


def test_unique_global_name_has_lower_confidence(tmp_path):
    edges, _ = call_edges(tmp_path, {"a.py": "def helper():\n    pass\n", "b.py": "def go():\n    helper()\n"})
    assert edges == {("b.go", "a.helper", "unique-global-name", 0.5)}


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
    assert edges == {("use", "lib.helper", "unique-global-name", 0.5), ("use", "<builtin>.map", "builtin", 1.0)}
    assert outcomes == {"javascript": {"unresolved": 3}, "python": {"resolved": 2, "unresolved": 2}}


def test_require_inside_a_function_is_an_import_not_a_local(tmp_path):
    edges, _ = call_edges(tmp_path, {
        "util.js": "function helper() {}\nmodule.exports = { helper };\n",
        "main.js": "function go() {\n  const util = require('./util');\n  util.helper();\n}\n",
    })
    assert edges == {("main.go", "util.helper", "import", 1.0)}
