"""Package nodes in the index, through the CLI: a root pyproject.toml and a nested package.json,
their modules (CONTAINS), their dependencies (DEPENDS_ON), and incremental runs that move modules
between packages as manifests come and go."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sql.test_lineage_index import rows

FILES = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "1.0"\ndependencies = ["pydantic>=2", "httpx"]\n',
    "src/shop/__init__.py": "",
    "src/shop/cart.py": "def total(items):\n    return sum(items)\n",
    "tools/report.py": "from shop.cart import total\n",
    "web/package.json": '{"name": "shop-web", "version": "0.1.0", "dependencies": {"react": "^18"}, '
                        '"devDependencies": {"vite": "5"}}',
    "web/src/app.js": "export function main() { return 1; }\n",
}


def index(repo: Path, *extra: str) -> None:
    result = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--quiet", *extra],
                            capture_output=True, text=True, env=dict(os.environ), timeout=180)
    assert result.returncode == 0, result.stderr


CONTAINED = "MATCH (p:Package)-[:CONTAINS]->(m:Module) RETURN p.name, m.qualified_name ORDER BY p.name, m.qualified_name"


def test_packages_their_modules_and_dependencies(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for path, text in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    index(repo)
    assert rows(repo, "MATCH (f:File)-[:DEFINES]->(p:Package) RETURN f.file_path, p.name, p.version, p.language ORDER BY p.name") == [
        ["pyproject.toml", "shop", "1.0", "python"], ["web/package.json", "shop-web", "0.1.0", "npm"]]
    assert rows(repo, CONTAINED) == [["shop", "shop"], ["shop", "shop.cart"], ["shop", "tools.report"],
                                     ["shop-web", "web.src.app"]]
    assert rows(repo, "MATCH (p:Package)-[d:DEPENDS_ON]->(e:External) RETURN p.name, e.qualified_name, d.version, d.kind, "
                      "d.reason ORDER BY p.name, e.qualified_name") == [
        ["shop", "httpx", "", "runtime", "manifest"], ["shop", "pydantic", ">=2", "runtime", "manifest"],
        ["shop-web", "react", "^18", "runtime", "manifest"], ["shop-web", "vite", "5", "dev", "manifest"]]
    assert rows(repo, "MATCH (m:Module) WHERE m.file_path ENDS WITH '.json' OR m.file_path ENDS WITH '.toml' RETURN count(m)") == [[0]]

    # a nested manifest takes the files below it; removing it gives them back; incremental = full
    (repo / "tools" / "pyproject.toml").write_text('[project]\nname = "shop-tools"\n')
    index(repo)
    assert rows(repo, CONTAINED) == [["shop", "shop"], ["shop", "shop.cart"], ["shop-tools", "tools.report"],
                                     ["shop-web", "web.src.app"]]
    (repo / "web" / "package.json").unlink()
    index(repo)
    assert rows(repo, CONTAINED) == [["shop", "shop"], ["shop", "shop.cart"], ["shop", "web.src.app"],
                                     ["shop-tools", "tools.report"]]
    edges = "MATCH (a)-[e]->(b) RETURN a.id, label(e), b.id ORDER BY a.id, label(e), b.id"
    incremental = rows(repo, edges)
    index(repo, "--full")
    assert rows(repo, edges) == incremental


def test_a_distribution_named_more_than_once_is_one_edge_with_every_kind(tmp_path: Path) -> None:
    """An edge is its type and endpoints: fastapi's pyproject names `httpx` in two extras. One
    DEPENDS_ON edge holds both kinds (and each distinct range), so an incremental run that rewrites
    the manifest's edges leaves what a full build writes (two edges there lost one of them)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    manifest = ('[project]\nname = "api"\ndependencies = ["httpx>=0.23"]\n[project.optional-dependencies]\n'
                'standard = ["httpx>=0.23", "jinja2>=2.11"]\nall = ["httpx>=0.27", "jinja2>=2.11"]\n')
    (repo / "pyproject.toml").write_text(manifest)
    (repo / "app.py").write_text("def main():\n    return 1\n")
    index(repo)
    query = ("MATCH (p:Package)-[d:DEPENDS_ON]->(e:External) RETURN e.qualified_name, d.version, d.kind "
             "ORDER BY e.qualified_name")
    expected = [["httpx", ">=0.23 | >=0.27", "runtime, optional:standard, optional:all"],
                ["jinja2", ">=2.11", "optional:standard, optional:all"]]
    assert rows(repo, query) == expected
    (repo / "pyproject.toml").write_text(manifest.replace('name = "api"', 'name = "api2"'))
    index(repo)
    assert rows(repo, query) == expected
    index(repo, "--full")
    assert rows(repo, query) == expected
