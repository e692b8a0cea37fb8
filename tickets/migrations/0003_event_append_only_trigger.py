"""On PostgreSQL, refuse UPDATE and DELETE of ticket events in the database itself (T3).

The application already refuses them (TicketEvent.save/delete, its queryset); this makes the
record append-only for raw SQL and other clients too. SQLite (the embedded default) relies on
the application guard.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tickets_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ticket events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tickets_ticketevent_append_only
    BEFORE UPDATE OR DELETE ON tickets_ticketevent
    FOR EACH ROW EXECUTE FUNCTION tickets_ticketevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS tickets_ticketevent_append_only ON tickets_ticketevent;
DROP FUNCTION IF EXISTS tickets_ticketevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_default_policies")]

    operations = [migrations.RunPython(forwards, backwards)]
