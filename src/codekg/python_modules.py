"""A Python relative import's absolute module, for the resolve pass and for readers of the graph.

Apart from resolve/imports.py because `locate` follows a package's re-exports in the stored graph
(`requests.get` is `requests.api.get`), and needs this without the resolve pass's imports.
"""

from __future__ import annotations


def absolute_module(importer: str, importer_is_package: bool, module: str) -> str | None:
    """``module`` as written in module ``importer`` (an `__init__.py` when ``importer_is_package``),
    its leading dots replaced by the importer's package (`.core` in package `pkg` is `pkg.core`), or
    None when the dots climb above the top-level package."""
    dots = len(module) - len(module.lstrip("."))
    if not dots:
        return module
    package = importer.split(".")
    if not importer_is_package:
        package = package[:-1]
    if dots - 1 > len(package) or (dots - 1 == len(package) and not module[dots:]):
        return None
    base = package[: len(package) - (dots - 1)]
    return ".".join([*base, module[dots:]] if module[dots:] else base) or None
