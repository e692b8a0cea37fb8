"""The ticket list: django-filter over the tickets the user may see, paginated, htmx-aware."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Model
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tickets import selectors
from tickets.filters import DRILL_FIELDS, TicketFilter
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


@require_safe
def ticket_list(request):
    now = timezone.now()
    filterset = TicketFilter(
        request.GET, queryset=selectors.ticket_list_visible(user=request.user), request=request, now=now
    )
    tickets = selectors.ticket_prefetch_live_deadlines(filterset.qs)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "rows": ticket_rows(page.object_list, now),
        "page_links": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "ellipsis": Paginator.ELLIPSIS,
        "is_filtered": any(value for key, value in request.GET.items() if key not in {"page", "ordering"}),
        **_drill_context(filterset),
    }
    template = "tickets/_ticket_rows.html" if _wants_partial(request) else "tickets/ticket_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
