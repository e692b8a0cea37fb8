"""The ticket page: header, timeline, deadlines, the actions legal now for this user, notes
and attachments; and the POST endpoints behind its forms.

Thin: reads come from tickets.selectors (the access rule included: a ticket the user may
not see is a 404, never a 403), writes from tickets.services; tickets.permissions says which
verbs a role may use. Every refused POST re-renders the page with the errors (400, or 403
for a role refusal) and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from scripts_lib.guard import PhraseRefused, may_override_phrases
from scripts_lib.views_phrasebook import handoff_script, staff_context, ticket_context, ticket_scripts
from tickets import permissions, selectors, services
from tickets.exceptions import Conflict, IllegalTransition, InvalidInput, TicketError
from tickets.forms import (
    ACTION_FORMS,
    HANDOFF_FIELDS,
    TEST_SCRIPT,
    ActionForm,
    AttachmentForm,
    NoteForm,
    TestResultForm,
)
from tickets.markup import text
from tickets.models import Deadline, DeadlineKind, DurationUnit, ProblemType, Ticket, TicketEvent
from tickets.views import panels
from tickets.views.aftersales import aftersales_panel
from tickets.views.desk import choice_labels
from tickets.views.materials import materials_panel

Event = TicketEvent.Type
EDITED_FIELDS = frozenset(services.EDITABLE_FIELDS)


# --- Pages ------------------------------------------------------------------------------------


@require_GET
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _render(request, panels.ticket_or_404(request, reference))


@require_POST
def ticket_action(request: HttpRequest, reference: str, verb: str) -> HttpResponse:
    if verb not in ACTION_FORMS:
        raise Http404(_("No such action."))
    ticket = panels.ticket_or_404(request, reference)
    form = ACTION_FORMS[verb](request.POST)
    if not permissions.user_may(request.user, verb, ticket):
        message = _("Your role (%(role)s) may not %(verb)s tickets; ask a colleague or your supervisor.") % {
            "role": panels.role_name(request.user),
            "verb": services.VERB_LABELS[verb],
        }
        return _render(request, ticket, page_error=message, status=403)
    if form.is_valid():
        data = form.cleaned_data
        try:
            PERFORM[verb](ticket, request.user, data)
        except InvalidInput as error:
            panels.add_service_error(form, error)
            if isinstance(error, PhraseRefused):
                form.phrase_refusal = panels.PhraseRefusal.of(error)
        except (IllegalTransition, Conflict) as error:
            if isinstance(error, Conflict):
                # Keep what was typed, now against the current version: sending it again is a
                # deliberate choice made after seeing the other change.
                form = _rebind(form, expected_version=ticket.version)
            return _render(request, ticket, failed=form, page_error=error.message, status=400)
        else:
            messages.success(request, _success_message(verb, ticket))
            return redirect(panels.detail_url(ticket))
    return _render(request, ticket, failed=form, status=400)


@require_POST
def ticket_note(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = panels.ticket_or_404(request, reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            event = services.ticket_add_note(ticket=ticket, actor=request.user, text=form.cleaned_data["text"])
        except TicketError as error:
            panels.add_service_error(form, error)
        else:
            messages.success(request, _("Note added to the timeline."))
            if event.data.get("phrase_hits"):
                # P3: internal notes only warn.
                messages.warning(request, _phrase_warning(event.data["phrase_hits"]))
            return redirect(panels.detail_url(ticket, "timeline"))
    return _render(request, ticket, note_form=form, status=400)


@require_POST
def ticket_attach(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = panels.ticket_or_404(request, reference)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.ticket_attach_file(
                ticket=ticket, actor=request.user, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
            )
        except TicketError as error:
            panels.add_service_error(form, error)
        else:
            messages.success(request, _("“%(name)s” attached.") % {"name": attachment.original_name})
            return redirect(panels.detail_url(ticket, "attachments"))
    return _render(request, ticket, attachment_form=form, status=400)


@require_GET
def attachment_download(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """Stream a kept file, only to someone who may see its ticket (media is never served publicly)."""
    attachment = selectors.attachment_get_visible(user=request.user, reference=reference, pk=pk)
    if attachment is None:
        raise Http404(_("No such attachment."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404(_("The file of “%(name)s” is missing.") % {"name": attachment.original_name}) from missing
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name)


def _phrase_warning(hits: list[dict]) -> str:
    phrases = "; ".join(
        _("“%(phrase)s” (say instead: “%(suggestion)s”)") % {"phrase": hit["phrase"], "suggestion": hit["suggestion"]}
        for hit in hits
    )
    return _("The note contains forbidden phrases; never say them to a customer: %(phrases)s") % {"phrases": phrases}


# --- From a form to a service -----------------------------------------------------------------


def _hand_off(ticket: Ticket, actor, data: dict) -> Ticket:
    return services.ticket_hand_off(
        ticket=ticket,
        actor=actor,
        **{name: data[name] for name in HANDOFF_FIELDS},
        note=data["note"],
        expected_version=data["expected_version"],
    )


PERFORM: dict[str, Callable[[Ticket, object, dict], Ticket]] = {
    "hand_off": _hand_off,
    "reply": lambda ticket, actor, data: services.ticket_reply(
        ticket=ticket,
        actor=actor,
        result=data["result"],
        expected_version=data["expected_version"],
        override_reason=data["override_reason"],
    ),
    "resolve_first_contact": lambda ticket, actor, data: services.ticket_resolve_first_contact(
        ticket=ticket,
        actor=actor,
        note=data["note"],
        expected_version=data["expected_version"],
        override_reason=data["override_reason"],
    ),
    "request_test": lambda ticket, actor, data: services.ticket_request_test(
        ticket=ticket, actor=actor, instructions=data["instructions"], expected_version=data["expected_version"]
    ),
    "test_result": lambda ticket, actor, data: services.ticket_record_test_result(
        ticket=ticket,
        actor=actor,
        is_solved=data["result"] == TestResultForm.FIXED,
        note=data["note"],
        expected_version=data["expected_version"],
    ),
    "resolve": lambda ticket, actor, data: services.ticket_resolve(
        ticket=ticket,
        actor=actor,
        resolution=data["resolution"],
        expected_version=data["expected_version"],
        override_reason=data["override_reason"],
    ),
    "pause": lambda ticket, actor, data: services.ticket_pause(
        ticket=ticket, actor=actor, reason=data["reason"], expected_version=data["expected_version"]
    ),
    "resume": lambda ticket, actor, data: services.ticket_resume(
        ticket=ticket, actor=actor, note=data["note"], expected_version=data["expected_version"]
    ),
    "close": lambda ticket, actor, data: services.ticket_close(
        ticket=ticket, actor=actor, note=data["note"], expected_version=data["expected_version"]
    ),
    "reopen": lambda ticket, actor, data: services.ticket_reopen(
        ticket=ticket, actor=actor, reason=data["reason"], expected_version=data["expected_version"]
    ),
    "escalate": lambda ticket, actor, data: services.ticket_escalate(
        ticket=ticket, actor=actor, reason=data["reason"], expected_version=data["expected_version"]
    ),
}


def _success_message(verb: str, ticket: Ticket) -> str:
    if verb == "hand_off":
        event = selectors.ticket_event_latest(ticket=ticket, type=Event.HANDED_OFF)
        if event is not None:
            return _("Handed off. Tell the customer: %(name)s, extension %(extension)s.") % {
                "name": event.data.get("told_name", ""),
                "extension": event.data.get("told_extension", ""),
            }
    if verb == "request_test":
        script = ticket_scripts(ticket=ticket, user=None, now=timezone.now()).get("test_callback_request")
        return _("Test window started. Script read to the customer: %(script)s") % {
            "script": script.text if script else TEST_SCRIPT
        }
    return {
        "reply": _("Result returned to the desk."),
        "resolve_first_contact": _("Resolved at first contact."),
        "test_result": _("Test result recorded."),
        "resolve": _("Ticket resolved."),
        "pause": _("Waiting on the customer: the clocks are stopped."),
        "resume": _("Resumed: the clocks run again."),
        "close": _("Ticket closed."),
        "reopen": _("Ticket reopened: it is back at the desk."),
        "escalate": _("Escalated: priority raised and the department head notified."),
    }.get(verb, _("Done."))


def _rebind(form: ActionForm, *, expected_version: int) -> ActionForm:
    data = form.data.copy()
    data["expected_version"] = str(expected_version)
    fresh = type(form)(data)
    fresh.is_valid()
    return fresh


# --- What the page shows ----------------------------------------------------------------------

DEADLINE_STATE_LABELS = {
    "running": gettext_lazy("Running"),
    "paused": gettext_lazy("Paused"),
    "warned": gettext_lazy("Due soon"),
    "met": gettext_lazy("Met"),
    "breached": gettext_lazy("Breached"),
    "cancelled": gettext_lazy("Cancelled"),
}


def _duration(value: timedelta) -> str:
    """A span a person reads at a glance: days and hours, or hours and minutes."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)d d") % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)d min") % {"n": minutes})
    return " ".join(parts)


def _local(value: datetime | str | None) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@dataclass
class DeadlineRow:
    """A deadline as the page shows it, its words and times ready (as TimelineEntry's)."""

    deadline: Deadline
    state: str
    state_label: str
    kind_label: str = ""
    countdown: str = ""
    is_overdue: bool = False
    due_iso: str = ""
    due_text: str = ""
    due_utc: str = ""


def _deadline_row(deadline: Deadline, now: datetime) -> DeadlineRow:
    state = deadline.display_state
    row = DeadlineRow(
        deadline=deadline,
        state=state,
        state_label=DEADLINE_STATE_LABELS.get(state, state),
        kind_label=_kind_label(deadline.kind),
    )
    if deadline.due_at is not None:
        due = timezone.localtime(deadline.due_at)
        row.due_iso, row.due_text = due.isoformat(), due.strftime("%Y-%m-%d %H:%M")
        row.due_utc = deadline.due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if deadline.state == Deadline.State.RUNNING and deadline.due_at is not None:
        left = deadline.due_at - now
        row.is_overdue = left <= timedelta(0)
        row.countdown = (
            _("overdue by %(time)s") % {"time": _duration(-left)}
            if row.is_overdue
            else _("due in %(time)s") % {"time": _duration(left)}
        )
    elif deadline.state == Deadline.State.PAUSED and deadline.remaining is not None:
        if deadline.unit in (DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS):
            row.countdown = _("%(time)s of working time left when resumed") % {"time": _duration(deadline.remaining)}
        else:
            row.countdown = _("%(time)s left when resumed") % {"time": _duration(deadline.remaining)}
    elif deadline.state == Deadline.State.MET and deadline.met_at is not None:
        row.countdown = _("met at %(time)s") % {"time": _local(deadline.met_at)}
    elif deadline.state == Deadline.State.CANCELLED and deadline.breached_at is not None:
        # The test-callback window ran out and the sweep closed it (S3): say so, not "not needed".
        row.countdown = _("ran out at %(time)s") % {"time": _local(deadline.breached_at)}
    elif deadline.state == Deadline.State.CANCELLED and deadline.cancelled_at is not None:
        row.countdown = _("no longer needed since %(time)s") % {"time": _local(deadline.cancelled_at)}
    return row


@dataclass
class TimelineEntry:
    """One timeline row, its words and times ready: the page draws 50 or more of these, so the
    labels come from dictionaries built once per page (a model's get_FOO_display translates every
    choice of the field on each call) and the times are formatted here, not by template filters."""

    event: TicketEvent
    actor: str
    details: list[str] = field(default_factory=list)
    outcome: str = ""
    outcome_label: str = ""
    show_note: bool = True
    label: str = ""
    status_before_label: str = ""
    status_after_label: str = ""
    at_iso: str = ""
    at_text: str = ""
    html: SafeString = field(default_factory=SafeString)

    @property
    def status_changed(self) -> bool:
        return bool(self.event.status_before) and self.event.status_before != self.event.status_after

    def draw(self, to_word: str) -> SafeString:
        """The entry's <li> on the timeline (tickets/_detail_timeline.html puts them in order):
        drawn here because fifteen template variables a row made the timeline of a busy
        ticket the slowest part of its page. `to_word`: the translated "to" of a status move."""
        event = self.event
        lines = [
            f'<li class="ev ev-{text(event.type)}">',
            f'  <div class="when"><time datetime="{text(self.at_iso)}">{text(self.at_text)}</time> · '
            f'<span class="who">{text(self.actor)}</span></div>',
            '  <div class="what">',
            f"    {text(self.label)}",
        ]
        if self.status_changed:
            lines.append(
                f'    <span class="status-move"><span class="pill pill-{text(event.status_before)}">'
                f'{text(self.status_before_label)}</span> <span aria-label="{text(to_word)}">→</span> '
                f'<span class="pill pill-{text(event.status_after)}">{text(self.status_after_label)}</span></span>'
            )
        if self.outcome:
            lines.append(f'    <span class="pill pill-outcome-{text(self.outcome)}">{text(self.outcome_label)}</span>')
        lines.append("  </div>")
        if self.details:
            lines.append("  " + "".join(f'<div class="ev-data">{text(line)}</div>' for line in self.details))
        if self.show_note and event.note:
            lines.append(f'  <div class="note">{text(event.note)}</div>')
        lines.append("</li>")
        return mark_safe("\n".join(lines))


def _actor(event: TicketEvent) -> str:
    if event.actor is not None:
        return event.actor.get_full_name() or event.actor.get_username()
    label = event.actor_label
    if label == "sla":
        return _("SLA timer")
    if label == "system":
        return _("System")
    if label.startswith("api:"):
        return _("API: %(client)s") % {"client": label[4:]}
    return label or _("System")


def _kind_label(kind: str) -> str:
    return str(DeadlineKind(kind).label) if kind in DeadlineKind.values else kind


def timeline_entries(events) -> list[TimelineEntry]:
    """The timeline as the page shows it, oldest first (`events` with their actors)."""
    # Only hand-offs name a department: read those (none for a ticket never handed off).
    departments = selectors.department_names(
        (event.data or {}).get("to_department") for event in events if event.type == Event.HANDED_OFF
    )
    labels = _Labels(types=choice_labels(Event), statuses=choice_labels(Ticket.Status))
    to_word = _("to")
    entries = [_entry(event, departments, labels) for event in events]
    for entry in entries:
        entry.html = entry.draw(to_word)
    return entries


@dataclass(frozen=True)
class _Labels:
    types: dict[str, str]
    statuses: dict[str, str]


def _entry(event: TicketEvent, departments: dict[int, str], labels: _Labels) -> TimelineEntry:
    at = timezone.localtime(event.created_at)
    entry = TimelineEntry(
        event=event,
        actor=_actor(event),
        label=labels.types.get(event.type, event.type),
        status_before_label=labels.statuses.get(event.status_before, event.status_before),
        status_after_label=labels.statuses.get(event.status_after, event.status_after),
        at_iso=at.isoformat(),
        at_text=at.strftime("%Y-%m-%d %H:%M"),
    )
    data = event.data or {}
    details = entry.details
    _phrase_details(data, details)
    if event.type == Event.CREATED:
        kind, channel = data.get("kind"), data.get("channel")
        if kind in Ticket.Kind.values and channel in Ticket.Channel.values:
            details.append(f"{Ticket.Kind(kind).label} · {Ticket.Channel(channel).label}")
    elif event.type == Event.HANDED_OFF:
        if data.get("to_department") in departments:
            details.append(_("To: %(department)s") % {"department": departments[data["to_department"]]})
        if data.get("told_name") or data.get("told_extension"):
            details.append(
                _("Told the customer: %(name)s ext. %(extension)s")
                % {"name": data.get("told_name", ""), "extension": data.get("told_extension", "")}
            )
        if data.get("problem_type") in ProblemType.values:
            details.append(_("Problem type: %(type)s") % {"type": ProblemType(data["problem_type"]).label})
        if data.get("callback_phone") or data.get("callback_note"):
            callback = " · ".join(part for part in (data.get("callback_phone"), data.get("callback_note")) if part)
            details.append(_("Callback: %(callback)s") % {"callback": callback})
    elif event.type == Event.TEST_REQUESTED and data.get("report_by"):
        details.append(_("Customer reports by %(time)s") % {"time": _local(data["report_by"])})
    elif event.type == Event.TEST_RESULT:
        if data.get("is_solved"):
            entry.outcome = Ticket.Outcome.CUSTOMER_CONFIRMED
            entry.outcome_label = str(Ticket.Outcome.CUSTOMER_CONFIRMED.label)
        else:
            entry.outcome, entry.outcome_label = "not_fixed", _("Not fixed: back to the desk")
    elif event.type == Event.EDITED:
        for name, change in (data.get("changes") or {}).items():
            label = Ticket._meta.get_field(name).verbose_name if name in EDITED_FIELDS else name
            details.append(f"{capfirst(label)}: {change.get('old') or '—'} → {change.get('new') or '—'}")
    elif event.type == Event.TEST_TIMEOUT:
        entry.outcome = Ticket.Outcome.TEST_TIMEOUT
        entry.outcome_label = str(Ticket.Outcome.TEST_TIMEOUT.label)
        entry.show_note = False  # the note repeats the outcome, in the sweep's language
    elif event.type == Event.RESOLVED_FIRST_CONTACT:
        entry.outcome = Ticket.Outcome.FIRST_CONTACT
        entry.outcome_label = str(Ticket.Outcome.FIRST_CONTACT.label)
    elif event.type == Event.PAUSED and data.get("deadlines"):
        kinds = ", ".join(_kind_label(kind) for kind in data["deadlines"])
        details.append(_("Clocks stopped: %(deadlines)s") % {"deadlines": kinds})
    elif event.type == Event.RESUMED:
        for kind, due in (data.get("deadlines") or {}).items():
            details.append(_("%(deadline)s now due %(time)s") % {"deadline": _kind_label(kind), "time": _local(due)})
    elif event.type == Event.ESCALATED:
        before, after = data.get("priority_before"), data.get("priority_after")
        if before in Ticket.Priority.values and after in Ticket.Priority.values:
            details.append(
                _("Level %(level)s · priority %(before)s → %(after)s")
                % {
                    "level": data.get("level", "?"),
                    "before": Ticket.Priority(before).label,
                    "after": Ticket.Priority(after).label,
                }
            )
        if data.get("source") == "sla" and data.get("deadline"):
            details.append(
                _("Missed: %(deadline)s, due %(time)s")
                % {"deadline": _kind_label(data["deadline"]), "time": _local(data.get("due_at"))}
            )
    elif event.type in (Event.SLA_WARNING, Event.SLA_BREACHED) and data.get("deadline"):
        details.append(
            _("%(deadline)s due at %(time)s")
            % {"deadline": _kind_label(data["deadline"]), "time": _local(data.get("due_at"))}
        )
    elif event.type == Event.DEADLINES_RECOMPUTED:
        for move in data.get("deadlines") or []:
            details.append(
                f"{_kind_label(move.get('kind', ''))}: {_local(move.get('old_due_at'))} → "
                f"{_local(move.get('new_due_at'))}"
            )
    elif event.type == Event.ATTACHMENT and data.get("name"):
        details.append(f"{data['name']} ({filesizeformat(data.get('size') or 0)})")
    return entry


def _phrase_details(data: dict, details: list[str]) -> None:
    """P3 on the timeline: a supervisor's override of the phrase guard, or a note's warning."""
    override = data.get("phrase_override")
    if isinstance(override, dict):
        details.append(
            _("Forbidden phrases sent on %(name)s's override (%(phrases)s): %(reason)s")
            % {
                "name": override.get("by_name", ""),
                "phrases": "、".join(override.get("phrases") or []),
                "reason": override.get("reason", ""),
            }
        )
    hits = data.get("phrase_hits")
    if isinstance(hits, list) and hits:
        phrases = "、".join(dict.fromkeys(str(hit.get("phrase", "")) for hit in hits if isinstance(hit, dict)))
        details.append(_("Contains forbidden phrases: %(phrases)s") % {"phrases": phrases})


def _render(
    request: HttpRequest,
    ticket: Ticket,
    *,
    failed: ActionForm | None = None,
    note_form: NoteForm | None = None,
    attachment_form: AttachmentForm | None = None,
    page_error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()  # read once: every countdown on the page is against the same moment
    offered = permissions.verbs_offered(request.user, ticket, services.allowed_verbs(ticket.status))
    actions = []
    for verb in offered:
        if failed is not None and failed.verb == verb:
            form = failed
        else:
            form = ACTION_FORMS[verb](initial={"expected_version": ticket.version})
        actions.append(form)
    # The phrase book: what to say at each action, filled in for this ticket (one query).
    scripts = ticket_scripts(ticket=ticket, user=request.user, now=now)
    test_script = scripts["test_callback_request"].text if "test_callback_request" in scripts else TEST_SCRIPT
    for form in actions:
        if form.verb in ("resolve", "resolve_first_contact", "close") and "closing" in scripts:
            form.script = scripts["closing"].text
        elif form.verb == "request_test":
            form.script = test_script
        elif form.verb == "hand_off":
            context = {**ticket_context(ticket), **staff_context(request.user)}
            handoff_script(form, rendered=scripts.get("handoff"), context=context)
    if failed is not None:
        if failed.verb in offered:
            failed.focus_first_error()
        elif not page_error:
            page_error = " ".join(str(error) for errors in failed.errors.values() for error in errors)
    for form in (note_form, attachment_form):
        if form is not None:
            form.focus_first_error()
    context = {
        "ticket": ticket,
        "timeline": timeline_entries(ticket.events.all()),
        "deadlines": [_deadline_row(deadline, now) for deadline in ticket.deadlines.all()],
        "attachments": ticket.attachments.all(),
        "actions": actions,
        "open_verb": failed.verb if failed is not None else "",
        "note_form": note_form or NoteForm(),
        "attachment_form": attachment_form or AttachmentForm(),
        "page_error": page_error,
        "may_override_phrases": may_override_phrases(request.user),
        "first_responder_profile": getattr(ticket.first_responder, "staff", None),
        "assignee_profile": getattr(ticket.assignee, "staff", None) if ticket.assignee_id else None,
        "test_script": test_script,
        **panels.detail_extras(request, ticket),
        "is_awaiting_test": ticket.status == Ticket.Status.AWAITING_TEST,
        "now": now,
        # Panels of other modules: each is None when it does not apply to this ticket.
        "materials": materials_panel(request=request, ticket=ticket),
        "aftersales": aftersales_panel(request=request, ticket=ticket),
    }
    return render(request, "tickets/ticket_detail.html", context, status=status)
