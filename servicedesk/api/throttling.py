from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from tickets.models import ApiClient


class ApiKeyThrottle(SimpleRateThrottle):
    """Each API key gets API_RATE requests (the `api_key` rate), counted in the shared cache;
    over it, 429 with Retry-After. Staff signed in through the session are not throttled."""

    scope = "api_key"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
