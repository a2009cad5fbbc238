"""Why a bulk COPY into the embedded store failed: one kind per failure, for the log, the
`codekg_copy_failures_total{kind}` counter and the run summary.

Takes the error `LadybugStore` caught; returns one of COPY_FAILURE_KINDS. The patterns are Ladybug
0.22's own messages, each seen in a real failure (tests/stores/test_copy_failures.py forces them
against a real database). A message none of them matches is `execution_failed`.
"""

from __future__ import annotations

import re

from codekg.errors import QueryError

COPY_FAILURE_KINDS = ("file_system", "write_failed", "generation_failed", "schema_mismatch", "data_format",
                      "page_cache_full", "execution_failed")

# The first kind whose pattern a message matches, in this order: a checkpoint that failed to write
# says "IO exception", and "Binder exception" also prefixes an unreadable COPY input.
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "Cannot write to file. path: … Error: File too large" (or No space left on device), also when
    # the COPY committed and only its checkpoint failed
    ("write_failed", re.compile(r"Cannot write to file|No space left on device|File too large|Disk quota exceeded|"
                                r"WAL sync failed")),
    # "IO exception: Cannot open file …: No such file or directory" (the directory is gone), "Too many open files"
    ("file_system", re.compile(r"IO exception|Cannot open file|No such file or directory|Permission denied|"
                               r"Read-only file system|Too many open files|Failed to create directory")),
    # the Arrow input cannot be read: "Pure time types are not supported", "16 bit floats are not
    # supported", "Runtime exception: Unknown parameter type <…RecordBatch'>", "Trying to scan from
    # unsupported data type"
    ("generation_failed", re.compile(r"Unknown parameter type|scan from unsupported|Expected a pyarrow Table|"
                                     r"Pure time types? (?:are|is)|bit floats are not supported")),
    # "Binder exception: $arrow_rows has 10 columns but 9 columns were expected.", "… does not contain
    # Folder-Project from-to pair.", "Conversion exception: Unsupported casting function from TIMESTAMP_SEC to INT64."
    ("schema_mismatch", re.compile(r"Binder exception|Catalog exception|Unsupported casting function|type mismatch|"
                                   r"not of the expected type|Implicit cast is not supported|duplicate column name")),
    # "Copy exception: Found duplicated primary key value …", "… Found NULL, which violates the non-null
    # constraint of the primary key column.", "… Unable to find primary key value Folder:9." (an edge
    # endpoint), "Conversion exception: Cast failed. Could not convert "a" to INT64.", "Overflow exception: …"
    ("data_format", re.compile(r"Copy exception|Conversion exception|Overflow exception")),
    # "Buffer manager exception: Unable to allocate memory! The buffer pool is full and no memory could
    # be freed!": the build's page cache is smaller than the graph needs (stores/ladybug.py `build`)
    ("page_cache_full", re.compile(r"buffer pool is full|Buffer manager exception")),
)


def classify_copy_failure(error: QueryError) -> str:
    """The kind of a failed COPY, from the database's message. The binding reports what it cannot
    read in the Arrow input as the database does (a RuntimeError, which the store raises as
    QueryError), so one message covers every stage; the store's own query timeout is `execution_failed`."""
    message = str(error)
    return next((kind for kind, pattern in _KIND_PATTERNS if pattern.search(message)), "execution_failed")
