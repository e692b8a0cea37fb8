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


def document_throttling(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation an API key may call can answer 429
    (the key is over its rate), with Retry-After, in the one error shape."""
    from django.utils.translation import gettext as _

    too_many = {
        "description": _("The API key is over its rate: wait the seconds Retry-After gives."),
        "headers": {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": _("Seconds to wait before the next request."),
            }
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if any("apiKey" in requirement for requirement in operation.get("security", [])):
                operation.setdefault("responses", {}).setdefault("429", too_many)
    return result
