"""JS/TS imports on small real trees: CommonJS module values, `import type`, tsconfig `paths`/`baseUrl`."""

from __future__ import annotations

from tests.resolve.test_calls import resolve_tree


def test_require_binds_what_module_exports_holds(tmp_path):
    calls, imports, outcomes = resolve_tree(tmp_path, {
        "object.js": "function a() {}\nfunction b() {}\nmodule.exports = { a, b, run() {} };\n",
        "value.js": "function main() {}\nmodule.exports = main;\n",
        "anonymous.js": "module.exports = function () {};\n",
        "chained.js": "function createApp() {}\nexports = module.exports = createApp;\n",
        "members.js": "module.exports.x = function () {};\nexports.y = () => 1;\n",
        "opaque.js": "module.exports = makeThing();\n",
        "use.js": (
            "const { a } = require('./object');\nconst obj = require('./object');\n"
            "const main = require('./value');\nconst anon = require('./anonymous');\n"
            "const app = require('./chained');\nconst m = require('./members');\nconst opaque = require('./opaque');\n"
            "a();\nobj.b();\nobj.run();\nmain();\nanon();\napp();\nm.x();\nm.y();\nopaque();\nopaque.a();\n"
        ),
    })
    assert calls == {
        ("use", "object.a", "import", 1.0), ("use", "object.b", "import", 1.0), ("use", "object.run", "import", 1.0),
        ("use", "value.main", "import", 1.0),
        ("use", "anonymous.module.exports", "import", 1.0),  # the anonymous function is named after its slot
        ("use", "chained.createApp", "import", 1.0),
        ("use", "members.x", "import", 1.0), ("use", "members.y", "import", 1.0),
    }
    # `module.exports = makeThing()`: a value nobody can know, so neither it nor its members are guessed
    assert outcomes == {"javascript": {"resolved": 8, "unresolved": 3}}  # with makeThing() in opaque.js


def test_es_imports_of_commonjs_modules(tmp_path):
    calls, _, _ = resolve_tree(tmp_path, {
        "object.js": "function a() {}\nmodule.exports = { a };\n",
        "value.js": "class Store { static open() {} save() {} }\nmodule.exports = Store;\n",
        "legacy.ts": "function legacy() {}\nexport = legacy;\n",
        "use.ts": (
            "import obj from './object';\nimport { a } from './object';\nimport Store from './value';\n"
            "import legacy = require('./legacy');\n"
            "obj.a();\na();\nnew Store();\nStore.open();\nStore.save();\nlegacy();\n"
        ),
    })
    assert calls == {
        ("use", "object.a", "import", 1.0),
        ("use", "value.Store", "import", 1.0),
        ("use", "value.Store.open", "import", 0.9),
        ("use", "legacy.legacy", "import", 1.0),
    }  # `Store.save()` is an instance method: not reachable on the class itself


def test_type_only_imports_never_become_calls(tmp_path):
    calls, imports, outcomes = resolve_tree(tmp_path, {
        "svc.ts": "export class Service { run() {} }\nexport function make() {}\n",
        "other.ts": "export function make() {}\n",
        "use.ts": (
            "import type { Service } from './svc';\nimport { type make } from './svc';\n"
            "Service();\nmake();\nnew Service();\n"
        ),
    })
    assert calls == set()  # not even a global guess at other.make: the name is bound
    assert imports == {("use.ts", "File:svc.ts", ("Service", "make"))}
    assert outcomes == {"typescript": {"unresolved": 3}}


def test_tsconfig_paths_and_base_url_from_the_nearest_config(tmp_path):
    calls, imports, _ = resolve_tree(tmp_path, {
        "tsconfig.base.json": (
            '{\n  // shared\n  "compilerOptions": {\n    "baseUrl": "./src",\n'
            '    "paths": { "@app/*": ["app/*", "fallback/*"], "@lib": ["lib/index"], },\n  },\n}\n'
        ),
        "tsconfig.json": '{ "extends": "./tsconfig.base", /* no options of its own */ "compilerOptions": {} }',
        "src/app/svc.ts": "export function run() {}\n",
        "src/fallback/only.ts": "export function only() {}\n",
        "src/lib/index.ts": "export function lib() {}\n",
        "src/util/x.ts": "export function x() {}\n",
        "src/main.ts": (
            "import { run } from '@app/svc';\nimport { only } from '@app/only';\nimport { lib } from '@lib';\n"
            "import { x } from 'util/x';\nimport { y } from 'react';\nrun(); only(); lib(); x(); y();\n"
        ),
        "pkg/tsconfig.json": "{ broken",  # governs pkg/: the root's paths are not applied there
        "pkg/a.ts": "import { run } from '@app/svc';\nrun();\n",
    })
    assert imports == {
        ("src/main.ts", "File:src/app/svc.ts", ("run",)),
        ("src/main.ts", "File:src/fallback/only.ts", ("only",)),  # the second substitution
        ("src/main.ts", "File:src/lib/index.ts", ("lib",)),
        ("src/main.ts", "File:src/util/x.ts", ("x",)),  # baseUrl
        ("src/main.ts", "External:react", ("y",)),
        ("pkg/a.ts", "External:@app/svc", ("run",)),
    }
    assert ("src.main", "src.app.svc.run", "import", 1.0) in calls


def test_javascript_runs_the_js_file_where_typescript_reads_its_declarations(tmp_path):
    """A published package holds `util.js` and `util.d.ts` side by side (zod's lib/): a `.js` file's
    `require('./util')` runs util.js, as Node resolves it; a `.ts` file's import reads the declarations
    first, as TypeScript resolves it. A `.ts` source named by its compiled name is still found."""
    _, imports, _ = resolve_tree(tmp_path, {
        "lib/util.js": "function getParsedType(x) { return typeof x; }\nexports.getParsedType = getParsedType;\n",
        "lib/util.d.ts": "export declare function getParsedType(x: unknown): string;\n",
        "lib/types.js": "const util_1 = require('./util');\nfunction parse(x) { return (0, util_1.getParsedType)(x); }\n",
        "src/types.ts": "import { getParsedType } from '../lib/util';\nexport const t = getParsedType(1);\n",
        "src/helper.ts": "export function help() {}\n",
        "src/main.js": "const { help } = require('./helper.js');\nhelp();\n",
    })
    assert {(source, target) for source, target, _ in imports} >= {
        ("lib/types.js", "File:lib/util.js"), ("src/types.ts", "File:lib/util.d.ts"), ("src/main.js", "File:src/helper.ts")}
    assert ("lib/types.js", "File:lib/util.d.ts") not in {(source, target) for source, target, _ in imports}


def test_a_call_through_a_comma_or_parentheses_calls_the_last_operand(tmp_path):
    """`(0, parseUtil_1.addIssueToContext)(ctx)` is how tsc compiles a call of an imported function
    (the comma operator's value is its last operand, called without a `this`); `(f)()` calls f."""
    calls, _, _ = resolve_tree(tmp_path, {
        "parseUtil.js": "function addIssueToContext(ctx) {}\nexports.addIssueToContext = addIssueToContext;\n",
        "types.js": (
            "const parseUtil_1 = require('./parseUtil');\nfunction local() {}\n"
            "function check(ctx) {\n  (0, parseUtil_1.addIssueToContext)(ctx);\n  (local)();\n  (0, local)();\n}\n"
        ),
    }, value_flow=False)
    assert {edge for edge in calls if edge[0] == "types.check"} == {
        ("types.check", "parseUtil.addIssueToContext", "import", 1.0),
        ("types.check", "types.local", "same-file", 1.0),
    }
