from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tickets.api_keys import api_client_authenticate
from tickets.models import ApiClient

LAST_USED_RESOLUTION = timedelta(minutes=1)


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
        now = timezone.now()
        # Stamped at most once a minute: a busy integration's requests do not all write (and queue
        # on the lock of) the one row. The same single query either way.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        if ApiClient.objects.filter(stale, pk=client.pk).update(last_used_at=now):
            client.last_used_at = now
        return client.user, client

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "servicedesk.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API key made by `manage.py create_api_key`."}
