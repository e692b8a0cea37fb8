"""One JSON shape for every 4xx: {"code": ..., "message": ..., "fields": {field: [messages]}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from tickets.exceptions import Conflict, IllegalTransition, InvalidInput, NotPermitted, TicketError


class IllegalTransitionError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "illegal_transition"
    default_detail = "Not possible in the ticket's current status."


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The ticket changed since you read it."


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for item in detail]
    if isinstance(detail, dict):
        return [f"{key}: {message}" for key, value in detail.items() for message in _flatten(value)]
    return [str(detail)]


def api_exception_handler(exc, context):
    from servicedesk.api.idempotency import Replay

    if isinstance(exc, Replay):  # the first answer to this Idempotency-Key, as it was
        response = Response(exc.record.body, status=exc.record.status_code)
        response["Idempotent-Replayed"] = "true"
        if exc.record.etag:  # the ETag the first answer carried (the ticket as it was then)
            response["ETag"] = exc.record.etag
        return response
    if isinstance(exc, TicketError):
        exc = _from_service(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict) and "detail" not in detail:
        fields = {key: _flatten(value) for key, value in detail.items()}
        message = _("The request has invalid fields.")
        code = "invalid"
    else:
        raw = detail.get("detail", detail) if isinstance(detail, dict) else detail
        message = " ".join(_flatten(raw))
        code = getattr(raw, "code", None) or getattr(exc, "default_code", "error")
    if isinstance(exc, Http404):
        code = "not_found"
    if isinstance(exc, PermissionDenied):
        code = "permission_denied"
    response.data = {"code": str(code), "message": message, "fields": fields}
    return response


def _from_service(error: TicketError) -> exceptions.APIException:
    if isinstance(error, InvalidInput):
        if error.field:
            return exceptions.ValidationError({error.field: [error.message]})
        return exceptions.ValidationError({"non_field_errors": [error.message]})
    if isinstance(error, Conflict):
        return PreconditionFailed(error.message)
    if isinstance(error, NotPermitted):
        return exceptions.PermissionDenied(error.message)
    if isinstance(error, IllegalTransition):
        return IllegalTransitionError(error.message)
    return exceptions.ValidationError({"non_field_errors": [error.message]})


def error_response(status_code: int, code: str, message: str) -> Response:
    return Response({"code": code, "message": message, "fields": {}}, status=status_code)


def not_found(request, exception=None):
    """The site's 404 (`handler404`): an address under /api/ that matches no endpoint (or a path
    parameter of the wrong form, such as a reference with a slash) answers in the API's error
    shape, not with the HTML page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "message": _("There is no such address in the API."), "fields": {}}, status=404
        )
    return defaults.page_not_found(request, exception)
