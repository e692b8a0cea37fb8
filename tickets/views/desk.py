"""My desk (the home page), the next shift's review (T6) and marking notifications read.

Thin: the clock is read once per request and passed to the selectors; writes go through
services (`ticket_mark_reviewed`, `inbox.notification_mark_read`). What is here besides is
presentation: which deadline a row shows and its countdown in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST, require_safe

from tickets import inbox, selectors, services
from tickets.exceptions import TicketError
from tickets.markup import text
from tickets.models import Deadline, DeadlineKind, Notification, Ticket
from visits.selectors_messages import message_panel_for

# --- Presentation: a deadline as a person reads it ----------------------------------------


@dataclass(frozen=True)
class DeadlineBadge:
    """One deadline as a row shows it: kind, state word (with its pill colour), due time, countdown."""

    kind_label: str
    state: str  # running, warned, breached or paused: also the pill's CSS class
    state_label: str
    due_at: datetime | None
    countdown: str
    is_provisional: bool

    @property
    def due_iso(self) -> str:
        return timezone.localtime(self.due_at).isoformat() if self.due_at else ""

    @property
    def due_text(self) -> str:
        return timezone.localtime(self.due_at).strftime("%m-%d %H:%M") if self.due_at else ""

    def cell(self) -> str:
        """The deadline's table cell: state pill (and "provisional"), kind and due time, countdown."""
        lines = [
            '<div class="dl-cell">',
            f'  <div class="dl-pills"><span class="pill pill-{text(self.state)}">{text(self.state_label)}</span>',
        ]
        if self.is_provisional:
            hint, label = _(PROVISIONAL_HINT), _("Provisional")
            lines[-1] += f' <span class="pill pill-provisional" title="{text(hint)}">{text(label)}</span>'

        lines[-1] += "</div>"
        due = f' · <time datetime="{text(self.due_iso)}">{text(self.due_text)}</time>' if self.due_at else ""
        lines.append(f'  <div class="dl-what">{text(self.kind_label)}{due}</div>')
        if self.countdown:
            lines.append(f'  <div class="dl-countdown dl-countdown-{text(self.state)}">{text(self.countdown)}</div>')
        lines.append("</div>")
        return "\n".join(lines)


# A list row's cells are drawn here, not by a template included twice per row: 25 rows × two
# includes were a sizeable part of a list page (escaping as the templates do: tickets.markup).
PROVISIONAL_HINT = gettext_noop(
    "Computed on Monday–Friday: the official holiday schedule for that year is not entered yet."
)


@dataclass(frozen=True)
class TicketRow:
    """A ticket as a list row shows it. The labels of its choices come from dictionaries built
    once per list: a model's get_FOO_display translates every label of the field on each call,
    which at 25 rows × 3 fields was a sizeable part of a list page."""

    ticket: Ticket
    deadline: DeadlineBadge | None
    kind_label: str = ""
    status_label: str = ""
    priority_label: str = ""

    @property
    def created_iso(self) -> str:
        return timezone.localtime(self.ticket.created_at).isoformat()

    @property
    def created_text(self) -> str:
        return timezone.localtime(self.ticket.created_at).strftime("%Y-%m-%d %H:%M")

    @property
    def created_short(self) -> str:
        return timezone.localtime(self.ticket.created_at).strftime("%m-%d %H:%M")

    @property
    def customer_cell(self) -> SafeString:
        """The customer's name and phone (or the caller's, for a ticket without a customer)."""
        ticket = self.ticket
        if ticket.customer is not None:
            phone = ticket.contact_phone or ticket.customer.phone
            return mark_safe(
                f'<span class="cust-name">{text(ticket.customer.name)}</span>\n'
                f'<div class="muted mono small">{text(phone)}</div>'
            )
        if ticket.contact_name or ticket.contact_phone:
            return mark_safe(
                f'<span class="cust-name">{text(ticket.contact_name or "—")}</span>\n'
                f'<div class="muted mono small">{text(ticket.contact_phone)}</div>'
            )
        return mark_safe('<span class="muted">—</span>')

    @property
    def deadline_cell(self) -> SafeString:
        """The deadline that matters (DeadlineBadge.cell), or a muted "no running deadline"."""
        if self.deadline is None:
            none = _("No running deadline")
            return mark_safe(f'<span class="muted">{text(none)}</span>')
        return mark_safe(self.deadline.cell())


def choice_labels(choices) -> dict[str, str]:
    """{value: label} of a model's choices, translated once (in the request's language)."""
    return {value: str(label) for value, label in choices.choices}


def duration_words(span: timedelta) -> str:
    """A span in words at minute precision (rounded down): "2 d 3 h", "1 h 20 min", "5 min"."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        if hours:
            return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
        return _("%(days)d d") % {"days": days}
    if hours:
        if minutes:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)d h") % {"hours": hours}
    if minutes:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("under 1 min")


def is_overdue(deadline: Deadline, now: datetime) -> bool:
    return deadline.state == Deadline.State.RUNNING and (
        deadline.breached_at is not None or (deadline.due_at is not None and deadline.due_at < now)
    )


def is_due_soon(deadline: Deadline, now: datetime) -> bool:
    return (
        deadline.state == Deadline.State.RUNNING
        and not is_overdue(deadline, now)
        and deadline.due_at is not None
        and (deadline.warned_at is not None or deadline.due_at <= now + selectors.DUE_SOON_WITHIN)
    )


def deadline_badge(deadline: Deadline, now: datetime, kind_labels: dict[str, str] | None = None) -> DeadlineBadge:
    if deadline.state == Deadline.State.PAUSED:
        state, label = "paused", Deadline.State.PAUSED.label
        countdown = (
            _("%(span)s left when resumed") % {"span": duration_words(deadline.remaining)}
            if deadline.remaining is not None
            else ""
        )
        due_at = None
    else:
        if is_overdue(deadline, now):
            state, label = "breached", _("Overdue")
        elif deadline.warned_at is not None:
            state, label = "warned", _("Due soon")
        else:
            state, label = "running", Deadline.State.RUNNING.label
        due_at = deadline.due_at
        if due_at is None:
            countdown = ""
        elif due_at >= now:
            countdown = _("%(span)s left") % {"span": duration_words(due_at - now)}
        else:
            countdown = _("%(span)s overdue") % {"span": duration_words(now - due_at)}
    return DeadlineBadge(
        kind_label=kind_labels.get(deadline.kind, deadline.kind) if kind_labels else str(deadline.get_kind_display()),
        state=state,
        state_label=str(label),
        due_at=due_at,
        countdown=countdown,
        is_provisional=deadline.is_provisional,
    )


def ticket_rows(
    tickets: Iterable[Ticket], now: datetime, prefer: Callable[[Deadline, datetime], bool] | None = None
) -> list[TicketRow]:
    """Rows with the deadline that matters: the first one `prefer` picks, else the next live one.

    The tickets carry `live_deadlines` (selectors.ticket_prefetch_live_deadlines): running
    ones by due time, then paused ones.
    """
    kinds, statuses, priorities = (choice_labels(choices) for choices in (Ticket.Kind, Ticket.Status, Ticket.Priority))
    deadline_kinds = choice_labels(DeadlineKind)
    rows = []
    for ticket in tickets:
        live = ticket.live_deadlines
        chosen = next((d for d in live if prefer(d, now)), None) if prefer else None
        chosen = chosen or (live[0] if live else None)
        rows.append(
            TicketRow(
                ticket=ticket,
                deadline=deadline_badge(chosen, now, deadline_kinds) if chosen else None,
                kind_label=kinds.get(ticket.kind, ticket.kind),
                status_label=statuses.get(ticket.status, ticket.status),
                priority_label=priorities.get(ticket.priority, ticket.priority),
            )
        )
    return rows


@dataclass(frozen=True)
class PanelView:
    rows: list[TicketRow]
    total: int

    @property
    def has_more(self) -> bool:
        return self.total > len(self.rows)


def _panel(panel: selectors.TicketPanel, now: datetime, prefer=None) -> PanelView:
    return PanelView(rows=ticket_rows(panel.tickets, now, prefer), total=panel.total)


# --- Views ------------------------------------------------------------------------------------


@require_safe
def home(request):
    now = timezone.now()
    overview = selectors.desk_overview(user=request.user, now=now)
    context = {
        "now": now,
        "overdue": _panel(overview.overdue, now, is_overdue),
        "due_soon": _panel(overview.due_soon, now, is_due_soon),
        "to_review": _panel(overview.to_review, now),
        "first_responded": _panel(overview.first_responded, now),
        "assigned": _panel(overview.assigned, now),
        "notifications": overview.notifications,
        # V3: visitors' messages for me, open until I mark them handled (one query).
        "message_panel": message_panel_for(user=request.user),
        "panel_limit": selectors.DESK_PANEL_LIMIT,
    }
    return render(request, "tickets/desk.html", context)


@require_POST
def ticket_review(request, reference: str):
    """T6: the current shift marks an earlier day's open record as reviewed."""
    ticket = selectors.ticket_find_visible(user=request.user, reference=reference)
    if ticket is None:
        raise Http404(_("No such ticket."))
    try:
        services.ticket_mark_reviewed(ticket=ticket, actor=request.user, now=timezone.now())
    except TicketError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Ticket %(ref)s is marked as reviewed.") % {"ref": ticket.reference})
    return redirect(reverse("desk:home") + "#review")


@require_POST
def notification_read(request, pk: int):
    try:
        inbox.notification_mark_read(notification_id=pk, user=request.user)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    target = request.POST.get("next", "")
    hosts = {request.get_host()}
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=hosts, require_https=request.is_secure()):
        target = reverse("desk:home") + "#notifications"
    return redirect(target)
