"""A small repository whose data flows from Python code through two SQL scripts into a mart column:
`app/loader.py` loads `raw.orders` from a landing table, `etl/01_stage.sql` stages it, `etl/02_mart.sql`
builds a view and a table from it, and `app/report.py` reads the table. Written by the tests."""

from __future__ import annotations

from pathlib import Path

FILES = {
    "app/__init__.py": "",
    "app/loader.py": (
        "def load_raw(conn):\n"
        "    conn.execute(\n"
        "        \"INSERT INTO raw.orders (id, customer_id, amount, region) \"\n"
        "        \"SELECT id, cust, total, area FROM landing.orders_csv\"\n"
        "    )\n"
    ),
    "app/report.py": (
        "def top_regions(conn):\n"
        "    return conn.execute(\"SELECT region, revenue FROM mart.top_regions ORDER BY revenue DESC\").fetchall()\n"
    ),
    "etl/01_stage.sql": (
        "-- stage the raw orders\n"
        "CREATE TABLE staging.orders (id INT, customer_id INT, amount DECIMAL(12, 2), region TEXT);\n"
        "INSERT INTO staging.orders SELECT id, customer_id, amount, UPPER(region) FROM raw.orders WHERE amount > 0;\n"
    ),
    "etl/02_mart.sql": (
        "-- dialect: postgres\n"
        "CREATE VIEW mart.revenue AS\n"
        "SELECT region, SUM(amount)::numeric AS revenue FROM staging.orders GROUP BY region;\n"
        "INSERT INTO mart.top_regions (region, revenue) SELECT * FROM mart.revenue WHERE revenue > 100;\n"
        "SELECT FROM WHERE;\n"
    ),
}


def write_lineage_repo(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
