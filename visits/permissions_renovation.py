"""Who may do the renovation and repair business at the counter.

The counter business is the desk's: front desk, department heads, supervisors, the office
manager and administrators (and superusers). Engineers (handlers) may also record that they
arrived for a repair. Finance does neither (it sees tickets with a bill, nothing more).
Seeing the ticket at all is the ticket app's rule (tickets.querysets.visible_to): a ticket the
user may not see is a 404 before these are asked."""

from __future__ import annotations

from tickets.models import StaffProfile
from tickets.permissions import _role_in

Role = StaffProfile.Role

COUNTER_ROLES = frozenset({Role.FRONT_DESK, Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})
ARRIVAL_ROLES = COUNTER_ROLES | {Role.HANDLER}


def user_may_do_counter_business(user) -> bool:
    return _role_in(user, COUNTER_ROLES)


def user_may_record_repair_arrival(user) -> bool:
    return _role_in(user, ARRIVAL_ROLES)
