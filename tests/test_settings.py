"""Settings precedence: flags over CODEKG_* environment over codekg.toml over defaults."""

import os

import pytest
from pydantic import ValidationError

from codekg.settings import GIB, Settings, describe_settings, load_settings


def test_defaults(tmp_path):
    settings = load_settings(tmp_path)
    assert (settings.max_file_size, settings.bulk_copy, settings.python_source_roots) == (1_000_000, True, ["src"])


def test_precedence(tmp_path, monkeypatch):
    (tmp_path / "codekg.toml").write_text('max_file_size = 10\nbulk_copy = false\npython_source_roots = ["lib"]\n')
    from_toml = load_settings(tmp_path)
    assert (from_toml.max_file_size, from_toml.bulk_copy, from_toml.python_source_roots) == (10, False, ["lib"])
    monkeypatch.setenv("CODEKG_MAX_FILE_SIZE", "20")
    assert load_settings(tmp_path).max_file_size == 20
    assert load_settings(tmp_path, max_file_size=30, bulk_copy=None).max_file_size == 30
    assert load_settings(tmp_path, max_file_size=30, bulk_copy=None).bulk_copy is False
    monkeypatch.setenv("CODEKG_BULK_COPY", "true")
    assert load_settings(tmp_path).bulk_copy is True
    assert load_settings(tmp_path, bulk_copy=False).bulk_copy is False


def test_an_empty_variable_is_unset(tmp_path, monkeypatch):
    """`CODEKG_VALUE_FLOW= codekg index`: the file's value (or the default) holds, and it is said to come from there."""
    (tmp_path / "codekg.toml").write_text("max_file_size = 10\n")
    for name in ("CODEKG_MAX_FILE_SIZE", "CODEKG_VALUE_FLOW", "CODEKG_WORKERS"):
        monkeypatch.setenv(name, "")
    settings = load_settings(tmp_path)
    assert (settings.max_file_size, settings.value_flow, settings.workers) == (10, "auto", Settings().workers)
    described = {entry["name"]: entry["source"] for entry in describe_settings(tmp_path)}
    assert (described["max_file_size"], described["value_flow"], described["workers"]) == ("file", "default", "default")


def test_invalid_values_are_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEKG_BULK_COPY", "sometimes")
    with pytest.raises(ValidationError):
        load_settings(tmp_path)


def test_the_old_name_load_strategy_is_read_as_bulk_copy_with_a_warning(tmp_path, monkeypatch, caplog):
    """An unknown key is a warning and the run goes on; a renamed one is a warning too, but still takes
    effect: an old `load_strategy = "merge"` keeps COPY off instead of being ignored."""
    config = tmp_path / "codekg.toml"
    config.write_text('load_strategy = "merge"\nworkers = 1\n')
    with caplog.at_level("WARNING", logger="codekg.settings"):
        assert load_settings(tmp_path).bulk_copy is False
        assert load_settings(tmp_path).bulk_copy is False  # warned once
    assert [record.getMessage() for record in caplog.records] == [
        f"setting `load_strategy` in {config} is renamed `bulk_copy`: read as `bulk_copy = false`"]
    config.write_text('load_strategy = "merge"\nbulk_copy = true\n')
    assert load_settings(tmp_path).bulk_copy is True  # the new name wins where both are set
    config.write_text('load_strategy = "copy"\n')
    assert load_settings(tmp_path).bulk_copy is True
    config.unlink()
    caplog.clear()
    monkeypatch.setenv("CODEKG_LOAD_STRATEGY", "merge")
    with caplog.at_level("WARNING", logger="codekg.settings"):
        assert load_settings(tmp_path).bulk_copy is False
    assert "setting `load_strategy` in the environment is renamed `bulk_copy`: read as `bulk_copy = false`" in caplog.text
    assert load_settings(tmp_path, bulk_copy=True).bulk_copy is True
    monkeypatch.setenv("CODEKG_LOAD_STRATEGY", "sometimes")
    with pytest.raises(ValidationError, match="bulk_copy"):
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

    (tmp_path / "codekg.toml").write_text('workers = 3\nbulk_copy = false\n')
    monkeypatch.setenv("CODEKG_MAX_FILE_SIZE", "5")
    monkeypatch.setenv("codekg_store_password", "hunter2")  # environment names are not case-sensitive
    described = {entry["name"]: entry for entry in describe_settings(tmp_path, bulk_copy=True)}
    assert {name: (described[name]["value"], described[name]["source"])
            for name in ("workers", "bulk_copy", "max_file_size", "store_password", "ambiguity_limit", "api_token")} == {
        "workers": (3, "file"), "bulk_copy": (True, "flag"), "max_file_size": (5, "environment"),
        "store_password": (MASK, "environment"), "ambiguity_limit": (3, "default"), "api_token": (None, "default")}
    assert described["max_file_size"]["description"] == "Files larger than this many bytes are skipped."


def test_the_configuration_guide_is_generated_from_the_settings():
    from pathlib import Path

    from codekg.settings import Settings, configuration_markdown

    guide = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    assert guide.read_text(encoding="utf-8") == configuration_markdown(), "stale: run `make config-doc`"
    assert all(f"| `{name}` |" in configuration_markdown() for name in Settings.model_fields)
