"""One exception hierarchy; the CLI maps each class to a message and an exit code in one place."""

import re


class CodekgError(Exception):
    """Base of every error codekg reports to a user (never shown with a traceback)."""

    exit_code = 1

    @property
    def code(self) -> str:
        """A stable machine name for the kind of error: the class name without `Error`, in snake case
        (`SymbolNotFoundError` → `symbol_not_found`), as `--json` prints it."""
        return _snake_case(type(self).__name__.removesuffix("Error"))

    def details(self) -> dict:
        """What a JSON error adds beside the message and the code (an ambiguous symbol: its candidates)."""
        return {}

    def to_json(self) -> dict:
        return error_json(self.code, str(self), self.details())

    def __reduce__(self) -> tuple:
        """Pickled by state, not by constructor arguments (subclasses take other ones), so an error
        raised in a worker process (query_sandbox.py) arrives whole."""
        return (_rebuild, (type(self), self.args, self.__dict__))


def error_json(code: str, message: str, details: dict | None = None) -> dict:
    """The one error document of `--json`, the HTTP API and the MCP tools: `error`, a stable code
    (`symbol_not_found`, `input`, `query_forbidden`, …), `message` for a person, then what the kind
    adds (`candidates`, `reason`, `suggestions`). The CLI adds its `exit_code`; HTTP has its status."""
    return {"error": code, "message": message, **(details or {})}


def validation_message(errors: list[dict]) -> str:
    """pydantic's validation errors as one line per interface (`depth: Input should be less than or
    equal to 10; query: Field required`): the fields and what is wrong, not its links and types."""
    return "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in errors)


def _rebuild(cls: type, args: tuple, state: dict) -> "CodekgError":
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class InputError(CodekgError):
    """The user pointed codekg at something it cannot index or read (missing path, file, empty dir)."""

    exit_code = 2


class IndexNotFoundError(CodekgError):
    """No index exists where one was expected."""

    exit_code = 2


class SchemaVersionError(CodekgError):
    """The index was written by a codekg with another schema version."""

    exit_code = 2


class MigrationError(CodekgError):
    """A schema migration failed; it was rolled back and the index keeps its old version."""

    exit_code = 1


class QueryError(CodekgError):
    """The database rejected a query; the message is the database's own."""

    exit_code = 1


class IndexLockedError(CodekgError):
    """Another indexer holds the index directory."""

    exit_code = 3


class StoreError(CodekgError):
    """The graph store failed while writing or reading."""

    exit_code = 1


class RunInterrupted(CodekgError):
    """Ctrl-C or SIGTERM stopped a run; whatever it was writing was discarded."""

    exit_code = 130


class CacheMismatchError(CodekgError):
    """`codekg cache verify` found cached parse records that differ from a fresh parse."""

    exit_code = 1


class SymbolNotFoundError(CodekgError):
    """No node of the index has the qualified name, id or short name the user gave; ``suggestions``:
    qualified names of symbols whose name is close to it (a typo), best first."""

    exit_code = 2

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []

    def details(self) -> dict:
        return {"suggestions": self.suggestions}


class SymbolAmbiguousError(CodekgError):
    """A symbol text matches several nodes; ``candidates`` lists them (JSON-ready dicts) so the user can pick one."""

    exit_code = 2

    def __init__(self, message: str, candidates: list[dict]) -> None:
        super().__init__(message)
        self.candidates = candidates

    def details(self) -> dict:
        return {"candidates": self.candidates}


class GitError(CodekgError):
    """git could not answer: not a work tree, no commit yet, an unknown ref."""

    exit_code = 2


class QueryRefusedError(CodekgError):
    """A Cypher query refused before the database ran it (query_guard.py); ``reason`` names the rule
    it broke (`too_deep`, `file_access`, …), stable for clients."""

    exit_code = 2

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def details(self) -> dict:
        return {"reason": self.reason}


class QueryTooLargeError(QueryRefusedError):
    """A query (or its parameters) beyond a size limit: too long, too deep, too many tokens or parameters."""


class QueryForbiddenError(QueryRefusedError):
    """A query that would touch files, extensions, the catalog, transactions or settings: refused in every mode."""


class WriteQueryError(QueryForbiddenError):
    """A query with a graph write (CREATE, MERGE, SET, DELETE, REMOVE) sent where writes are not allowed."""

    def __init__(self, clause: str) -> None:
        super().__init__("graph_write", f"write clause {clause} refused: this interface is read-only")
        self.clause = clause


class PathOutsideRootError(CodekgError):
    """A path named by a request (or by the index, through a symlink) leads outside the indexed root."""

    exit_code = 2


class UnknownRepositoryError(InputError):
    """A request named a repository the server does not serve."""

    def __init__(self, name: str, candidates: list[str]) -> None:
        super().__init__(f"unknown repository {name!r}; served: {', '.join(candidates)}")
        self.candidates = candidates

    def details(self) -> dict:
        return {"candidates": self.candidates}


class EmbeddingsUnavailableError(CodekgError):
    """Embeddings were asked for but cannot be had: the `codekg[embeddings]` extra is missing, the model
    cannot be loaded offline, or the index has no vectors for a semantic search."""

    exit_code = 2


class EmbeddingError(CodekgError):
    """The embedding model failed on the texts it was given (e.g. the endpoint answered with an error)."""

    exit_code = 1


class StoreUriError(InputError):
    """A `--store` / `--also-write` value names no store codekg knows."""


class StoreUnavailableError(StoreError):
    """A server store could not be reached, or kept failing, after every retry."""


class StoresDisagreeError(CodekgError):
    """`codekg verify` found nodes or edges that differ between two stores."""

    exit_code = 1


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
