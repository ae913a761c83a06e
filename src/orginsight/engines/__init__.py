"""Query engines: local (DuckDB) and Athena (pyathena), and the SQL translation between them."""
