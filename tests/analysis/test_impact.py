"""`impact`: grouping by depth, best-path confidence, pruning, edges per label, tests and risk."""

from __future__ import annotations

import pytest

from codekg.analysis.impact import Affected, Hop, impact, risk_summary
from codekg.analysis.symbols import Symbol
from codekg.errors import InputError

from analysis_repos import write_files


def levels(result):
    """Each level as (qualified name, confidence, relation, path) tuples, in the reported order."""
    return [[(s["qualified_name"], s["confidence"], s["relation"], s["path"]) for s in level["symbols"]]
            for level in result["levels"]]


@pytest.fixture
def pyrepo(copy_fixture, open_store):
    return open_store(copy_fixture("pyrepo"))


@pytest.fixture
def relay_repo(tmp_path, open_store):
    """`b.caller` calls `a.target` directly (through a dict of functions: 0.8) and through `c.relay` (imports, 1.0)."""
    repo = write_files(tmp_path / "relay", {
        "a.py": """
            def target():
                return 1
            """,
        "c.py": """
            from a import target

            HANDLERS = {"t": target}


            def relay():
                return target()
            """,
        "b.py": """
            from c import HANDLERS, relay


            def caller(key):
                HANDLERS[key]()
                return relay()
            """,
        "tests/test_a.py": """
            from a import target


            def test_target():
                assert target() == 1
            """,
    })
    return open_store(repo)


def test_upstream_chain_multiplies_confidences(pyrepo):
    result = impact(pyrepo, "shop.models.Base.validate", depth=3)
    assert result["target"]["id"] == "Method:src/shop/models.py:shop.models.Base.validate"
    assert levels(result) == [
        [("shop.models.Base.save", 0.9, "CALLS", ["shop.models.Base.validate", "shop.models.Base.save"])],
        # Order.save overrides Base.save (1.0) and calls it through super() (0.9): the surer path counts
        [("shop.models.Order.save", 0.9, "OVERRIDES",
          ["shop.models.Base.validate", "shop.models.Base.save", "shop.models.Order.save"])],
        # both call `.save()` on an Order: `Order([3]).save()` (instance-type, 0.9): 0.9 * 1.0 * 0.9;
        # `helper.inner`'s receiver the rules cannot read (flow-method, 0.85): 0.9 * 1.0 * 0.85
        [("scripts.run", 0.81, "CALLS",
          ["shop.models.Base.validate", "shop.models.Base.save", "shop.models.Order.save", "scripts.run"]),
         ("shop.service.helper.inner", 0.765, "CALLS",
          ["shop.models.Base.validate", "shop.models.Base.save", "shop.models.Order.save",
           "shop.service.helper.inner"])],
    ]
    entry = result["levels"][1]["symbols"][0]
    assert (entry["file_path"], entry["start_line"], entry["end_line"], entry["depth"], entry["reason"], entry["line"]) == (
        "src/shop/models.py", 23, 25, 2, "override", None)
    assert levels(impact(pyrepo, "shop.models.Base.validate", depth=1)) == [
        [("shop.models.Base.save", 0.9, "CALLS", ["shop.models.Base.validate", "shop.models.Base.save"])]]


def test_min_confidence_prunes_edges(pyrepo):
    result = impact(pyrepo, "shop.models.Base.validate", depth=3, min_confidence=0.95)
    assert levels(result) == [[], [], []]
    assert result["summary"]["symbols"] == 0 and result["summary"]["risk"] == "low"


def test_upstream_of_a_class_covers_instantiations_importers_and_its_methods(pyrepo):
    result = impact(pyrepo, "shop.models.Order", depth=2)
    assert levels(result) == [
        [("scripts.run", 1.0, "CALLS", ["shop.models.Order", "scripts.run"]),
         ("shop", 1.0, "IMPORTS", ["shop.models.Order", "shop"]),
         # Order.save overrides Base.save: a caller of Base.save may run Order.save
         ("shop.models.Base.save", 1.0, "OVERRIDES", ["shop.models.Order.save", "shop.models.Base.save"]),
         # `def bump(order: Order)` names the class in its signature
         ("shop.models.Counter.bump", 1.0, "USES", ["shop.models.Order", "shop.models.Counter.bump"]),
         ("shop.service", 1.0, "IMPORTS", ["shop.models.Order", "shop.service"]),
         ("shop.service.checkout", 1.0, "CALLS", ["shop.models.Order", "shop.service.checkout"]),
         # `order.save()` in the closure calls the method Order.save (flow-method, 0.85)
         ("shop.service.helper.inner", 0.85, "CALLS", ["shop.models.Order.save", "shop.service.helper.inner"])],
        # checkout's caller scripts.run is already at depth 1; modules are leaves
        [("shop.service.helper", 0.85, "CALLS",
          ["shop.models.Order.save", "shop.service.helper.inner", "shop.service.helper"])],
    ]
    # subclasses: changing Base reaches Order through EXTENDS, and Order's callers through it
    base = impact(pyrepo, "shop.models.Base", depth=2)
    assert [(s["qualified_name"], s["relation"]) for s in base["levels"][0]["symbols"]] == [
        ("shop.models.Order", "EXTENDS"), ("shop.models.Order.save", "OVERRIDES")]
    assert [s["qualified_name"] for s in base["levels"][1]["symbols"]] == [
        "scripts.run", "shop", "shop.models.Counter.bump", "shop.service", "shop.service.checkout",
        "shop.service.helper.inner"]


def test_downstream_follows_callees_and_bases(pyrepo):
    result = impact(pyrepo, "shop.service.checkout", depth=2, direction="downstream")
    assert [[(s["qualified_name"], s["relation"]) for s in level["symbols"]] for level in result["levels"]] == [
        [("os.getcwd", "CALLS"), ("shop.models.Order", "CALLS"), ("shop.models.Order.__init__", "CALLS"),
         ("shop.service.helper", "CALLS"), ("shop.util.log", "CALLS")],
        [("<builtin>.print", "CALLS"), ("json.dumps", "CALLS"), ("shop.models.Base", "EXTENDS"),
         ("shop.service.helper.inner", "CALLS")],
    ]
    assert result["summary"]["files"] == 3  # externals have no file


def test_module_targets_follow_imports(pyrepo):
    assert levels(impact(pyrepo, "shop.models", depth=2)) == [
        [("shop", 1.0, "IMPORTS", ["shop.models", "shop"]),
         ("shop.service", 1.0, "IMPORTS", ["shop.models", "shop.service"])],
        [],
    ]
    assert [(s["qualified_name"], s["relation"]) for s in
            impact(pyrepo, "src/shop/service.py", depth=1, direction="downstream")["levels"][0]["symbols"]] == [
        ("os", "IMPORTS"), ("shop.models", "IMPORTS"), ("shop.util", "IMPORTS")]


def test_an_interface_downstream_reaches_the_interfaces_it_extends(tmp_path, open_store):
    """A step whose edges have no line (EXTENDS alone) reports the hop without one (it raised KeyError)."""
    repo = write_files(tmp_path / "ts", {"src/a.ts": """
        export interface Shape { area(): number }
        export interface Solid extends Shape { volume(): number }
        export class Cube implements Solid { area() { return 6 } volume() { return 1 } }
        """})
    store = open_store(repo)
    result = impact(store, "Solid", direction="downstream")
    assert levels(result)[0] == [("src.a.Shape", 1.0, "EXTENDS", ["src.a.Solid", "src.a.Shape"])]
    assert result["levels"][0]["symbols"][0]["line"] is None


def test_an_ontology_term_affects_its_subclasses_the_properties_naming_it_and_the_code_mentioning_it(copy_fixture, open_store):
    store = open_store(copy_fixture("ontology"))
    upstream = impact(store, "Person")
    assert levels(upstream)[:2] == [
        [("memberOf", 1.0, "DOMAIN", ["Person", "memberOf"]), ("Employee", 1.0, "SUBCLASS_OF", ["Person", "Employee"]),
         ("app.people.PERSON", 0.9, "MENTIONS", ["Person", "app.people.PERSON"]),
         ("ownedBy", 0.9, "RANGE", ["Person", "ownedBy"])],
        [("worksFor", 1.0, "DOMAIN", ["Person", "Employee", "worksFor"])],
    ]
    downstream = impact(store, "memberOf", depth=2, direction="downstream")
    assert levels(downstream) == [
        [("Person", 1.0, "DOMAIN", ["memberOf", "Person"]), ("Organization", 1.0, "RANGE", ["memberOf", "Organization"])],
        [("Agent", 1.0, "SUBCLASS_OF", ["memberOf", "Organization", "Agent"])]  # two paths of 1.0: the first by id,
    ]
    mentioned = impact(store, "app.people.PERSON", depth=1, direction="downstream")
    assert levels(mentioned) == [[("Person", 0.9, "MENTIONS", ["app.people.PERSON", "Person"])]]


def test_best_path_beats_the_shallowest_path(relay_repo):
    result = impact(relay_repo, "a.target", depth=3)
    assert levels(result) == [
        [("b.caller", 1.0, "CALLS", ["a.target", "c.relay", "b.caller"]),  # depth 1 (0.8), best path 1.0 via relay
         ("c", 1.0, "IMPORTS", ["a.target", "c"]),
         ("c.relay", 1.0, "CALLS", ["a.target", "c.relay"]),
         ("tests.test_a", 1.0, "IMPORTS", ["a.target", "tests.test_a"]),
         ("tests.test_a.test_target", 1.0, "CALLS", ["a.target", "tests.test_a.test_target"])],
        [("b", 1.0, "IMPORTS", ["a.target", "c.relay", "b"])],
        [],
    ]
    summary = result["summary"]
    assert summary == {
        "symbols": 6, "files": 3, "by_depth": {"1": 5, "2": 1, "3": 0}, "direct": 3,
        "non_test_symbols": 4, "non_test_files": 2, "tests_touched": True, "test_symbols": 2,
        "test_files": ["tests/test_a.py"], "risk": "medium", "risk_reason": "3 direct ≥ 3",
    }


def test_min_confidence_moves_a_symbol_deeper(relay_repo):
    result = impact(relay_repo, "a.target", depth=3, min_confidence=0.85)
    assert [(s["qualified_name"], s["depth"]) for level in result["levels"] for s in level["symbols"]
            if s["qualified_name"].startswith("b")] == [("b", 2), ("b.caller", 2)]
    assert result["summary"]["risk"] == "low"


def test_no_tests_touched(relay_repo):
    summary = impact(relay_repo, "c.relay", depth=3)["summary"]
    assert (summary["tests_touched"], summary["test_files"]) == (False, [])


@pytest.mark.parametrize("arguments, message", [
    ({"depth": 0}, "depth must be between 1 and 10"),
    ({"direction": "sideways"}, "unknown direction"),
    ({"min_confidence": 1.5}, "min-confidence must be between 0 and 1"),
])
def test_bad_arguments(pyrepo, arguments, message):
    with pytest.raises(InputError, match=message):
        impact(pyrepo, "checkout", **arguments)


def fake_affected(count, depth=1, file_path="src/m.py", files=1):
    result = []
    for n in range(count):
        path = file_path if files == 1 else f"src/m{n % files}.py"
        symbol = Symbol(f"Function:{path}:m.f{n}", "Function", f"f{n}", f"m.f{n}", path, n + 1, n + 1)
        result.append(Affected(symbol, depth, 1.0, ("seed", symbol.id), Hop("seed", symbol, "CALLS", 1.0, "import", 1)))
    return result


@pytest.mark.parametrize("affected, risk", [
    (fake_affected(2), "low"),
    (fake_affected(3), "medium"),
    (fake_affected(4, depth=2), "low"),
    (fake_affected(5, depth=2), "medium"),
    (fake_affected(3, depth=2, files=3), "medium"),
    (fake_affected(10), "high"),
    (fake_affected(25, depth=3), "high"),
    (fake_affected(10, depth=2, files=10), "high"),
    (fake_affected(30, file_path="tests/test_m.py"), "low"),  # touched tests are a safety net, not a risk
])
def test_risk_thresholds(affected, risk):
    assert risk_summary(affected, 3)["risk"] == risk
