"""Settings precedence: flags over CODEKG_* environment over codekg.toml over defaults."""

import pytest
from pydantic import ValidationError

from codekg.settings import load_settings


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
