"""codekg's HTTP API (`codekg serve`): the app in `app.py`, its checks in `security.py` (queries: `codekg/query_guard.py`).

Importing this package does not import FastAPI: the checks are shared with the MCP server.
"""
