"""Storage adapter: SQLAlchemy 2 tables, mappings, repositories, unit of work, migrations."""
