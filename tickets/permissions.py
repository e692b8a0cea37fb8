"""Which ticket verbs a person may use, by their role.

Whether a verb is legal *now* is the service layer's business (`services.TRANSITIONS`);
this module only says who may ask. A page offers the intersection of the two
(`verbs_offered`); a view refuses a verb outside the role's set with 403 before any
service is called.

The table, and why:

=============  ==========================================================================
role           verbs
=============  ==========================================================================
front_desk     every desk verb except ``reply``. The first responder owns the question to
               the end (T1): accepts, resolves at first contact, hands off (T5), asks the
               customer to test and records the result (S3), waits on and resumes, answers
               and resolves, closes, reopens, escalates (S5: the customer may ask for it).
               Recording *the handler's* result is not the desk's to do.
handler        ``reply``, ``hand_off`` (pass it on to the right specialist), ``request_test``
               and ``test_result`` (an engineer often talks the customer through the test),
               ``pause``, ``resume``, ``resolve``, ``escalate``. Not ``resolve_first_contact``
               (there is no first contact at the handler's end), not ``close`` or
               ``reopen``: those stay with the desk that owns the ticket (T1).
dept_head      all verbs
supervisor     all verbs
admin          all verbs
finance        none: finance confirms payments (a later issue) and may add notes and
               attachments, which every staff member who can see a ticket may do.
=============  ==========================================================================

Two more rules:

* Superusers may use every verb; a user without a staff profile none (the services
  would refuse them anyway).
* Whoever a ticket is currently assigned to may always record the handler's result
  (``reply``), whatever their role: the person it was handed to *is* its handler (T5).
"""

from __future__ import annotations

from tickets.models import StaffProfile, Ticket

Role = StaffProfile.Role

# Every verb a person can use from a page, in the order the page offers them (the
# sweep's "test_timeout" is never a person's).
DESK_VERBS: tuple[str, ...] = (
    "hand_off",
    "reply",
    "resolve_first_contact",
    "request_test",
    "test_result",
    "resolve",
    "pause",
    "resume",
    "close",
    "reopen",
    "escalate",
)

ROLE_VERBS: dict[str, frozenset[str]] = {
    Role.FRONT_DESK: frozenset(DESK_VERBS) - {"reply"},
    Role.HANDLER: frozenset(
        {"reply", "hand_off", "request_test", "test_result", "pause", "resume", "resolve", "escalate"}
    ),
    Role.DEPT_HEAD: frozenset(DESK_VERBS),
    Role.SUPERVISOR: frozenset(DESK_VERBS),
    Role.OFFICE_MANAGER: frozenset(DESK_VERBS),
    Role.ADMIN: frozenset(DESK_VERBS),
    Role.FINANCE: frozenset(),
}


def _profile(user) -> StaffProfile | None:
    return getattr(user, "staff", None)


def verbs_for_user(user) -> frozenset[str]:
    """The verbs the user's role allows, on any ticket."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(DESK_VERBS)
    profile = _profile(user)
    if profile is None:
        return frozenset()
    return ROLE_VERBS.get(profile.role, frozenset())


def user_may(user, verb: str, ticket: Ticket) -> bool:
    """May this user ask for `verb` on `ticket` (whatever its status)?"""
    if verb in verbs_for_user(user):
        return True
    return verb == "reply" and user.is_authenticated and ticket.assignee_id == user.pk and _profile(user) is not None


def verbs_offered(user, ticket: Ticket, legal: list[str]) -> list[str]:
    """The verbs a page should offer: legal in the ticket's status (`legal`, from
    `services.allowed_verbs`) and allowed for the user, in DESK_VERBS order.

    A ticket that was ever handed off is no longer a first-contact case: the service refuses
    `resolve_first_contact` for it, so it is not offered.
    """
    offered = []
    for verb in DESK_VERBS:
        if verb not in legal or not user_may(user, verb, ticket):
            continue
        if verb == "resolve_first_contact" and ticket.handed_off_at is not None:
            continue
        offered.append(verb)
    return offered


def _role_in(user, roles: frozenset[str]) -> bool:
    """An active, signed-in user whose staff role is one of `roles` (a superuser always is)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    profile = _profile(user)
    return profile is not None and profile.role in roles


# --- Materials checklist and service confirmation form (A1, A3) ------------------------------

# Who checks a customer's documents, records their written confirmation of missing ones and
# prepares the service confirmation form: anyone serving customers, not finance.
MATERIALS_ROLES: frozenset[str] = frozenset(
    {Role.FRONT_DESK, Role.HANDLER, Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN}
)


def user_may_check_materials(user) -> bool:
    """May this user check materials and prepare the service confirmation form?

    On a ticket they can see: the caller fetches the ticket through the access rule first (a
    ticket they may not see is a 404, never a 403)."""
    return _role_in(user, MATERIALS_ROLES)


# --- After-sales: bill, payment, invoice/receipt, completion notice, document return (A4, A5) --

# Billing, the completion notice, returning documents and the receipt call are the work of the
# people who serve the customer: the first responder owns the case to the end (T1).
AFTERSALES_ROLES: frozenset[str] = frozenset(
    {Role.FRONT_DESK, Role.HANDLER, Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN}
)
# Issuing an invoice or receipt: finance, plus the managers who stand in when the cashier is away
# (V4: "cashier absent → take payment, issue a receipt"). Not front desk or handlers: a numbered
# invoice or receipt is a financial document, and the service only allows it once finance has
# confirmed the payment anyway.
DOCUMENT_ROLES: frozenset[str] = frozenset(
    {Role.FINANCE, Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN}
)
# Who sees the finance page (bills to confirm and to invoice).
FINANCE_PAGE_ROLES: frozenset[str] = frozenset({Role.FINANCE, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})


def user_may_bill(user) -> bool:
    """Issue the bill when the work starts (A4)."""
    return _role_in(user, AFTERSALES_ROLES)


def user_may_confirm_payment(user) -> bool:
    """Confirm that the money arrived: finance only (A4), and superusers. The service
    `aftersales.bill_confirm_payment` refuses everyone else too."""
    return _role_in(user, frozenset({Role.FINANCE}))


def user_may_issue_document(user) -> bool:
    """Issue the invoice or receipt once finance confirmed the payment (see DOCUMENT_ROLES)."""
    return _role_in(user, DOCUMENT_ROLES)


def user_may_notify_customer(user) -> bool:
    """Tell the customer the service is complete (A4)."""
    return _role_in(user, AFTERSALES_ROLES)


def user_may_return_documents(user) -> bool:
    """Record documents handed back in person or sent by courier (A5)."""
    return _role_in(user, AFTERSALES_ROLES)


def user_may_record_receipt_call(user) -> bool:
    """Record the call confirming a courier parcel arrived (A5)."""
    return _role_in(user, AFTERSALES_ROLES)


def user_may_view_finance_bills(user) -> bool:
    """The finance page: finance, supervisors and administrators (and superusers)."""
    return _role_in(user, FINANCE_PAGE_ROLES)
