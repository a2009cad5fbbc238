"""The value-flow solver on hand-built constraints: tokens reach nodes through copies, fields,
calls, bound methods and containers; bounds cut sets without an exception."""

from __future__ import annotations

from codekg.resolve import flow
from codekg.resolve.flow import ANY_KEY, Argument, CallSite, Environment, FunctionShape, Parameter, Solver


class Program(Environment):
    """Functions by id with their parameter names; classes with members by name."""

    def __init__(self, functions: dict[str, list[str]], classes: dict[str, dict[str, str]] | None = None,
                 static: tuple[str, ...] = ()) -> None:
        self.functions = functions
        self.classes = classes or {}
        self.static = static

    def function(self, function_id):
        names = self.functions.get(function_id)
        if names is None:
            return None
        parameters = tuple(Parameter(name.lstrip("*"), "star" if name.startswith("*") else "positional",
                                     ("var", function_id, name.lstrip("*"))) for name in names)
        return FunctionShape(parameters, ("return", function_id), bound_skip=0 if function_id in self.static else 1)

    def member(self, class_id, name, on_instance=True):
        found = self.classes.get(class_id, {}).get(name)
        return [("member", class_id, name)] if found else []

    def constructors(self, class_id):
        found = self.classes.get(class_id, {}).get("__init__")
        return [found] if found else []

    def binds_receiver(self, function_id):
        return function_id not in self.static


def site(key, caller, result, *arguments, receiver=None):
    return CallSite((key,), caller, 1, tuple(arguments), ("result", key), receiver=receiver)


def targets(solution, key):
    return sorted(value[1] for value in solution.calls.get((key,), {}))


def test_a_function_flows_through_names_and_parameters_to_the_call_that_calls_it():
    program = Program({"run": ["callback"], "done": []})
    solver = Solver(program)
    solver.add(("var", "main", "f"), ("function", "done"))
    solver.copy(("var", "main", "f"), ("var", "main", "g"))
    solver.add(("var", "main", "run"), ("function", "run"))
    solver.call(("var", "main", "run"), site("c1", "main", None, Argument("positional", ("var", "main", "g"))))
    solver.call(("var", "run", "callback"), site("c2", "run", None))
    solution = solver.solve()
    assert targets(solution, "c1") == ["run"]
    assert targets(solution, "c2") == ["done"]
    assert solution.calls[("c2",)][("function", "done")] == "argument"  # the last hop that brought it


def test_an_instance_method_is_bound_and_self_attributes_carry_values_between_methods():
    program = Program(
        {"Svc.__init__": ["self", "repo"], "Svc.run": ["self"], "Repo.save": ["self"]},
        {"Svc": {"__init__": "Svc.__init__", "run": "Svc.run"}, "Repo": {"save": "Repo.save"}},
    )
    solver = Solver(program)
    solver.add(("member", "Svc", "__init__"), ("function", "Svc.__init__"))
    solver.add(("member", "Svc", "run"), ("function", "Svc.run"))
    solver.add(("member", "Repo", "save"), ("function", "Repo.save"))
    solver.add(("var", "main", "Svc"), ("class", "Svc"))
    solver.add(("var", "main", "Repo"), ("class", "Repo"))
    solver.call(("var", "main", "Repo"), site("new_repo", "main", None))
    solver.call(("var", "main", "Svc"), site("new_svc", "main", None, Argument("positional", ("result", "new_repo"))))
    # __init__: self.repo = repo
    solver.store(("var", "Svc.__init__", "self"), "repo", ("var", "Svc.__init__", "repo"))
    # main: s = Svc(...); s.run()
    solver.load(("result", "new_svc"), "run", ("tmp", "s.run"))
    solver.call(("tmp", "s.run"), site("run", "main", None))
    # run: self.repo.save()
    solver.load(("var", "Svc.run", "self"), "repo", ("tmp", "self.repo"))
    solver.load(("tmp", "self.repo"), "save", ("tmp", "self.repo.save"))
    solver.call(("tmp", "self.repo.save"), site("save", "Svc.run", None))
    solution = solver.solve()
    assert targets(solution, "new_svc") == ["Svc", "Svc.__init__"]  # the class and the constructor it runs
    assert solution.calls[("new_svc",)][("function", "Svc.__init__")] == "constructor"
    assert targets(solution, "run") == ["Svc.run"]
    assert targets(solution, "save") == ["Repo.save"]


def test_constant_keys_keep_their_own_values_and_an_unknown_key_reads_every_element():
    program = Program({"add": [], "sub": []})
    solver = Solver(program)
    table = ("object", "ops")
    solver.add(("var", "main", "ops"), table)
    solver.add(("tmp", "add"), ("function", "add"))
    solver.add(("tmp", "sub"), ("function", "sub"))
    solver.store(("var", "main", "ops"), "add", ("tmp", "add"))
    solver.load(("var", "main", "ops"), "add", ("tmp", "ops.add"))
    solver.load(("var", "main", "ops"), ANY_KEY, ("tmp", "ops[k]"))
    solver.call(("tmp", "ops.add"), site("by_key", "main", None))
    solver.call(("tmp", "ops[k]"), site("any_key", "main", None))
    solver.store(("var", "main", "ops"), "sub", ("tmp", "sub"))  # stored after the loads were built
    solution = solver.solve()
    assert targets(solution, "by_key") == ["add"]
    assert targets(solution, "any_key") == ["add", "sub"]


def test_star_parameters_and_star_arguments():
    program = Program({"fire": ["*handlers"], "a": [], "b": []})
    solver = Solver(program)
    solver.add(("var", "fire", "handlers"), ("object", "fire.args"))
    solver.add(("var", "main", "fire"), ("function", "fire"))
    solver.add(("tmp", "a"), ("function", "a"))
    solver.add(("tmp", "b"), ("function", "b"))
    solver.call(("var", "main", "fire"), site("fire", "main", None, Argument("positional", ("tmp", "a")),
                                                Argument("positional", ("tmp", "b"))))
    solver.load(("var", "fire", "handlers"), ANY_KEY, ("var", "fire", "h"))
    solver.call(("var", "fire", "h"), site("h", "fire", None))
    solution = solver.solve()
    assert targets(solution, "h") == ["a", "b"]


def test_a_cycle_of_copies_ends_and_a_full_node_is_cut_off_not_raised(monkeypatch):
    monkeypatch.setattr(flow, "MAX_VALUES", 3)
    solver = Solver(Program({}))
    solver.copy(("var", "x"), ("var", "y"))
    solver.copy(("var", "y"), ("var", "x"))
    for number in range(5):
        solver.add(("var", "x"), ("function", f"f{number}"))
    solution = solver.solve()
    assert len(solution.held(("var", "x"))) == 3 and len(solution.held(("var", "y"))) == 3
    assert ("values", ("var", "x")) in solution.cut_offs


def test_the_step_bound_stops_the_solve_and_says_so(monkeypatch):
    monkeypatch.setattr(flow, "MAX_STEPS", 10)
    solver = Solver(Program({}))
    for number in range(30):
        solver.copy(("var", number), ("var", number + 1))
    solver.add(("var", 0), ("function", "f"))
    solution = solver.solve()
    assert solution.steps == 10 and solution.cut_offs == [("steps", "stopped after 10 steps")]
    assert not solution.held(("var", 30))


class JavaScriptProgram(Program):
    """Functions have JS's own methods; a function `new`-ed is a constructor whose prototype's fields
    (``classes``) are the instance's members."""

    def function(self, function_id):
        shape = super().function(function_id)
        if shape is not None:
            shape.bound_skip, shape.this = 0, ("this", function_id)
        return shape

    def function_methods(self, function_id):
        return frozenset({"call", "apply", "bind"})


def test_call_apply_and_bind_call_the_function_with_this_and_the_arguments():
    program = JavaScriptProgram({"greet": ["cb"], "hi": [], "other": []})
    solver = Solver(program)
    solver.add(("var", "greet"), ("function", "greet"))
    solver.add(("var", "hi"), ("function", "hi"))
    solver.add(("var", "user"), ("object", "user"))
    solver.add(("var", "list"), ("object", "list"))
    solver.store(("var", "list"), ANY_KEY, ("var", "hi"))
    for method in ("call", "apply", "bind"):
        solver.load(("var", "greet"), method, ("tmp", method))
    solver.call(("tmp", "call"), site("c", "main", None, Argument("positional", ("var", "user")),
                                      Argument("positional", ("var", "hi"))))
    solver.call(("tmp", "apply"), site("a", "main", None, Argument("positional", ("var", "user")),
                                       Argument("positional", ("var", "list"))))
    solver.call(("tmp", "bind"), site("b", "main", None, Argument("positional", ("var", "user"))))
    solver.call(("result", "b"), site("bound", "main", None, Argument("positional", ("var", "hi"))))
    solver.call(("var", "greet", "cb"), site("inner", "greet", None))
    solution = solver.solve()
    # the call is made at the site itself (the program reads a site's callback keys as its own)
    assert solution.calls[("c", "callback", "call")] == {("function", "greet"): "call"}
    assert solution.calls[("a", "callback", "apply")] == {("function", "greet"): "call"}
    assert not targets(solution, "c") and not targets(solution, "a")  # `greet.call` itself is no callee
    assert targets(solution, "bound") == ["greet"]
    assert targets(solution, "inner") == ["hi"]  # the argument after `this`, the element of the array
    assert solution.held(("this", "greet")) == {("object", "user"): "receiver"}


def test_new_of_a_function_makes_an_instance_whose_members_are_its_prototype_fields():
    program = JavaScriptProgram({"Queue": [], "Queue.push": []}, {"Queue": {"push": "Queue.push"}})
    solver = Solver(program)
    solver.add(("member", "Queue", "push"), ("function", "Queue.push"))
    solver.add(("var", "Queue"), ("function", "Queue"))
    solver.call(("var", "Queue"), CallSite(("new",), "main", 1, (), ("result", "new"), is_new=True))
    solver.load(("result", "new"), "push", ("tmp", "q.push"))
    solver.call(("tmp", "q.push"), site("push", "main", None))
    solution = solver.solve()
    assert solution.calls[("new",)] == {("function", "Queue"): "instantiation"}
    assert solution.held(("result", "new")) == {("instance", "Queue"): "instantiation"}
    assert solution.calls[("push",)] == {("function", "Queue.push"): "method"}
    assert solution.held(("this", "Queue.push")) == {("instance", "Queue"): "receiver"}


def test_merged_fields_follow_their_source_and_a_later_source_overwrites_a_name():
    solver = Solver(Program({}))
    target, first, second = ("object", "target"), ("object", "defaults"), ("object", "overrides")
    for name, token in (("target", target), ("defaults", first), ("overrides", second)):
        solver.add(("var", name), token)
    solver.add(("tmp", "log1"), ("function", "defaults.log"))
    solver.add(("tmp", "warn"), ("function", "defaults.warn"))
    solver.add(("tmp", "log2"), ("function", "overrides.log"))
    solver.store(("var", "defaults"), "log", ("tmp", "log1"))
    solver.store(("var", "overrides"), "log", ("tmp", "log2"))
    solver.solve()
    solver.merge_fields(first, target, later=(solver.node(("var", "overrides")),))
    solver.merge_fields(second, target)
    solver.store(("var", "defaults"), "warn", ("tmp", "warn"))  # a field stored after the merge follows it
    for name in ("log", "warn"):
        solver.load(("var", "target"), name, ("tmp", f"target.{name}"))
    solution = solver.solve()
    assert set(solution.held(("tmp", "target.log"))) == {("function", "overrides.log")}
    assert set(solution.held(("tmp", "target.warn"))) == {("function", "defaults.warn")}


def test_an_otherwise_target_takes_its_source_only_when_nothing_else_reached_it_by_the_fixpoint():
    solver = Solver(Program({}))
    solver.add(("var", "method"), ("function", "C.m"))
    solver.add(("var", "wrapper"), ("function", "wrap.inner"))
    solver.copy(("tmp", "chain"), ("member", "replaced"))  # the replacement arrives through a chain
    solver.copy(("var", "wrapper"), ("tmp", "chain"))
    solver.otherwise(("member", "replaced"), ("var", "method"))
    solver.otherwise(("member", "kept"), ("var", "method"))  # nothing replaces this one
    solver.copy(("member", "kept"), ("tmp", "kept.read"))  # what it gets later flows on
    solution = solver.solve()
    assert set(solution.held(("member", "replaced"))) == {("function", "wrap.inner")}
    assert set(solution.held(("tmp", "kept.read"))) == {("function", "C.m")}


def test_a_store_into_a_descriptors_value_is_what_the_method_becomes_and_reads_see_the_method():
    solver = Solver(Program({}))
    descriptor = ("descriptor", ("main.ts", "decorate", 3, 0))
    solver.add(("var", "descriptor"), descriptor)
    solver.add(("var", "method"), ("function", "S.find"))
    solver.add(("var", "wrapper"), ("function", "Log.value"))
    solver.copy(("var", "method"), solver.field(descriptor, "value"))
    solver.load(("var", "descriptor"), "value", ("var", "original"))  # `const original = descriptor.value`
    solver.store(("var", "descriptor"), "value", ("var", "wrapper"))  # `descriptor.value = function …`
    solution = solver.solve()
    assert set(solution.held(("var", "original"))) == {("function", "S.find")}
    assert set(solution.held(flow.field_node(descriptor, flow.WRITTEN_VALUE))) == {("function", "Log.value")}


class BorrowingProgram(JavaScriptProgram):
    """`X.call(…)` of an external X calls X; `Function.prototype.call` runs on the function `this`."""

    def borrowed_call(self, name, site, solver):
        head, _, method = name.rpartition(".")
        if method not in ("call", "apply", "bind"):
            return False
        if head == "Function.prototype":
            solver.listen(site.receiver, lambda value: solver.call_function_method(method, value, site))
        else:
            solver.call_function_method(method, ("external", head), site)
        return True


def test_a_borrowed_call_calls_what_it_is_applied_to_and_is_no_callee_of_its_own():
    solver = Solver(BorrowingProgram({"describe": []}))
    solver.add(("var", "describe"), ("function", "describe"))
    solver.add(("var", "max.apply"), ("external", "Math.max.apply"))
    solver.add(("var", "call.call"), ("external", "Function.prototype.call.call"))
    solver.call(("var", "max.apply"), site("max", "main", None))
    solver.call(("var", "call.call"), site("cc", "main", None, Argument("positional", ("var", "describe"))))
    solution = solver.solve()
    assert not solution.calls.get(("max",)) and not solution.calls.get(("cc",))
    assert solution.calls[("max", "callback", "apply")] == {("external", "Math.max"): "external"}
    assert solution.calls[("cc", "callback", "call", "callback", "call")] == {("function", "describe"): "call"}


def test_a_prototype_chain_gives_the_nearest_property_whatever_the_order_the_links_arrive_in():
    solver = Solver(Program({}))
    animal, dog, created = ("prototype", "Animal"), ("prototype", "Dog"), ("object", ("create", "c1"))
    solver.add(("var", "Animal.prototype"), animal)
    solver.add(("var", "Dog.prototype"), dog)
    solver.add(("tmp", "speak"), ("function", "Animal.speak"))
    solver.add(("tmp", "sound1"), ("function", "Animal.sound"))
    solver.add(("tmp", "sound2"), ("function", "Dog.sound"))
    solver.store(("var", "Animal.prototype"), "speak", ("tmp", "speak"))
    solver.store(("var", "Animal.prototype"), "sound", ("tmp", "sound1"))
    solver.store(("var", "Dog.prototype"), "sound", ("tmp", "sound2"))
    for name in ("speak", "sound", "missing"):  # read before any link exists
        solver.load(("var", "Dog.prototype"), name, ("tmp", f"dog.{name}"))
    solver.solve()
    solver.inherit(dog, created)  # Dog.prototype = Object.create(Animal.prototype), linked late
    solver.inherit(created, animal)
    solution = solver.solve()
    assert set(solution.held(("tmp", "dog.speak"))) == {("function", "Animal.speak")}  # inherited
    assert set(solution.held(("tmp", "dog.sound"))) == {("function", "Dog.sound")}  # its own hides the base's
    assert not solution.held(("tmp", "dog.missing"))
