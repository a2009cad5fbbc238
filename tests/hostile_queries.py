"""A generated set of hostile Cypher queries (deterministic), each with the refusals it may earn.

Categories: deep nesting of every nestable form, flat floods of tokens, huge literals, file /
extension / catalog clauses in every spelling and case, comment and string tricks, unicode
look-alikes, parameter floods, memory and time bombs, and graph writes. Every query must be refused
(403/413 with its ``reason``) or stopped by the database (400, ``database``); a trick the database
reads as this guard does may be ``answered``. Never a file's contents in an answer, never a crash. ``canary`` is a file whose contents must never appear in an answer;
``write_dir`` a folder nothing may be written to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIZE_REASONS = frozenset({"too_deep", "too_long", "too_many_tokens"})
FORBIDDEN_REASONS = frozenset({"file_access", "extension", "catalog", "transaction", "setting", "procedure",
                               "administration", "unterminated", "character", "graph_write"})


@dataclass(frozen=True)
class HostileQuery:
    category: str
    cypher: str
    parameters: dict[str, Any] = field(default_factory=dict)
    # refusal reasons that are right for it; "database" = a 400 from the database (memory, timeout)
    reasons: frozenset[str] = frozenset()


def hostile_queries(canary: Path, write_dir: Path) -> list[HostileQuery]:
    rng = random.Random(13)
    queries: list[HostileQuery] = []
    queries += _nesting()
    queries += _floods()
    queries += _huge_literals()
    queries += _file_clauses(canary, write_dir, rng)
    queries += _comment_and_string_tricks(canary, write_dir)
    queries += _look_alikes(canary, write_dir)
    queries += _parameter_floods()
    queries += _bombs()
    queries += _graph_writes(rng)
    return queries


def _nesting() -> list[HostileQuery]:
    forms = {
        "parens": ("(", "1", ")"),
        "list": ("[", "1", "]"),
        "map": ("{a: ", "1", "}"),
        "case": ("CASE WHEN true THEN ", "1", " END"),
        "function": ("abs(", "1", ")"),
        "exists": ("EXISTS { MATCH (a)-->() WHERE ", "true", " }"),
        "list_comprehension": ("[x IN ", "[1]", " | x]"),
        "pattern": ("size([(a)-->(b) WHERE ", "true", " | b])"),
        "mixed": ("([{a: CASE WHEN ", "1", " THEN 1 END}])"),
    }
    queries = []
    for name, (opening, middle, closing) in forms.items():
        for depth in (17, 25, 40, 100, 1_000, 3_000, 10_000):
            cypher = "MATCH (a) RETURN " + opening * depth + middle + closing * depth
            queries.append(HostileQuery(f"nesting:{name}", cypher, reasons=SIZE_REASONS))
    return queries


def _floods() -> list[HostileQuery]:
    forms = {
        "not": lambda n: "RETURN " + "NOT " * n + "true",
        "minus": lambda n: "RETURN " + "- " * n + "1",
        "plus": lambda n: "RETURN 1" + " + 1" * n,
        "and": lambda n: "RETURN true" + " AND true" * n,
        "union": lambda n: " UNION ".join(["RETURN 1 AS x"] * n),
        "with": lambda n: "WITH 1 AS x " * n + "RETURN x",
        "nodes": lambda n: "MATCH " + ", ".join(f"(a{i})" for i in range(n)) + " RETURN count(*)",
        "or": lambda n: "MATCH (a) WHERE " + " OR ".join(["a.id = 'x'"] * n) + " RETURN a",
        "list_items": lambda n: "RETURN [" + ", ".join(["1"] * n) + "]",
        "chain": lambda n: "MATCH (a0)" + "".join(f"-->(a{i})" for i in range(1, n)) + " RETURN count(*)",
    }
    return [HostileQuery(f"flood:{name}", make(n), reasons=SIZE_REASONS)
            for name, make in forms.items() for n in (2_100, 5_000, 50_000)]


def _huge_literals() -> list[HostileQuery]:
    literals = [
        "'" + "a" * 20_001 + "'", "'" + "a" * 1_000_000 + "'", '"' + "b" * 100_000 + '"', "9" * 30_000,
        "1." + "0" * 25_000, "`" + "n" * 50_000 + "`", "{" + ", ".join(f"k{i}: {i}" for i in range(3_000)) + "}",
        "[" + ", ".join(f"'{i}'" for i in range(6_000)) + "]",
    ]
    return [HostileQuery("huge_literal", f"RETURN {literal} AS x", reasons=SIZE_REASONS) for literal in literals]


def _file_templates(canary: Path, write_dir: Path) -> list[tuple[str, str]]:
    """(template, reason): every way the embedded database (and the server stores) reach files,
    extensions, the catalog, transactions or settings."""
    read, out = str(canary), str(write_dir / "out.csv")
    return [
        (f"LOAD FROM '{read}' RETURN *", "file_access"),
        (f"LOAD FROM '{read}' (file_format='csv', delim=':', header=false) RETURN *", "file_access"),
        (f"LOAD WITH HEADERS (a STRING) FROM '{read}' RETURN *", "file_access"),
        (f"LOAD CSV FROM 'file://{read}' AS row RETURN row", "file_access"),
        (f"COPY (MATCH (n:Function) RETURN n.id) TO '{out}'", "file_access"),
        (f"COPY Function TO '{out}'", "file_access"),
        (f"COPY Function FROM '{read}'", "file_access"),
        (f"EXPORT DATABASE '{write_dir / 'dump'}'", "file_access"),
        (f"IMPORT DATABASE '{canary.parent}'", "file_access"),
        ("INSTALL httpfs", "extension"),
        ("UNINSTALL httpfs", "extension"),
        (f"LOAD EXTENSION '{write_dir / 'evil.so'}'", "extension"),
        (f"ATTACH '{canary}' AS other (dbtype lbug)", "catalog"),
        ("USE other", "catalog"),
        ("DETACH other", "catalog"),
        ("DROP TABLE IndexMeta", "catalog"),
        ("ALTER TABLE Function DROP name", "catalog"),
        ("CREATE NODE TABLE Evil(id STRING, PRIMARY KEY(id))", "catalog"),
        ("CREATE MACRO evil(x) AS x + 1", "catalog"),
        ("COMMENT ON TABLE Function IS 'owned'", "catalog"),
        ("CHECKPOINT", "catalog"),
        ("BEGIN TRANSACTION", "transaction"),
        ("CALL threads = 1", "setting"),
        ("CALL create_fts_index('Function', 'evil', ['name'])", "procedure"),
        (f"CALL apoc.load.json('file://{read}') YIELD value RETURN value", "procedure"),
        ("CALL dbms.security.createUser('evil', 'pw', false)", "procedure"),
    ]


def _spellings(template: str, rng: random.Random) -> list[str]:
    """The template in every case and around every separator the database's lexer accepts."""
    first, _, rest = template.partition(" ")
    mixed = "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in template)
    return [
        template,
        template.lower(),
        mixed,
        f"{first}/**/{rest}",
        f"{first}\n\t{rest}",
        f"MATCH (n) RETURN n;{template}",
        f"// a comment\n{template}",
        f"/* {first} */ {template}",
        f"   \r\n{template}",
        f"RETURN 1 AS x UNION ALL {template}",
        f"MATCH (a) CALL {{ {template} }} RETURN a",
    ]


def _file_clauses(canary: Path, write_dir: Path, rng: random.Random) -> list[HostileQuery]:
    return [HostileQuery("file_clause", spelling, reasons=frozenset({reason, "graph_write"}) if reason == "catalog"
                         else frozenset({reason}))
            for template, reason in _file_templates(canary, write_dir) for spelling in _spellings(template, rng)]


def _comment_and_string_tricks(canary: Path, write_dir: Path) -> list[HostileQuery]:
    read = str(canary)
    tricks = [
        f"RETURN 'a\\' LOAD FROM \"{read}\" RETURN * //'",
        f"RETURN \"a\\\" LOAD FROM '{read}' RETURN * //\"",
        f"RETURN 1 /* unterminated LOAD FROM '{read}' RETURN *",
        f"RETURN 1 // \r LOAD FROM '{read}' RETURN *",
        f"RETURN 'unterminated LOAD FROM {read}",
        f"RETURN `unterminated LOAD FROM {read}",
        f"RETURN 1 -- comment?\nLOAD FROM '{read}' RETURN *",
        f"RETURN 1 # comment?\nLOAD FROM '{read}' RETURN *",
        f"RETURN 1 /* /* nested */ LOAD FROM '{read}' RETURN * */",
        f"MATCH (`LOAD`) WITH 1 AS x LOAD FROM '{read}' RETURN *",
        f"MATCH (n) WHERE n.name = 'x' // '\nLOAD FROM '{read}' RETURN *",
        f"RETURN ''' LOAD FROM '{read}' RETURN * '''",
        f"RETURN '\\\\' LOAD FROM '{read}' RETURN *",
        f"MATCH (n {{load: 1}}) LOAD FROM '{read}' RETURN *",
        f"MATCH (n:Load) LOAD FROM '{read}' RETURN *",
        f"RETURN $load LOAD FROM '{read}' RETURN *",
        f"COPY(MATCH (n) RETURN n) TO '{write_dir / 'x.csv'}'",
        f"RETURN 1;;;COPY Function TO '{write_dir / 'y.csv'}'",
        f"RETURN 1 AS copy; COPY Function TO '{write_dir / 'z.csv'}'",
        f"WITH 'COPY' AS c COPY Function TO '{write_dir / 'w.csv'}'",
    ]
    # Where the database reads the trick as this guard does (a string, an error), answering is harmless:
    # the suite checks that no file's contents ever come back, whatever the status.
    harmless = FORBIDDEN_REASONS | {"answered", "database"}
    return [HostileQuery("comment_string_trick", trick, reasons=harmless) for trick in tricks]


LOOK_ALIKES = {
    "fullwidth": lambda text: "".join(chr(ord(ch) + 0xFEE0) if "A" <= ch <= "Z" else ch for ch in text),
    "cyrillic": lambda text: text.replace("O", "\u041e").replace("A", "\u0410").replace("C", "\u0421").replace("E", "\u0415"),
    "zero_width": lambda text: text.replace("LOAD", "LO\u200bAD").replace("COPY", "CO\u200bPY").replace("INSTALL", "INS\u200bTALL"),
    "nbsp": lambda text: text.replace(" ", "\u00a0"),
    "line_separator": lambda text: text.replace(" ", "\u2028", 1),
    "mongolian_separator": lambda text: text.replace(" ", "\u180e", 1),
    "rtl_override": lambda text: "\u202e" + text,
    "bom": lambda text: "\ufeff" + text,
    "nul": lambda text: text.replace(" ", "\x00", 1),
    "vertical_tab": lambda text: text.replace(" ", "\x0b", 1),
}


def _look_alikes(canary: Path, write_dir: Path) -> list[HostileQuery]:
    templates = [t for t, _ in _file_templates(canary, write_dir)][:8]
    return [HostileQuery(f"look_alike:{name}", transform(template), reasons=FORBIDDEN_REASONS)
            for name, transform in LOOK_ALIKES.items() for template in templates]


def _parameter_floods() -> list[HostileQuery]:
    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = [value]
        return value

    too_large = frozenset({"too_many_parameters", "parameters_too_large", "parameters_too_deep", "body_too_large",
                           "invalid_body", "database"})
    floods = [
        {f"p{i}": i for i in range(1_001)},
        {f"p{i}": i for i in range(20_000)},
        {f"p{i}": "x" for i in range(100_000)},
        {"p": "a" * 1_100_000},
        {"p": ["a" * 100] * 20_000},
        {"p": nested(17)},
        {"p": nested(500)},
        {"p": nested(50_000)},
    ]
    # within every limit (0.6 MB, 3 levels): the embedded database refuses the tuple, a server store answers
    wide_map = {"p": {f"k{i}": {"v": [i]} for i in range(40_000)}}
    return [HostileQuery("parameter_flood", "RETURN $p", flood, too_large) for flood in floods] + [
        HostileQuery("parameter_flood", "RETURN $p", wide_map, too_large | {"answered"})]


def _bombs() -> list[HostileQuery]:
    """Queries the guard lets through (small, read-only) that ask the database for too much memory or time."""
    stopped = frozenset({"database"})
    return [HostileQuery("bomb", cypher, reasons=stopped) for cypher in (
        "RETURN size(range(1, 300000000))",
        "RETURN size(range(1, 1000000000))",
        "RETURN size(list_concat(range(1, 200000000), range(1, 200000000)))",
        "UNWIND range(1, 100000000) AS x RETURN collect(x)[1]",
        "RETURN size(repeat('a', 2000000000))",
        "UNWIND range(1, 2000000000) AS x WITH x WHERE x % 7 = 100 RETURN count(x)",
    )]


def _graph_writes(rng: random.Random) -> list[HostileQuery]:
    templates = [
        "CREATE (n:Function {id: 'evil'})",
        "MERGE (n:Function {id: 'evil'})",
        "MATCH (n:Function) SET n.name = 'owned'",
        "MATCH (n:Function) DELETE n",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n:Function) REMOVE n.name",
        "UNWIND [1] AS x FOREACH (y IN [x] | CREATE (:Function {id: 'evil'}))",
    ]
    return [HostileQuery("graph_write", spelling, reasons=frozenset({"graph_write"}))
            for template in templates for spelling in _spellings(template, rng)[:6]]
