"""Fixtures for the complaints tests: those of the ticket tests are shared."""

from tests.tickets.conftest import finance_user, login, media, outsider  # noqa: F401
