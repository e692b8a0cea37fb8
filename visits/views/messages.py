"""Pages for messages for absent colleagues (V3): taking one on a visit, the list of mine, and
marking one handled (from My desk or the list; plain POST, or htmx swapping the desk panel).

Thin: the forms check the shape, visits.messages decides and writes, the selectors read.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tickets.exceptions import NotPermitted, TicketError
from tickets.views.panels import add_service_error, detail_url, is_htmx, ticket_or_404
from visits import messages as services
from visits import selectors_messages as selectors
from visits.forms_messages import MessageListFilter, MessageTakeForm
from visits.permissions_messages import user_may_handle_message, user_may_take_message, user_oversees_messages

PAGE_SIZE = 25
DESK_PANEL_TEMPLATE = "visits/messages/_desk_panel.html"


def _refused(request, message: str, *, back: str) -> HttpResponse:
    return render(request, "visits/messages/refused.html", {"message": message, "back": back}, status=403)


def _ticket_visit(ticket):
    try:
        return ticket.visit
    except ObjectDoesNotExist:  # no Visit row (checked in before reception existed, or another kind)
        return None


@require_http_methods(["GET", "HEAD", "POST"])
def message_take(request, reference: str):
    ticket = ticket_or_404(request, reference, fetch=selectors.message_ticket_get)
    if not user_may_take_message(request.user):
        return _refused(request, _("Only staff take messages for colleagues."), back=detail_url(ticket))
    status = 200
    if request.method == "POST":
        form = MessageTakeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = services.message_take(
                    ticket=ticket,
                    actor=request.user,
                    recipient=data["recipient"],
                    visitor_name=data["visitor_name"],
                    contact=data["contact"],
                    text=data["text"],
                    is_urgent=data["is_urgent"],
                    now=timezone.now(),
                )
            except NotPermitted as refusal:
                form.add_error(None, refusal.message)
                status = 403
            except TicketError as refusal:
                add_service_error(form, refusal)
                status = 400
            else:
                profile = message.recipient.staff
                names = {"name": profile.display_name, "extension": profile.extension or "—"}
                if message.is_urgent:
                    flash.warning(
                        request,
                        _(
                            "Urgent message for %(name)s taken and sent at once. Phone them now on extension "
                            "%(extension)s and tell them who is waiting."
                        )
                        % names,
                    )
                else:
                    flash.success(
                        request,
                        _(
                            "Message for %(name)s taken; it stays on their desk until they mark it handled. "
                            "Tell the visitor it will be passed on."
                        )
                        % names,
                    )
                return redirect(detail_url(ticket, "timeline"))
        else:
            status = 400
        form.focus_first_error()
    else:
        initial = {"visitor_name": ticket.contact_name, "contact": ticket.contact_phone}
        visit = _ticket_visit(ticket)
        if visit is not None:
            initial["visitor_name"] = visit.visitor_name or initial["visitor_name"]
            initial["contact"] = visit.visitor_phone or initial["contact"]
            if visit.host_id:
                initial["recipient"] = visit.host_id
        form = MessageTakeForm(initial=initial)
        form.focus_first_error()
    context = {
        "ticket": ticket,
        "form": form,
        "earlier": selectors.message_list_for_ticket(ticket=ticket),
    }
    return render(request, "visits/messages/take.html", context, status=status)


@require_safe
def message_list(request):
    oversees = user_oversees_messages(request.user)
    filters = MessageListFilter(request.GET or None, oversees=oversees)
    if request.GET and not filters.is_valid():
        return render(
            request, "visits/messages/list.html", {"filters": filters, "page": None, "oversees": oversees}, status=400
        )
    box, state = filters.values() if request.GET else (selectors.Box.FOR_ME, selectors.State.OPEN)
    rows = selectors.message_list(user=request.user, box=box, state=state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page.object_list:
        message.may_handle = not message.is_handled and user_may_handle_message(request.user, message)
    context = {
        "filters": filters,
        "box": box,
        "state": state,
        "page": page,
        "page_links": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "ellipsis": Paginator.ELLIPSIS,
        "oversees": oversees,
        "here": request.get_full_path(),
    }
    return render(request, "visits/messages/list.html", context)


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("desk:home") + "#messages-for-me"


def _desk_panel(request, *, flash_line: str = "", error: str = "", status: int = 200) -> HttpResponse:
    context = {"message_panel": selectors.message_panel_for(user=request.user), "panel_flash": flash_line}
    context["panel_error"] = error
    response = render(request, DESK_PANEL_TEMPLATE, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def message_handled(request, pk: int):
    message = selectors.message_get_for_user(user=request.user, pk=pk)
    if message is None:
        raise Http404(_("No such message."))
    target = _safe_next(request, request.POST.get("next", ""))
    try:
        services.message_mark_handled(
            message=message, actor=request.user, note=request.POST.get("note", ""), now=timezone.now()
        )
    except TicketError as refusal:
        status = 403 if isinstance(refusal, NotPermitted) else 400
        if is_htmx(request):
            return _desk_panel(request, error=refusal.message, status=status)
        if isinstance(refusal, NotPermitted):
            return _refused(request, refusal.message, back=target)
        flash.error(request, refusal.message)
        return redirect(target)
    done = _("Message from %(visitor)s marked handled.") % {"visitor": message.visitor_name}
    if is_htmx(request):
        return _desk_panel(request, flash_line=done)
    flash.success(request, done)
    return redirect(target)
