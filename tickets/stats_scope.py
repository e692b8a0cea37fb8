"""Whose figures a person (or an API key) may read in the statistics and dashboards.

=====================  =====================================================================
who                    departments whose figures they see
=====================  =====================================================================
supervisor, office     all, including the figures of tickets not yet routed to a department
manager, admin,
superuser
department head        the departments they head (Department.head) and their own department
API key                all (`stats:read` scope), or only the departments the key is limited to
everyone else          none: the statistics are for management (a 403)
=====================  =====================================================================

A scope limited to departments never includes the "no department" figures: they may belong
to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from tickets.models import ApiClient, Department, StaffProfile

Role = StaffProfile.Role

ALL_FIGURES_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})


@dataclass(frozen=True)
class StatsScope:
    """`departments` None: every department and the unrouted figures; else those department ids."""

    departments: frozenset[int] | None

    @property
    def sees_all(self) -> bool:
        return self.departments is None

    def allows(self, department_id: int | None) -> bool:
        if self.departments is None:
            return True
        return department_id is not None and department_id in self.departments

    def narrow(self, queryset: QuerySet, field: str = "department") -> QuerySet:
        """Rows whose `field` (a department foreign key, through lookups) is in the scope."""
        if self.departments is None:
            return queryset
        return queryset.filter(**{f"{field}__in": self.departments})

    def department_list(self) -> QuerySet[Department]:
        """The departments a filter may offer: active ones in the scope, by name."""
        departments = Department.objects.filter(is_active=True).order_by("name", "pk")
        if self.departments is not None:
            departments = departments.filter(pk__in=self.departments)
        return departments


def stats_scope_for(user, *, client: ApiClient | None = None) -> StatsScope | None:
    """The scope of `user` (or of the API client it acts for), or None if they may not read
    statistics at all. One query for a department head or a limited key, none otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if client is not None:
        limited = frozenset(client.departments.values_list("pk", flat=True))
        return StatsScope(departments=limited or None)
    if user.is_superuser:
        return StatsScope(departments=None)
    profile = getattr(user, "staff", None)
    if profile is None:
        return None
    if profile.role in ALL_FIGURES_ROLES:
        return StatsScope(departments=None)
    if profile.role == Role.DEPT_HEAD:
        headed = Department.objects.filter(Q(head=user) | Q(pk=profile.department_id)).values_list("pk", flat=True)
        return StatsScope(departments=frozenset(headed))
    return None
