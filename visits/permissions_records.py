"""Who may handle ID copies and incidents (V5, V6).

A page first fetches its ticket through the access rule (a ticket the user may not see is a
404). ID copies are narrower than the ticket itself: only the people working the ticket see them
(its first responder, its assignee, the staff of its department, and supervisors, office
managers and administrators); finance, who sees every ticket with a bill, does not. Refusals
are 404s too, so a copy's existence is not given away.
"""

from __future__ import annotations

from tickets.models import StaffProfile, Ticket
from tickets.permissions import MATERIALS_ROLES, _role_in

Role = StaffProfile.Role

# The people serving customers: they take copies and record incidents. Not finance.
RECORD_ROLES: frozenset[str] = MATERIALS_ROLES
# Roles that see every ticket's ID copies.
OVERSEER_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})
# Keeping a case for training is the CS office's call (the manual: 总公司客服存档整理).
TYPICAL_ROLES: frozenset[str] = OVERSEER_ROLES


def user_works_ticket(user, ticket: Ticket) -> bool:
    """First responder, assignee, the ticket's department, or an overseer (and superusers)."""
    if not _role_in(user, RECORD_ROLES):
        return False
    if user.is_superuser or user.staff.role in OVERSEER_ROLES:
        return True
    if user.pk in (ticket.first_responder_id, ticket.assignee_id):
        return True
    return ticket.department_id is not None and user.staff.department_id == ticket.department_id


def user_may_view_id_copies(user, ticket: Ticket) -> bool:
    return user_works_ticket(user, ticket)


def user_may_store_id_copy(user, ticket: Ticket) -> bool:
    return user_works_ticket(user, ticket)


def user_may_record_incident(user) -> bool:
    """Record an incident or file its report, on a ticket the user can see."""
    return _role_in(user, RECORD_ROLES)


def user_may_mark_typical(user) -> bool:
    return _role_in(user, TYPICAL_ROLES)


def user_may_view_typical_cases(user) -> bool:
    """The training archive: everyone who serves customers."""
    return _role_in(user, RECORD_ROLES)
