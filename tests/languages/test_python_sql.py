"""SQL strings in Python calls (codekg/sql/embedded.py) on real tree-sitter parses: the exact
SqlStatement records of `FileParse.sql`."""

import subprocess
import sys

import pytest

from codekg.languages.base import EXTRACTION
from codekg.languages.python import PythonExtractor
from codekg.records import SqlStatement
from codekg.sql.embedded import PLACEHOLDER


@pytest.fixture(autouse=True)
def ansi_settings(monkeypatch):
    """The run's settings as a fresh run has them: ansi, no folder dialects."""
    monkeypatch.setattr(EXTRACTION, "sql_dialect", "ansi")
    monkeypatch.setattr(EXTRACTION, "sql_folder_dialects", {})


def sql_of(source: bytes, path: str = "app/db.py") -> list[SqlStatement]:
    return PythonExtractor().extract(path, source).sql


def test_cursor_execute_insert_select():
    source = b'''import sqlite3


def archive(conn):
    cursor = conn.cursor()
    cursor.execute("INSERT INTO archive (id, total) SELECT id, amount FROM orders WHERE amount > ?", (100,))
'''
    parsed = PythonExtractor().extract("app/db.py", source)
    assert parsed.sql == [
        SqlStatement(
            6, 6, "insert", ("<default>.orders",), ("<default>.archive",),
            (("<default>.orders.id", "<default>.archive.id", "id"),
             ("<default>.orders.amount", "<default>.archive.total", "amount")),
            (), "", "INSERT INTO archive (id, total) SELECT id, amount FROM orders WHERE amount > ?", "",
            ("archive",), "cursor.execute"),
    ]
    # the scope is the one the extractor gives the call itself
    (execute,) = [site for site in parsed.calls if site.callee == "execute"]
    assert execute.scope == parsed.sql[0].scope


def test_triple_quoted_select_in_a_method():
    source = b'''class Reports:
    def monthly(self, cur):
        cur.execute("""SELECT c.name, o.total
            FROM customers c
            JOIN orders o ON o.customer_id = c.id""")
        return cur.fetchall()

    def yearly(self, cur):
        cur.execute(
            """
            SELECT year FROM totals
            """
        )
'''
    assert sql_of(source) == [
        SqlStatement(
            3, 5, "select", ("<default>.customers", "<default>.orders"), (), (), (), "",
            "SELECT c.name, o.total\n            FROM customers c\n            JOIN orders o ON o.customer_id = c.id",
            "", ("Reports", "monthly"), "cur.execute"),
        # the string opens on line 10 with a line break: its statement starts on line 11
        SqlStatement(11, 11, "select", ("<default>.totals",), (), (), (), "", "SELECT year FROM totals", "",
                     ("Reports", "yearly"), "cur.execute"),
    ]


def test_executescript_with_two_statements():
    source = b'''def migrate(conn):
    conn.executescript("""CREATE TABLE staging (id INT, name TEXT);
INSERT INTO users (id, name) SELECT id, name FROM staging;""")
'''
    assert sql_of(source) == [
        SqlStatement(2, 2, "declare_table", (), ("<default>.staging",), (),
                     (("<default>.staging", ("id", "name")),), "", "CREATE TABLE staging (id INT, name TEXT)", "",
                     ("migrate",), "conn.executescript"),
        SqlStatement(3, 3, "insert", ("<default>.staging",), ("<default>.users",),
                     (("<default>.staging.id", "<default>.users.id", "id"),
                      ("<default>.staging.name", "<default>.users.name", "name")),
                     (), "", "INSERT INTO users (id, name) SELECT id, name FROM staging", "",
                     ("migrate",), "conn.executescript"),
    ]


def test_pandas_read_sql_with_the_sql_keyword():
    source = b'''import pandas as pd

frame = pd.read_sql(con=engine, sql="SELECT region, amount FROM sales.orders")
'''
    assert sql_of(source) == [
        SqlStatement(3, 3, "select", ("sales.orders",), (), (), (), "", "SELECT region, amount FROM sales.orders", "",
                     (), "pd.read_sql"),
    ]


def test_sqlalchemy_text():
    source = b'''from sqlalchemy import text


def deactivate(session):
    session.execute(text("UPDATE users SET active = 0 WHERE last_login < :cutoff"), {"cutoff": 1})
'''
    # `session.execute(text(...))`: the string is `text`'s argument; `execute` is given no string
    assert sql_of(source) == [
        SqlStatement(5, 5, "update", (), ("<default>.users",), (("", "<default>.users.active", "0"),), (), "",
                     "UPDATE users SET active = 0 WHERE last_login < :cutoff", "", ("deactivate",), "text"),
    ]


def test_f_string_with_a_table_hole():
    source = b'''def count(cur, table):
    cur.execute(f"SELECT count(*) FROM {table} JOIN audit ON audit.ref = {table}.id")
'''
    skeleton = f"SELECT count(*) FROM {PLACEHOLDER} JOIN audit ON audit.ref = {PLACEHOLDER}.id"
    # the placeholder table is no table: only `audit` is read
    assert sql_of(source) == [
        SqlStatement(2, 2, "select", ("<default>.audit",), (), (), (), "", skeleton, "", ("count",), "cur.execute"),
    ]


def test_strings_that_are_not_sql_and_calls_that_run_none():
    source = b'''def run(cur, executor, query, args):
    cur.execute("hello world")
    cur.execute(query)
    cur.execute(*args)
    executor.execute("PRAGMA foreign_keys = ON")
    runner.run("SELECT * FROM jobs")
    report.sql("SELECT * FROM jobs")
    print("SELECT * FROM jobs")
    cur.execute(1 + 2)
'''
    assert sql_of(source) == []


def test_bytes_literals():
    source = b'''def run(cur):
    cur.execute(b"SELECT * FROM secrets")
    cur.execute(rb"SELECT * FROM secrets" + b" WHERE 1 = 1")
    cur.execute(Rb"SELECT * FROM secrets" b" WHERE 1 = 1")
'''
    assert sql_of(source) == []


def test_dialect_comment_changes_the_dialect():
    query = b'cur.execute("SELECT [Order Id], [Total] FROM [dbo].[Orders]")'
    assert sql_of(b"# dialect: tsql\ndef top(cur):\n    " + query + b"\n") == [
        SqlStatement(3, 3, "select", ("dbo.Orders",), (), (), (), "tsql",
                     "SELECT [Order Id], [Total] FROM [dbo].[Orders]", "", ("top",), "cur.execute"),
    ]
    # without it the brackets are no ansi SQL: the statement is kept with the parser's error
    assert sql_of(b"def top(cur):\n    " + query + b"\n") == [
        SqlStatement(2, 2, "", (), (), (), (), "", "SELECT [Order Id], [Total] FROM [dbo].[Orders]",
                     "Expected ] (line 1, column 15): near 'Id'", ("top",), "cur.execute"),
    ]


def test_unknown_dialect_comment_is_a_warning_not_a_lost_file():
    parsed = PythonExtractor().extract("app/db.py", b'# dialect: nosuch\ncur.execute("SELECT id FROM t")\n')
    assert parsed.sql == [SqlStatement(2, 2, "select", ("<default>.t",), (), (), (), "", "SELECT id FROM t", "", (),
                                       "cur.execute")]
    assert parsed.warnings == ["unknown SQL dialect 'nosuch': the SQL strings of this file were read with the "
                               "settings' dialect"]


def test_folder_dialect_setting(monkeypatch):
    monkeypatch.setattr(EXTRACTION, "sql_folder_dialects", {"warehouse": "tsql"})
    source = b'cur.execute("SELECT [a] FROM [t]")\n'
    assert sql_of(source, "warehouse/load.py") == [
        SqlStatement(1, 1, "select", ("<default>.t",), (), (), (), "tsql", "SELECT [a] FROM [t]", "", (), "cur.execute"),
    ]


def test_joined_literals_templates_and_string_constants():
    source = b'''SHARED = "SELECT id FROM accounts"


def load(cur, day, table):
    local = """DELETE FROM sessions"""
    cur.execute(local)
    cur.execute(SHARED)
    cur.execute("SELECT a, b "
                "FROM facts "
                "WHERE day = " + str(day))
    cur.execute("INSERT INTO %s SELECT * FROM events WHERE kind LIKE 'a%%'" % table)
    cur.execute("DELETE FROM {} WHERE day < {day}".format(table, day=day))


def rebound(cur, flag):
    q = "SELECT 1 FROM a"
    if flag:
        q = "SELECT 1 FROM b"
    cur.execute(q)
    cur.execute(later)
    later = "SELECT 1 FROM c"
'''
    assert sql_of(source) == [
        # a name bound once to a string, in the calling function or at module level: the string's line
        SqlStatement(5, 5, "delete", (), (), (), (), "", "DELETE FROM sessions", "", ("load",), "cur.execute"),
        SqlStatement(1, 1, "select", ("<default>.accounts",), (), (), (), "", "SELECT id FROM accounts", "",
                     ("load",), "cur.execute"),
        # literals side by side and `+`: each keeps its own line; an operand that is no string is a hole
        SqlStatement(8, 10, "select", ("<default>.facts",), (), (), (), "",
                     f"SELECT a, b \nFROM facts \nWHERE day = {PLACEHOLDER}", "", ("load",), "cur.execute"),
        # `%` and `.format` templates: each field a hole, `%%` a `%`
        SqlStatement(11, 11, "insert", ("<default>.events",), (), (), (), "",
                     f"INSERT INTO {PLACEHOLDER} SELECT * FROM events WHERE kind LIKE 'a%'", "", ("load",),
                     "cur.execute"),
        SqlStatement(12, 12, "delete", (), (), (), (), "", f"DELETE FROM {PLACEHOLDER} WHERE day < {PLACEHOLDER}", "",
                     ("load",), "cur.execute"),
        # `q` bound twice, `later` bound after the call: no constant
    ]


def test_escapes_and_line_continuations_keep_file_lines():
    source = b'''cur.execute("SELECT a,\\tb FROM t\\nWHERE c = \\'x\\' \\
AND d = \\x31")
cur.execute(r"SELECT '\\d' FROM t2")
'''
    assert sql_of(source) == [
        SqlStatement(1, 2, "select", ("<default>.t",), (), (), (), "", "SELECT a, b FROM t WHERE c = 'x' \nAND d = 1",
                     "", (), "cur.execute"),
        SqlStatement(3, 3, "select", ("<default>.t2",), (), (), (), "", "SELECT '\\d' FROM t2", "", (), "cur.execute"),
    ]


def test_spark_sql_in_a_method():
    source = b'''class Job:
    def run(self):
        self.spark.sql("INSERT OVERWRITE TABLE mart.daily SELECT day, sum(x) AS total FROM raw.events GROUP BY day")
'''
    assert sql_of(source) == [
        SqlStatement(3, 3, "insert", ("raw.events",), ("mart.daily",),
                     (("raw.events.day", "mart.daily.day", "day"), ("raw.events.x", "mart.daily.total", "SUM(x) AS total")),
                     (), "", "INSERT OVERWRITE TABLE mart.daily SELECT day, sum(x) AS total FROM raw.events GROUP BY day",
                     "", ("Job", "run"), "self.spark.sql"),
    ]


def test_a_file_with_no_sql_does_not_import_sqlglot():
    script = (
        "import sys\n"
        "from codekg.languages.python import PythonExtractor\n"
        "parsed = PythonExtractor().extract('a.py', b'def f(cur, q):\\n    cur.execute(q)\\n    cur.execute(\"hi\")\\n')\n"
        "assert parsed.sql == [], parsed.sql\n"
        "print('sqlglot' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
