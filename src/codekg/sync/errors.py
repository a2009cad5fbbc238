"""The error taxonomy of a sync: each class retryable or fatal, each with a stable name in the report.

A retryable error is tried again under the retry policy (the `sync_retry_delays` setting, jittered);
a fatal one stops the run with its checkpoint saved. A file that cannot be read or parsed is never
either: it is counted in the report and the run goes on.
"""

from __future__ import annotations

import errno
import socket

from codekg.errors import CodekgError


class SyncError(CodekgError):
    """A sync that cannot go on; ``retryable``: whether trying again may help."""

    exit_code = 1
    retryable = False


class NetworkTimeout(SyncError):
    retryable = True


class NetworkError(SyncError):
    """The remote closed the connection, refused it, or could not be reached."""

    retryable = True


class RateLimitExceeded(SyncError):
    retryable = True

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseLocked(SyncError):
    retryable = True


class RemoteNotFound(SyncError):
    """The remote or the branch does not exist: a usage error."""

    exit_code = 2


class ParseError(SyncError):
    """A file that cannot be read: counted, never fatal."""


class ValidationError(SyncError):
    pass


class SchemaError(SyncError):
    pass


class DatabaseCorruption(SyncError):
    pass


class OutOfMemory(SyncError):
    pass


def classify(error: BaseException) -> SyncError:
    """The taxonomy's class for an error a fetch or an index raised."""
    from dulwich.errors import GitProtocolError, HangupException, NotGitRepository

    from codekg.errors import IndexLockedError, SchemaVersionError, StoreError

    message = " ".join(str(error).split())[:500] or type(error).__name__
    if isinstance(error, SyncError):
        return error
    if isinstance(error, (socket.timeout, TimeoutError)) or message.endswith("timed out"):
        return NetworkTimeout(f"the remote did not answer in time: {message}")
    if isinstance(error, MemoryError):
        return OutOfMemory("out of memory")
    if isinstance(error, IndexLockedError):
        return DatabaseLocked(message)
    if isinstance(error, SchemaVersionError):
        return SchemaError(message)
    if isinstance(error, StoreError) and "corrupt" in message.lower():
        return DatabaseCorruption(message)
    if isinstance(error, NotGitRepository) or "not found" in message.lower() or "does not appear to be a git" in message:
        return RemoteNotFound(f"no git repository there: {message}")
    if isinstance(error, (HangupException, ConnectionError, GitProtocolError)):
        return NetworkError(f"the connection to the remote failed: {message}")
    if isinstance(error, OSError) and error.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH,
                                                      errno.ENETUNREACH, errno.EPIPE):
        return NetworkError(f"the connection to the remote failed: {message}")
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return DatabaseCorruption(f"the disk is full: {message}")
    if isinstance(error, CodekgError):  # codekg's own report of a fatal problem: its message and exit code
        wrapped = SyncError(message)
        wrapped.exit_code = error.exit_code
        return wrapped
    return SyncError(f"{type(error).__name__}: {message}")
