"""Reception console, staff console and lobby board (V1–V3, S4, S5).

Thin: forms shape the input, visits.services judge and write, visits.selectors read. Every
action is a plain POST that redirects back with a message; the queue parts of both consoles
and the lobby board's data refresh themselves through htmx every few seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from scripts_lib.models_phrasebook import Script
from scripts_lib.selectors_phrasebook import scripts_for
from scripts_lib.views_phrasebook import colleague_context, staff_context
from tickets.exceptions import TicketError
from tickets.models import Ticket
from tickets.views.panels import add_service_error
from visits import selectors, services
from visits.forms import CallNextForm, CheckInForm, EscalateForm, FinishForm, PresenceForm, TransferForm
from visits.models import Visit

REFRESH_SECONDS = 4


def _require_counter_staff(request: HttpRequest) -> None:
    if not selectors.may_use_reception(request.user):
        raise PermissionDenied(_("Reception and the counter are for staff serving visitors."))


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or reverse(default))


# --- Reception ----------------------------------------------------------------------------------


def reception(request: HttpRequest) -> HttpResponse:
    _require_counter_staff(request)
    form = CheckInForm()
    status = 200
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = services.visit_check_in(
                    actor=request.user,
                    visitor_name=data["visitor_name"],
                    visitor_phone=data["visitor_phone"],
                    purpose=data["purpose"],
                    party_size=data["party_size"],
                    is_urgent=data["is_urgent"],
                    host=data["host"],
                    note=data["note"],
                )
            except TicketError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s checked in: queue number %(number)s.")
                    % {"name": visit.visitor_name, "number": visit.queue_number},
                )
                return redirect(reverse("visits:reception") + f"?last={visit.pk}")
        status = 400
        form.focus_first_error()
    last = None
    if request.GET.get("last", "").isdigit():
        last = selectors.visit_get_for_user(user=request.user, pk=int(request.GET["last"]))
    context = {
        "form": form,
        "last": last,
        "queue": selectors.queue_view(user=request.user, now=timezone.now()),
        "refresh_seconds": REFRESH_SECONDS,
        # The phrase book (V1, V3): the counter greeting, and what to say when the person
        # visited is busy or out (naming them once a visitor for someone has checked in).
        "scripts": scripts_for(
            moments=[Script.Moment.GREETING, Script.Moment.VISITOR_BUSY],
            now=timezone.now(),
            channel=Ticket.Channel.WALK_IN,
            kind=Ticket.Kind.VISIT,
            context={
                **staff_context(request.user),
                **(colleague_context(last.host) if last is not None and last.host_id else {}),
            },
        ),
    }
    return render(request, "visits/reception.html", context, status=status)


@require_safe
def reception_queue(request: HttpRequest) -> HttpResponse:
    _require_counter_staff(request)
    context = {"queue": selectors.queue_view(user=request.user, now=timezone.now()), "refresh_seconds": REFRESH_SECONDS}
    return render(request, "visits/_reception_queue.html", context)


# --- Staff console ------------------------------------------------------------------------------


def _console_context(request: HttpRequest) -> dict:
    presence = selectors.presence_of(request.user)
    return {
        "queue": selectors.queue_view(user=request.user, now=timezone.now()),
        "presence": presence,
        "presence_form": PresenceForm(
            initial={
                "is_available": presence.is_available if presence else False,
                "counter": presence.counter if presence else "",
            }
        ),
        "call_form": CallNextForm(),
        "transfer_form": TransferForm(),
        "finish_form": FinishForm(),
        "escalate_form": EscalateForm(),
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_safe
def console(request: HttpRequest) -> HttpResponse:
    _require_counter_staff(request)
    return render(request, "visits/console.html", _console_context(request))


@require_safe
def console_queue(request: HttpRequest) -> HttpResponse:
    _require_counter_staff(request)
    return render(request, "visits/_console_queue.html", _console_context(request))


@require_POST
def presence(request: HttpRequest) -> HttpResponse:
    _require_counter_staff(request)
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return _refused(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    try:
        services.presence_set(
            user=request.user, is_available=form.cleaned_data["is_available"], counter=form.cleaned_data["counter"]
        )
    except TicketError as error:
        return _refused(request, error.message)
    else:
        messages.success(
            request, _("You are available.") if form.cleaned_data["is_available"] else _("You are marked busy.")
        )
    return _back(request, "visits:console")


@require_POST
def call_next(request: HttpRequest) -> HttpResponse:
    _require_counter_staff(request)
    form = CallNextForm(request.POST)
    if not form.is_valid():
        return _refused(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    line = form.cleaned_data["line"]
    visit = services.visit_call_next(actor=request.user, lines=[line] if line else None)
    if visit is None:
        messages.info(request, _("Nobody is waiting."))
    else:
        messages.success(
            request,
            _("Calling %(number)s (%(name)s).") % {"number": visit.queue_number, "name": visit.visitor_name},
        )
    return _back(request, "visits:console")


def _visit_action(form_class, act: Callable[[HttpRequest, Visit, dict], object], success: str):
    """A console action on one visit: `act` calls the service; 404 for a visit the user may not
    act on, the service's refusal as a message (400), `success` (with the visitor's number and
    name) as a message; back to where the form was."""

    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        _require_counter_staff(request)
        visit = selectors.visit_get_for_user(user=request.user, pk=pk)
        if visit is None:
            raise Http404(_("No such visit that you may act on."))
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            text = " ".join(str(e) for errors in form.errors.values() for e in errors)
            return _refused(request, text)
        try:
            act(request, visit, form.cleaned_data if form is not None else {})
        except TicketError as error:
            return _refused(request, error.message)
        messages.success(request, str(success) % _number(visit))
        return _back(request, "visits:console")

    return view


def _refused(request: HttpRequest, error: str) -> HttpResponse:
    """The console again, with what was wrong at the top (400), nothing written."""
    context = {**_console_context(request), "page_error": _("Nothing was saved: %(error)s") % {"error": error}}
    return render(request, "visits/console.html", context, status=400)


def _number(visit: Visit) -> dict:
    return {"number": visit.queue_number, "name": visit.visitor_name}


call = _visit_action(
    None,
    lambda request, visit, data: services.visit_call(visit=visit, actor=request.user),
    gettext_lazy("Calling %(number)s (%(name)s)."),
)
start = _visit_action(
    None,
    lambda request, visit, data: services.visit_start_serving(visit=visit, actor=request.user),
    gettext_lazy("Serving %(number)s (%(name)s): the 3-minute clock runs until the question is clear."),
)
clear = _visit_action(
    None,
    lambda request, visit, data: services.visit_mark_clear(visit=visit, actor=request.user),
    gettext_lazy("%(number)s: question clear, escalation clock stopped."),
)
escalate = _visit_action(
    EscalateForm,
    lambda request, visit, data: services.visit_escalate(visit=visit, actor=request.user, reason=data["reason"]),
    gettext_lazy("%(number)s: escalated, the next level is called in."),
)
ladder_ack = _visit_action(
    None,
    lambda request, visit, data: services.visit_ladder_acknowledge(visit=visit, actor=request.user),
    gettext_lazy("%(number)s: you have taken the call-in; the ladder stops."),
)
host_ack = _visit_action(
    None,
    lambda request, visit, data: services.visit_host_acknowledge(visit=visit, actor=request.user),
    gettext_lazy("%(number)s: acknowledged; reception knows you are coming."),
)
transfer = _visit_action(
    TransferForm,
    lambda request, visit, data: services.visit_transfer(
        visit=visit, actor=request.user, to_user=data["to_user"], note=data["note"]
    ),
    gettext_lazy("%(number)s transferred."),
)
finish = _visit_action(
    FinishForm,
    lambda request, visit, data: services.visit_finish(
        visit=visit, actor=request.user, outcome=data["outcome"], note=data["note"]
    ),
    gettext_lazy("%(number)s finished."),
)


# --- Lobby board --------------------------------------------------------------------------------


def _board_allowed(request: HttpRequest) -> bool:
    key = settings.SERVICEDESK.get("LOBBY_BOARD_KEY", "")
    if key and constant_time_compare(request.GET.get("key", ""), key):
        return True
    return request.user.is_authenticated


@login_not_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    if not _board_allowed(request):
        return redirect_to_login(request.get_full_path())
    context = {"board": selectors.lobby_board(now=timezone.now()), "key": request.GET.get("key", "")}
    return render(request, "visits/board.html", context)


@login_not_required
@require_safe
def board_data(request: HttpRequest) -> HttpResponse:
    if not _board_allowed(request):
        raise PermissionDenied(_("Sign in, or open the board with its key."))
    return render(request, "visits/_board_data.html", {"board": selectors.lobby_board(now=timezone.now())})
