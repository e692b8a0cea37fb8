from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

# The largest primary key a database column holds: a larger number names no row (and must not
# reach the query, where SQLite would overflow).
MAX_ID = 2**63 - 1


class StableCursorPagination(CursorPagination):
    """Cursor pages in a stable order (newest first by id), so a sync never skips or repeats a row."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        """A cursor we did not make is bad input (400 on `cursor`), not a missing page (DRF's 404),
        and never reaches the query."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = False
        position = getattr(cursor, "position", None)
        if cursor is False or (position is not None and not (position.isdigit() and int(position) <= MAX_ID)):
            raise exceptions.ValidationError({self.cursor_query_param: [_("This is not a cursor from a page link.")]})
        return cursor
