"""Who may read the complaint-rate statistics and the suggestion counts, recompute a closed
month, and decide on a suggestion (C3, C4).

=====================  =====================================================================
what                   who
=====================  =====================================================================
complaint rates,       department heads, supervisors, office managers, administrators: the
suggestion counts      manual has the figures compiled for management (表1.3); handlers, the
                       front desk and finance get a 403.
recompute a closed     administrators only (and superusers): it rewrites history, so it is
month                  rare, explicit and logged with a reason.
decide a suggestion    department heads, supervisors, office managers, administrators, on a
                       suggestion they can see.
=====================  =====================================================================
"""

from __future__ import annotations

from tickets.models import StaffProfile
from tickets.permissions import _role_in

Role = StaffProfile.Role

STATS_ROLES: frozenset[str] = frozenset({Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})
RECOMPUTE_ROLES: frozenset[str] = frozenset({Role.ADMIN})
SUGGESTION_DECIDER_ROLES: frozenset[str] = frozenset({Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})


def user_may_view_complaint_stats(user) -> bool:
    return _role_in(user, STATS_ROLES)


def user_may_recompute_complaint_month(user) -> bool:
    return _role_in(user, RECOMPUTE_ROLES)


def user_may_view_suggestion_counts(user) -> bool:
    return _role_in(user, STATS_ROLES)


def user_may_decide_suggestion(user) -> bool:
    return _role_in(user, SUGGESTION_DECIDER_ROLES)
