"""How a file name that is not UTF-8 is stored, and read back: for every pass and reader.

Apart from the scan pass because readers (context, detect-changes) need only these two functions,
not the scan's imports (the language table with tree-sitter, the settings).
"""

from __future__ import annotations

import os
import re


def stored_path(name: str) -> str:
    """A repo-relative file name as valid UTF-8: each byte that is not UTF-8 becomes the text ``\\xNN``.

    Names come surrogate-escaped from ``os.walk`` and ``git ls-files -z``; a UTF-8 name is unchanged.
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def escaped_name(path: str) -> str:
    """The name a stored path may stand for: each ``\\xNN`` (80 to ff) back to the byte ``stored_path``
    escaped. For a reader holding only the stored path, to try when no file has that name."""
    return _ESCAPED_BYTE.sub(lambda match: chr(0xDC00 + int(match[1], 16)), path)


_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")
