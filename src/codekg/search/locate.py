"""`locate`: from an issue's text to the files and symbols to change, each with the evidence for it.

The model: every clue the issue gives (search/issue_text.py) is a ranking of graph nodes, and the
answer fuses the rankings.
- **frame**: each traceback frame's file (matched by its longest path tail) and the innermost
  class or function holding its line; the innermost frames first.
- **path**: each file path the text names.
- **named**: each identifier resolved to the classes, functions and methods so named (a dotted name
  by its qualified-name tail); names written as code first, then rarer before commoner; a name
  shared by more than MAX_NAMED symbols says too little and is left out.
- **word-named**: the same for prose words that are also names (`backoff`), at most MAX_NAMED_PLAIN
  symbols each, and weighed less: "command" in an issue is seldom `AppGroup.command`.
- **message**: each quoted message or error line (two words or more), as phrases of PHRASE_WORDS
  words, found in the body text (search/bodies.py); a phrase found in more than MAX_MESSAGE_PLACES
  symbols or files says too little and is left out.
- **text**: BM25 of the issue's most telling words (the MAX_TERMS rarest that occur), each weighed by
  how often the issue says it (at most MAX_REPEATS times), over body text.
- **semantic** (when the index has embeddings): symbols by their best cosine to any chunk of
  CHUNK_WORDS words of the issue (chunks, so a long issue is never cut at the model's 256 word pieces).
- **graph**: score spread from the symbols the issue points at (frames, paths, names, messages; not
  mere word matches) to their callers, callees, containers, a class's methods and overriding/overridden
  methods, weighted by each edge's confidence (an issue that names a class is mostly about what one
  of its methods does).
One scoring function fuses them, with no per-project tuning: weighted reciprocal rank fusion,
score(x) = sum over signals s of WEIGHTS[s] / (RRF_K + rank_s(x)). Files are ranked by their own
signals (frame, path, message and text over whole files) fused with the symbol ranking carried to
their files (that one fused with the sharper CARRIED_RRF_K). Tests, fixtures, docs and examples come after the code unless ``include_tests``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from codekg.conventions import is_secondary_path
from codekg.errors import InputError
from codekg.python_modules import absolute_module
from codekg.search.bodies import BodyIndex
from codekg.search.store import Symbol
from codekg.search.issue_text import Frame, IssueClues, read_issue
from codekg.search.tokens import split_identifier
from codekg.stores.base import GraphStore
from codekg.stores.reads import IN, OUT, Expansion, Step

Level = Literal["file", "symbol"]
LEVELS: tuple[str, ...] = ("file", "symbol")
RRF_K = 60
# The symbol ranking carried to the file answer is fused sharper: there a file stands at its
# strongest symbol, one that a few signals put first, not one that many put tenth (a module or a
# class that every word touches). Dev set (docs/accuracy.md): file Acc@5 .840 at 60, .855 at 20,
# .865 at 15, .863 at 8. The files whose symbols are ranked again (FILES_FOR_SYMBOLS) are chosen
# with the usual RRF_K: chosen with 15, function Acc@10 fell from .670 to .661.
CARRIED_RRF_K = 15
WEIGHTS = {"frame": 3.0, "path": 2.0, "named": 2.0, "message": 2.0, "text": 1.0, "semantic": 1.0, "word-named": 0.75,
           "graph": 0.5, "carried": 2.0, "in-file": 1.0, "file": 4.0}
# a class is seldom where a change lands (its methods are), and its own text is a few lines: it
# ranks at this share of its score among the functions and methods
CLASS_FACTOR = 0.5
CLASS_LABELS = ("Class", "Interface")
# what `--level symbol` lists; a module's top-level lines are ranked too, but only for its file
SYMBOL_LEVEL_LABELS = ("Class", "Interface", "Function", "Method")
FILES_FOR_SYMBOLS = 10  # the best files whose symbols are ranked by their words again, among themselves
CHUNK_WORDS = 160  # words of the issue per embedded chunk (the model reads 256 word pieces)
# Chunks embedded per issue, the rest said in a note: the first 520 words or so. Each costs about 50 ms
# here, and a 50 KB issue has about 50: at 32, locate's p95 on django with vectors was 1.8 s, at 4
# 0.27 s (issue 23 asks 0.3 s; docs/search.md). The other signals read the whole text.
MAX_CHUNKS = 4
MAX_NAMED = 12  # symbols one name may stand for before it says too little
MAX_REEXPORTS = 4  # re-exports followed from a public name (`requests.get`) to its definition
MAX_STAR_TARGETS = 32  # modules a name may come from through star imports, each round
MAX_NAMED_PLAIN = 3  # the same for a prose word that is also a name (`backoff`, `render`)
MAX_TERMS = 64  # words of the issue given to BM25: the rarest that occur in the repository
MAX_REPEATS = 3  # a word said more often weighs more in BM25, up to this many times (docs/accuracy.md)
PHRASE_WORDS = 5  # words per phrase a quoted message is searched by (a message of two words is one phrase)
# places (symbols, or files) a phrase of a message may be found in: one found in more says too little
# ("the following error"), as a name shared by too many symbols does
MAX_MESSAGE_PLACES = 10
MAX_PHRASES = 6  # phrases per message
DEPTH = 100  # how deep each ranking is read
SEEDS = 20  # best symbols whose neighbours get the graph signal
# what makes a seed: a symbol the issue points at, not one whose words merely match (two weak text
# matches that call each other would lift each other above the best text match)
SEED_SIGNALS = frozenset({"frame", "path", "named", "message"})
SPREAD_RELATIONS = {  # relation, direction from the seed: what the neighbour is to it
    ("CALLS", "in"): "caller of", ("CALLS", "out"): "called by", ("HAS_METHOD", "in"): "class of",
    ("HAS_METHOD", "out"): "method of", ("DEFINES", "in"): "container of",
    ("OVERRIDES", "in"): "overrides", ("OVERRIDES", "out"): "overridden by",
}
MAX_TEXT_CHARS = 1_000_000  # an issue longer than this is refused, not cut
# bytes that are not UTF-8 (read as U+FFFD) an issue may hold, or 1% of its characters if more: a
# pasted log may have a few; a binary file given as the issue has them everywhere, and NUL bytes
MAX_UNDECODED = 8


@dataclass(slots=True)
class Located:
    """One ranked file or symbol; ``evidence`` says what put it there, strongest first."""

    file_path: str
    score: float
    evidence: list[str]
    id: str = ""
    label: str = ""
    name: str = ""
    qualified_name: str = ""
    start_line: int = 0
    end_line: int = 0
    symbols: list[str] = field(default_factory=list)  # a file's best symbols

    def to_dict(self, level: str) -> dict[str, Any]:
        found = asdict(self)
        if level == "file":
            return {key: found[key] for key in ("file_path", "score", "evidence", "symbols")}
        return {key: value for key, value in found.items() if key != "symbols"}


@dataclass(slots=True)
class LocateResult:
    level: str
    results: list[Located]
    clues: IssueClues
    notes: list[str]
    text_chars: int

    def to_dict(self) -> dict[str, Any]:
        clues = self.clues
        return {"level": self.level, "text_chars": self.text_chars, "notes": self.notes,
                "clues": {"frames": [f"{f.path}:{f.line}" + (f" in {f.name}" if f.name else "") for f in clues.frames],
                          "paths": clues.paths, "messages": clues.messages,
                          "identifiers": [name for name in clues.identifiers if name not in clues.plain][:50],
                          "prose_words": [name for name in clues.identifiers if name in clues.plain][:50]},
                "results": [located.to_dict(self.level) for located in self.results]}


class _Ranking:
    """One signal's ranking: keys best first, each with the evidence that put it there."""

    def __init__(self, signal: str) -> None:
        self.signal = signal
        self.order: dict[str, list[str]] = {}  # key -> its evidence, the first (strongest) first

    def add(self, key: str, evidence: str) -> None:
        """``key`` at the next place, or at its place with one more piece of evidence (two quoted
        messages found in one function: both are said)."""
        said = self.order.setdefault(key, [])
        if evidence not in said:
            said.append(evidence)

    def __len__(self) -> int:
        return len(self.order)


def locate(graph: GraphStore, bodies: BodyIndex, text: str, level: str = "file", limit: int = 10,
           include_tests: bool = False, semantic: Callable[[list[str]], _Ranking] | None = None) -> LocateResult:
    """The ``limit`` files (or symbols) an issue with ``text`` most likely needs changed."""
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}: use file or symbol")
    if not text.strip():
        raise InputError("the issue text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"the issue text has {len(text):,} characters; at most {MAX_TEXT_CHARS:,} are read")
    if "\x00" in text or text.count("\ufffd") > max(MAX_UNDECODED, len(text) // 100):
        raise InputError("the issue text is not text: it holds NUL bytes, or bytes that are not UTF-8 (a binary file?)")
    if limit < 1:
        raise InputError("--limit must be at least 1")
    clues = read_issue(text)
    notes: list[str] = []
    paths = bodies.paths()
    expression = _expression(query_terms(clues, bodies, text))  # the BM25 query of the text, file and in-file signals
    symbol_rankings = [_frames(clues, bodies, paths), _named(clues, bodies, graph), _named(clues, bodies, plain=True),
                       _message_symbols(clues, bodies), _text_symbols(expression, bodies)]
    if semantic is not None:
        symbol_rankings.append(semantic(notes))
    graph_ranking = _spread(graph, bodies, _fuse([r for r in symbol_rankings if r.signal in SEED_SIGNALS]))
    fused = _fuse([*symbol_rankings, graph_ranking])
    symbols = bodies.symbols_by_id(fused)
    own_file_rankings = [_frame_files(clues, paths), _path_files(clues, paths), _message_files(clues, bodies),
                         _text_files(expression, bodies)]
    file_rankings = [*own_file_rankings, _carried(_fuse([*symbol_rankings, graph_ranking], CARRIED_RRF_K), symbols)]
    files = _fuse(file_rankings)
    # the symbols of the best files by their own words: a function is found through its file, too
    near_files = _fuse([*own_file_rankings, _carried(fused, symbols)])
    best_files = [path for path, _ in _ordered(near_files, lambda path: path, include_tests)[:FILES_FOR_SYMBOLS]]
    in_file = _in_files(expression, bodies, best_files)
    rankings = [*symbol_rankings, graph_ranking, in_file, _by_file(fused, symbols, best_files)]
    fused = _fuse(rankings)
    symbols.update(bodies.symbols_by_id(key for key in fused if key not in symbols))
    if level == "symbol":
        evidence = _evidence(rankings)
        shaped = {key: score * (CLASS_FACTOR if key in symbols and symbols[key].label in CLASS_LABELS else 1.0)
                  for key, score in fused.items()}
        ranked = _ordered(shaped, lambda key: symbols[key].file_path if key in symbols else "", include_tests)
        results = [_symbol_result(symbols[key], score, evidence[key]) for key, score in _one_per_name(ranked, symbols)
                   if symbols[key].label in SYMBOL_LEVEL_LABELS][:limit]
    else:
        file_evidence = _evidence(file_rankings)
        best_symbols: dict[str, list[str]] = defaultdict(list)
        for key, _ in _one_per_name(sorted(fused.items(), key=lambda item: -item[1]), symbols):
            if len(best_symbols[symbols[key].file_path]) < 3:
                best_symbols[symbols[key].file_path].append(symbols[key].qualified_name)
        ranked = _ordered(files, lambda path: path, include_tests)
        results = [Located(path, round(score, 6), file_evidence[path], symbols=best_symbols.get(path, []))
                   for path, score in ranked[:limit]]
    if not any(len(ranking) for ranking in symbol_rankings):
        notes.append("nothing in the text matched the code: no name, path, frame, message or word of it occurs")
    return LocateResult(level, results, clues, notes, len(text))


# --- the signals ----------------------------------------------------------------------------------

def resolve_path(path: str, paths: list[str]) -> str | None:
    """The indexed file a path from an issue means: the one sharing its longest tail of components
    (`/usr/lib/.../site-packages/flask/app.py` → `src/flask/app.py`), at least a folder and the file
    name when the path has a folder (`/home/me/app/cli.py` is the user's own file, not `src/flask/cli.py`);
    None when none does, or the whole path fits several files."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    for size in range(len(parts), min(2, len(parts)) - 1, -1):  # a file name alone only for a bare name
        tail = "/".join(parts[-size:])
        found = [p for p in paths if p == tail or p.endswith("/" + tail)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1 and size == len(parts):
            return None
    return None


def _frames(clues: IssueClues, bodies: BodyIndex, paths: list[str]) -> _Ranking:
    ranking = _Ranking("frame")
    for frame in reversed(clues.frames):  # the innermost frame is nearest the failure
        path = resolve_path(frame.path, paths)
        symbol = None if path is None else _frame_symbol(frame, bodies.symbols_in(path))
        if symbol is not None:
            ranking.add(symbol.id, f"traceback frame {path}:{frame.line}" + (f" in {frame.name}" if frame.name else ""))
    return ranking


def _frame_symbol(frame: Frame, symbols: list[Symbol]) -> Symbol | None:
    """The symbol a frame stands for in its file. A traceback is often of another version of the code
    than the one indexed, where its line falls in another function: a frame naming a function is
    that function (the one holding or nearest its line, when several share the name), and none when
    the file has no function of that name. A frame without a real name (`<module>`, a JavaScript
    frame without one) is the innermost symbol holding its line."""
    name = frame.name.rsplit(".", 1)[-1]
    if name and not name.startswith("<"):
        named = [s for s in symbols if s.name == name]
        return min(named, key=lambda s: (not s.start_line <= frame.line <= s.end_line, abs(s.start_line - frame.line)),
                   default=None)
    holding = [s for s in symbols if s.start_line <= frame.line <= s.end_line]
    return max(holding, key=lambda s: (s.start_line, -s.end_line), default=None)


def _frame_files(clues: IssueClues, paths: list[str]) -> _Ranking:
    ranking = _Ranking("frame")
    for frame in reversed(clues.frames):
        path = resolve_path(frame.path, paths)
        if path is not None:
            ranking.add(path, f"traceback frame {path}:{frame.line}" + (f" in {frame.name}" if frame.name else ""))
    return ranking


def _path_files(clues: IssueClues, paths: list[str]) -> _Ranking:
    ranking = _Ranking("path")
    for mentioned in clues.paths:
        path = resolve_path(mentioned, paths)
        if path is not None:
            ranking.add(path, f"path named in the issue: {mentioned}")
    return ranking


def _named(clues: IssueClues, bodies: BodyIndex, graph: GraphStore | None = None, plain: bool = False) -> _Ranking:
    """Symbols the issue names (``plain``: the prose words that are also names, a weaker signal). A
    dotted name is the symbol of that qualified name (or tail of one); else, with the ``graph``, the
    one a package re-exports under it (`requests.get` is `requests.api.get`, not `Session.get`); else
    the symbols whose qualified name ends with its tail after the first part, or all of its name."""
    ranking = _Ranking("word-named" if plain else "named")
    wanted = {name: name.rsplit(".", 1)[-1] for name in clues.identifiers if (name in clues.plain) == plain}
    found = bodies.named(wanted.values())
    exact = {name: [s for s in found.get(last, []) if s.qualified_name == name or s.qualified_name.endswith("." + name)]
             for name, last in wanted.items() if "." in name}
    public = _reexported(graph, bodies, [name for name, symbols in exact.items() if not symbols]) if graph else {}
    unmatched = [name for name, symbols in exact.items() if not symbols and name not in public]
    foreign = _library_heads(graph, [name.split(".", 1)[0] for name in unmatched]) if graph and unmatched else set()
    candidates = []
    for position, (name, last) in enumerate(wanted.items()):
        symbols = found.get(last, [])
        if "." in name:
            tail = name.split(".", 1)[1]  # `flask.url_for`, `Flask.url_for`: the tail after the first part must fit
            if name.split(".", 1)[0] in foreign:  # `np.array`, `os.path.join`: a library's, no `array` of here
                symbols = exact[name]
            else:
                symbols = (exact[name] or public.get(name) or [s for s in symbols if s.qualified_name.endswith("." + tail)]
                           or symbols)
        if not symbols or len(symbols) > (MAX_NAMED_PLAIN if plain else MAX_NAMED):
            continue
        candidates.append(((0 if name in clues.emphasised else 1, len(symbols), position), name, symbols))
    for _, name, symbols in sorted(candidates, key=lambda item: item[0]):
        for symbol in symbols:
            ranking.add(symbol.id, f"named in the issue: `{name}`" + (
                f" (re-exported: `{symbol.qualified_name}`)" if name in public else ""))
    return ranking


def _reexported(graph: GraphStore, bodies: BodyIndex, names: list[str]) -> dict[str, list[Symbol]]:
    """The symbols dotted ``names`` stand for as a Python package's public names: each name's longest
    leading part that is a module, then that module's import binding the next part (`from .api import
    get` in `requests/__init__.py`, an alias, a star import), then the same from the module it names,
    at most MAX_REEXPORTS times. A name no module re-exports is left out."""
    symbols: dict[str, list[Symbol]] = {}
    pending = {name: {name} for name in names}  # each name: the qualified names it may be, this round
    for _ in range(MAX_REEXPORTS):
        moves = _imports_along(graph, {target for targets in pending.values() for target in targets})
        pending = {name: moved for name, targets in pending.items()
                   if (moved := {step for target in targets for step in moves.get(target, ())})}
        if not pending:
            break
        named = bodies.named({target.rsplit(".", 1)[-1] for targets in pending.values() for target in targets})
        for name, targets in list(pending.items()):
            found = [s for target in targets for s in named.get(target.rsplit(".", 1)[-1], []) if s.qualified_name == target]
            if found:
                symbols[name] = found
                del pending[name]
    return symbols


def _library_heads(graph: GraphStore, heads: list[str]) -> set[str]:
    """The ``heads`` the repository's Python code imports from a library, not from itself (`np` of
    `import numpy as np`, `os`, `json`): a dotted name starting with one (`np.array`, `os.path.join`)
    is the library's, and stands for no symbol of the repository that merely shares its last part."""
    wanted = set(heads)
    imported: dict[str, set[str]] = defaultdict(set)  # head -> the modules it is bound to
    for module, names, aliases in graph.reads.nodes("Import", {"language": "python"}, ("module", "names", "aliases"),
                                                    distinct=True):
        if not module or module.startswith("."):
            continue
        bound = {alias.split(".")[0] for alias in (aliases or names or [module])}  # `import a.b` binds `a`
        for head in wanted & bound:
            imported[head].add(module.split(".")[0])
    if not imported:
        return set()
    roots = {root for modules in imported.values() for root in modules}
    own = {row[0] for row in graph.reads.nodes("Module", {"qualified_name": sorted(roots)}, ("qualified_name",))}
    return {head for head, modules in imported.items() if not modules & own}


def _imports_along(graph: GraphStore, targets: set[str]) -> dict[str, list[str]]:
    """Each dotted target's next names: where the import binding its part after its longest module
    prefix leads (`requests.get` → `requests.api.get`); at most MAX_STAR_TARGETS per target."""
    prefixes = {".".join(target.split(".")[:size]) for target in targets for size in range(1, target.count(".") + 1)}
    modules = {row[1]: row for row in graph.reads.nodes("Module", {"qualified_name": sorted(prefixes), "language": "python"},
                                                        ("id", "qualified_name", "file_path"))}
    if not modules:
        return {}
    step = Step("import", ("DEFINES",), OUT, labels=("Import",))
    imports: dict[str, list[tuple[str, list[str], list[str]]]] = defaultdict(list)
    by_id = {row[0]: row for row in modules.values()}
    for found in graph.reads.neighbours([Expansion([row[0] for row in modules.values()], [step], "Module")],
                                        ("module", "names", "aliases")):
        imports[by_id[found.near][1]].append(found.node)
    moves: dict[str, list[str]] = {}
    for target in targets:
        parts = target.split(".")
        module = next((".".join(parts[:size]) for size in range(len(parts) - 1, 0, -1) if ".".join(parts[:size]) in modules), None)
        if module is None:
            continue
        head, rest = parts[module.count(".") + 1], parts[module.count(".") + 2:]
        package = modules[module][2].endswith("__init__.py")
        found = []
        for written, names, aliases in imports.get(module, ()):
            source = absolute_module(module, package, written)
            if source is None:
                continue
            if not names:  # `import a.b as head`
                found += [".".join([source, *rest])] if head in (aliases or []) else []
                continue
            for imported, alias in zip(names, aliases or names):
                if alias == head:
                    found.append(".".join([source, imported, *rest]))
                elif imported == "*":
                    found.append(".".join([source, head, *rest]))
        moves[target] = found[:MAX_STAR_TARGETS]
    return moves


def _phrases(message: str) -> list[str]:
    """FTS5 phrase queries for a message: windows of PHRASE_WORDS words (quoted values in it, such as a
    name the message was formatted with, break no more than their own window)."""
    words = [word for word in re.findall(r"\w+", message)]
    if len(words) < 2:
        return []
    if len(words) <= PHRASE_WORDS:
        return ['"' + " ".join(words) + '"']
    step = max(1, (len(words) - PHRASE_WORDS) // max(1, MAX_PHRASES - 1))
    starts = list(range(0, len(words) - PHRASE_WORDS + 1, step))[:MAX_PHRASES]
    return ['"' + " ".join(words[start:start + PHRASE_WORDS]) + '"' for start in starts]


def _message_symbols(clues: IssueClues, bodies: BodyIndex) -> _Ranking:
    ranking = _Ranking("message")
    for message in clues.messages:
        for phrase in _phrases(message):
            found = bodies.top_symbols(phrase, MAX_MESSAGE_PLACES + 1)
            for symbol, _ in found if len(found) <= MAX_MESSAGE_PLACES else ():
                ranking.add(symbol.id, f"quoted message found: \"{_short(message)}\"")
    return ranking


def _message_files(clues: IssueClues, bodies: BodyIndex) -> _Ranking:
    ranking = _Ranking("message")
    for message in clues.messages:
        for phrase in _phrases(message):
            found = bodies.top_files(phrase, MAX_MESSAGE_PLACES + 1)
            for path, _ in found if len(found) <= MAX_MESSAGE_PLACES else ():
                ranking.add(path, f"quoted message found: \"{_short(message)}\"")
    return ranking


def query_terms(clues: IssueClues, bodies: BodyIndex, text: str) -> list[tuple[str, int]]:
    """The MAX_TERMS rarest words of the issue that occur in the repository (its identifiers whole
    and split, then its other words), each with how often the text says it (a word and its parts
    inside identifiers, all the words of one stem together)."""
    terms: dict[str, None] = {}
    for name in clues.identifiers:
        for raw in re.findall(r"\w+", name):
            terms[raw.lower()] = None
            for part in split_identifier(raw):
                terms[part] = None
    for word in clues.words:
        terms[word] = None
    said = Counter(token for raw in re.findall(r"\w+", text) for token in {raw.lower(), *split_identifier(raw)})
    frequencies = bodies.document_frequencies(term for term in terms if len(term) >= 2)
    by_stem: dict[str, tuple[int, str]] = {}  # one word per stem ("retries", "retry")
    times: Counter[str] = Counter()
    for word, (stem, count) in frequencies.items():
        if count > 0:
            by_stem.setdefault(stem, (count, word))
            times[stem] += said[word]
    return [(word, max(1, times[stem])) for stem, (_, word) in sorted(by_stem.items(), key=lambda item: item[1])[:MAX_TERMS]]


def _expression(terms: list[tuple[str, int]]) -> str | None:
    """An FTS5 query of the terms, each as many times as the issue says it, up to MAX_REPEATS: BM25 sums
    over the query's phrases, so a word the issue repeats weighs more (Okapi's query term frequency)."""
    return " OR ".join(" OR ".join(['"' + term.replace('"', '""') + '"'] * min(times, MAX_REPEATS))
                       for term, times in terms) or None


def _text_symbols(expression: str | None, bodies: BodyIndex) -> _Ranking:
    ranking = _Ranking("text")
    if expression:
        for rank, (symbol, _) in enumerate(bodies.top_symbols(expression, DEPTH), start=1):
            ranking.add(symbol.id, f"words of the issue in its body (text rank {rank})")
    return ranking


def _text_files(expression: str | None, bodies: BodyIndex) -> _Ranking:
    ranking = _Ranking("text")
    if expression:
        for rank, (path, _) in enumerate(bodies.top_files(expression, DEPTH), start=1):
            ranking.add(path, f"words of the issue in the file (text rank {rank})")
    return ranking


def issue_chunks(text: str) -> list[str]:
    """The issue in chunks of CHUNK_WORDS words (overlapping by a quarter), every word in one: the
    embedding model reads at most 256 word pieces, so a whole issue in one text would be cut."""
    words = text.split()
    step = CHUNK_WORDS * 3 // 4
    return [" ".join(words[start:start + CHUNK_WORDS]) for start in range(0, max(1, len(words) - CHUNK_WORDS // 4), step)]


def _semantic(db_dir: Path, settings: Any, text: str, bodies: BodyIndex, notes: list[str]) -> _Ranking:
    """Symbols by their best cosine to any chunk of the issue, when the index has embeddings (codekg
    index --embeddings); the first MAX_CHUNKS chunks only, said in a note when the issue is longer."""
    ranking = _Ranking("semantic")
    from codekg.search.sync import embedding_spec, open_for_search

    store, _ = open_for_search(db_dir, settings)
    try:
        spec, model_id = embedding_spec(store)
        if not spec:
            return ranking
        from codekg.search.embeddings import load_embedder
        from codekg.search.vectors import load_matrix

        matrix = load_matrix(store, model_id)
        if len(matrix) == 0:
            return ranking
        chunks = issue_chunks(text)
        if len(chunks) > MAX_CHUNKS:
            notes.append(f"the semantic signal read the first {MAX_CHUNKS} of {len(chunks)} chunks of "
                         f"{CHUNK_WORDS} words; every other signal read the whole text")
            chunks = chunks[:MAX_CHUNKS]
        api_key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
        vectors = load_embedder(spec, api_key).embed(chunks)
        best = (matrix.matrix @ vectors.T).max(axis=1)  # each symbol's best chunk
        order = best.argsort()[::-1][:DEPTH * 3]
        symbols = store.symbols(int(matrix.rowids[i]) for i in order)
        known = bodies.symbols_by_id(symbol.id for symbol in symbols.values())
        for index in order:
            symbol = symbols.get(int(matrix.rowids[index]))
            if symbol is not None and symbol.id in known:
                ranking.add(symbol.id, f"semantic match ({float(best[index]):.2f})")
    finally:
        store.close()
    return ranking


def _spread(graph: GraphStore, bodies: BodyIndex, fused: dict[str, float]) -> _Ranking:
    """The neighbours of the SEEDS best symbols, by the seeds' scores times each edge's confidence."""
    ranking = _Ranking("graph")
    seeds = dict(sorted(fused.items(), key=lambda item: -item[1])[:SEEDS])
    if not seeds:
        return ranking
    types = tuple(sorted({kind for kind, _ in SPREAD_RELATIONS}))
    names = {key: symbol.qualified_name for key, symbol in bodies.symbols_by_id(seeds).items()}
    gained: dict[str, float] = defaultdict(float)
    why: dict[str, tuple[float, str]] = {}
    steps = [Step(direction, types, direction, edge_columns=("confidence",)) for direction in (OUT, IN)]
    found = graph.reads.neighbours([Expansion(list(seeds), steps)], ("id",))
    for direction in (OUT, IN):  # the edges out of the seeds first, then those into them
        rows = [(n.near, n.relation, n.node[0], n.edge["confidence"]) for n in found if n.kind == direction]
        for seed, kind, neighbour, confidence in rows:
            what = SPREAD_RELATIONS.get((kind, direction))
            if what is None or neighbour == seed:
                continue
            share = seeds[seed] * (1.0 if confidence is None else float(confidence))
            gained[neighbour] += share
            if neighbour not in why or share > why[neighbour][0]:
                why[neighbour] = (share, f"{what} `{names.get(seed, seed)}`")
    known = bodies.symbols_by_id(gained)  # classes, functions and methods: not modules, not external names
    for neighbour, _ in sorted(gained.items(), key=lambda item: (-item[1], item[0])):
        if neighbour in known:
            ranking.add(neighbour, why[neighbour][1])
    return ranking


def _in_files(expression: str | None, bodies: BodyIndex, paths: list[str]) -> _Ranking:
    ranking = _Ranking("in-file")
    if expression and paths:
        for rank, (symbol, _) in enumerate(bodies.top_symbols(expression, DEPTH, paths), start=1):
            ranking.add(symbol.id, f"words of the issue in its body, among the best files (rank {rank})")
    return ranking


def _by_file(fused: dict[str, float], symbols: dict[str, Symbol], best_files: list[str]) -> _Ranking:
    """The symbols of the best files, the best file's first, each file's by their own score: a
    function is where the change lands when its file is."""
    ranking = _Ranking("file")
    place = {path: rank for rank, path in enumerate(best_files, start=1)}
    held = [(place[symbols[key].file_path], -score, key) for key, score in fused.items()
            if key in symbols and symbols[key].file_path in place]
    for rank, _, key in sorted(held):
        ranking.add(key, f"in the #{rank} file")
    return ranking


def _carried(fused: dict[str, float], symbols: dict[str, Symbol]) -> _Ranking:
    """The symbol ranking carried to files: each file at its best symbol's place."""
    ranking = _Ranking("carried")
    for key, _ in sorted(fused.items(), key=lambda item: -item[1]):
        if key in symbols:
            ranking.add(symbols[key].file_path, f"holds `{symbols[key].qualified_name}`")
    return ranking


# --- fusion -----------------------------------------------------------------------------------------

def _fuse(rankings: list[_Ranking], k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal rank fusion of the rankings (each read DEPTH deep); a smaller ``k`` weighs
    the first places more against the later ones."""
    scores: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        weight = WEIGHTS[ranking.signal]
        for rank, key in enumerate(list(ranking.order)[:DEPTH], start=1):
            scores[key] += weight / (k + rank)
    return dict(scores)


def _evidence(rankings: list[_Ranking]) -> dict[str, list[str]]:
    """Each key's evidence from every ranking that holds it, strongest signal first; a symbol's place
    in the best files (`_by_file`) comes after what put it there."""
    found: dict[str, list[str]] = defaultdict(list)
    for ranking in sorted(rankings, key=lambda r: (r.signal == "file", -WEIGHTS[r.signal])):  # the file's place: last
        for key, evidence in ranking.order.items():
            found[key].extend(said for said in evidence if said not in found[key])
    return found


def _ordered(scores: dict[str, float], path_of: Any, include_tests: bool) -> list[tuple[str, float]]:
    """Best first; tests, docs and examples after the code unless ``include_tests``."""
    def key(item: tuple[str, float]) -> tuple:
        secondary = False if include_tests else is_secondary_path(path_of(item[0]))
        return (secondary, -item[1], item[0])

    return sorted(scores.items(), key=key)


def _one_per_name(ranked: list[tuple[str, float]], symbols: dict[str, Symbol]) -> list[tuple[str, float]]:
    """One entry per file and qualified name (a function's `@overload` stubs and its implementation, a
    name defined on two branches: one function to change), at the best one's place and score, shown
    as the last definition: the one the name holds once the module has run."""
    groups: dict[tuple[str, str], list[str]] = {}
    best: dict[tuple[str, str], float] = {}
    for key, score in ranked:
        symbol = symbols.get(key)
        if symbol is not None:
            group = (symbol.file_path, symbol.qualified_name)
            groups.setdefault(group, []).append(key)
            best.setdefault(group, score)
    return [(max(keys, key=lambda key: symbols[key].start_line), best[group]) for group, keys in groups.items()]


def _symbol_result(symbol: Symbol, score: float, evidence: list[str]) -> Located:
    return Located(symbol.file_path, round(score, 6), evidence, symbol.id, symbol.label, symbol.name,
                   symbol.qualified_name, symbol.start_line, symbol.end_line)


def _short(message: str, width: int = 80) -> str:
    return message if len(message) <= width else message[: width - 1] + "…"


class Locator:
    """The graph and the body index of one index directory, held open for many `locate` calls (a
    server's or a benchmark's); `locate_in_index` is one call."""

    def __init__(self, db_dir: Path, root: Path | None, settings: Any) -> None:
        from codekg.stores import open_index

        self.db_dir, self.settings = db_dir, settings
        self.graph = open_index(db_dir, settings)
        try:
            if root is None:  # the root the index records
                recorded = self.graph.reads.metadata(["repo_root"]).get("repo_root")
                root = Path(recorded) if recorded else Path.cwd()
            self.root = root
            self.bodies = BodyIndex(db_dir)
        except BaseException:
            self.graph.close()
            raise

    def locate(self, text: str, level: str = "file", limit: int = 10, include_tests: bool = False) -> dict[str, Any]:
        """Bring the body text in step (only what changed since is read), then rank: the document the
        CLI, HTTP and MCP return."""
        freshness = self.bodies.bring_in_step(self.graph, self.root)
        result = locate(self.graph, self.bodies, text, level, limit, include_tests,
                        lambda notes: _semantic(self.db_dir, self.settings, text, self.bodies, notes))
        if freshness.stale:
            result.notes.append(f"{len(freshness.stale)} file(s) changed on disk since the index and were left out "
                                f"(e.g. {freshness.stale[0]}): run `codekg index`")
        document = result.to_dict()
        document["body_index"] = {"files_read": freshness.read, "files_removed": freshness.removed}
        return document

    def close(self) -> None:
        self.bodies.close()
        self.graph.close()


def locate_in_index(db_dir: Path, root: Path | None, settings: Any, text: str, level: str = "file", limit: int = 10,
                    include_tests: bool = False) -> dict[str, Any]:
    """`locate` once on the index at ``db_dir`` of the repository at ``root`` (None: the root the index records)."""
    locator = Locator(db_dir, root, settings)
    try:
        return locator.locate(text, level, limit, include_tests)
    finally:
        locator.close()
