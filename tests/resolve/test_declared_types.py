"""Member calls on receivers with a declared type (TypeScript annotations), on small real trees."""

from __future__ import annotations

from tests.resolve.test_calls import resolve_tree

SERVICE = (
    "export class Base { save() {} }\n"
    "export class Service extends Base { run() {} static create() {} }\n"
    "export interface Shape { area(): number; }\n"
)


def test_parameters_locals_and_fields_with_a_class_type(tmp_path):
    calls, _, outcomes = resolve_tree(tmp_path, {
        "svc.ts": SERVICE,
        "use.ts": (
            "import { Service } from './svc';\nimport type * as svc from './svc';\n"
            "function f(s: Service, t: svc.Service) {\n  s.run();\n  s.save();\n  t.run();\n  s.create();\n}\n"
            "class K {\n  private field: Service;\n  constructor(private readonly injected: Service, plain: Service) {}\n"
            "  go() {\n    this.field.run();\n    this.injected.save();\n    const local: Service = make();\n    local.run();\n"
            "    [1].map((item: Service) => item.run());\n  }\n}\n"
        ),
    })
    assert calls == {
        ("use.f", "svc.Service.run", "declared-type", 0.9),
        ("use.f", "svc.Base.save", "declared-type", 0.8),  # inherited: more room for an override
        ("use.K.go", "svc.Service.run", "declared-type", 0.9),
        ("use.K.go", "svc.Base.save", "declared-type", 0.8),
        ("use.K.go", "use.K.go.<anonymous1>", "flow-callback", 0.8),  # `map` calls the arrow
        ("use.K.go.<anonymous1>", "svc.Service.run", "declared-type", 0.9),
    }
    # `s.create()`: a static method is not an instance's; `make()` is unknown
    assert outcomes == {"typescript": {"resolved": 8, "unresolved": 2}}


def test_what_a_declared_type_does_not_settle_stays_unresolved(tmp_path):
    calls, _, outcomes = resolve_tree(tmp_path, {
        "svc.ts": SERVICE,
        "use.ts": (
            "import { Service, Shape } from './svc';\nimport { Request } from 'express';\n"
            "function f(shape: Shape, either: Service | Shape, many: Service[], untyped, req: Request) {\n"
            "  shape.area();\n  either.run();\n  many.run();\n  untyped.run();\n  req.get();\n"
            "  function inner(shape: Other) { shape.run(); }\n}\n"
            "function g(s: Service) {\n  const s2 = s;\n  s2.run();\n}\n"
        ),
    })
    # interface members are not indexed, unions and arrays are not a single class, and a shadowing
    # parameter of another type wins; an external type gives an External member; `s2 = s` holds what
    # s is declared to be (javascript_values.py)
    assert calls == {("use.f", "express.Request.get", "declared-type", 0.9), ("use.g", "svc.Service.run", "declared-type", 0.9)}
    assert outcomes == {"typescript": {"resolved": 2, "unresolved": 5}}
