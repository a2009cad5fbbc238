"""codekg's HTTP API (`codekg serve`): the app in `app.py`, its checks in `security.py` and `cypher_guard.py`.

Importing this package does not import FastAPI: the checks are shared with the MCP server.
"""
