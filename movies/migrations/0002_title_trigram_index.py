"""Trigram GIN index for title search (LIKE '%...%') on Postgres; nothing on SQLite."""

from django.db import migrations

INDEX = "movies_movie_title_normalized_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON movies_movie "
        "USING gin (title_normalized gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("movies", "0001_catalogue")]

    operations = [migrations.RunPython(forwards, backwards)]
