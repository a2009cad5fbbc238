"""Project configs: tolerant parsing, `extends`, `paths` matching order and the nearest config."""

from __future__ import annotations

from codekg.resolve.tsconfig import ProjectConfig, is_project_config, load_project_configs, parse_jsonc


def test_json_with_comments_and_trailing_commas():
    text = '\ufeff{\n  // line\n  "a": "http://x/*not a comment*/", /* block */\n  "b": [1, 2,],\n}\n'
    assert parse_jsonc(text) == {"a": "http://x/*not a comment*/", "b": [1, 2]}


def test_the_longest_prefix_wins_then_base_url():
    config = ProjectConfig("tsconfig.json", "src", (("@/*", ("src/*",)), ("@/core/*", ("core/*", "legacy/*")),
                                                    ("exact", ("src/exact.ts",))))
    assert config.candidates("@/core/x") == ["core/x", "legacy/x", "src/@/core/x"]
    assert config.candidates("@/y") == ["src/y", "src/@/y"]
    assert config.candidates("exact") == ["src/exact.ts", "src/exact"]
    assert config.candidates("../../escape") == []


def test_extends_chain_nearest_config_and_warnings(tmp_path):
    files = {
        "tsconfig.base.json": '{"compilerOptions": {"paths": {"~/*": ["./lib/*"]}}}',
        "web/tsconfig.json": '{"extends": "../tsconfig.base.json", "compilerOptions": {"baseUrl": "src"}}',
        "api/tsconfig.json": '{"extends": "@tsconfig/node20/tsconfig.json"}',
        "bad/tsconfig.json": '[1, 2]',
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    configs, warnings = load_project_configs(tmp_path, list(files), 10_000)
    web = configs.nearest("web/src/deep/a.ts")
    # `paths` comes from the base; its substitutions are relative to the baseUrl set by web/tsconfig.json
    assert web == ProjectConfig("web/tsconfig.json", "web/src", (("~/*", ("web/src/lib/*",)),))
    assert configs.nearest("api/x.ts") == ProjectConfig("api/tsconfig.json")
    assert configs.nearest("root.ts") is None  # tsconfig.base.json governs no folder by itself
    assert configs.nearest("bad/x.ts") == ProjectConfig("bad/tsconfig.json")
    assert warnings == [{"path": "bad/tsconfig.json", "pass": "scan", "kind": "project-config", "message": "config not parsed (not a JSON object): baseUrl/paths ignored"}]
    assert configs.digest and is_project_config("tsconfig.app.json") and is_project_config("a/jsconfig.json")
    assert not is_project_config("package.json")
