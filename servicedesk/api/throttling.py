from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from tickets.models import ApiClient


class ApiKeyThrottle(SimpleRateThrottle):
    """Each API key gets API_RATE requests (the `api_key` rate), counted in the shared cache;
    over it, 429 with Retry-After. Staff signed in through the session are not throttled.

    Counted as a sliding window of two counters, not DRF's list of every request's time: that
    list is read, unpickled, pickled and written back whole on every request, so its cost grows
    with the rate (about 2.6 ms a request at 300 requests/s under a per-minute rate). Here the
    requests of the current window (a minute for "/min") and of the one before are two numbers;
    the previous window counts for the part of it still within the last minute. A request is
    let through while that estimate is under the rate, and counted with an atomic increment
    (concurrent requests are not lost, as they could be from DRF's list). Refused requests are
    not counted."""

    scope = "api_key"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window, self.offset = divmod(self.now, self.duration)  # offset: seconds into the window
        current, previous = f"{key}:{int(window)}", f"{key}:{int(window) - 1}"
        counts = self.cache.get_many([current, previous])
        self.current_count = counts.get(current, 0)
        self.previous_count = counts.get(previous, 0)
        # previous × (share of it still within the last duration) + current + this request > rate,
        # multiplied out by the duration (whole seconds stay exact).
        estimate = self.previous_count * (self.duration - self.offset) + (self.current_count + 1) * self.duration
        if estimate > self.num_requests * self.duration:
            return self.throttle_failure()
        self._count(current)
        return True

    def _count(self, key: str) -> None:
        try:
            self.cache.incr(key)
        except ValueError:  # the window's first request
            if not self.cache.add(key, 1, timeout=2 * self.duration):
                self.cache.incr(key)  # another one came first

    def wait(self) -> float:
        """Seconds until a request would be let through again."""
        room = self.num_requests - 1  # what the estimate may be before a request
        if room < 0:
            return self.duration
        if self.current_count > room:
            # Not in this window: in the next one, once enough of this one has slid out.
            return max(2 * self.duration - self.offset - self.duration * room / self.current_count, 1)
        # Once enough of the previous window has slid out.
        slid_out = self.duration - self.duration * (room - self.current_count) / self.previous_count
        return max(slid_out - self.offset, 1)


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
