"""The web view at `/` of `codekg serve`: a search box, a file tree and a symbol page (source, callers
and callees as an interactive graph, impact list), all drawn in the browser from the same HTTP API.

The page and its script are static files of this package; the graph is drawn by vis-network, whose
build ships inside the `pyvis` wheel (served from there: no CDN, works offline). None of these files
holds repository data, so they need no token: the page asks for one when the API answers 401.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
VIS_NETWORK_VERSION = "9.1.2"  # the newer of the two builds pyvis 0.3.2 ships
# the page's own files, and the library files it loads: a fixed list, so no request path reaches the disk
PAGE_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
LIBRARY_FILES = {"vis-network.min.js": "text/javascript", "vis-network.css": "text/css"}
# scripts only from this server (no inline script: every text from the index is set as text, never as
# markup); vis-network sets element styles, hence 'unsafe-inline' for styles alone
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
           "Cache-Control": "no-cache"}


def library_dir() -> Path:
    """Where the installed pyvis keeps its vis-network build (found without importing pyvis, which
    would import IPython)."""
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the web view needs the pyvis package (pip install pyvis): it ships vis-network")
    return Path(next(iter(spec.submodule_search_locations))) / "lib" / f"vis-{VIS_NETWORK_VERSION}"


def add_web_view(app: FastAPI) -> None:
    """Serve the page at `/` and its files under `/web/`."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)

    @app.get("/web/lib/{name}", include_in_schema=False)
    def library_file(name: str) -> FileResponse:
        if name not in LIBRARY_FILES:
            raise HTTPException(404, f"no web file {name!r}")
        return FileResponse(library_dir() / name, media_type=LIBRARY_FILES[name], headers=HEADERS)

    @app.get("/web/{name}", include_in_schema=False)
    def page_file(name: str) -> FileResponse:
        if name not in PAGE_FILES:
            raise HTTPException(404, f"no web file {name!r}")
        return FileResponse(STATIC / name, media_type=PAGE_FILES[name], headers=HEADERS)
