"""`Idempotency-Key` on POST: the first answer is kept and replayed for 24 hours to the same caller
sending the same key with the same request; the same key with a different request is 422; a
request still being processed under that key is 409. 5xx answers are not kept (a retry runs again).
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status

from tickets.models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 200

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A key of your choosing (at most 200 characters): a retry with the same key and body gets "
    "the first answer again for 24 hours; the same key with another body gets 422.",
)


class Replay(exceptions.APIException):
    """Carries the kept answer; the API's exception handler sends it back as it was."""

    def __init__(self, record: IdempotencyRecord):
        super().__init__()
        self.record = record


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class KeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"


def _request_hash(request) -> str:
    return hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), request.body])).hexdigest()


def _record_create(*, owner, key: str, digest: str, now) -> IdempotencyRecord | None:
    """The key's new record, or None when the caller already has one with this key.

    Outside a transaction (a request) the INSERT commits on its own and a refused one leaves
    the connection usable: no BEGIN and COMMIT round trips around it. Inside one, a savepoint
    keeps the refusal from breaking the caller's transaction."""
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return IdempotencyRecord.objects.create(owner=owner, key=key, request_hash=digest, created_at=now)
    except IntegrityError:
        return None


class IdempotentPostMixin:
    # For API views: checks the key in `initial` (after authentication) and keeps the answer in
    # `finalize_response`. (A comment, not a docstring: drf-spectacular would show a docstring as
    # the description of every operation of the views that use it.)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get("Idempotency-Key", "").strip()
        if request.method != "POST" or not key:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError({"Idempotency-Key": [_("At most 200 characters.")]})
        digest = _request_hash(request._request)
        now = timezone.now()
        record = _record_create(owner=request.user, key=key, digest=digest, now=now)
        if (
            record is None
            and IdempotencyRecord.objects.filter(owner=request.user, key=key, created_at__lt=now - KEEP_FOR).delete()[0]
        ):
            # The key's earlier use is over 24 hours old: forgotten, this request starts afresh.
            record = _record_create(owner=request.user, key=key, digest=digest, now=now)
        if record is None:
            record = IdempotencyRecord.objects.filter(owner=request.user, key=key).first()
            if record is None:
                # The first request failed (its record is gone) while this one was arriving:
                # nothing was kept, so a retry starts afresh.
                raise KeyInProgress(_("A request with this Idempotency-Key is still being processed.")) from None
            if record.request_hash != digest:
                raise KeyReused(_("This Idempotency-Key was used with another request.")) from None
            if record.status_code is None:
                raise KeyInProgress(_("A request with this Idempotency-Key is still being processed.")) from None
            raise Replay(record) from None
        request._idempotency_record = record

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(request, "_idempotency_record", None)
        if record is not None:
            if response.status_code >= 500:
                record.delete()
            else:
                record.status_code = response.status_code
                record.body = response.data
                record.etag = response.get("ETag", "")
                record.save(update_fields=["status_code", "body", "etag"])
            request._idempotency_record = None
        return response
