"""The full-text index of the passages, in the engine of the database in use (knowledge.keyword):
PostgreSQL a GIN index on the 'simple' tsvector expression that keyword search filters on; SQLite an
FTS5 table over heading and text, filled from the rows and kept in sync by triggers."""

from django.db import migrations

POSTGRES_INDEX = (
    "CREATE INDEX IF NOT EXISTS knowledge_chunk_fts_idx ON knowledge_chunk USING gin "
    "(to_tsvector('simple'::regconfig, COALESCE(heading, '') || ' ' || COALESCE(text, '')))"
)
SQLITE_STATEMENTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_chunk_fts USING fts5(heading, text, content='knowledge_chunk', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO knowledge_chunk_fts(knowledge_chunk_fts) VALUES ('rebuild')",
    "CREATE TRIGGER IF NOT EXISTS knowledge_chunk_fts_insert AFTER INSERT ON knowledge_chunk BEGIN "
    "INSERT INTO knowledge_chunk_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_chunk_fts_delete AFTER DELETE ON knowledge_chunk BEGIN "
    "INSERT INTO knowledge_chunk_fts(knowledge_chunk_fts, rowid, heading, text) "
    "VALUES ('delete', old.id, old.heading, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS knowledge_chunk_fts_update AFTER UPDATE ON knowledge_chunk BEGIN "
    "INSERT INTO knowledge_chunk_fts(knowledge_chunk_fts, rowid, heading, text) "
    "VALUES ('delete', old.id, old.heading, old.text); "
    "INSERT INTO knowledge_chunk_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS knowledge_chunk_fts_update",
    "DROP TRIGGER IF EXISTS knowledge_chunk_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_chunk_fts_insert",
    "DROP TABLE IF EXISTS knowledge_chunk_fts",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES_INDEX] if vendor == "postgresql" else SQLITE_STATEMENTS if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = ["DROP INDEX IF EXISTS knowledge_chunk_fts_idx"] if vendor == "postgresql" else []
    statements = SQLITE_REVERSE if vendor == "sqlite" else statements
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_documents_chunks_gaps")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
