"""SQL lineage: which tables and columns each statement reads and writes (sqlglot underneath).

`dialects.py` names the dialects, `statements.py` splits a script and reads each statement,
`columns.py` follows a query's output columns back to table columns, `script.py` joins the
statements of one script into its lineage. The extractor for `.sql` files is languages/sql.py.
"""
