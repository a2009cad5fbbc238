"""SQL strings in JavaScript and TypeScript calls (codekg/sql/embedded.py) on real tree-sitter
parses: the exact SqlStatement records of `FileParse.sql`."""

import subprocess
import sys

import pytest

from codekg.languages.base import EXTRACTION
from codekg.languages.javascript import JavaScriptExtractor
from codekg.languages.typescript import TypeScriptExtractor
from codekg.records import SqlStatement
from codekg.sql.embedded import PLACEHOLDER


@pytest.fixture(autouse=True)
def ansi_settings(monkeypatch):
    """The run's settings as a fresh run has them: ansi, no folder dialects."""
    monkeypatch.setattr(EXTRACTION, "sql_dialect", "ansi")
    monkeypatch.setattr(EXTRACTION, "sql_folder_dialects", {})


def sql_of(source: bytes, path: str = "src/db.js") -> list[SqlStatement]:
    return JavaScriptExtractor().extract(path, source).sql


def test_pool_query_with_a_template_literal():
    source = b'''const { Pool } = require("pg");
const pool = new Pool();

async function topCustomers() {
  const { rows } = await pool.query(`
    SELECT c.name, SUM(o.total) AS spent
    FROM customers c JOIN orders o ON o.customer_id = c.id
    GROUP BY c.name`);
  return rows;
}
'''
    parsed = JavaScriptExtractor().extract("src/db.js", source)
    # the template opens on line 5 with a line break: the statement starts on line 6
    assert parsed.sql == [
        SqlStatement(
            6, 8, "select", ("<default>.customers", "<default>.orders"), (), (), (), "",
            "SELECT c.name, SUM(o.total) AS spent\n    FROM customers c JOIN orders o ON o.customer_id = c.id\n"
            "    GROUP BY c.name", "", ("topCustomers",), "pool.query"),
    ]
    (query,) = [site for site in parsed.calls if site.callee == "query"]
    assert query.scope == parsed.sql[0].scope


def test_knex_raw():
    source = b'''module.exports = {
  up: (knex) => knex.raw("INSERT INTO audit_log (user_id, action) SELECT id, 'created' FROM users"),
};
'''
    assert sql_of(source) == [
        SqlStatement(2, 2, "insert", ("<default>.users",), ("<default>.audit_log",),
                     (("<default>.users.id", "<default>.audit_log.user_id", "id"),
                      ("", "<default>.audit_log.action", "'created'")),
                     (), "", "INSERT INTO audit_log (user_id, action) SELECT id, 'created' FROM users", "",
                     ("up",), "knex.raw"),
    ]


def test_template_holes():
    source = b'''export async function byId(db, id, table) {
  await db.query(`SELECT id, name FROM users WHERE id = ${id}`);
  await db.query(`DELETE FROM ${table} WHERE id IN (SELECT id FROM expired)`);
}
'''
    # a hole where a table goes is no table: `DELETE FROM ${table}` writes none that is known
    assert sql_of(source) == [
        SqlStatement(2, 2, "select", ("<default>.users",), (), (), (), "",
                     f"SELECT id, name FROM users WHERE id = {PLACEHOLDER}", "", ("byId",), "db.query"),
        SqlStatement(3, 3, "delete", ("<default>.expired",), (), (), (), "",
                     f"DELETE FROM {PLACEHOLDER} WHERE id IN (SELECT id FROM expired)", "", ("byId",), "db.query"),
    ]


def test_sql_tagged_template():
    source = b'''import postgres from "postgres";
const sql = postgres();

export const recent = (since) => sql`
  SELECT title FROM posts WHERE created_at > ${since}
`;
'''
    assert sql_of(source) == [
        SqlStatement(5, 5, "select", ("<default>.posts",), (), (), (), "",
                     f"SELECT title FROM posts WHERE created_at > {PLACEHOLDER}", "", ("recent",), "sql"),
    ]


def test_typescript_method():
    source = b'''import { Pool } from "pg";

interface Row { id: number }

export class UserRepository {
  constructor(private readonly db: Pool) {}

  async active(): Promise<Row[]> {
    const result = await this.db!.query<Row>("SELECT id FROM users WHERE active = true");
    return result.rows;
  }
}
'''
    parsed = TypeScriptExtractor().extract("src/repo.ts", source)
    assert parsed.sql == [
        SqlStatement(9, 9, "select", ("<default>.users",), (), (), (), "", "SELECT id FROM users WHERE active = true", "",
                     ("UserRepository", "active"), "this.db!.query"),
    ]
    # tree-sitter-typescript reads `await f<T>(x)` as `(await f)<T>(x)`: still the call of `query`
    assert [(site.callee, site.receiver, site.scope) for site in parsed.calls] == [
        ("query", "this.db", ("UserRepository", "active"))]


def test_plus_of_literals_and_a_hole():
    source = b'''function find(db, name) {
  return db.query("SELECT id FROM accounts " +
    "WHERE name = '" + name + "'");
}
'''
    # each literal keeps its own line; an operand that is no string is a hole
    assert sql_of(source) == [
        SqlStatement(2, 3, "select", ("<default>.accounts",), (), (), (), "",
                     f"SELECT id FROM accounts \nWHERE name = '{PLACEHOLDER}'", "", ("find",), "db.query"),
    ]


def test_escapes_keep_file_lines():
    source = b'''db.run('INSERT INTO log (msg) VALUES (\\'a\\tb\\')');
db.run("UPDATE log SET seen = 1 \\
WHERE id = \\x31");
'''
    assert sql_of(source) == [
        SqlStatement(1, 1, "insert", (), ("<default>.log",), (), (), "", "INSERT INTO log (msg) VALUES ('a b')", "", (),
                     "db.run"),
        SqlStatement(2, 3, "update", (), ("<default>.log",), (("", "<default>.log.seen", "1"),), (), "",
                     "UPDATE log SET seen = 1 \nWHERE id = 1", "", (), "db.run"),
    ]


def test_strings_that_are_not_sql_and_calls_that_run_none():
    source = b'''pool.query("hello");
pool.query(text);
pool.query(...args);
pool.query(1 + 2);
html`SELECT * FROM users`;
new Query("SELECT * FROM users");
console.log("SELECT * FROM users");
items.all("SELECT * FROM users");
'''
    assert sql_of(source) == []


def test_dialect_comment():
    source = b'''/* dialect: tsql */
pool.query("SELECT [Order Id] FROM [dbo].[Orders]");
'''
    assert sql_of(source) == [
        SqlStatement(2, 2, "select", ("dbo.Orders",), (), (), (), "tsql", "SELECT [Order Id] FROM [dbo].[Orders]", "",
                     (), "pool.query"),
    ]


def test_a_file_with_no_sql_does_not_import_sqlglot():
    script = (
        "import sys\n"
        "from codekg.languages.typescript import TypeScriptExtractor\n"
        "parsed = TypeScriptExtractor().extract('a.ts', b'pool.query(q); pool.query(\"hi\"); html`SELECT 1`;')\n"
        "assert parsed.sql == [], parsed.sql\n"
        "print('sqlglot' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
