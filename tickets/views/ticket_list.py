"""The ticket list: django-filter over the tickets the user may see, in keyset pages
(tickets.keyset: previous/next by a cursor, a bounded count), htmx-aware."""

from __future__ import annotations

from django.db.models import Model
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tickets import selectors
from tickets.filters import DEFAULT_ORDERING_NAME, DRILL_FIELDS, ORDERINGS, TicketFilter
from tickets.keyset import BadCursor, Cursor, KeysetPage, count_bounded, keyset_page
from tickets.views.desk import ticket_rows

PAGE_SIZE = 25


def _wants_partial(request) -> bool:
    """An htmx swap of the results; a history restore (cache miss) needs the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _drill_context(filterset: TicketFilter) -> dict:
    """The dashboard's drill-down filters in force: named for the reader, kept as hidden fields."""
    if not filterset.is_valid():
        return {"drill": [], "drill_inputs": []}
    form = filterset.form
    drill, inputs = [], []
    for name in DRILL_FIELDS:
        value = form.cleaned_data.get(name)
        if value in (None, "", False):
            continue
        field = form.fields[name]
        if isinstance(value, Model):
            shown = field.label_from_instance(value)
        elif getattr(field, "null_label", None) is not None and value == field.null_value:
            shown = field.null_label
        else:
            choices = dict(getattr(field, "choices", []) or [])
            shown = choices.get(value, value) if choices else value
        if value is True:
            shown = _("yes")
        drill.append((field.label, shown))
        inputs.append({"name": name, "value": form.data.get(name)})
    return {"drill": drill, "drill_inputs": inputs}


def _page(request, filterset: TicketFilter) -> tuple[KeysetPage | None, bool]:
    """The page the cursor names, or the first page; and whether a cursor was set aside (a link
    from another ordering, an old or a tampered one)."""
    if not filterset.is_valid():
        return None, False
    ordering = filterset.form.cleaned_data.get("ordering") or DEFAULT_ORDERING_NAME
    fields = ORDERINGS[ordering]
    rows = filterset.filter_ordering(selectors.ticket_list_rows(), "ordering", ordering)

    def page_at(cursor: Cursor | None) -> KeysetPage:
        return keyset_page(filterset.qs, rows=rows, ordering=ordering, fields=fields, cursor=cursor, size=PAGE_SIZE)

    text = request.GET.get("cursor")
    if not text:
        return page_at(None), False
    try:
        page = page_at(Cursor.decode(text, ordering=ordering, fields=fields))
    except BadCursor:
        return page_at(None), True
    if not page.rows:  # past the end (tickets gone since): start again
        return page_at(None), True
    return page, False


@require_safe
def ticket_list(request):
    now = timezone.now()
    filterset = TicketFilter(
        request.GET, queryset=selectors.ticket_list_visible(user=request.user), request=request, now=now
    )
    page, cursor_set_aside = _page(request, filterset)
    count, count_is_more = count_bounded(filterset.qs) if page is not None else (0, False)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "rows": ticket_rows(page.rows, now) if page is not None else [],
        "count": count,
        "count_is_more": count_is_more,
        "cursor_set_aside": cursor_set_aside,
        "is_filtered": any(value for key, value in request.GET.items() if key not in {"page", "cursor", "ordering"}),
        **_drill_context(filterset),
    }
    template = "tickets/_ticket_rows.html" if _wants_partial(request) else "tickets/ticket_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
