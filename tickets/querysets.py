"""Chainable filters only; reads with joins live in selectors.py."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=["resolved", "closed"])

    def visible_to(self, user):
        """The one rule for which tickets a user may see (K1).

        Supervisors and admins (and superusers) see all; everyone else sees tickets of their
        own department, tickets assigned to them, and tickets they first responded to; finance
        also sees every ticket with a bill.
        Anonymous users and users without a staff profile see none.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        profile = getattr(user, "staff", None)
        if profile is None:
            return self.none()
        if profile.sees_all_tickets:
            return self
        condition = Q(assignee=user) | Q(first_responder=user)
        if profile.department_id is not None:
            condition |= Q(department_id=profile.department_id)
        if profile.role == profile.Role.FINANCE:
            # Finance confirms the payments of every department (A4). The bill is one-to-one
            # with its ticket, so the join adds no duplicate rows.
            condition |= Q(bill__isnull=False)
        return self.filter(condition)


class TicketEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(_("Ticket events are append-only and cannot be changed."))

    def delete(self):
        raise TypeError(_("Ticket events are append-only and cannot be deleted."))


class DeadlineQuerySet(models.QuerySet):
    def live(self):
        return self.filter(state__in=["running", "paused"])

    def due_for_sweep(self, now: datetime):
        return self.filter(state="running", next_action_at__isnull=False, next_action_at__lte=now)
