from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tickets.api_keys import api_client_authenticate
from tickets.models import ApiClient


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`: the client's own identity; request.auth is the ApiClient."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, key = header.partition(" ")
        if keyword != self.keyword:
            return None
        client = api_client_authenticate(key.strip())
        if client is None:
            raise exceptions.AuthenticationFailed(_("Unknown, revoked or expired API key."))
        _stamp_last_used(client)
        return client.user, client

    def authenticate_header(self, request) -> str:
        return self.keyword


# How fresh "last used at" is kept: to the minute, which is what an administrator reads it for.
# Writing it on every call made each API read wait for a commit's flush to disk (5-8 ms).
LAST_USED_PRECISION = timedelta(minutes=1)


def _stamp_last_used(client: ApiClient) -> None:
    """One UPDATE on every call (the query budgets stay the same whatever the clock says),
    which changes the row, and so writes, at most once a minute."""
    now = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    if ApiClient.objects.filter(stale, pk=client.pk).update(last_used_at=now):
        client.last_used_at = now


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "servicedesk.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key made by `manage.py create_api_key`."}
