"""Reading an issue like an engineer: what in its text points at code.

An issue names symbols (`backticked`, dotted `pkg.mod.func`, CamelCase, `call()`), gives file paths,
pastes tracebacks (each frame a file, a line and a function) and error lines, and quotes messages
and code. Each of these is a stronger clue than a prose word; `locate` (search/locate.py) resolves
them to graph nodes and weighs them above the words. The whole text is read, however long (a
50 KB issue is read to its end): nothing here is cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from codekg.search.tokens import STOPWORDS

# ``` or ~~~ fences (their language tag aside), and the text between them
_FENCE = re.compile(r"^(?P<fence>```|~~~)[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
_BACKTICKED = re.compile(r"`([^`\n]{1,200})`")
# Python: File "path", line N, in name
_PY_FRAME = re.compile(r'File "(?P<path>[^"\n]+)", line (?P<line>\d+)(?:, in (?P<name>[\w<>.]+))?')
# JavaScript/TypeScript: at name (path:line:col) / at path:line:col
_JS_FRAME = re.compile(r"\bat (?:(?P<name>[\w$.<>\[\] ]+?) \()?(?P<path>[^\s()]+?\.(?:[cm]?[jt]sx?)):(?P<line>\d+)(?::\d+)?\)?")
# an exception line, wherever it stands: `ValueError: message`, a command's `Error: message`, or a
# dotted name with a message, `pkg.errors.BadThing: message`, whatever the class is called
_ERROR_LINE = re.compile(r"^\s*(?:(?P<type>(?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*)?(?:Error|Exception|Warning|Exit|Interrupt|Fault))"
                         r"(?::[ \t]*(?P<message>[^\n]+))?|(?P<dotted>(?:[A-Za-z_]\w*\.)+[A-Z]\w*):[ \t]*(?P<dotted_message>[^\n]+))$",
                         re.MULTILINE)
# the line that ends a Python traceback, whatever its exception is called (`InvalidURL: message`,
# `KeyError: 'x'`): the first line at the margin after a frame and the indented lines below it
_TRACEBACK_END = re.compile(r'^[ \t]*File "[^"\n]+", line \d+[^\n]*\n(?:[ \t]+[^\n]*\n)*?'
                            r"(?P<type>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)(?::[ \t]*(?P<message>[^\n]+))?$", re.MULTILINE)
# "quoted" or 'quoted' text of at least three words' worth: messages and strings the code holds
_QUOTED = re.compile(r"\"([^\"\n]{8,300})\"|(?<![\w])'([^'\n]{8,300})'(?![\w])")
_PATH = re.compile(r"(?<![\w/.-])(?P<path>(?:[\w.-]+/)*[\w.-]+\.(?:py|pyi|js|jsx|mjs|cjs|ts|tsx|sql))\b")
_DOTTED = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?P<call>\()?")
_CALL = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)\(")
_CAMEL = re.compile(r"(?<![\w.])(?P<name>[A-Z][a-z0-9]+[A-Z]\w*|[a-z]+[A-Z]\w*)\b(?!\.\w)")
_SNAKE = re.compile(r"(?<![\w.])(?P<name>_*[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b(?!\.\w)")
_TRACEBACK_LINES = re.compile(r"^.*(?:Traceback \(most recent call last\)|File \"[^\"\n]+\", line \d+|\bat \S+:\d+).*$|"
                              + _ERROR_LINE.pattern.removeprefix("^"), re.MULTILINE)
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+")
_LONE_WORD = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z0-9]+(?![\w.]*\w)")  # a word not inside a dotted name
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+|\b[0-9]{3,}\b")  # words, and numbers such as `2069` in "RFC 2069"
# file extensions a dotted token can end with that make it a path, not a name
_FILE_SUFFIXES = ("py", "pyi", "js", "jsx", "mjs", "cjs", "ts", "tsx", "sql", "md", "rst", "txt", "toml", "cfg", "ini", "json",
                  "yaml", "yml", "html", "css", "org", "com", "io", "net")
# prose words that are no clue at all, beyond the search stopwords: what every issue says
PROSE_STOPWORDS = STOPWORDS | frozenset(
    "after also am any be been but can could did doesn don expected get got has have here if into issue just like "
    "more most my no not now only other our should so some still than then there these they those though use used "
    "using version was we were when will would you your error bug fix problem works work working happens instead "
    "example code following see seems thanks".split()
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One traceback frame: the file as the traceback spells it, the line, the function (may be empty)."""

    path: str
    line: int
    name: str


@dataclass(slots=True)
class IssueClues:
    """What the text points at, strongest kind first. Identifiers keep the order of first mention;
    ``emphasised`` are the ones written as code (backticks, a code block, a call, a dotted name),
    ``plain`` the prose words that may be names (the rest look like names: CamelCase, snake_case)."""

    frames: list[Frame] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    error_types: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    emphasised: set[str] = field(default_factory=set)
    plain: set[str] = field(default_factory=set)  # identifiers that were only prose words
    words: list[str] = field(default_factory=list)


def read_issue(text: str) -> IssueClues:
    """The clues in ``text`` (Markdown or plain text, any length)."""
    clues = IssueClues()
    identifiers: dict[str, None] = {}
    text = _URL.sub(" ", text)  # a link's host and path words are no clue (`github`, `com`, `html`)
    code_blocks = [match.group("body") for match in _FENCE.finditer(text)]
    # frames and error lines are read from the whole text below; a traceback pasted without a fence
    # gives no names from them, as inside one (not `home`, `packages` or the user's own `main`)
    prose = _TRACEBACK_LINES.sub("", _FENCE.sub("\n", text))

    # frames and error lines, wherever they are pasted (in a code block or not)
    for match in _PY_FRAME.finditer(text):
        clues.frames.append(Frame(match.group("path"), int(match.group("line")), match.group("name") or ""))
    for match in _JS_FRAME.finditer(text):
        clues.frames.append(Frame(match.group("path"), int(match.group("line")), (match.group("name") or "").strip()))
    for match in [*_ERROR_LINE.finditer(text), *_TRACEBACK_END.finditer(text)]:
        clues.error_types.append(match.group("type") or match.group("dotted"))
        message = (match.group("message") or match.groupdict().get("dotted_message") or "").strip()
        if len(message) >= 8:
            clues.messages.append(message)
    frame_paths = {frame.path for frame in clues.frames}

    for match in _PATH.finditer(text):
        path = match.group("path")
        if path not in frame_paths and not path.startswith(("http", "www.")):
            clues.paths.append(path)
    quoted_spans: list[tuple[int, int]] = []  # where the prose quotes a message
    for match in _QUOTED.finditer(prose):
        quoted = (match.group(1) or match.group(2)).strip()
        if " " in quoted and not _PATH.fullmatch(quoted):
            clues.messages.append(quoted)
            quoted_spans.append(match.span())

    def note(name: str, emphasised: bool) -> None:
        name = name.strip().strip(".")
        if not name or name.lower() in PROSE_STOPWORDS or name.lower() in _CODE_KEYWORDS or len(name) < 3:
            return
        if "." in name and name.rsplit(".", 1)[-1] in _FILE_SUFFIXES:
            return  # a file name or a host, not a symbol
        identifiers.setdefault(name, None)
        if emphasised:
            clues.emphasised.add(name)

    for match in _BACKTICKED.finditer(prose):
        inner = match.group(1)
        for found in re.finditer(r"[A-Za-z_][\w.]*", inner):
            note(found.group(0), True)
    for block in code_blocks:
        code = _TRACEBACK_LINES.sub("", block)  # frames and error lines are read above; the code lines stay
        for found in re.finditer(r"(?<![\w.])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", code):
            name = found.group(0)
            if name.lower() not in _CODE_KEYWORDS:
                note(name, True)
    # a dotted name inside a quoted message is the message signal's (`"… received: http.request"`: an
    # event's type, not a symbol): no more than a prose word, unless the issue writes it elsewhere too.
    # A call keeps its weight there (`"f() got an unexpected keyword argument"` names the function).
    in_quotes: dict[str, None] = {}
    for pattern, emphasised in ((_DOTTED, True), (_CALL, True), (_CAMEL, False), (_SNAKE, False)):
        for match in pattern.finditer(prose):
            if pattern is _DOTTED and any(start <= match.start() < end for start, end in quoted_spans):
                in_quotes.setdefault(match.group("name").strip().strip("."), None)
            else:
                note(match.group("name"), emphasised)
    for error_type in clues.error_types:
        note(error_type.rsplit(".", 1)[-1], True)

    plain = set(identifiers)
    for name in in_quotes:
        if name not in plain:
            note(name, False)
    for match in _LONE_WORD.finditer(prose):  # a plain word may be a name too (`backoff`): the weakest kind
        word = match.group(0)
        if len(word) >= 4 and word not in plain:
            note(word, False)
    clues.plain = {name for name in identifiers if name not in plain}
    clues.identifiers = list(identifiers)
    clues.paths = list(dict.fromkeys(clues.paths))
    clues.messages = list(dict.fromkeys(clues.messages))
    clues.error_types = list(dict.fromkeys(clues.error_types))
    clues.words = list(dict.fromkeys(word.lower() for word in _WORD.findall(text) if word.lower() not in PROSE_STOPWORDS))
    return clues


# words of a code block that name no symbol of the project: the languages' own keywords and builtins
_CODE_KEYWORDS = frozenset(
    "and as assert async await break class continue def del elif else except false finally for from global if import "
    "in is lambda none nonlocal not or pass raise return true try while with yield self cls print len str int float "
    "bool list dict set tuple object type super range isinstance open const let var function new this null undefined "
    "typeof instanceof export default extends require module exports console log traceback most recent call last file "
    "line".split()
)
