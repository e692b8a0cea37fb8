"""Who may do what with customer evaluations (C5).

- Issuing an evaluation link and recording an evaluation taken by phone: any member of staff who
  may see the ticket (the view fetches it through the access rule: a ticket they may not see is
  a 404).
- The monthly summary: department heads (their own department), supervisors, office managers
  and administrators (all departments). Everyone else gets a 403.
"""

from __future__ import annotations

from tickets.models import StaffProfile
from tickets.permissions import _role_in

Role = StaffProfile.Role

SUMMARY_ROLES: frozenset[str] = frozenset({Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})
# Who sees every department in the summary; a department head sees their own.
SUMMARY_ALL_ROLES: frozenset[str] = SUMMARY_ROLES - {Role.DEPT_HEAD}
EVALUATION_ROLES: frozenset[str] = frozenset(Role.values)


def user_may_record_evaluation(user) -> bool:
    """Issue a link or record a phone evaluation (on a ticket the user may see)."""
    return _role_in(user, EVALUATION_ROLES)


def user_may_view_evaluation_summary(user) -> bool:
    return _role_in(user, SUMMARY_ROLES)


def user_sees_all_departments(user) -> bool:
    return _role_in(user, SUMMARY_ALL_ROLES)
