"""languages/manifest.py: pyproject.toml and package.json read into PackageManifest records (exact)."""

from __future__ import annotations

from codekg.languages.manifest import ManifestExtractor
from codekg.records import PackageManifest

PYPROJECT = b"""
[build-system]
requires = ["hatchling>=1.20"]

[project]
name = "shop"
version = "1.2.0"
dependencies = ["pydantic>=2.7,<3", "requests[socks] >= 2.31 ; python_version >= '3.9'", "attrs"]

[project.optional-dependencies]
db = ["sqlalchemy~=2.0"]
"""

POETRY = b"""
[tool.poetry]
name = "legacy-app"
version = "0.3.1"

[tool.poetry.dependencies]
python = "^3.10"
flask = "^3.0"
celery = { version = ">=5.3", extras = ["redis"] }

[tool.poetry.group.test.dependencies]
pytest = "^8"
"""

PACKAGE_JSON = b"""{
  "name": "@acme/web", "version": "4.0.0-beta.1",
  "dependencies": {"react": "^18.2.0", "lodash": "4.17.21"},
  "devDependencies": {"typescript": "~5.4"},
  "peerDependencies": {"react-dom": ">=18"},
  "optionalDependencies": {"fsevents": "*"}
}"""


def extract(path: str, source: bytes):
    return ManifestExtractor().extract(path, source)


def test_pyproject_pep_621() -> None:
    parsed = extract("pyproject.toml", PYPROJECT)
    assert (parsed.language, parsed.warnings, parsed.definitions) == ("manifest", [], [])
    assert parsed.packages == [PackageManifest("shop", "1.2.0", "python", (
        ("pydantic", ">=2.7,<3", "runtime"), ("requests", ">= 2.31", "runtime"), ("attrs", "", "runtime"),
        ("sqlalchemy", "~=2.0", "optional:db"), ("hatchling", ">=1.20", "build")))]


def test_pyproject_poetry() -> None:
    assert extract("svc/pyproject.toml", POETRY).packages == [PackageManifest("legacy-app", "0.3.1", "python", (
        ("flask", "^3.0", "runtime"), ("celery", ">=5.3", "runtime"), ("pytest", "^8", "group:test")))]


def test_package_json() -> None:
    assert extract("web/package.json", PACKAGE_JSON).packages == [PackageManifest("@acme/web", "4.0.0-beta.1", "npm", (
        ("react", "^18.2.0", "runtime"), ("lodash", "4.17.21", "runtime"), ("typescript", "~5.4", "dev"),
        ("react-dom", ">=18", "peer"), ("fsevents", "*", "optional")))]


def test_bad_or_nameless_manifests_give_a_warning_and_no_package() -> None:
    broken = extract("package.json", b'{"name": "x",')
    assert (broken.packages, broken.parse_errors) == ([], 1)
    assert broken.warnings[0].startswith("cannot read this manifest: JSONDecodeError: ")
    toml = extract("pyproject.toml", b"[project\nname = 1")
    assert toml.packages == [] and toml.warnings[0].startswith("cannot read this manifest: TOMLDecodeError: ")
    # configuring tools only, or an unpublished app without a name, declares no package: nothing to warn of
    tool_only = extract("pyproject.toml", b"[tool.ruff]\nline-length = 100\n")
    assert (tool_only.packages, tool_only.warnings) == ([], [])
    assert (extract("package.json", b'{"private": true}').packages, extract("package.json", b'{"private": true}').warnings) == ([], [])
    nameless = extract("pyproject.toml", b'[project]\nversion = "1.0"\n')  # PEP 621 requires the name
    assert (nameless.packages, nameless.warnings) == ([], ["this manifest's [project] table has no name: no Package node"])
    assert extract("package.json", b"[1, 2]").warnings[0].startswith("cannot read this manifest: ")
