"""On PostgreSQL, the running deadlines with their ticket and breach stamp in the index itself
(INCLUDE), so "overdue" (tickets.selectors.ticket_overdue_condition: running, and breached or
past due) reads the index alone: at a million tickets 15 buffers instead of 1,555 heap visits.
Partial (running deadlines only: a few thousand rows), so the sweep's updates barely touch it.
SQLite has no INCLUDE and needs none: the existing deadline_running_due serves it there.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS deadline_running_overdue ON tickets_deadline (due_at) "
    "INCLUDE (ticket_id, breached_at) WHERE state = 'running'"
)
DROP = "DROP INDEX IF EXISTS deadline_running_overdue"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_ticket_list_keyset_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
