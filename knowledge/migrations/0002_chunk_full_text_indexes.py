"""The full-text index of the passages, in the engine of the database in use (knowledge.keyword):
PostgreSQL the `search` tsvector column ('simple' configuration, heading weighted A, text D) filled
by a trigger, with a GIN index; SQLite an FTS5 table over heading and text, filled from the rows and
kept in sync by triggers. Triggers, so every write path (services, admin, a bulk update) follows."""

from django.db import migrations

POSTGRES_STATEMENTS = [
    "CREATE OR REPLACE FUNCTION knowledge_chunk_search_update() RETURNS trigger AS $$ BEGIN "
    "NEW.search := setweight(to_tsvector('simple'::regconfig, COALESCE(NEW.heading, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE(NEW.text, '')), 'D'); RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER knowledge_chunk_search_update BEFORE INSERT OR UPDATE OF heading, text ON knowledge_chunk "
    "FOR EACH ROW EXECUTE FUNCTION knowledge_chunk_search_update()",
    "UPDATE knowledge_chunk SET heading = heading",
    "CREATE INDEX IF NOT EXISTS knowledge_chunk_search_idx ON knowledge_chunk USING gin (search)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS knowledge_chunk_search_idx",
    "DROP TRIGGER IF EXISTS knowledge_chunk_search_update ON knowledge_chunk",
    "DROP FUNCTION IF EXISTS knowledge_chunk_search_update()",
]
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
    statements = POSTGRES_STATEMENTS if vendor == "postgresql" else SQLITE_STATEMENTS if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = POSTGRES_REVERSE if vendor == "postgresql" else []
    statements = SQLITE_REVERSE if vendor == "sqlite" else statements
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_documents_chunks_gaps")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
