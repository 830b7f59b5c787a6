"""The history: one SQLite file (schema and migrations, the connection, the message tree, records and their
tolerant readers, full-text search and snippets, export and import)."""
