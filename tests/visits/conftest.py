"""Fixtures for the visits tests: those of the ticket tests (signing in, finance, another
department, a temporary media folder) are shared."""

from tests.tickets.conftest import finance_user, login, media, outsider  # noqa: F401
