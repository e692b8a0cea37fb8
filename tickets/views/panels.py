"""What the ticket page and its panels (materials, after-sales) share: finding the ticket, and
answering a panel form.

A ticket the user may not see is a 404, never a 403. Each panel form works as a plain POST
(success: back to the ticket page with a message; refusal: the whole page again with the
errors, 400, or 403 for a role refusal, nothing written) and through htmx (the panel alone is
swapped in place, errors included).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from scripts_lib.guard import Hit, PhraseRefused, phrases_highlight
from tickets import selectors
from tickets.exceptions import TicketError
from tickets.forms import DeskForm
from tickets.models import Ticket

TicketFetch = Callable[..., Ticket | None]


# What other apps add to the ticket page: each is called as extra(request=, ticket=) and returns
# context for its own template partial (e.g. the customer evaluation panel of the complaints app).
_DETAIL_EXTRAS: list[Callable[..., Mapping[str, Any]]] = []


def detail_extra_register(extra: Callable[..., Mapping[str, Any]]) -> None:
    """Let an app add context to the ticket page (called from its AppConfig.ready)."""
    if extra not in _DETAIL_EXTRAS:
        _DETAIL_EXTRAS.append(extra)


def detail_extras(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for extra in _DETAIL_EXTRAS:
        context.update(extra(request=request, ticket=ticket))
    return context


def ticket_or_404(request: HttpRequest, reference: str, *, fetch: TicketFetch | None = None) -> Ticket:
    """The ticket through the access rule (`fetch`: a selector taking user and reference,
    selectors.ticket_get_detail by default), or a 404."""
    ticket = (fetch or selectors.ticket_get_detail)(user=request.user, reference=reference)
    if ticket is None:
        raise Http404(_("No ticket %(ref)s that you may see.") % {"ref": reference})
    return ticket


def detail_url(ticket: Ticket, anchor: str = "") -> str:
    url = reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})
    return f"{url}#{anchor}" if anchor else url


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def role_name(user) -> str:
    profile = getattr(user, "staff", None)
    return profile.get_role_display() if profile is not None else _("no staff profile")


def add_service_error(form: DeskForm, error: TicketError, *, aliases: Mapping[str, str] | None = None) -> None:
    """Put a service's refusal on the field it names (renamed by `aliases` where the form's
    name differs), or on the form as a whole when it names none of the form's fields."""
    name = (aliases or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


@dataclass(frozen=True)
class Panel:
    """A panel of the ticket page, and how its forms answer.

    `build(request=, ticket=, state=)` draws the panel from a state (the panel module's
    PanelState: the forms sent back with their errors, a refusal that belongs to no field, a
    success line for htmx swaps). A refused plain POST leaves its state on the request as
    `<name>_state`, where `build` finds it when the whole page is drawn again."""

    name: str  # the panel's anchor on the page and its name in the template context
    template: str
    build: Callable[..., Any]
    state_class: Callable[..., Any]
    nothing_saved: str  # the top of the page, when every error is in the panel
    fetch: TicketFetch | None = None  # how the panel alone reads the ticket again
    extra_context: Mapping[str, Any] = field(default_factory=dict)
    # Whether a refusal shown at the top of the page is shown again in the panel.
    repeats_error: bool = False

    def render(
        self, request: HttpRequest, ticket: Ticket, state: Any, status: int, *, with_timeline: bool = False
    ) -> HttpResponse:
        """The panel alone, for an htmx swap (read afresh: the write may have changed the ticket).
        After a write (`with_timeline`) the page's timeline comes along out of band, so the new
        entries show without a reload."""
        fresh = (self.fetch or selectors.ticket_get_detail)(user=request.user, reference=ticket.reference) or ticket
        context = {
            "ticket": fresh,
            self.name: self.build(request=request, ticket=fresh, state=state),
            **self.extra_context,
        }
        response = render(request, self.template, context, status=status)
        if with_timeline:
            from tickets.views.ticket_detail import timeline_entries  # the ticket page's timeline

            response.content += render_to_string(
                "tickets/_detail_timeline.html",
                {"timeline": timeline_entries(selectors.ticket_event_list(ticket=fresh)), "out_of_band": True},
                request=request,
            ).encode()
        patch_vary_headers(response, ["HX-Request"])
        return response

    def refused(self, request: HttpRequest, ticket: Ticket, state: Any, *, status: int = 400) -> HttpResponse:
        if is_htmx(request):
            return self.render(request, ticket, state, status)
        from tickets.views.ticket_detail import _render  # the ticket page, with this panel's errors on it

        page_error = state.error or str(self.nothing_saved)
        if not self.repeats_error:
            state.error = ""  # shown once, at the top of the page
        setattr(request, f"{self.name}_state", state)
        return _render(request, ticket, page_error=page_error, status=status)

    def done(self, request: HttpRequest, ticket: Ticket, message: str) -> HttpResponse:
        if is_htmx(request):
            return self.render(request, ticket, self.state_class(flash=message), 200, with_timeline=True)
        messages.success(request, message)
        return redirect(detail_url(ticket, self.name))


@dataclass
class PhraseRefusal:
    """A text the phrase guard refused, as the page shows it: the offending characters marked,
    each phrase with what to say instead."""

    field: str
    highlighted: str
    hits: list[Hit]

    @classmethod
    def of(cls, error: PhraseRefused) -> PhraseRefusal:
        return cls(field=error.field or "", highlighted=phrases_highlight(error.text, error.hits), hits=error.hits)

    @property
    def suggestions(self) -> list[Hit]:
        seen: dict[str, Hit] = {}
        for hit in self.hits:
            seen.setdefault(hit.phrase, hit)
        return list(seen.values())
