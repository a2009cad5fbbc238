"""Read a SQL script statement by statement: what each reads and writes, table and column.

The script is cut at its semicolons by sqlglot's own tokenizer (strings and comments stay whole),
and each piece is parsed alone: one statement sqlglot cannot read is reported with its line and the
parser's message, and the rest of the script is still read. Names are normalised one way for every
dialect (tests/fixtures/lineage/README.md): unquoted identifiers lower-cased, quoted ones kept, an
unqualified table under `<default>`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokens import Token, TokenType

from codekg.records import SQL_TEXT_LIMIT, SqlStatement
from codekg.sql.columns import STAR, Output, QueryColumns

DEFAULT_SCHEMA = "<default>"

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to a Command" is ours to report

# Statements sqlglot keeps as an opaque Command, read here by their first words.
_RENAME_TABLE = re.compile(r"^\s*rename\s+tables?\s+(.+)$", re.IGNORECASE | re.DOTALL)
_REPLACE_INTO = re.compile(r"^\s*replace(\s+(?:low_priority|delayed))?\s+into\b", re.IGNORECASE)
_UNLOAD = re.compile(r"^\s*unload\s*\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE | re.DOTALL)
_TOKEN_REPR = re.compile(r"<Token token_type: [\w.]+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>")
_NO_LINEAGE = (exp.Drop, exp.TruncateTable, exp.Delete, exp.Use, exp.Set, exp.Grant, exp.Transaction,
               exp.Commit, exp.Rollback, exp.Describe, exp.Show, exp.Pragma, exp.Analyze)
_STATEMENTS = (exp.Query, exp.DML, exp.DDL, exp.Command, exp.MultitableInserts, exp.Alter, exp.Cache, exp.Copy) + _NO_LINEAGE


@dataclass(slots=True)
class _Piece:
    text: str
    line: int
    end_line: int
    start: int  # offset of the piece in the script
    tokens: list[Token] = field(default_factory=list)


def read_script(script: str, dialect: str, catalog: dict[str, tuple[str, ...]] | None = None) -> list[SqlStatement]:
    """Every statement of ``script`` in order. ``catalog`` (table → declared columns) grows with each
    CREATE TABLE read, so a later `SELECT *` expands; pass one dict across scripts to share it."""
    catalog = {} if catalog is None else catalog
    return [_values_insert(piece, dialect) or _read_piece(piece, dialect, catalog)
            for piece in split_statements(script, dialect)]


_NAME_TOKENS = (TokenType.VAR, TokenType.IDENTIFIER)


def _values_insert(piece: _Piece, dialect: str) -> SqlStatement | None:
    """`INSERT INTO t [(columns)] VALUES (…), …` read from its tokens alone: rows of constants (a data
    dump, seed files) write the table and read nothing, and parsing them would cost most of a
    dump's time. Anything else (a SELECT inside, ON CONFLICT, RETURNING) is left to the parser."""
    tokens = piece.tokens
    if len(tokens) < 4 or tokens[0].token_type != TokenType.INSERT or tokens[1].token_type != TokenType.INTO:
        return None
    position, parts = 2, []
    while position < len(tokens) and tokens[position].token_type in _NAME_TOKENS:
        token = tokens[position]
        parts.append(token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower())
        if position + 1 < len(tokens) and tokens[position + 1].token_type == TokenType.DOT:
            position += 2
        else:
            position += 1
            break
    if not parts or any(part.startswith(("#", "@")) for part in parts):
        return None
    if position < len(tokens) and tokens[position].token_type == TokenType.L_PAREN:
        while position < len(tokens) and tokens[position].token_type != TokenType.R_PAREN:
            position += 1
        position += 1
    if position >= len(tokens) or tokens[position].token_type != TokenType.VALUES:
        return None
    if any(token.token_type in _NOT_CONSTANT_ROWS for token in tokens[position:]):
        return None
    name = ".".join([DEFAULT_SCHEMA, *parts] if len(parts) == 1 else parts)
    return SqlStatement(piece.line, piece.end_line, "insert", (), (name,), dialect=dialect, text=piece.text[:SQL_TEXT_LIMIT])


_NOT_CONSTANT_ROWS = frozenset({TokenType.SELECT, TokenType.ON, TokenType.RETURNING, TokenType.WITH, TokenType.FROM,
                                TokenType.VALUES_KEYWORD if hasattr(TokenType, "VALUES_KEYWORD") else TokenType.SELECT})


def split_statements(script: str, dialect: str) -> list[_Piece]:
    """The statements of ``script`` at its top-level semicolons, each with its first and last line."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(script)
    except SqlglotError:  # an unterminated string or comment: the script as one piece, reported by the parser
        return [_Piece(script, 1, script.count("\n") + 1, 0)] if script.strip() else []
    pieces: list[_Piece] = []
    current: list[Token] = []
    line, counted_to = 1, 0  # the line at offset counted_to: counted forward once, not from the top per piece
    for token in tokens + [None]:  # type: ignore[list-item]
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                start, end = current[0].start, current[-1].end + 1
                line += script.count("\n", counted_to, start)
                counted_to = start
                pieces.append(_Piece(script[start:end], line, line + script.count("\n", start, end), start, current))
            current = []
        else:
            current.append(token)
    return pieces


def _read_piece(piece: _Piece, dialect: str, catalog: dict[str, tuple[str, ...]]) -> SqlStatement:
    text = piece.text[:SQL_TEXT_LIMIT]
    try:
        parsed = sqlglot.parse(piece.text, read=dialect)
        statements = [statement for statement in parsed if statement is not None]
        if len(statements) != 1:
            raise SqlglotError(f"expected one statement, read {len(statements)}")
        if not isinstance(statements[0], _STATEMENTS):  # `this is not sql` parses as an expression
            raise ParseError(f"not a SQL statement (read as {type(statements[0]).__name__.lower()})")
        statement = normalize_identifiers(statements[0], dialect=None)
        lineage = _StatementReader(piece.text, dialect, catalog).read(statement)
    except Exception as error:  # noqa: BLE001 - the parser's or ours: one statement lost, never the file's others
        return SqlStatement(piece.line, piece.end_line, "", dialect=dialect, text=text, error=_message(error, piece.line))
    operation, reads, writes, columns, declared = lineage
    return SqlStatement(piece.line, piece.end_line, operation, tuple(dict.fromkeys(reads)), tuple(dict.fromkeys(writes)),
                        tuple(dict.fromkeys(columns)), tuple(declared), dialect, text)


def _message(error: BaseException, line: int = 1) -> str:
    """The parser's own words without its terminal colours; the line counted in the whole script."""
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        column = int(first.get("col") or 0) - len(str(first.get("highlight") or "")) + 1  # sqlglot gives the token's end
        where = f" (line {line + int(first.get('line') or 1) - 1}, column {column})" if first.get("col") else ""
        description = _TOKEN_REPR.sub(lambda m: repr(m.group(1)), str(first.get("description")))
        description = description.replace("'SENTINEL'", "the end of the statement")  # sqlglot's end marker
        return f"{description}{where}: near {first.get('highlight')!r}"
    message = " ".join(str(error).split())
    kind = type(error).__name__ if type(error).__module__ in ("builtins", "sqlglot.errors") else \
        f"{type(error).__module__}.{type(error).__name__}"
    return f"{kind}: {message[:500]}" if message else kind


def table_name(table: exp.Table) -> str:
    """The normalised name of ``table``: every part it is written with, `<default>` for no schema."""
    parts = [_identifier(part) for part in table.parts]
    if len(parts) == 1:
        parts.insert(0, DEFAULT_SCHEMA)
    return ".".join(parts)


def _identifier(part: exp.Expression) -> str:
    """A name part as written: T-SQL's `#temp` and `##global` tables keep their marks."""
    if part.args.get("global_"):
        return "##" + part.name
    return "#" + part.name if part.args.get("temporary") else part.name


Lineage = tuple[str, list[str], list[str], list[tuple[str, str, str]], list[tuple[str, tuple[str, ...]]]]


class _StatementReader:
    """The lineage of one parsed statement: (operation, reads, writes, column flows, declared tables)."""

    def __init__(self, text: str, dialect: str, catalog: dict[str, tuple[str, ...]]) -> None:
        self.text, self.dialect, self.catalog = text, dialect, catalog
        self.columns = QueryColumns(table_name, catalog, self._output_name)
        self.reads: list[str] = []
        self.writes: list[str] = []
        self.flows: list[tuple[str, str, str]] = []
        self.declared: list[tuple[str, tuple[str, ...]]] = []

    def read(self, statement: exp.Expression) -> Lineage:
        with_clause = statement.args.get("with_")
        if isinstance(with_clause, exp.With) and not isinstance(statement, (exp.Select, exp.SetOperation)):
            self.columns.ctes = self.columns.common_tables(with_clause)  # `WITH c AS (…) INSERT INTO t SELECT … FROM c`
        operation = self._dispatch(statement)
        self.reads.extend(self.columns.tables_read)
        if operation in ("update", "merge"):  # the written table, named again in its FROM or ON, is no source
            feeding = {source.rsplit(".", 1)[0] for source, _, _ in self.flows}  # SET a = a - s.qty reads it
            self.reads = [table for table in self.reads if table not in self.writes or table in feeding]
        return operation, self.reads, self.writes, self.flows, self.declared

    def _dispatch(self, statement: exp.Expression) -> str:
        if isinstance(statement, exp.Insert):
            return self._insert(statement)
        if isinstance(statement, exp.MultitableInserts):
            source = statement.args["source"]
            shared = self.columns.outputs(source) if isinstance(source, (exp.Select, exp.SetOperation)) else []
            for into in statement.expressions:
                insert = into if isinstance(into, exp.Insert) else into.find(exp.Insert)
                if insert is None:
                    continue
                query = insert.expression
                if isinstance(query, exp.Select) and not isinstance(source, (exp.Select, exp.SetOperation)):
                    query = query.copy()  # Hive `FROM src INSERT … SELECT … INSERT … SELECT …`: each reads src
                    query.set("from_", exp.From(this=source.copy()))
                    self._write_query(insert.this, self.columns.outputs(query))
                else:
                    self._write_query(insert.this, _chosen_outputs(shared, query))
            return "insert"
        if isinstance(statement, exp.Create):
            return self._create(statement)
        if isinstance(statement, (exp.Select, exp.SetOperation, exp.Subquery)):
            into = statement.args.get("into")
            if isinstance(into, exp.Into) and into.this is not None:
                statement = statement.copy()
                statement.set("into", None)
                self._write_query(into.this, self.columns.outputs(statement))
                return "select_into"
            self.columns.outputs(statement)
            return "select"
        if isinstance(statement, exp.Update):
            return self._update(statement)
        if isinstance(statement, exp.Merge):
            return self._merge(statement)
        if isinstance(statement, exp.Copy):
            if statement.args.get("kind"):  # COPY … FROM: the table is loaded
                self.writes.append(self._target_table(statement.this))
            else:  # COPY t TO: the table (or the query) is read
                self._read_relation(statement.this)
            return "copy"
        if isinstance(statement, exp.Alter):
            return self._alter(statement)
        if isinstance(statement, exp.Cache):
            if statement.expression is not None:
                self._write_query(statement.this, self.columns.outputs(statement.expression))
            return "cache"
        if isinstance(statement, exp.Command):
            return self._command(statement)
        if isinstance(statement, _NO_LINEAGE):
            self.columns.read_subqueries(statement)  # `DELETE … WHERE id IN (SELECT …)` still reads
            for using in statement.args.get("using") or []:
                self._read_relation(using)
            return type(statement).__name__.lower()
        return type(statement).__name__.lower()

    # --- writes ----------------------------------------------------------------------------------

    def _insert(self, insert: exp.Insert) -> str:
        query = insert.expression
        if isinstance(query, exp.Values) or query is None:
            self.writes.append(self._target_table(insert.this))
            return "insert"
        first_flow = len(self.flows)
        self._write_query(insert.this, self.columns.outputs(query))
        conflict = insert.args.get("conflict")
        if isinstance(conflict, exp.OnConflict) and conflict.expressions:
            self._conflict_update(insert.this, conflict, self.flows[first_flow:])
        returning = insert.args.get("returning")
        if isinstance(returning, exp.Returning) and isinstance(returning.args.get("into"), exp.Expression):
            self._output_into(insert.this, returning, self.flows[first_flow:])
        return "insert"

    def _output_into(self, target: exp.Expression, returning: exp.Returning, inserted: list[tuple[str, str, str]]) -> None:
        """T-SQL `OUTPUT inserted.x, … INTO log`: the log is written with the values being inserted."""
        name = self._target_table(target)
        into = returning.args["into"]
        log = into if isinstance(into, (exp.Table, exp.Schema)) else exp.Table(this=into.copy())
        arriving: dict[str, set[str]] = {}
        for source, target_column, _ in inserted:
            arriving.setdefault(target_column, set()).add(source)
        outputs = []
        for expression in returning.expressions:
            sources = set()
            for column in expression.find_all(exp.Column):
                if column.table.lower() == "inserted":
                    sources |= arriving.get(f"{name}.{column.name}", set())
            output_name = expression.alias_or_name if isinstance(expression, (exp.Alias, exp.Column)) else expression.sql()
            outputs.append(Output(output_name, frozenset(sources - {""}), expression.sql()))
        self._write_query(log, outputs)

    def _conflict_update(self, target: exp.Expression, conflict: exp.OnConflict, inserted: list[tuple[str, str, str]]) -> None:
        """`ON CONFLICT … DO UPDATE SET c = …`: EXCLUDED.x is the value the row would have had in x;
        the target's own columns are read from the row already there."""
        name = self._target_table(target)
        table = target.this if isinstance(target, exp.Schema) else target
        own_names = {table.name, table.alias} - {""} if isinstance(table, exp.Table) else set()
        arriving: dict[str, set[str]] = {}
        for source, target_column, _ in inserted:
            arriving.setdefault(target_column, set()).add(source)
        for assignment in conflict.expressions:
            if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, exp.Column):
                continue
            sources: set[str] = set()
            for column in assignment.expression.find_all(exp.Column):
                if column.table.lower() == "excluded":
                    sources |= arriving.get(f"{name}.{column.name}", set())
                elif not column.table or column.table in own_names:
                    sources.add(f"{name}.{column.name}")
                    self.reads.append(name)
            out = Output(assignment.this.name, frozenset(sources - {""}), assignment.expression.sql())
            self._flow(out, f"{name}.{assignment.this.name}")

    def _create(self, create: exp.Create) -> str:
        kind = str(create.args.get("kind") or "").lower()
        target = create.this
        operation = f"create_{kind}" if kind else "create"
        if kind not in ("table", "view"):
            return operation  # an index, a function, a schema: no lineage
        declared = _declared_columns(target) if isinstance(target, exp.Schema) else None
        name = self._target_table(target)
        if declared:
            self.catalog[name] = declared
            self.declared.append((name, declared))
        query = create.expression
        if isinstance(query, (exp.Select, exp.SetOperation, exp.Subquery)):
            outputs = self.columns.outputs(query)
            self._write_query(target, outputs)
            if not declared and not any(out.star_of for out in outputs):
                self.catalog[name] = tuple(dict.fromkeys(out.name for out in outputs))
                self.declared.append((name, self.catalog[name]))
        else:
            self.writes.append(name)
            return "declare_" + kind  # no query: a declaration puts no rows in the table
        return operation

    def _write_query(self, target: exp.Expression, outputs: list[Output]) -> None:
        """``target`` (a table, or a table with a column list) is written from ``outputs`` by position."""
        name = self._target_table(target)
        self.writes.append(name)
        listed = [column.name for column in target.expressions] if isinstance(target, exp.Schema) else []
        names = listed or list(self.catalog.get(name, ()))
        if any(out.star_of for out in outputs) and (listed or len(outputs) > 1 or not names):
            for out in outputs:
                if out.star_of:  # columns unknown: the star passes through as a whole
                    self.flows.extend((source, f"{name}.{STAR}", STAR) for source in sorted(out.sources))
                else:
                    self.flows.extend((source, f"{name}.{out.name}", out.expression) for source in sorted(out.sources))
            return
        dynamic = _dynamic_partitions(target)
        if dynamic and len(outputs) >= len(dynamic):  # `PARTITION (dt)`: the last outputs feed the partition columns
            kept = len(outputs) - len(dynamic)
            names = (names[:kept] if len(names) >= kept else [out.name for out in outputs[:kept]]) + dynamic
        for position, out in enumerate(outputs):
            column = names[position] if position < len(names) else out.name
            self._flow(out, f"{name}.{column}")

    def _flow(self, out: Output, target_column: str) -> None:
        """``target_column`` is written from ``out``; a constant is written from nothing ("" as its source)."""
        self.flows.extend((source, target_column, out.expression) for source in sorted(out.sources or {""}))

    def _update(self, update: exp.Update) -> str:
        target = update.this
        from_clause = update.args.get("from_") or update.args.get("from")
        if isinstance(target, exp.Table) and not target.args.get("db") and from_clause is not None:
            named = [t for t in from_clause.find_all(exp.Table) if t.alias == target.name]
            if named:  # T-SQL `UPDATE c SET … FROM dbo.customers c JOIN …`: c is an alias
                target = named[0]
        name = self._target_table(target)
        self.writes.append(name)
        select = exp.Select(expressions=[assignment.expression.copy() for assignment in update.expressions
                                         if isinstance(assignment, exp.EQ)])
        relations = [target.copy()]
        if from_clause is not None:
            relations.append(from_clause.this.copy())
        relations += [join.this.copy() for join in (update.args.get("joins") or target.args.get("joins") or [])]
        relations = _unique_relations(relations)
        select.set("from_", exp.From(this=relations[0]))
        select.set("joins", [exp.Join(this=relation) for relation in relations[1:]])
        outputs = self.columns.outputs(select)
        for assignment, out in zip([a for a in update.expressions if isinstance(a, exp.EQ)], outputs):
            column = assignment.this.name if isinstance(assignment.this, exp.Column) else assignment.this.sql()
            self._flow(out, f"{name}.{column}")
        self._read_where(update)
        return "update"

    def _merge(self, merge: exp.Merge) -> str:
        target = merge.this
        name = self._target_table(target)
        self.writes.append(name)
        relations = _unique_relations([target.copy(), merge.args["using"].copy()])
        whens = merge.args.get("whens")
        for when in (whens.expressions if whens is not None else []):
            action = when.args.get("then")
            pairs: list[tuple[str, exp.Expression]] = []
            source_alias = merge.args["using"].alias_or_name
            if isinstance(action, (exp.Update, exp.Insert)) and _is_star_action(action) and name in self.catalog:
                # Delta `UPDATE SET *` / `INSERT *`: every column of the target from the source's column of that name
                pairs = [(column, exp.column(column, table=source_alias)) for column in self.catalog[name]]
            elif isinstance(action, exp.Update):
                pairs = [(a.this.name, a.expression) for a in action.expressions if isinstance(a, exp.EQ)]
            elif isinstance(action, exp.Insert):
                columns = action.this.expressions if isinstance(action.this, exp.Tuple) else []
                values = action.expression.expressions if isinstance(action.expression, exp.Tuple) else []
                if len(columns) == 1 and isinstance(columns[0], exp.Anonymous) and columns[0].name.lower() == "values":
                    columns, values = [], columns[0].expressions  # `INSERT VALUES (…)` with no column list
                if not columns and name in self.catalog:
                    columns = [exp.column(c) for c in self.catalog[name]]
                pairs = [(column.name, value) for column, value in zip(columns, values)]
            if not pairs:
                continue
            select = exp.Select(expressions=[value.copy() for _, value in pairs])
            select.set("from_", exp.From(this=relations[0].copy()))
            select.set("joins", [exp.Join(this=relation.copy()) for relation in relations[1:]])
            for (column, _), out in zip(pairs, self.columns.outputs(select)):
                self._flow(out, f"{name}.{column}")
        self._read_relation(merge.args["using"])
        return "merge"

    def _alter(self, alter: exp.Alter) -> str:
        name = self._target_table(alter.this)
        for action in alter.args.get("actions") or []:
            if isinstance(action, exp.AlterRename):
                self.reads.append(name)
                self.writes.append(self._renamed(action.this, alter.this))
                return "rename"
            if isinstance(action, exp.SwapTable):
                other = self._target_table(action.this)
                self.reads.extend((name, other))
                self.writes.extend((other, name))
                return "swap"
        return "alter"

    def _command(self, command: exp.Command) -> str:
        text = self.text.strip()
        renamed = _RENAME_TABLE.match(text)
        if renamed:  # MySQL `RENAME TABLE a TO b, c TO d`
            for pair in renamed.group(1).split(","):
                parts = re.split(r"\s+to\s+", pair.strip(), flags=re.IGNORECASE)
                if len(parts) == 2:
                    old, new = (exp.to_table(part.strip(), dialect=self.dialect) for part in parts)
                    self.reads.append(table_name(normalize_identifiers(old, dialect=None)))
                    self.writes.append(table_name(normalize_identifiers(new, dialect=None)))
            return "rename"
        if _REPLACE_INTO.match(text):  # MySQL `REPLACE INTO`: an INSERT that replaces on a duplicate key
            insert = sqlglot.parse_one(_REPLACE_INTO.sub("INSERT INTO", text, count=1), read=self.dialect)
            self._dispatch(normalize_identifiers(insert, dialect=None))
            return "replace"
        unloaded = _UNLOAD.match(text)
        if unloaded:  # Redshift `UNLOAD ('select …') TO 's3://…'`: its query is read
            query = sqlglot.parse_one(unloaded.group(1).replace("''", "'"), read=self.dialect)
            self.columns.outputs(normalize_identifiers(query, dialect=None))
            return "unload"
        return str(command.this or "command").lower()

    # --- helpers ---------------------------------------------------------------------------------

    def _target_table(self, target: exp.Expression) -> str:
        table = target.this if isinstance(target, exp.Schema) else target
        if isinstance(table, exp.Table) and isinstance(table.this, exp.Identifier):
            return table_name(table)
        found = target.find(exp.Table)
        if found is None:
            raise ValueError(f"no table in {target.sql()[:80]}")
        return table_name(found)

    def _renamed(self, new: exp.Expression, old: exp.Expression) -> str:
        """A rename's new name: `RENAME TO b` keeps the old table's schema when it names none."""
        if isinstance(new, exp.Table) and not new.args.get("db") and isinstance(old, exp.Table) and old.args.get("db"):
            return ".".join([*(part.name for part in old.parts[:-1]), new.name])
        return self._target_table(new)

    def _read_relation(self, relation: exp.Expression | None) -> None:
        if relation is None:
            return
        if isinstance(relation, exp.Table) and isinstance(relation.this, exp.Identifier):
            self.reads.append(table_name(relation))
        else:
            self.columns.read_subqueries(relation)

    def _read_where(self, statement: exp.Expression) -> None:
        self.columns.read_subqueries(statement.args.get("where"))

    def _output_name(self, projection: exp.Expression) -> str:
        """An unaliased expression's name: its text as written, lower-cased outside quotes, one space for each run of whitespace."""
        return _source_text(projection, self.text) or _normalised(projection.sql(dialect=self.dialect))


def _is_star_action(action: exp.Expression) -> bool:
    if isinstance(action, exp.Update):
        return len(action.expressions) == 1 and isinstance(action.expressions[0], exp.Star)
    return isinstance(action.this, exp.Star)


def _chosen_outputs(outputs: list[Output], values: exp.Expression | None) -> list[Output]:
    """Snowflake `INSERT ALL INTO t (a, b) VALUES (x, y) … SELECT x, y, z`: VALUES names the query's
    outputs; without it every output goes in, in order."""
    if not isinstance(values, exp.Values) or not values.expressions:
        return outputs
    by_name = {out.name: out for out in outputs}
    chosen = []
    for value in values.expressions[0].expressions:
        if isinstance(value, exp.Column) and value.name in by_name:
            chosen.append(by_name[value.name])
        else:
            chosen.append(Output(value.sql(), frozenset(), value.sql()))
    return chosen


def _dynamic_partitions(target: exp.Expression) -> list[str]:
    """Hive/Spark `PARTITION (dt, h)`: the partition columns without a value, filled from the query's last outputs."""
    table = target.this if isinstance(target, exp.Schema) else target
    partition = table.args.get("partition") if isinstance(table, exp.Table) else None
    if not isinstance(partition, exp.Partition):
        return []
    return [column.name for column in partition.expressions if isinstance(column, exp.Column)]


def _declared_columns(schema: exp.Schema) -> tuple[str, ...]:
    return tuple(column.name for column in schema.expressions if isinstance(column, (exp.ColumnDef, exp.Identifier, exp.Column)))


def _unique_relations(relations: list[exp.Expression]) -> list[exp.Expression]:
    """The relations of an UPDATE/MERGE without the target named twice (`UPDATE t … FROM t JOIN s`)."""
    seen: set[str] = set()
    kept = []
    for relation in relations:
        key = relation.alias_or_name if not isinstance(relation, exp.Table) else (relation.alias or relation.name)
        if isinstance(relation, exp.Table) and not relation.alias:
            key = relation.name
        if key in seen:
            continue
        seen.add(key)
        kept.append(relation)
    return kept


def _source_text(expression: exp.Expression, text: str) -> str:
    """The text of select-list item ``expression`` as written: from the comma (or SELECT) before its
    first positioned token to the comma (or FROM, …) after it, at bracket depth 0; "" when the
    parser left no positions to find it by."""
    starts = [node.meta["start"] for node in expression.walk() if "start" in node.meta]
    if not starts:
        return ""
    first = min(starts)
    begin = _item_start(text, first)
    end = _item_end(text, begin)
    return _normalised(_SELECT_PREFIX.sub("", text[begin:end]).strip())


_SELECT_PREFIX = re.compile(r"^\s*(?:(?:distinct\s+on\s*\([^)]*\)|distinct|all|top\s*\(?\s*\d+\s*\)?(?:\s+percent)?)\s+)*",
                            re.IGNORECASE)
_LIST_END = re.compile(r"(from|into|where|group|having|order|limit|union|intersect|except|minus|window|qualify)\b",
                       re.IGNORECASE)
_LIST_START = re.compile(r"\b(select)\s*$", re.IGNORECASE)


def _item_start(text: str, position: int) -> int:
    """Back from ``position`` over what precedes an item's first positioned token (`(`, `CASE`, `-`)."""
    depth = 0
    while position > 0:
        char = text[position - 1]
        if char in ")]":
            depth += 1
        elif char in "([":
            depth -= 1
        elif char == "," and depth <= 0:
            return position
        elif depth <= 0 and char.isspace() and _LIST_START.search(text[max(0, position - 16):position]):
            return position
        position -= 1
    return 0


def _item_end(text: str, position: int) -> int:
    depth, quote = 0, ""
    while position < len(text):
        char = text[position]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                return position
            depth -= 1
        elif depth == 0 and (char in ",;" or (char.isalpha() and not (text[position - 1].isalnum() or text[position - 1] == "_")
                                               and _LIST_END.match(text, position))):
            return position
        position += 1
    return position


def _normalised(text: str) -> str:
    """Lower case outside quotes, one space for each run of whitespace."""
    out: list[str] = []
    quote = ""
    for char in " ".join(text.split()):
        if quote:
            out.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"`[":
            quote = "]" if char == "[" else char
            out.append(char)
        else:
            out.append(char.lower())
    return "".join(out)

