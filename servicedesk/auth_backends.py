"""Signing in: Django's model backend, reading the signed-in user together with their staff
profile and its department. Every page asks who the user is and what they may see (their role,
their department: tickets.querysets.TicketQuerySet.visible_to, the navigation), so the profile
read in the same query saves one query on every request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffModelBackend(ModelBackend):
    def get_user(self, user_id):
        UserModel = get_user_model()
        try:
            user = UserModel._default_manager.select_related("staff__department").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
