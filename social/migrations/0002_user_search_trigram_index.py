"""User search matches `username ILIKE '%term%'` (Django: UPPER(username) LIKE UPPER(term)); on
Postgres a trigram index on that expression serves it. Other databases scan, which is fine for
their sizes.
"""

from django.db import migrations

INDEX = "social_user_username_upper_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user "
        "USING gin ((UPPER(username::text)) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("social", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
