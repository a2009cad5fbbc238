"""Settings precedence: flags over CODEKG_* environment over codekg.toml over defaults."""

import os

import pytest
from pydantic import ValidationError

from codekg.settings import GIB, load_settings


def test_defaults(tmp_path):
    settings = load_settings(tmp_path)
    assert (settings.max_file_size, settings.load_strategy, settings.python_source_roots) == (1_000_000, "copy", ["src"])


def test_precedence(tmp_path, monkeypatch):
    (tmp_path / "codekg.toml").write_text('max_file_size = 10\nload_strategy = "merge"\npython_source_roots = ["lib"]\n')
    from_toml = load_settings(tmp_path)
    assert (from_toml.max_file_size, from_toml.load_strategy, from_toml.python_source_roots) == (10, "merge", ["lib"])
    monkeypatch.setenv("CODEKG_MAX_FILE_SIZE", "20")
    assert load_settings(tmp_path).max_file_size == 20
    assert load_settings(tmp_path, max_file_size=30, load_strategy=None).max_file_size == 30
    assert load_settings(tmp_path, max_file_size=30, load_strategy=None).load_strategy == "merge"


def test_invalid_values_are_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEKG_LOAD_STRATEGY", "sometimes")
    with pytest.raises(ValidationError):
        load_settings(tmp_path)


def test_parse_pool_settings(tmp_path, monkeypatch):
    defaults = load_settings(tmp_path)
    assert defaults.workers == min(os.cpu_count() or 1, 8)
    assert (defaults.parse_timeout_seconds, defaults.parse_memory_ceiling) == (60.0, 2 * GIB)
    monkeypatch.setenv("CODEKG_WORKERS", "3")
    assert load_settings(tmp_path).workers == 3
    assert load_settings(tmp_path, workers=1).workers == 1
    monkeypatch.setenv("CODEKG_WORKERS", "0")
    with pytest.raises(ValidationError):
        load_settings(tmp_path)


def test_an_unknown_key_in_codekg_toml_is_a_warning_naming_the_closest_setting(tmp_path, caplog):
    (tmp_path / "codekg.toml").write_text('max_fil_size = 10\nworkers = 1\nzzzz_unrelated = 3\n')
    with caplog.at_level("WARNING", logger="codekg.settings"):
        settings = load_settings(tmp_path)
        load_settings(tmp_path)  # a command loading its settings twice warns once
    assert (settings.max_file_size, settings.workers) == (1_000_000, 1)
    assert [record.getMessage() for record in caplog.records] == [
        f"unknown setting `max_fil_size` in {tmp_path / 'codekg.toml'} is ignored (did you mean `max_file_size`?)",
        f"unknown setting `zzzz_unrelated` in {tmp_path / 'codekg.toml'} is ignored",
    ]


def test_describe_settings_says_where_each_value_came_from_and_masks_secrets(tmp_path, monkeypatch):
    from codekg.settings import MASK, describe_settings

    (tmp_path / "codekg.toml").write_text('workers = 3\nload_strategy = "merge"\n')
    monkeypatch.setenv("CODEKG_MAX_FILE_SIZE", "5")
    monkeypatch.setenv("codekg_store_password", "hunter2")  # environment names are not case-sensitive
    described = {entry["name"]: entry for entry in describe_settings(tmp_path, load_strategy="copy")}
    assert {name: (described[name]["value"], described[name]["source"])
            for name in ("workers", "load_strategy", "max_file_size", "store_password", "ambiguity_limit", "api_token")} == {
        "workers": (3, "file"), "load_strategy": ("copy", "flag"), "max_file_size": (5, "environment"),
        "store_password": (MASK, "environment"), "ambiguity_limit": (3, "default"), "api_token": (None, "default")}
    assert described["max_file_size"]["description"] == "Files larger than this many bytes are skipped."


def test_the_configuration_guide_is_generated_from_the_settings():
    from pathlib import Path

    from codekg.settings import Settings, configuration_markdown

    guide = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    assert guide.read_text(encoding="utf-8") == configuration_markdown(), "stale: run `make config-doc`"
    assert all(f"| `{name}` |" in configuration_markdown() for name in Settings.model_fields)
