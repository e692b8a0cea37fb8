from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import permissions

from tickets.models import ApiClient


class HasScope(permissions.BasePermission):
    """An API key needs `<resource>:read` for reads and `<resource>:write` for writes (the view's
    `scope_resource`); staff signed in through the session are judged by their role instead."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        client = request.auth if isinstance(request.auth, ApiClient) else None
        if client is None:
            return getattr(request.user, "staff", None) is not None or request.user.is_superuser
        access = "read" if request.method in permissions.SAFE_METHODS else "write"
        needed = f"{view.scope_resource}:{access}"
        if needed not in client.scopes:
            self.message = _("This API key lacks the scope %(scope)s.") % {"scope": needed}
            return False
        return True
