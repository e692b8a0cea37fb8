"""The customer page: contact card (ID number masked), primary contact (A6), and the
customer's tickets that the user may see (K1: the same access rule as everywhere).

The card itself is shown to every staff member: the desk needs it to recognise a caller
even when all their earlier tickets belong to other departments. Those tickets stay hidden.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tickets import selectors


@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (user.is_superuser or getattr(user, "staff", None) is not None):
        raise Http404(_("No such customer."))
    customer = selectors.customer_get(pk=pk)
    if customer is None:
        raise Http404(_("No such customer."))
    tickets = list(selectors.ticket_list_for_customer(user=user, customer=customer))
    contact = customer.primary_contact
    context = {
        "customer": customer,
        "tickets": tickets,
        "open_count": sum(1 for ticket in tickets if ticket.is_open),
        "contact": contact,
        "contact_profile": getattr(contact, "staff", None) if contact is not None else None,
    }
    return render(request, "tickets/customer_detail.html", context)
