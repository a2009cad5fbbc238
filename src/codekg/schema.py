"""The graph's single source of truth: node labels, relationship types and their typed properties.

The database DDL, the Arrow schemas used for bulk loading and ``docs/schema.md`` are all derived
from the declarations here (``python -m codekg.schema`` prints the Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyarrow is imported when a table is built: a re-run with no change never needs it
    import pyarrow as pa

SCHEMA_VERSION = 7  # a change to what an index holds bumps it, with its step in stores/migrations.py
# An External node's id: this, then its qualified name, which may hold colons (`node:fs.readFile`); every
# other id is `<label>:<file path>:<qualified name>`.
EXTERNAL_ID_PREFIX = "External:"


class PropType(StrEnum):
    """Property types, named as the database spells them."""

    STRING = "STRING"
    INT64 = "INT64"
    DOUBLE = "DOUBLE"
    BOOLEAN = "BOOLEAN"
    STRING_LIST = "STRING[]"


def _arrow_type(prop_type: PropType) -> "pa.DataType":
    import pyarrow as pa

    return {
        PropType.STRING: pa.string(),
        PropType.INT64: pa.int64(),
        PropType.DOUBLE: pa.float64(),
        PropType.BOOLEAN: pa.bool_(),
        PropType.STRING_LIST: pa.list_(pa.string()),
    }[prop_type]


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    type: PropType
    doc: str


@dataclass(frozen=True, slots=True)
class NodeLabel:
    name: str
    doc: str
    properties: tuple[Property, ...]

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


@dataclass(frozen=True, slots=True)
class RelType:
    name: str
    doc: str
    pairs: tuple[tuple[str, str], ...]
    properties: tuple[Property, ...]
    derived: bool = False

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


# --- node labels ---------------------------------------------------------------------------------

_COMMON = (
    Property("id", PropType.STRING, "Primary key, stable across runs for the same code: `<label>:<file_path>:<qualified_name>`."),
    Property("name", PropType.STRING, "Short name as written in the source."),
    Property("qualified_name", PropType.STRING, "Dotted name: module path, then enclosing classes and functions."),
    Property("file_path", PropType.STRING, "Repository-relative path, `/`-separated (empty for Project and External)."),
    Property("start_line", PropType.INT64, "First line, 1-based (0 where not applicable)."),
    Property("end_line", PropType.INT64, "Last line, 1-based (0 where not applicable)."),
    Property("language", PropType.STRING, "`python`, `javascript` or `typescript` (empty where not applicable)."),
    Property("signature", PropType.STRING, "Declaration line(s) up to the body, for callables and classes."),
    Property("docstring", PropType.STRING, "Docstring or leading doc comment, if any."),
)

_ONTOLOGY_ID = Property("ontology_id", PropType.STRING, "The ontology the node belongs to: part of every ontology node's id.")
_IRI = Property("iri", PropType.STRING, "The term's full IRI.")
_LABEL = Property("label", PropType.STRING, "`rdfs:label` (English or untagged first; empty when none).")
_COMMENT = Property("comment", PropType.STRING, "`rdfs:comment` (empty when none).")
_FILE_SHA1 = Property("file_sha1", PropType.STRING, "SHA-1 of the bytes of the file that declares it.")
_LAST_SYNCED = Property("last_synced", PropType.STRING, "When the index last read that file (ISO 8601, UTC).")
_DECLARED = Property("declared", PropType.BOOLEAN, "False for a term that is only pointed at: a validation error of the run.")
_DECORATORS = Property("decorators", PropType.STRING_LIST, "Decorator expressions, outermost first.")
_IS_ASYNC = Property("is_async", PropType.BOOLEAN, "Declared `async`.")

NODE_LABELS: tuple[NodeLabel, ...] = (
    NodeLabel("Project", "The indexed repository root.", _COMMON),
    NodeLabel("Folder", "A directory that holds indexed files.", _COMMON),
    NodeLabel(
        "File",
        "A source file that was indexed.",
        _COMMON
        + (
            Property("content_hash", PropType.STRING, "SHA-256 of the file's bytes."),
            Property("size_bytes", PropType.INT64, "Size of the file in bytes."),
            Property("line_count", PropType.INT64, "Number of lines."),
            Property("parse_errors", PropType.INT64, "Syntax-error regions tree-sitter recovered from (0 for a clean parse)."),
            Property("is_test", PropType.BOOLEAN, "A test file by the usual conventions: a `test`/`tests`/`__tests__`/`spec` "
                     "folder, `test_*.py`, `*_test.py`, `conftest.py`, `*.test.ts`, `*.spec.js`, …"),
        ),
    ),
    NodeLabel("Module", "The importable unit a source file defines; module-level code calls from it.", _COMMON),
    NodeLabel("Class", "A class declaration.", _COMMON + (_DECORATORS,)),
    NodeLabel("Interface", "A TypeScript interface declaration.", _COMMON),
    NodeLabel("Function", "A function not directly inside a class (top-level or nested).", _COMMON + (_DECORATORS, _IS_ASYNC)),
    NodeLabel(
        "Method",
        "A function defined directly in a class body.",
        _COMMON
        + (
            _DECORATORS,
            _IS_ASYNC,
            Property("is_static", PropType.BOOLEAN, "`@staticmethod` (Python) or `static` (JS/TS)."),
            Property("is_classmethod", PropType.BOOLEAN, "`@classmethod` (Python)."),
            Property("is_property", PropType.BOOLEAN, "`@property` (Python) or a getter/setter (JS/TS)."),
        ),
    ),
    NodeLabel("Variable", "A module-level or class-level variable binding (an enum member too).", _COMMON),
    NodeLabel(
        "Type",
        "A named type: a TypeScript `type X = …`; a Python `type X = …`, `X: TypeAlias = …`, `X = NewType(…)`, "
        "`T = TypeVar(…)` (or `ParamSpec`, `TypeVarTuple`).",
        _COMMON,
    ),
    NodeLabel(
        "Enum",
        "An enumeration: a TypeScript `enum`, or a Python class whose bases name `Enum`, `IntEnum`, `StrEnum`, "
        "`Flag`, `IntFlag` (or an enum class of the same file). It DEFINES its members as Variables; a Python "
        "enum is a class otherwise (methods, calls, bases).",
        _COMMON + (_DECORATORS,),
    ),
    NodeLabel(
        "Import",
        "One import of one module: a Python `import`/`from … import` statement (one node per module it names), "
        "a JS/TS `import`, `export … from` or `require()`. IMPORTS (File → File) stays the summary.",
        _COMMON
        + (
            Property("module", PropType.STRING, "The module as written (`..pkg.mod`, `./util`, `react`)."),
            Property("names", PropType.STRING_LIST, "The names it imports (`*` for a star import; empty for a whole module)."),
            Property("aliases", PropType.STRING_LIST, "The local name each imported name is bound to, in the order of `names` "
                     "(the module's own alias for a whole-module import)."),
            Property("kind", PropType.STRING, "`module`, `symbol`, `star`, `default`, `namespace`, `side-effect`, `reexport`."),
        ),
    ),
    NodeLabel(
        "Decorator",
        "One decorator application (`@app.get(\"/\")` on one function): it DECORATES that symbol and CALLS its callable.",
        _COMMON
        + (
            Property("expression", PropType.STRING, "The decorator as written, without `@`."),
            Property("arguments", PropType.STRING, "The text between the parentheses of a decorator call (empty when none)."),
        ),
    ),
    NodeLabel(
        "External",
        "A module or symbol outside the repository (a library, a builtin, or an import that did not resolve).",
        _COMMON,
    ),
    NodeLabel(
        "Package",
        "A distribution a manifest declares (`pyproject.toml`, `package.json`): it CONTAINS the modules of the "
        "files below the manifest (the nearest manifest wins) and DEPENDS_ON the distributions it names.",
        _COMMON + (Property("version", PropType.STRING, "The version the manifest declares (empty when none)."),),
    ),
    NodeLabel("Database", "A SQL database (catalog): the first part of a three-part table name.", _COMMON),
    NodeLabel("Schema", "A SQL schema: `sales`, `db.sales`, or `<default>` for unqualified tables.", _COMMON),
    NodeLabel("Table", "A SQL table some statement of the repository reads, writes or creates "
              "(`qualified_name`: normalised, docs/lineage.md).", _COMMON),
    NodeLabel("View", "A SQL view (or materialised view, or dbt model materialised as a view) the repository creates.",
              _COMMON),
    NodeLabel("Column", "A column of a table or view, as statements read and write it (`*`: columns not known).",
              _COMMON),
    NodeLabel(
        "SqlStatement",
        "One SQL statement: of a `.sql` file, or a string literal that code runs (`cursor.execute(\"…\")`).",
        _COMMON
        + (
            Property("operation", PropType.STRING, "What it does: `insert`, `create_table`, `create_view`, `declare_table`, "
                     "`select`, `update`, `merge`, `copy`, `rename`, … (empty when it could not be read)."),
            Property("dialect", PropType.STRING, "The SQL dialect it was read as (`ansi`, `postgres`, `tsql`, …)."),
            Property("error", PropType.STRING, "Why it could not be read (the parser's message); empty when it was."),
            Property("call", PropType.STRING, "The call that runs it (`cur.execute`), empty in a `.sql` file."),
        ),
    ),
    NodeLabel(
        "Ontology",
        "An ontology: the `owl:Ontology` a file declares, a page's `ontology::`, or `default` for the terms of "
        "files that name none. It CONTAINS its classes and properties (docs/ontologies.md).",
        _COMMON + (_ONTOLOGY_ID,),
    ),
    NodeLabel(
        "OntologyClass",
        "A class an ontology declares (`owl:Class`, `rdfs:Class`, a page's `iri::` block), or, with "
        "`declared` false, a parent or range that no file declares.",
        _COMMON + (_IRI, _ONTOLOGY_ID, _LABEL, _COMMENT, _FILE_SHA1, _LAST_SYNCED, _DECLARED),
    ),
    NodeLabel(
        "OntologyProperty",
        "A property an ontology declares, or (`declared` false) a parent property no file declares.",
        _COMMON + (_IRI, _ONTOLOGY_ID, _LABEL, _COMMENT,
                   Property("kind", PropType.STRING, "`object`, `datatype` or `annotation`."),
                   Property("datatype_ranges", PropType.STRING_LIST, "Ranges that are datatypes (`xsd:string`): no class."),
                   _FILE_SHA1, _LAST_SYNCED, _DECLARED),
    ),
    NodeLabel(
        "Axiom",
        "A statement about a class or property beyond its named parents, domains and ranges: a restriction, an "
        "equivalence, disjointness, a property characteristic.",
        _COMMON + (_ONTOLOGY_ID,
                   Property("kind", PropType.STRING, "The OWL predicate (`subClassOf` for a restriction, `disjointWith`, "
                            "`equivalentClass`, …) or `characteristic` (`TransitiveProperty`, …)."),
                   Property("text", PropType.STRING, "The axiom's object in Turtle-like text (`[owl:onProperty ex:p ; "
                            "owl:someValuesFrom ex:C]`).")),
    ),
    NodeLabel(
        "IndexMeta",
        "Index metadata as key/value pairs: schema version, commit, time, codekg version, pass timings.",
        (
            Property("key", PropType.STRING, "Metadata key (primary key)."),
            Property("value", PropType.STRING, "Value; JSON for structured values."),
        ),
    ),
)

NODE_LABEL_BY_NAME: dict[str, NodeLabel] = {label.name: label for label in NODE_LABELS}

CLASS_LABELS = ("Class", "Enum")  # what a class statement makes: bases, methods, instances
CALLER_LABELS = ("Module", "Class", "Enum", "Function", "Method")
# what a CALLS edge may start from: code, and a decorator application (it calls its decorator)
CALL_SOURCE_LABELS = CALLER_LABELS + ("Decorator",)
TYPE_LABELS = ("Class", "Interface", "Type", "Enum")  # what an annotation can name
SYMBOL_LABELS = ("Class", "Interface", "Function", "Method", "Variable", "Type", "Enum", "Import", "Decorator")
CODE_ELEMENT_LABELS = ("Class", "Interface", "Function", "Method", "Variable", "Type", "Enum")
"""The labels `CodeElement` stands for in a query (query_guard.py): every declared symbol."""
SQL_RELATION_LABELS = ("Table", "View")
SQL_SHARED_LABELS = ("Database", "Schema", "Table", "View", "Column")  # one node per name, whichever files name it
CALLEE_LABELS = ("Class", "Enum", "Function", "Method", "External")
ONTOLOGY_TERM_LABELS = ("OntologyClass", "OntologyProperty")

# --- relationship types --------------------------------------------------------------------------

_CONFIDENCE = Property("confidence", PropType.DOUBLE, "How sure the resolver is, 0..1.")
_REASON = Property("reason", PropType.STRING, "Which resolution rule produced the edge (see docs/schema.md).")
_LINE = Property("line", PropType.INT64, "Line of the first occurrence in the source file.")


def _pairs(sources: tuple[str, ...], targets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((s, t) for s in sources for t in targets)


REL_TYPES: tuple[RelType, ...] = (
    RelType(
        "CONTAINS",
        "Folder structure: the project and folders contain folders and files; a package contains its modules. "
        "SQL objects: a database contains schemas, a schema tables and views, a table or view its columns. "
        "An ontology contains its classes and properties.",
        _pairs(("Project", "Folder"), ("Folder", "File")) + (("Package", "Module"), ("Database", "Schema"))
        + _pairs(("Schema",), SQL_RELATION_LABELS) + _pairs(SQL_RELATION_LABELS, ("Column",))
        + _pairs(("Ontology",), ONTOLOGY_TERM_LABELS),
        (),
    ),
    RelType(
        "DEFINES",
        "A file defines its module; a module, class or function defines the symbols declared directly in it "
        "(methods use HAS_METHOD instead), its imports, and an enum its members.",
        (("File", "Module"),)
        + _pairs(("Module",), ("Class", "Interface", "Function", "Variable", "Type", "Enum", "Import"))
        + _pairs(CLASS_LABELS, ("Class", "Interface", "Function", "Variable", "Type", "Enum", "Import"))
        + _pairs(("Function", "Method"), ("Class", "Interface", "Function", "Type", "Enum", "Import"))
        + (("Variable", "Function"),)
        + (("File", "SqlStatement"), ("File", "Package")),
        (),
    ),
    RelType("HAS_METHOD", "A class (or a Python enum) declares a method.", _pairs(CLASS_LABELS, ("Method",)), ()),
    RelType(
        "IMPORTS",
        "A file imports another file, or an external module.",
        (("File", "File"), ("File", "External")),
        (
            Property("names", PropType.STRING_LIST, "Imported names (`*` for a star import, empty for a whole-module import)."),
            _CONFIDENCE,
            _REASON,
            _LINE,
        ),
        derived=True,
    ),
    RelType(
        "CALLS",
        "Code in the caller calls (or instantiates) the callee. Module-level code calls from the Module, "
        "class-body code from the Class; a Decorator calls its callable.",
        _pairs(CALL_SOURCE_LABELS, CALLEE_LABELS),
        (
            _CONFIDENCE,
            _REASON,
            _LINE,
            Property("call_count", PropType.INT64, "Number of call sites in the caller that resolved to this callee."),
        ),
        derived=True,
    ),
    RelType(
        "DEPENDS_ON",
        "A package depends on a distribution its manifest names (an External node named as the manifest names it).",
        (("Package", "External"),),
        (
            Property("version", PropType.STRING, "The version range as the manifest writes it (`>=2,<3`, `^4.17.0`); "
                     "ranges that differ where it names the distribution more than once, joined by ` | `."),
            Property("kind", PropType.STRING, "`runtime`, `dev`, `peer`, `optional`, `optional:<extra>`, `build`, "
                     "`group:<name>`; every kind, joined by `, `, when the manifest names the distribution more than "
                     "once (`optional:standard, optional:all`): one edge per package and distribution."),
            _CONFIDENCE,
            _REASON,
        ),
        derived=True,
    ),
    RelType(
        "RUNS_SQL",
        "Code runs a SQL statement: a call such as `cursor.execute(\"…\")` with the statement as its string "
        "(module-level code runs it from the Module).",
        _pairs(CALLER_LABELS, ("SqlStatement",)),
        (Property("call", PropType.STRING, "The call as written (`cur.execute`)."), _LINE),
    ),
    RelType(
        "READS_FROM",
        "A SQL statement reads a table or view (FROM, JOIN, USING, a subquery).",
        _pairs(("SqlStatement",), SQL_RELATION_LABELS),
        (_CONFIDENCE, _REASON, _LINE),
        derived=True,
    ),
    RelType(
        "WRITES_TO",
        "A SQL statement writes a table or view (INSERT, CREATE … AS, CREATE VIEW, UPDATE, MERGE, COPY, RENAME).",
        _pairs(("SqlStatement",), SQL_RELATION_LABELS),
        (Property("operation", PropType.STRING, "The statement's operation (`insert`, `create_view`, …)."),
         _CONFIDENCE, _REASON, _LINE),
        derived=True,
    ),
    RelType(
        "DERIVES_FROM",
        "A column's values are computed from another column's by a statement (the target column points at its source).",
        (("Column", "Column"),),
        (
            Property("expression", PropType.STRING, "The target's expression in the statement (`SUM(o.amount) AS total`)."),
            Property("statement", PropType.STRING, "The id of the SqlStatement that writes the target column."),
            _CONFIDENCE,
            _REASON,
            _LINE,
        ),
        derived=True,
    ),
    RelType(
        "EXTENDS",
        "A class extends a base class (or an interface extends an interface).",
        _pairs(CLASS_LABELS, CLASS_LABELS + ("External",)) + _pairs(("Interface",), ("Interface", "External")),
        (_CONFIDENCE, _REASON),
        derived=True,
    ),
    RelType(
        "INHERITS",
        "The transitive closure of EXTENDS, materialised: a class (or interface) inherits every class along its "
        "MRO after itself (Python, C3) or its `extends` chain (JS/TS), and every external base of those.",
        _pairs(CLASS_LABELS, CLASS_LABELS + ("External",)) + _pairs(("Interface",), ("Interface", "External")),
        (
            Property("distance", PropType.INT64, "Position in the MRO (1: a direct base; an external base: the position "
                     "of the class that names it, plus one)."),
            _CONFIDENCE,
            _REASON,
        ),
        derived=True,
    ),
    RelType(
        "OVERRIDES",
        "A method overrides the method of the same name that a base class defines: the nearest one along "
        "the class's MRO (Python, C3) or `extends` chain (JS/TS). A call of the base method may run it.",
        (("Method", "Method"),),
        (_CONFIDENCE, _REASON),
        derived=True,
    ),
    RelType(
        "USES",
        "A symbol names a type: in an annotation or signature (parameters, return, variable, field, generic "
        "arguments), in `isinstance`/`issubclass` (Python) or `instanceof` (JS/TS), or in a type alias or "
        "interface body. One edge per (user, type), at its first line.",
        _pairs(CALLER_LABELS + ("Interface", "Type"), TYPE_LABELS),
        (
            Property("count", PropType.INT64, "How many times the user names the type."),
            _CONFIDENCE,
            _REASON,
            _LINE,
        ),
        derived=True,
    ),
    RelType(
        "ACCESSES",
        "Code reads or writes a variable: a module-level one through its module or an import (`config.debug`), "
        "by its bare name when it is UPPER_CASE (a constant, by convention) or assigned under `global`; a "
        "class-level one or field through `self`/`cls`/`this` or the class; an enum member through its enum. A "
        "lowercase module variable read by its bare name is not followed (Python: finding every identifier "
        "would cost a quarter of the parse).",
        _pairs(CALLER_LABELS, ("Variable",)),
        (
            Property("mode", PropType.STRING, "`read`, `write` or `read-write` (both, in the same code)."),
            Property("count", PropType.INT64, "How many accesses of the variable the code makes."),
            _CONFIDENCE,
            _REASON,
            _LINE,
        ),
        derived=True,
    ),
    RelType(
        "DECORATES",
        "A decorator application wraps the symbol it is written on.",
        _pairs(("Decorator",), ("Class", "Enum", "Function", "Method")),
        (Property("position", PropType.INT64, "0 for the outermost decorator (written first), then 1, 2, …"),),
    ),
    RelType(
        "BELONGS_TO",
        "A symbol belongs to the file that declares it (the inverse of containment, one hop).",
        _pairs(SYMBOL_LABELS, ("File",)),
        (),
    ),
    RelType(
        "IMPLEMENTS",
        "A class implements an interface.",
        (("Class", "Interface"), ("Class", "External")),
        (_CONFIDENCE, _REASON),
        derived=True,
    ),
    RelType(
        "SUBCLASS_OF",
        "`rdfs:subClassOf` between named classes; `rdfs:subPropertyOf` between properties.",
        (("OntologyClass", "OntologyClass"), ("OntologyProperty", "OntologyProperty")),
        (_CONFIDENCE, _REASON),
        derived=True,
    ),
    RelType("DOMAIN", "`rdfs:domain`: the class a property describes.", (("OntologyProperty", "OntologyClass"),),
            (_CONFIDENCE, _REASON), derived=True),
    RelType("RANGE", "`rdfs:range` when it is a class (a datatype range is a property of the property).",
            (("OntologyProperty", "OntologyClass"),), (_CONFIDENCE, _REASON), derived=True),
    RelType("DECLARED_IN", "An ontology, class, property or axiom is declared in a file.",
            _pairs(("Ontology", "OntologyClass", "OntologyProperty", "Axiom"), ("File",)), (_LINE,)),
    RelType("HAS_AXIOM", "A class or property has an axiom.", _pairs(ONTOLOGY_TERM_LABELS, ("Axiom",)), ()),
    RelType(
        "MENTIONS",
        "Code or a markdown page writes the IRI or CURIE of an ontology class (`\"ex:Person\"` in code, `ex:Person` "
        "in a page's text): from the innermost definition around it, else from the file.",
        _pairs(("File",) + CODE_ELEMENT_LABELS, ("OntologyClass",)),
        (_LINE, _CONFIDENCE, _REASON),
        derived=True,
    ),
)

REL_TYPE_BY_NAME: dict[str, RelType] = {rel.name: rel for rel in REL_TYPES}

# Example query per label and relationship type, rendered in docs/schema.md; tests/test_schema.py runs
# each on a repository that has every one of them and checks it returns rows.
EXAMPLES: dict[str, str] = {
    "Project": "MATCH (p:Project)-[:CONTAINS]->(f) RETURN p.name, count(f)",
    "Folder": "MATCH (d:Folder)-[:CONTAINS]->(f:File) RETURN d.qualified_name, count(f) ORDER BY count(f) DESC LIMIT 10",
    "File": "MATCH (f:File) RETURN f.language, count(*), sum(f.line_count)",
    "Module": "MATCH (m:Module)-[:DEFINES]->(c:Class) RETURN m.qualified_name, collect(c.name)",
    "Class": "MATCH (c:Class)-[:HAS_METHOD]->(m:Method) RETURN c.qualified_name, count(m) ORDER BY count(m) DESC LIMIT 10",
    "Interface": "MATCH (c:Class)-[:IMPLEMENTS]->(i:Interface) RETURN i.qualified_name, collect(c.name)",
    "Function": "MATCH (caller)-[c:CALLS]->(f:Function) RETURN f.qualified_name, count(caller) "
    "ORDER BY count(caller) DESC LIMIT 10",
    "Method": "MATCH (m:Method)-[:OVERRIDES]->(base:Method) RETURN m.qualified_name, base.qualified_name",
    "Variable": "MATCH (code)-[a:ACCESSES]->(v:Variable) RETURN v.qualified_name, a.mode, code.qualified_name",
    "Type": "MATCH (user)-[:USES]->(t:Type) RETURN t.qualified_name, collect(user.qualified_name)",
    "Enum": "MATCH (e:Enum)-[:DEFINES]->(member:Variable) RETURN e.qualified_name, collect(member.name)",
    "Import": "MATCH (i:Import) RETURN i.module, i.kind, count(*) ORDER BY count(*) DESC LIMIT 10",
    "Decorator": "MATCH (d:Decorator)-[:CALLS]->(f) RETURN f.qualified_name, count(d) ORDER BY count(d) DESC LIMIT 10",
    "External": "MATCH (f:File)-[:IMPORTS]->(e:External) RETURN e.name, count(f) ORDER BY count(f) DESC LIMIT 10",
    "Package": "MATCH (p:Package)-[:CONTAINS]->(m:Module) RETURN p.name, p.version, count(m)",
    "Database": "MATCH (d:Database)-[:CONTAINS]->(s:Schema) RETURN d.name, collect(s.name)",
    "Schema": "MATCH (s:Schema)-[:CONTAINS]->(t) RETURN s.qualified_name, count(t)",
    "Table": "MATCH (s:SqlStatement)-[:WRITES_TO]->(t:Table) RETURN t.qualified_name, collect(s.operation)",
    "View": "MATCH (v:View)-[:CONTAINS]->(c:Column) RETURN v.qualified_name, collect(c.name)",
    "Column": "MATCH (c:Column)-[:DERIVES_FROM]->(source:Column) RETURN c.qualified_name, source.qualified_name",
    "SqlStatement": "MATCH (s:SqlStatement) RETURN s.operation, count(*)",
    "IndexMeta": "MATCH (m:IndexMeta) RETURN m.key, m.value",
    "CONTAINS": "MATCH (:Project)-[:CONTAINS*1..20]->(f:File) RETURN count(f)",
    "DEFINES": "MATCH (f:File)-[:DEFINES]->(:Module)-[:DEFINES]->(n) WHERE f.file_path ENDS WITH 'models.py' "
    "RETURN n.name, n.start_line",
    "HAS_METHOD": "MATCH (c:Class)-[:HAS_METHOD]->(m:Method) RETURN c.name, m.name, m.is_async",
    "IMPORTS": "MATCH (a:File)-[i:IMPORTS]->(b:File) RETURN a.file_path, b.file_path, i.names",
    "CALLS": "MATCH (caller)-[c:CALLS]->(callee) WHERE c.confidence >= 0.9 "
    "RETURN caller.qualified_name, callee.qualified_name, c.reason LIMIT 20",
    "DEPENDS_ON": "MATCH (p:Package)-[d:DEPENDS_ON]->(e:External) RETURN p.name, e.name, d.version, d.kind",
    "RUNS_SQL": "MATCH (code)-[r:RUNS_SQL]->(s:SqlStatement) RETURN code.qualified_name, r.call, s.operation",
    "READS_FROM": "MATCH (s:SqlStatement)-[:READS_FROM]->(t) RETURN t.qualified_name, collect(s.id)",
    "WRITES_TO": "MATCH (s:SqlStatement)-[w:WRITES_TO]->(t) RETURN s.file_path, w.operation, t.qualified_name",
    "DERIVES_FROM": "MATCH (c:Column)-[:DERIVES_FROM*1..5]->(source:Column) RETURN c.qualified_name, source.qualified_name",
    "EXTENDS": "MATCH (c)-[:EXTENDS]->(base) RETURN c.qualified_name, base.qualified_name",
    "INHERITS": "MATCH (c)-[i:INHERITS]->(a) RETURN a.qualified_name, collect(c.qualified_name), max(i.distance)",
    "OVERRIDES": "MATCH (m:Method)-[:OVERRIDES]->(base:Method) RETURN base.qualified_name, collect(m.qualified_name)",
    "IMPLEMENTS": "MATCH (c:Class)-[:IMPLEMENTS]->(i) RETURN c.qualified_name, i.qualified_name",
    "USES": "MATCH (user)-[u:USES]->(t:Class) RETURN t.qualified_name, user.qualified_name, u.line",
    "ACCESSES": "MATCH (code)-[a:ACCESSES]->(v:Variable) WHERE a.mode <> 'read' RETURN v.qualified_name, "
    "code.qualified_name, a.line",
    "DECORATES": "MATCH (d:Decorator)-[:DECORATES]->(f) RETURN f.qualified_name, collect(d.expression)",
    "BELONGS_TO": "MATCH (n:CodeElement)-[:BELONGS_TO]->(f:File) RETURN f.file_path, count(n) ORDER BY count(n) DESC LIMIT 10",
    "Ontology": "MATCH (o:Ontology)-[:CONTAINS]->(t) RETURN o.ontology_id, label(t), count(t)",
    "OntologyClass": "MATCH (c:OntologyClass) WHERE NOT c.declared RETURN c.iri, c.ontology_id",
    "OntologyProperty": "MATCH (p:OntologyProperty) RETURN p.iri, p.kind, p.datatype_ranges",
    "Axiom": "MATCH (c:OntologyClass)-[:HAS_AXIOM]->(a:Axiom) RETURN c.iri, a.kind, a.text",
    "SUBCLASS_OF": "MATCH (c:OntologyClass)-[:SUBCLASS_OF*1..5]->(a:OntologyClass) RETURN c.iri, collect(a.iri)",
    "DOMAIN": "MATCH (p:OntologyProperty)-[:DOMAIN]->(c:OntologyClass) RETURN c.iri, collect(p.iri)",
    "RANGE": "MATCH (p:OntologyProperty)-[:RANGE]->(c:OntologyClass) RETURN p.iri, c.iri",
    "DECLARED_IN": "MATCH (t:OntologyClass)-[d:DECLARED_IN]->(f:File) RETURN f.file_path, count(t)",
    "HAS_AXIOM": "MATCH (t)-[:HAS_AXIOM]->(a:Axiom) RETURN t.iri, collect(a.kind)",
    "MENTIONS": "MATCH (code)-[m:MENTIONS]->(c:OntologyClass) RETURN c.iri, code.id, m.line, m.reason",
}

# Why a derived edge exists: every `reason` value the resolver writes, with its meaning.
REASONS: dict[str, str] = {
    "ontology": "An ontology statement names a term declared in the same ontology, or no file declares it "
    "(then its node has `declared` false): 1.0.",
    "ontology-other": "An ontology statement names a term another ontology of the repository declares: 0.9 "
    "(by its IRI: the two may mean it differently).",
    "iri": "The text writes the class's full IRI: 1.0.",
    "curie": "The text writes a CURIE that a prefix bound by an ontology file of the repository expands to the "
    "class's IRI: 0.9 (another vocabulary may bind the prefix differently).",
    "same-scope": "The name is defined in an enclosing function or class scope of the caller.",
    "same-file": "The name is defined at module level in the caller's own file.",
    "self-member": "`self.m()` / `cls.m()` / `this.m()` resolved on the enclosing class or its bases.",
    "super-member": "`super().m()` / `super.m()` resolved on a base class.",
    "constructor": "A class instantiation, linked to the class and to its constructor.",
    "instance-type": "`x.m()` where every binding of `x` in its scope is an instance built there (`x = Cls()`, "
    "`const x = new Cls()`, `x = make()` with `make` returning `Cls()`, `with Cls() as x` whose `__enter__` returns "
    "`self`), or a call on what a call gives (`Cls().m()`, `new Cls().m()`, `make().m()`): 0.9.",
    "declared-type": "`x.m()` / `this.f.m()` where `x` or the field `f` is declared with a class type: a Python "
    "annotation (a parameter, a variable, the return of the function that made it; one naming no class, such as "
    "a TypeVar, leaves the `return` statements to say), an `except C as x` clause (each class of a tuple, the "
    "confidence split) or a TypeScript annotation (a parameter, a local, a field): 0.9 for the class's own member, "
    "0.8 for an inherited one (a subclass may override).",
    "attribute-type": "`self.attr.m()` where every assignment of `self.attr` in the class and its bases (and its "
    "class-body declaration), or the property `attr`'s getter (its return annotation, else its `return`s), holds "
    "an instance of a known class: 0.8 (0.7 inherited from a declared class), "
    "since other code may rebind an attribute.",
    "function-value": "`f()` where every binding of `f` holds a known function, class or external callable "
    "(`f = g`, `f = make()` with `make` returning `g`): 0.9, split between distinct values.",
    "callback-argument": "`run(g)` where `run` (defined in the same file) calls its parameter: `run` calls "
    "`g`, at 0.7 (the parameter may be rebound before the call).",
    "container-function": "`handlers[k]()` or a call of a loop variable over `handlers`, a literal list or dict of "
    "known functions: each element at 0.8 (over its calls the call reaches every element; the container may "
    "be mutated elsewhere).",
    "import": "The name (or module attribute) is bound by an import that resolved to a repository file.",
    "import-external": "The name is bound by an import of a module outside the repository.",
    "builtin": "A language builtin (Python builtins, JavaScript globals).",
    # value flow (resolve/flow_program.py): the callee's value reached the called expression through the
    # facts of the program; the reason names the last hop, the confidence is that hop's (FLOW_CONFIDENCE)
    "flow-call": "Value flow: the called expression holds the function itself, directly or through names (0.9).",
    "flow-method": "Value flow: a method read off an instance or class the receiver holds (0.85).",
    "flow-attribute": "Value flow: the function was stored in and read from an attribute (0.85).",
    "flow-receiver": "Value flow: the function reached `self`/`this` as the receiver of a call (0.85).",
    "flow-constructor": "Value flow: instantiating a class the expression holds runs this constructor (0.9).",
    "flow-instantiation": "Value flow: the value is an instance created by a call of its class (0.9).",
    "flow-argument": "Value flow: the function was passed as an argument and called through the parameter (0.8).",
    "flow-return": "Value flow: the function was returned by a call and called on its result (0.8).",
    "flow-element": "Value flow: the function was taken out of a container, a loop or an unpacking (0.75).",
    "flow-partial": "Value flow: a `functools.partial` of the function was called (0.8).",
    "flow-callback": "Value flow: a builtin or library function called the function passed to it (0.8).",
    "flow-external": "Value flow: the called expression holds a library or builtin name (0.9).",
    "flow-decorator": "Value flow: the name holds what a decorator returned (0.85).",
    "flow-protocol": "Value flow: a protocol method (`__iter__`, `__enter__`, an operator) of an instance (0.85).",
    "pytest-fixture": "A test (a `test*` function or method) or a fixture names a pytest fixture as a parameter or "
    "in `@pytest.mark.usefixtures`: it CALLS the fixture pytest runs for it, found as pytest finds it (the "
    "requester's class, its module, then the `conftest.py` of its folder and of each folder above; a fixture "
    "requesting its own name gets the next one out): 0.9 (a plugin or an ini option can change what a name "
    "means). Builtin and plugin fixtures, `autouse` ones no test names, and a parameter a "
    "`@pytest.mark.parametrize` fills give no edge. The parameter then holds what the fixture returns, or "
    "first yields: `env.from_string()` in a test whose `env` fixture returns `Environment()` is an "
    "`instance-type` call.",
    "unique-global-name": "A JS/TS classic script (no import or export) calls a name it does not bind, and one "
    "other classic script declares it at top level: one page may load both (0.3). Never made for Python or "
    "for modules, where such a call is a NameError/ReferenceError.",
    "ambiguous-global-name": "As `unique-global-name`, with several candidates: 0.3 is split between them.",
    "sql-read": "A SQL statement names the table or view where it reads (FROM, JOIN, USING, a subquery).",
    "sql-write": "A SQL statement names the table or view it writes (INSERT, CREATE, UPDATE, MERGE, COPY, RENAME).",
    "sql-column": "The target column's expression reads the source column (through CTEs, subqueries, UNION "
    "branches, CASE, functions): 1.0.",
    "sql-star": "`SELECT *` expanded with the columns a CREATE TABLE/VIEW elsewhere in the repository declares: 0.9 "
    "(the table may have changed since).",
    "manifest": "A package manifest (`pyproject.toml`, `package.json`) names the dependency: 1.0.",
    "mro": "INHERITS: the class's MRO (its bases resolved by name, C3) or `extends` chain reaches the ancestor: 1.0.",
    "override": "The class's MRO (its bases resolved by name) reaches a base class that defines a method of the "
    "same name: 1.0.",
    "relative-path": "A relative module path resolved to a file.",
    "tsconfig-path": "A non-relative JS/TS specifier mapped to a file by the nearest tsconfig.json/jsconfig.json"
    " `paths` or `baseUrl`.",
    "module-path": "An absolute module path resolved to a file under a source root.",
    "unresolved-import": "The import did not resolve to a repository file and is kept as an External node.",
}


# --- derived artefacts ---------------------------------------------------------------------------


def node_arrow_schema(label: str) -> "pa.Schema":
    """Arrow schema of the table that bulk-loads ``label``."""
    import pyarrow as pa

    return pa.schema([(p.name, _arrow_type(p.type)) for p in NODE_LABEL_BY_NAME[label].properties])


def rel_arrow_schema(rel_type: str) -> "pa.Schema":
    """Arrow schema of the table that bulk-loads ``rel_type``: `from`, `to`, then its properties."""
    import pyarrow as pa

    rel = REL_TYPE_BY_NAME[rel_type]
    fields = [("from", pa.string()), ("to", pa.string())]
    fields += [(p.name, _arrow_type(p.type)) for p in rel.properties]
    return pa.schema(fields)


# Labels that are reserved words in the embedded store's Cypher (`MATCH (t:Table)` is a syntax error
# there): generated Cypher writes them in backticks, and the query guard quotes them in users' queries.
RESERVED_LABELS = frozenset({"Table", "Column"})


def cypher_label(name: str) -> str:
    """``name`` as a label in Cypher: in backticks where it is a reserved word."""
    return f"`{name}`" if name in RESERVED_LABELS else name


def ddl_statements() -> list[str]:
    """CREATE statements for every node and relationship table."""
    return [node_table_ddl(label.name) for label in NODE_LABELS] + [rel_table_ddl(rel.name) for rel in REL_TYPES]


def node_table_ddl(label_name: str, if_not_exists: bool = False) -> str:
    label = NODE_LABEL_BY_NAME[label_name]
    columns = ", ".join(f"{p.name} {p.type.value}" for p in label.properties)
    return f"CREATE NODE TABLE {'IF NOT EXISTS ' if if_not_exists else ''}{cypher_label(label.name)}({columns}, PRIMARY KEY({label.properties[0].name}))"


def rel_table_ddl(rel_name: str, if_not_exists: bool = False, labels: set[str] | None = None) -> str:
    """The relationship table with every pair of the schema, or those between ``labels`` only."""
    rel = REL_TYPE_BY_NAME[rel_name]
    parts = [f"FROM {cypher_label(a)} TO {cypher_label(b)}" for a, b in rel.pairs
             if labels is None or (a in labels and b in labels)]
    parts += [f"{p.name} {p.type.value}" for p in rel.properties]
    return f"CREATE REL TABLE {'IF NOT EXISTS ' if if_not_exists else ''}{rel.name}({', '.join(parts)})"


def render_markdown() -> str:
    """docs/schema.md, generated: labels, relationship types, reasons."""
    lines = [
        "# codekg graph schema",
        "",
        f"Schema version **{SCHEMA_VERSION}**. Generated from `src/codekg/schema.py` by "
        "`python -m codekg.schema` (or `make schema-doc`); do not edit by hand.",
        "",
        "## Node labels",
        "",
    ]
    for label in NODE_LABELS:
        lines += [f"### {label.name}", "", label.doc, "", *_example(label.name), "| property | type | meaning |", "|---|---|---|"]
        lines += [f"| `{p.name}` | {p.type.value} | {p.doc} |" for p in label.properties]
        lines.append("")
    lines += ["### CodeElement", "", CODE_ELEMENT_DOC, "", *_example("BELONGS_TO")]
    lines += ["## Relationship types", ""]
    for rel in REL_TYPES:
        pairs = ", ".join(f"{a} → {b}" for a, b in rel.pairs)
        lines += [f"### {rel.name}", "", rel.doc, "", f"Endpoints: {pairs}.", "", *_example(rel.name)]
        if rel.properties:
            lines += ["| property | type | meaning |", "|---|---|---|"]
            lines += [f"| `{p.name}` | {p.type.value} | {p.doc} |" for p in rel.properties]
            lines.append("")
    lines += ["## Reasons on derived edges", "", "| reason | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {doc} |" for name, doc in REASONS.items()]
    lines.append("")
    return "\n".join(lines)


CODE_ELEMENT_DOC = (
    "Not a table: the label every declared symbol answers to (" + ", ".join(CODE_ELEMENT_LABELS) + "), for a "
    "query about all of them at once. The embedded store keeps one label per node and reads `:CodeElement` in a "
    "query as the union of those labels (`MATCH (n:CodeElement)` is `MATCH (n:Class:Interface:…)`, which Ladybug "
    "reads as any of them); the server stores (FalkorDB, Neo4j, Memgraph) give those nodes the second label "
    "`CodeElement`.")


def _example(name: str) -> list[str]:
    return ["Example:", "", "```cypher", EXAMPLES[name], "```", ""]


def render_summary() -> str:
    """The compact schema tables embedded in README.md (between the schema markers)."""
    common = {p.name for p in _COMMON}
    lines = [
        f"Every code node has: {', '.join(f'`{p.name}`' for p in _COMMON)}.",
        "",
        "| node label | meaning | extra properties |",
        "|---|---|---|",
    ]
    for label in NODE_LABELS:
        extra = ", ".join(f"`{p.name}`" for p in label.properties if p.name not in common)
        lines.append(f"| {label.name} | {label.doc} | {extra} |")
    lines += ["", "| relationship | endpoints | properties |", "|---|---|---|"]
    for rel in REL_TYPES:
        sources = sorted({a for a, _ in rel.pairs}, key=[l.name for l in NODE_LABELS].index)
        targets = sorted({b for _, b in rel.pairs}, key=[l.name for l in NODE_LABELS].index)
        props = ", ".join(f"`{p.name}`" for p in rel.properties)
        lines.append(f"| {rel.name} | {'/'.join(sources)} → {'/'.join(targets)} | {props} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(render_summary() if "--summary" in sys.argv else render_markdown(), end="")
