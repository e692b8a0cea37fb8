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
