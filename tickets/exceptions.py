"""Domain errors raised by services. Each carries a message a person can act on."""

from __future__ import annotations

from django.utils.translation import gettext as _


class TicketError(Exception):
    """Base of every refusal a ticket service gives. Nothing was written when it is raised."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class InvalidInput(TicketError):
    """A value given to a service is unknown, malformed or not allowed."""

    code = "invalid_input"


class IllegalTransition(TicketError):
    """The verb is not allowed in the ticket's current status."""

    code = "illegal_transition"


class Conflict(TicketError):
    """Someone else changed the ticket since the caller read it."""

    code = "conflict"


def check_choice(field: str, value: str, choices: type, *, blank: bool = False) -> str:
    """Return `value` if it is one of the TextChoices' values, else raise InvalidInput naming it."""
    if blank and value == "":
        return value
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput(
            _("Unknown %(field)s “%(value)s”; expected one of: %(allowed)s.")
            % {"field": field, "value": value, "allowed": allowed},
            field=field,
        )
    return value


class NotPermitted(TicketError):
    """The actor's role may not do this at all (e.g. only finance confirms a payment, A4).

    Views answer it with 403; nothing was written."""

    code = "not_permitted"
