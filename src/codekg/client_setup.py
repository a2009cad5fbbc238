"""`codekg setup CLIENT`: the MCP configuration an editor or agent reads, written into the repository.

Each client reads a JSON file of its own, in the project (so the setup travels with the repository
and needs no home-directory access):

| client | file | shape |
|---|---|---|
| claude (Claude Code) | `.mcp.json` | `{"mcpServers": {"codekg": {"type": "stdio", "command", "args"}}}` |
| cursor | `.cursor/mcp.json` | `{"mcpServers": {"codekg": {"command", "args"}}}` |
| vscode (VS Code, Copilot) | `.vscode/mcp.json` | `{"servers": {"codekg": {"type": "stdio", "command", "args"}}}` |

The server runs this codekg (this Python, `-m codekg mcp --repo <root>`), so the client starts the
installation that wrote the file. The entry `codekg` is added or replaced; every other server in an
existing file is kept. A file that is not a JSON object is left untouched and reported.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codekg.errors import InputError

SERVER_NAME = "codekg"


@dataclass(frozen=True, slots=True)
class ClientFile:
    path: str  # relative to the repository root
    servers_key: str
    with_type: bool


CLIENTS = {
    "claude": ClientFile(".mcp.json", "mcpServers", True),
    "cursor": ClientFile(".cursor/mcp.json", "mcpServers", False),
    "vscode": ClientFile(".vscode/mcp.json", "servers", True),
}


def server_entry(root: Path, with_type: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "stdio"} if with_type else {}
    entry.update(command=sys.executable, args=["-m", "codekg", "mcp", "--repo", str(root)])
    return entry


def client_configuration(client: str, root: Path) -> tuple[Path, dict[str, Any], bool]:
    """Where ``client``'s configuration for ``root`` goes, what it holds once codekg is in it, and
    whether a `codekg` entry was there already (it is replaced)."""
    if client not in CLIENTS:
        raise InputError(f"unknown client {client!r}: use {', '.join(CLIENTS)}")
    spec = CLIENTS[client]
    path = root / spec.path
    current: Any = {}
    if path.exists() and path.read_bytes().strip():  # an empty file is an empty configuration
        try:
            current = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"{path} is not valid JSON ({error}); fix or remove it, then run `codekg setup` again") from None
        if not isinstance(current, dict) or not isinstance(current.get(spec.servers_key, {}), dict):
            raise InputError(f"{path} is not an MCP configuration this codekg can add to "
                             f"(expected an object with an object `{spec.servers_key}`); left as it is")
    servers = dict(current.get(spec.servers_key, {}))
    replaced = SERVER_NAME in servers
    servers[SERVER_NAME] = server_entry(root.resolve(), spec.with_type)
    return path, {**current, spec.servers_key: servers}, replaced


def write_configuration(path: Path, configuration: dict[str, Any]) -> None:
    """Replace ``path`` atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.codekg-partial")
    partial.write_text(json.dumps(configuration, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(partial, path)
