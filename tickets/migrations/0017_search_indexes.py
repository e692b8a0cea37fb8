"""Indexes of the ticket search and the customer look-up by phone (tickets.selectors_search).

PostgreSQL only (operator classes and pg_trgm); SQLite searches without them. Each expression is
the one the queries build (phone_digits_expression, Reverse of it, istartswith's UPPER): an index
on an expression serves only queries of the very same expression.

- ticket_reference_upper_like: a reference's beginning, any case (istartswith is
  UPPER(reference) LIKE UPPER('…%')). The database's collation is not C, so LIKE needs a
  text_pattern_ops index.
- ticket_contact_digits(_rev), ticket_callback_digits(_rev): a phone's digits starting with the
  digits typed, and reversed, ending with them. The callback phone's leave out the tickets
  without one (most of them).
- customer_phone_digits_trgm, customer_phone_alt_digits_trgm: the look-up's "contains" (and the
  search's starts/ends with) on the customers' phones, trigram indexes (pg_trgm).
- ticket_subject_trgm, ticket_contact_name_trgm, customer_name_trgm: text search (icontains is
  UPPER(column) LIKE UPPER('%…%')) of 3 characters or more; Chinese text has trigrams too.
"""

from django.db import migrations


def _digits(column: str) -> str:
    expression = column
    for separator in (" ", "-", "(", ")", "+"):
        expression = f"REPLACE({expression}, '{separator}', '')"
    return expression


INDEXES = {
    "ticket_reference_upper_like": "tickets_ticket ((UPPER(reference::text)) text_pattern_ops)",
    "ticket_contact_digits": f"tickets_ticket (({_digits('contact_phone')}) text_pattern_ops)",
    "ticket_contact_digits_rev": f"tickets_ticket ((REVERSE({_digits('contact_phone')})) text_pattern_ops)",
    "ticket_callback_digits": f"tickets_ticket (({_digits('callback_phone')}) text_pattern_ops) "
    "WHERE callback_phone <> ''",
    "ticket_callback_digits_rev": f"tickets_ticket ((REVERSE({_digits('callback_phone')})) text_pattern_ops) "
    "WHERE callback_phone <> ''",
    "customer_phone_digits_trgm": f"tickets_customer USING gin (({_digits('phone')}) gin_trgm_ops)",
    "customer_phone_alt_digits_trgm": f"tickets_customer USING gin (({_digits('phone_alt')}) gin_trgm_ops)",
    "ticket_subject_trgm": "tickets_ticket USING gin ((UPPER(subject::text)) gin_trgm_ops)",
    "ticket_contact_name_trgm": "tickets_ticket USING gin ((UPPER(contact_name::text)) gin_trgm_ops)",
    "customer_name_trgm": "tickets_customer USING gin ((UPPER(name::text)) gin_trgm_ops)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}", params=None)
    # Statistics of the new expressions, so the planner knows how few rows a search matches.
    schema_editor.execute("ANALYZE tickets_ticket", params=None)
    schema_editor.execute("ANALYZE tickets_customer", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0016_idempotency_etag")]

    operations = [migrations.RunPython(forwards, backwards)]
