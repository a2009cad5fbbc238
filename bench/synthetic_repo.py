"""A seeded synthetic repository of N files, half Python and half JavaScript, for the scale benchmark.

Why synthetic: the 100,000-file run of issue 15 needs a repository of that size with the shape of real
code (packages of modules, imports between them, classes with methods, calls within a file, across
files and through instances), which no downloadable project has. The same seed and size always give
the same bytes.

Shape: files are grouped in packages of PACKAGE_FILES modules, packages in folders of
FOLDER_PACKAGES. Each module defines FUNCTIONS functions and one class with METHODS methods; each
function calls a function of its own module, one of an imported module and a method of an imported
class. A module imports up to MAX_IMPORTS modules of the same language, from earlier in the
repository (so the import graph is acyclic) and mostly from nearby packages, as real code does.

    python bench/synthetic_repo.py OUT --files N [--seed S]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

PACKAGE_FILES = 20
FOLDER_PACKAGES = 25
FUNCTIONS = 6
METHODS = 4
MAX_IMPORTS = 5
NEARBY = 200  # how far back (in modules of the language) most imports reach


def generate(out: Path, files: int, seed: int = 1) -> int:
    """Write the repository into ``out`` (emptied first); returns the number of files written."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rng = random.Random(seed)
    modules: dict[str, list[tuple[str, ...]]] = {"python": [], "javascript": []}
    for number in range(files):
        language = "python" if number % 2 == 0 else "javascript"
        index = len(modules[language])
        package = index // PACKAGE_FILES
        parts = (f"area{package // FOLDER_PACKAGES}", f"pkg{package}", f"mod{index}")
        imports = _imports(rng, modules[language])
        modules[language].append(parts)
        path, text = (_python(parts, imports, rng) if language == "python" else _javascript(parts, imports, rng))
        target = out / ("py" if language == "python" else "js") / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for package_dir in (out / "py").rglob("*"):
        if package_dir.is_dir():
            (package_dir / "__init__.py").touch()
    return files


def _imports(rng: random.Random, earlier: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    if not earlier:
        return []
    wanted = min(len(earlier), rng.randint(1, MAX_IMPORTS))
    chosen: dict[tuple[str, ...], None] = {}
    for _ in range(wanted):
        far = rng.random() < 0.2
        low = 0 if far else max(0, len(earlier) - NEARBY)
        chosen[earlier[rng.randrange(low, len(earlier))]] = None
    return list(chosen)


def _python(parts: tuple[str, ...], imports: list[tuple[str, ...]], rng: random.Random) -> tuple[str, str]:
    lines = [f'"""Synthetic module {".".join(parts)}."""', ""]
    for other in imports:
        lines.append(f"from {'.'.join(('py', *other))} import f0 as {other[-1]}_f0, Worker{other[-1][3:]}")
    lines += ["", ""]
    name = parts[-1][3:]
    for function in range(FUNCTIONS):
        lines.append(f"def f{function}(value, count=0):")
        lines.append(f'    """Step {function} of module {name}."""')
        if function:
            lines.append(f"    value = f{rng.randrange(function)}(value, count + 1)")
        if imports:
            other = rng.choice(imports)
            lines.append(f"    value = {other[-1]}_f0(value)")
            lines.append(f"    worker = Worker{other[-1][3:]}(value)")
            lines.append(f"    value = worker.m{rng.randrange(METHODS)}(count)")
        lines += ["    return value", "", ""]
    lines.append(f"class Worker{name}:")
    lines.append(f'    """The worker of module {name}."""')
    lines += ["", "    def __init__(self, value):", "        self.value = value", ""]
    for method in range(METHODS):
        lines.append(f"    def m{method}(self, count):")
        call = f"self.m{rng.randrange(method)}(count)" if method else f"f{rng.randrange(FUNCTIONS)}(self.value, count)"
        lines += [f"        return {call}", ""]
    return "/".join(parts) + ".py", "\n".join(lines) + "\n"


def _javascript(parts: tuple[str, ...], imports: list[tuple[str, ...]], rng: random.Random) -> tuple[str, str]:
    lines = [f"// Synthetic module {'/'.join(parts)}.", ""]
    depth = len(parts) - 1
    for other in imports:
        relative = "../" * depth + "/".join(other)
        lines.append(f"import {{ f0 as {other[-1]}_f0, Worker{other[-1][3:]} }} from '{relative}.js';")
    lines.append("")
    name = parts[-1][3:]
    for function in range(FUNCTIONS):
        lines.append(f"export function f{function}(value, count = 0) {{")
        if function:
            lines.append(f"  value = f{rng.randrange(function)}(value, count + 1);")
        if imports:
            other = rng.choice(imports)
            lines.append(f"  value = {other[-1]}_f0(value);")
            lines.append(f"  const worker = new Worker{other[-1][3:]}(value);")
            lines.append(f"  value = worker.m{rng.randrange(METHODS)}(count);")
        lines += ["  return value;", "}", ""]
    lines.append(f"export class Worker{name} {{")
    lines += ["  constructor(value) {", "    this.value = value;", "  }", ""]
    for method in range(METHODS):
        call = f"this.m{rng.randrange(method)}(count)" if method else f"f{rng.randrange(FUNCTIONS)}(this.value, count)"
        lines += [f"  m{method}(count) {{", f"    return {call};", "  }", ""]
    lines.append("}")
    return "/".join(parts) + ".js", "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write (emptied first)")
    parser.add_argument("--files", type=int, required=True, help="number of source files")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    count = generate(args.out, args.files, args.seed)
    print(f"{count} files in {args.out}")


if __name__ == "__main__":
    main()
